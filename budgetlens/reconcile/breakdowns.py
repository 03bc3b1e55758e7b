"""`narrative.arithmetic` `list.sum_vs_total` across paragraphs: a paragraph that only
itemises — it opens with its list marker and states no amount of its own before it
(`其中：一般公共预算拨款收入37018.75万元，…`, `1.按支出功能分类，包括科学技术支出1140.61万元、…`) —
breaks down the one amount of the paragraph before it (`…2026年支出预算515313.35万元，比上年执行数
减少10087.38万元，下降1.9%…。`).  Numbered sibling breakdowns (`2.按支出用途分类，包括…`) share that
paragraph; a heading between the two ends the search (the total of another section).

The figures are the extractors' facts (an item already in a list of its own paragraph is
left to narrative_arithmetic); from the text this module reads only the paragraph's opener
and where the paragraphs begin.  The sum is checked by narrative_arithmetic's list check (same
tolerance, same message, `其中` shortfall only info, a list ending in `等` only when over); an
excess is a warning, not an error: which amount the paragraph breaks down is inferred, not stated.

Vocabulary: gazetteers/rules/lists.yaml (`breakdown_opener`, `breakdown_sibling`,
`breakdown_reach`).  Corpus: reconcile/corpus/recall2.yaml (real paragraphs with file and page,
each silent as printed and flagged with one figure changed)."""
from __future__ import annotations

import re
from typing import Optional

from budgetlens.document.model import Document
from budgetlens.reconcile import narrative_arithmetic as na
from budgetlens.reconcile.flags import Flag

V = na.V
_OPENER = re.compile(V["breakdown_opener"])
_SIBLING = re.compile(V["breakdown_sibling"])
_REACH = int(V["breakdown_reach"])
_BASE_BEFORE = re.compile(V["base_before"])


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    for lst in paragraph_breakdowns(doc, facts or []):
        f = na._check_list(doc, lst)
        if f:
            # sibling breakdowns share their total: each flag stands at its own list's first
            # figure (the total is cited with the parts), one id per list
            first = lst.items[0].amounts[0]
            f.cells = [f"span:{lst.total.start}"] + [c for c in f.cells if c != f"span:{first.start}"]
            f.start, f.end = first.start, first.end
            f.key = f"{f.key}:breakdown:{lst.start}"
            if f.severity == "error":
                f.severity = "warning"  # the total is inferred from the paragraph before, not stated with the list
            flags.append(f)
    return flags


def _amounts(facts: list, a: int, b: int) -> list:
    return [f for f in facts if f.kind == "amount" and f.value is not None and f.start is not None
            and a <= f.start < b and getattr(f, "origin", "narrative") == "narrative"]


def _own_total(doc: Document, facts: list, a: int, b: int) -> Optional[object]:
    """The one amount the first sentence of the paragraph [a, b) states (not the base of a
    comparison: `比2025年年初预算数99024.2万元减少…`), else None."""
    s = doc.sentence_at(a)
    end = min(b, s.end) if s is not None and s.end > a else b
    own = [f for f in _amounts(facts, a, end)
           if not _BASE_BEFORE.search(doc.text[max(a, f.start - 16):f.start])
           and not any(c.kind == "comparison" and c.amount_from is not None and c.amount_from == f.value
                       and c.sentence == f.sentence for c in facts if c.start is not None and a <= c.start < end)]
    return own[0] if len(own) == 1 else None


def paragraph_breakdowns(doc: Document, facts: list) -> list[na.ItemList]:
    out = []
    paras = [(a, b) for a, b in doc.paragraphs if b > a and doc.text[a:b].strip()]
    by_group: dict[str, list] = {}
    for f in facts:
        if f.group:
            by_group.setdefault(f.group, []).append(f)
    for k, (a, b) in enumerate(paras):
        text = doc.text[a:b]
        m = _OPENER.match(text)
        if not m or _amounts(facts, a, a + m.start("marker")):
            continue
        total = None
        for j in range(k - 1, max(-1, k - 1 - _REACH), -1):
            pa, pb = paras[j]
            pt = doc.text[pa:pb]
            if _OPENER.match(pt):
                continue  # a sibling breakdown of the same total
            if _SIBLING.match(pt) and not _amounts(facts, pa, pb):
                break  # a heading: the paragraphs before it are another section's
            total = _own_total(doc, facts, pa, pb)
            break
        if total is None:
            continue
        heads = [f for f in _amounts(facts, a + m.end(), b) if not (f.role == "item" and f.group)
                 and f.role != "detail"]
        if len(heads) < 2:
            continue
        items = []
        for f in heads:
            it = na.Item([f])
            if f.total_group:
                it.sub = [g for g in by_group.get(f.total_group, []) if g.role == "item" and g.kind == "amount"]
            items.append(it)
        marker = m.group("marker")
        partial = marker in na._PARTIAL or bool(na._ETC_END.search(text.strip()))
        sentence = doc.text[paras[j][0]:paras[j][1]].strip() + "\n" + text.strip()
        out.append(na.ItemList(total, items, marker, False, partial, sentence, a))
    return out
