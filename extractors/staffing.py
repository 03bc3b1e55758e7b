"""Staffing counts: 编制人数, 实有人数, 在职/离退休, 外聘人员, 见习岗, 话务员, 保安/保洁,
值班人员 … (`安保和保洁人员39名`, `见习岗（3人，每人每月0.22万元，9个月）`, table cells
`聘请话务员数量 | = | 25 | 人`).

A count in a person unit (人/名/位 → `人`) is a `staffing` fact when its subject names a
staffing term of gazetteers/terms.yaml (categories staffing / staff_role) or contains a
staffing cue (gazetteers/patterns/staffing.yaml); other counts stay `count` facts.
`is_target` is True for figures stated as targets (indicator tables, 绩效目标/指标 text,
plans), False for stated facts (编制339名, 实有人员274名).  An indicator-table row counting
staff yields both the `indicator` fact and a `staffing` fact (same row, is_target True).

Corpus: extractors/corpus/staffing.yaml.
"""
from __future__ import annotations

from typing import Optional

from budgetlens import gazetteers
from budgetlens.gazetteers.patterns import load

P = load("staffing")
PERSON_UNITS = set(P["person_units"]) - {"人次"}
CATEGORIES = set(P["categories"])
CUES = tuple(P["cues"])
TARGET_CUES = tuple(P["target_cues"])


def is_staffing(subject: Optional[str], term: Optional[str], unit: Optional[str]) -> bool:
    if unit != "人" or not subject:
        return False
    if term and gazetteers.terms().get(term, {}).get("category") in CATEGORIES:
        return True
    return any(c in subject for c in CUES)


def is_target(*context: Optional[str]) -> bool:
    return any(c in (t or "") for t in context for c in TARGET_CUES)


def cue_before(text: str, pos: int) -> Optional[str]:
    """The staffing cue written right before a count (在职7名人员 → 在职), else None."""
    for c in sorted(CUES, key=len, reverse=True):
        if text.endswith(c, 0, pos):
            return c
    return None
