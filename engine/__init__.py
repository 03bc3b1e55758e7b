"""The domain pipeline, without any orchestrator: files → documents → facts, table
cells and flags.  `pipelines/` wraps these functions in Prefect flows; notebooks and tests
call them directly."""
from .process import DocResult, process_group, process_paths  # noqa: F401
from .discover import discover, group_sources  # noqa: F401
