"""The domain pipeline, without any orchestrator: files → documents → facts, table
cells and flags.  `pipelines/` wraps these functions in Prefect flows; notebooks and tests
call them directly.

The names below are loaded on first use, so that `engine.limits` (used by the readers
and the store) can be imported without loading the extractors."""
from __future__ import annotations

_EXPORTS = {
    "DocResult": "process", "process_group": "process", "process_paths": "process",
    "discover": "discover", "group_sources": "discover",
}


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"engine.{mod}"), name)


__all__ = list(_EXPORTS)
