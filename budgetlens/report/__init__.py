"""The HTML report a reviewer reads."""
from .html import write_report  # noqa: F401
