"""The domain pipeline, without any orchestrator: files → documents → facts, table
cells and flags.  `pipelines/` wraps these functions in Prefect flows; notebooks and tests
call them directly.  `engine.run` is the runner above it (engine + store + report)."""
from __future__ import annotations

from .discover import discover, group_sources
from .process import DocResult, process_group, process_paths

__all__ = ["DocResult", "process_group", "process_paths", "discover", "group_sources"]
