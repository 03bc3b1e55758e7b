"""The crawler: configured portal pages → disclosure documents in a content-addressed raw
store with a manifest.  Plain code (httpx, no orchestrator); `pipelines/flows.py` wraps it
in a Prefect flow and `budgetlens crawl` runs it."""
from .config import Config, load_config  # noqa: F401
from .rawstore import RawStore  # noqa: F401
