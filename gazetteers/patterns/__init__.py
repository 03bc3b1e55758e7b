"""Pattern data for the narrative extractors (extractors/numbers.py, amounts.py, rates.py,
comparisons.py, staffing.py, indicators.py, subjects.py, itemisations.py).

Recognizers-Text style: the unit words, direction words, comparator words, itemisation
markers and subject clean-up words live in the YAML files beside this module; the code
that uses them only holds regex *structure*.  Each file is loaded once.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import regex
import yaml

HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def load(name: str) -> Any:
    """`gazetteers/patterns/<name>.yaml` as a dict."""
    with open(HERE / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # noqa: S506 - a safe loader


def alternation(words) -> str:
    """A regex alternation of literal words, longest first (so 人次 wins over 人)."""
    ws = sorted({str(w) for w in words if str(w)}, key=len, reverse=True)
    return "|".join(regex.escape(w) for w in ws)
