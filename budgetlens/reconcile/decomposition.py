"""`narrative.arithmetic` — a narrative list that names every part of a known decomposition
(基本支出 + 项目支出, 人员经费 + 公用经费, the three 三公 parts, 公务用车购置费 + 运行维护费)
must add up to its total, whether it falls short or runs over.  Lists are the extractors'
(`group` / `total_group`); the decompositions are data in gazetteers/rules/lists.yaml.

The general list rule (`list.sum_vs_total`) must treat a short list as possibly partial
(`其中：基本支出881.31万元` names one part); naming all the parts removes that doubt."""
from __future__ import annotations

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

FAMILY = "narrative.arithmetic"
DECOMPOSITIONS = [frozenset(p) for p in gazetteers.load("rules/lists").get("complete_decompositions", [])]


def check(doc: Document, facts) -> list:
    totals = {}
    items: dict[str, list] = {}
    for f in facts:
        if f.kind != "amount" or f.origin != "narrative" or f.value_wan is None:
            continue
        if getattr(f, "total_group", None):
            totals[f.total_group] = f
        if getattr(f, "role", None) == "item" and f.group:
            items.setdefault(f.group, []).append(f)
    out = []
    for gid, its in items.items():
        t = totals.get(gid)
        if t is None or len(its) < 2:
            continue
        terms = {getattr(i, "term", None) for i in its}
        if not any(d <= terms for d in DECOMPOSITIONS):
            continue
        if any(i.qualifier and "约" in str(i.qualifier) for i in its):
            continue
        s = tol.total(tol.figure(i.value_wan, None, unit="万元") for i in its)
        tf = tol.figure(t.value_wan, None, unit="万元")
        if tol.agree(s, tf):
            continue
        diff = round(t.value_wan - s.value, 6)
        parts = "＋".join(fmt(i.value_wan) for i in its)
        sentences = list(dict.fromkeys([t.sentence] + [i.sentence for i in its]))
        out.append(Flag(
            FAMILY, "list.parts_vs_total", "error",
            say("list.parts_vs_total", subject=t.subject, total=fmt(t.value_wan), sum=fmt(round(s.value, 2)),
                parts=parts, gap=fmt(abs(diff))),
            values=[t.value_wan, round(s.value, 6)], stated=t.value_wan, expected=round(s.value, 6), difference=diff,
            evidence=[quote(x) for x in sentences if x],
            start=t.start, end=t.end, sentence=t.sentence, key=f"parts:{t.start}",
            cells=[f"span:{i.start}" for i in its],  # an item the table contradicts is the root cause
        ))
    return out
