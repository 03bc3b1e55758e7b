"""Heading styles (`一、`, `（一）`, `第一部分` …) from `headings.yaml`: which style a line is written in.

Readers use it to end a table at a chapter heading, the document builder to build the
section tree; both sit above the vocabularies, so it lives here.
"""
from __future__ import annotations

from typing import Optional

import regex

from . import load

HEAD = load("headings")
STYLES = [(s["name"], regex.compile(s["pattern"])) for s in HEAD["styles"]]


def heading_style(text: str) -> Optional[str]:
    t = text.strip()
    if not t or len(t) > HEAD["max_length"] or t[-1] in HEAD["sentence_endings"]:
        return None
    for name, pat in STYLES:
        if pat.match(t):
            return name
    return None
