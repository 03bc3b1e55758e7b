"""`narrative.arithmetic` `assets.plan_equals_holdings`: the planned purchases of the year
copied from the holdings.  A 国有资产占用 section states the holdings (`截至2025年12月31日…
单位价值50万元以上通用设备13台（套），单位价值100万元以上专用设备23台（套）`) and the year's
purchases (`2026年部门预算安排购置单位价值50万元以上通用设备13台（套），单位价值100万元以上专用设备
23台（套）`); when every category both name is equal and at least two are not zero, the plan
is almost surely the holdings sentence left in place (buying as many of each as one holds).

A figure is a holding or a purchase by the words of its sentence before it (purchase words)
or of its paragraph (an as-of date, `共有`); a category is the figure's subject with the value
threshold its clause names (`单位价值50万元以上` + 通用设备).  The figures are the extractors'
count facts.  Vocabulary and message: `assets:` and `messages:` of gazetteers/rules/lists.yaml; corpus:
reconcile/corpus/recall2.yaml."""
from __future__ import annotations

import bisect
import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile import memo
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

V = gazetteers.load("rules/lists")["assets"]
_PLAN = re.compile(V["plan_words"])
_HOLD = re.compile(V["holding_words"])
_ITEM = re.compile(V["item_subject"])
_THRESHOLD = re.compile(V["threshold"])
_CLAUSE = re.compile(V["clause_split"])


def _paragraph(doc: Document, offset: int) -> Optional[tuple[int, int]]:
    starts = memo.once(doc, "assets.paragraph_starts", lambda: [a for a, _b in doc.paragraphs])
    i = bisect.bisect_right(starts, offset) - 1
    if 0 <= i < len(doc.paragraphs) and doc.paragraphs[i][0] <= offset < doc.paragraphs[i][1]:
        return doc.paragraphs[i]
    return None


def _category(doc: Document, f, s) -> Optional[tuple[str, str]]:
    clause = _CLAUSE.split(doc.text[s.start:f.start])[-1]
    m = _THRESHOLD.search(clause)
    return (f.subject, m.group("value") if m else "") if f.subject else None


def _side(doc: Document, f, s) -> Optional[str]:
    """"plan" when the sentence names a purchase before the figure, "holding" when the
    paragraph up to the figure states holdings and the sentence names no purchase."""
    if _PLAN.search(doc.text[s.start:f.start]):
        return "plan"
    para = _paragraph(doc, f.start)
    if para is not None and _HOLD.search(doc.text[para[0]:f.start]):
        return "holding"
    return None


def check(doc: Document, facts=None) -> list[Flag]:
    held: dict = {}
    plans: dict[int, dict] = {}  # per sentence naming purchases: category → fact
    for f in facts or []:
        if f.kind != "count" or getattr(f, "origin", "narrative") != "narrative" or f.value is None \
                or f.start is None or not _ITEM.search(f.subject or ""):
            continue
        s = doc.sentence_at(f.start)
        if s is None:
            continue
        side, cat = _side(doc, f, s), _category(doc, f, s)
        if cat is None:
            continue
        if side == "holding":
            held.setdefault(cat, f)
        elif side == "plan":
            plans.setdefault(s.start, {}).setdefault(cat, f)
    flags = []
    for plan in plans.values():
        f = _copied(doc, plan, held)
        if f:
            flags.append(f)
    return flags


def _copied(doc: Document, plan: dict, held: dict) -> Optional[Flag]:
    """A sentence of purchases whose every category is a holding of the same number."""
    if any(c not in held or held[c].value != plan[c].value for c in plan):
        return None
    cats = list(plan)
    if sum(1 for c in cats if plan[c].value) < int(V["min_nonzero"]):
        return None
    first = plan[cats[0]]
    items = "、".join((say("assets.category", threshold=c[1], item=c[0]) if c[1] else c[0])
                     + f"{fmt(plan[c].value)}{plan[c].unit or ''}" for c in cats)
    ev = list(dict.fromkeys(quote(doc.sentence_at(x.start).text) for x in [held[c] for c in cats] + [first]))
    return Flag(
        "narrative.arithmetic", "assets.plan_equals_holdings", "warning",
        say("assets.plan_equals_holdings", items=items),
        values=[plan[c].value for c in cats] + [held[c].value for c in cats],
        evidence=ev, start=first.start, end=first.end, sentence=doc.sentence_at(first.start).text,
        key=f"plan_equals_holdings:{first.start}", cells=[f"span:{held[c].start}" for c in cats],
    )
