"""A verdict for every narrative money figure (issue 13): `verified` (a table cell whose
roles fit the figure's sentence agrees within tolerance), `contradicted` (an error/warning
flag cites the figure) or `unverifiable` (no cell could be established), with the cell it
was checked against as `表名 / 行 / 列 = 值（第N页）`.

Cells are found by the rules' own locators (reconcile/narrative_vs_table.candidates: the
subject's cells, the 功能分类 / 经济分类 row, the 三公 cell), then by the figure's name:
a row whose label, or a total row's column whose label, is the name the narrative writes
before the figure (project names, income items, economic items …).  A name match verifies
only when the value agrees too, and only in a column whose roles fit the sentence; a
stated 0 agrees with a blank cell of that row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from budgetlens.document.model import Document
from budgetlens.reconcile import narrative_vs_table as nv
from budgetlens.reconcile.locate import Cand

_SERIOUS = ("error", "warning")


@dataclass
class Verdict:
    verdict: str
    checked_against: Optional[str] = None
    page: Optional[int] = None


def is_figure(f) -> bool:
    """A narrative money figure (a unit line such as `单位：万元` read as 0 is none)."""
    if f.kind != "amount" or f.origin != "narrative" or f.value_wan is None:
        return False
    return f.raw is None or any(ch.isdigit() or "\u4e00" <= ch <= "\u9fff" and ch in "〇零一二三四五六七八九十百千" for ch in f.raw)


def _cited(flags) -> dict:
    by: dict = {}
    for fl in flags:
        if fl.severity not in _SERIOUS:
            continue
        if fl.start is not None:
            by.setdefault(fl.start, fl)
        for c in fl.cells:
            if c.startswith("span:"):
                by.setdefault(int(c[5:]), fl)
    return by


def _cell_of(flag) -> Optional[str]:
    return next((e for e in flag.evidence[1:] if " / " in e and " = " in e), None)


def _first_agreeing(doc, f, cands: list[Cand]) -> Optional[Cand]:
    for c, _g in nv.graded(doc, f, cands):
        if nv.agree(f, c):
            return c
    return None


def verdicts(doc: Document, facts, flags) -> dict:
    """id(fact) → Verdict for every narrative money figure."""
    cited = _cited(flags)
    out = {}
    for f in facts:
        if not is_figure(f):
            continue
        fl = cited.get(f.start)
        if fl is not None:
            out[id(f)] = Verdict("contradicted", _cell_of(fl))
            continue
        try:
            _rule, _what, cands, _names_ = nv.candidates(doc, f) if f.start is not None else ("", "", [], [])
        except Exception:  # a figure the locators cannot read stays unverifiable
            cands = []
        c = _first_agreeing(doc, f, cands)
        if c is None and f.start is not None:
            c = _first_agreeing(doc, f, nv.named_cands(doc, f))
        if c is not None:
            out[id(f)] = Verdict("verified", "；".join(c.cite()), c.t.page)
        else:
            out[id(f)] = Verdict("unverifiable")
    return out


def counts(vs) -> dict:
    vals = [v.verdict for v in vs]
    return {"figures": len(vals), "verified": vals.count("verified"),
            "contradicted": vals.count("contradicted"), "unverifiable": vals.count("unverifiable")}
