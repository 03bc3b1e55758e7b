"""`narrative_vs_table` `amount.unit_magnitude`: a narrative figure in 万元 three orders of
magnitude above every money figure of the document's typed tables, which read in 元 falls
among them — `固定资产金额302475975.31万元` where the department's largest table figure is
27900.73万元: the figure is in 元 and its unit word is wrong (30247.60万元).

Only narrative amounts written with the unit of `units` (万元), only tables whose type and
unit are established; the factors are data (`magnitude:` of gazetteers/rules/narrative_vs_table.yaml): `factor` above the
largest table figure, and within `back_factor` of it once divided by 10 000.  Real examples:
GZ03 p.26 (ledger) and the planted GZ05 case of tests/test_rules_recall2_real2.py."""
from __future__ import annotations

from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.document.numbers import MONEY, wan_factor
from budgetlens.document.tables import numeric_cells
from budgetlens.reconcile.evidence import cell, cell_key, fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

V = gazetteers.load("rules/narrative_vs_table")["magnitude"]


def _largest_cell(doc: Document) -> Optional[tuple]:
    best = None
    for t in doc.tables:
        if t.table_type in (None, "", "unknown") or not t.unit or t.unit not in MONEY:
            continue
        k = wan_factor(t.unit)  # to_wan(v, t.unit) is round(v * k, 10): the factor once per table
        if k is None:
            continue
        for r, j, v in numeric_cells(t):
            if v is None:
                continue
            w = round(v * k, 10)
            if best is None or abs(w) > best[0]:
                best = (abs(w), t, r, j)
    return best


def check(doc: Document, facts=None) -> list[Flag]:
    cands = [f for f in facts or [] if f.kind == "amount" and getattr(f, "origin", "narrative") == "narrative"
             and f.unit in V["units"] and f.value_wan and f.start is not None]
    if not cands:
        return []
    top = _largest_cell(doc)
    if top is None or top[0] <= 0:
        return []
    largest, t, r, j = top
    k = MONEY[V["wrong_unit"]] / MONEY[V["units"][0]]  # 元 in 万元
    flags = []
    for f in cands:
        w = abs(f.value_wan)
        if w < float(V["factor"]) * largest or w * k > float(V["back_factor"]) * largest:
            continue
        flags.append(Flag(
            "narrative_vs_table", "amount.unit_magnitude", "warning",
            say("amount.unit_magnitude", subject=f.subject or "", value=fmt(f.value), unit=f.unit,
                times=fmt(round(w / largest)), cell=cell(t, r, j), as_yuan=fmt(round(f.value_wan * k, 2)),
                wrong_unit=V["wrong_unit"]),
            values=[f.value, round(f.value_wan * k, 6), largest], stated=f.value,
            expected=round(f.value_wan * k, 6), evidence=[quote(f.sentence), cell(t, r, j)],
            start=f.start, end=f.end, sentence=f.sentence, cells=[cell_key(t, r, j)],
            key=f"magnitude:{f.start}:{f.value}",
        ))
    return flags
