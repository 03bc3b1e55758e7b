"""The `flags` record: one inconsistency, with the evidence a reviewer needs."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Optional

FLAG_COLUMNS = [
    "source", "doc_id", "flag_id", "family", "rule", "severity", "message", "values",
    "stated", "expected", "difference", "evidence",
    # additions
    "related", "start", "end", "sentence", "cells",
]


@dataclass
class Flag:
    family: str
    rule: str
    severity: str  # error | warning | info
    message: str
    values: list[float] = field(default_factory=list)
    stated: Optional[float] = None
    expected: Optional[float] = None
    difference: Optional[float] = None
    evidence: list[str] = field(default_factory=list)
    source: str = ""
    doc_id: str = ""
    related: list[str] = field(default_factory=list)  # flag_ids of flags with the same root cause
    start: Optional[int] = None  # span of the quoted figure in Document.text
    end: Optional[int] = None
    sentence: Optional[str] = None
    cells: list[str] = field(default_factory=list)  # table_id:row:col keys of cited cells
    key: str = ""  # what makes this flag unique within its document (for a stable id)

    @property
    def flag_id(self) -> str:
        basis = json.dumps([self.doc_id, self.rule, self.key or self.message], ensure_ascii=False)
        return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]

    def as_row(self) -> dict:
        return {
            "source": self.source, "doc_id": self.doc_id, "flag_id": self.flag_id,
            "family": self.family, "rule": self.rule, "severity": self.severity,
            "message": self.message, "values": [float(v) for v in self.values],
            "stated": self.stated, "expected": self.expected, "difference": self.difference,
            "evidence": list(self.evidence), "related": list(self.related),
            "start": self.start, "end": self.end, "sentence": self.sentence, "cells": list(self.cells),
        }
