"""`budgetlens review`: a small local web app where a reviewer reads each flag beside a
picture of its page and confirms or dismisses it.  Above store/report, below pipelines."""
from .app import create_app, serve  # noqa: F401
from .data import ReviewStore, resolve_store  # noqa: F401
