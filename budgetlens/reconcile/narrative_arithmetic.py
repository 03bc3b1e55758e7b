"""`narrative.arithmetic`: the narrative against itself.

- an itemised list (`拟申请资金100万元，明细如下：1、… 2、…`, `共计32.88万元…包括：A、B…`)
  whose items do not add up to the stated total;
- quantity × rate (× duration) against the stated amount (`住宿费37.5万元，约合750人，
  0.05万元/人`);
- one item stated with two different amounts (facts with the same subject and code).

The lists are the extractors' (extractors/itemisations.py: `total_group` / `group` /
`role` / `item`), in paragraphs and in table cells alike (project descriptions sit in the
绩效目标表's 预算规模及资金用途 cell); this module never re-reads the raw text for figures.
From the text it takes only what a list says about itself: the marker that opened it
(`主要包括` may name only the main items) and a closing `等`.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.document.numbers import MONEY as _TO_WAN
from budgetlens.reconcile import memo
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "narrative.arithmetic"
V = gazetteers.load("rules/lists")
_COMPLETE = sorted(V["list_markers"]["complete"], key=len, reverse=True)
_PARTIAL = sorted(V["list_markers"]["partial"], key=len, reverse=True)
_MARKER_RE = re.compile("|".join(re.escape(m) for m in sorted(_COMPLETE + _PARTIAL, key=len, reverse=True)))
_ETC_END = re.compile(V["etc_end"])
_WAN = V["wan_unit"]
_SIGN = {"increase": 1, "decrease": -1, "flat": 0}
# what may stand between a list's total and its marker: a short stretch without figures, or
# the purpose of the total (`32.88万元，主要用于…支出。包括：`) — a figure further back is not the
# total the list itemises (`收入包括：…17858.84万元。支出包括：…`, `…27600.00万元；支出包括：…`)
_GAP = re.compile(V["total_gap"])
_GAP_NOT_LIST = re.compile(V["gap_not_list"])  # `较上年增加…，其中`: a comparison, not a list
# an amount that is the base of a comparison (`19828.57万元比2025年初预算数20292.85万元减少…`)
_BASE_BEFORE = re.compile(V["base_before"])


def _figure(f) -> tol.Figure:
    """A money fact as a figure in 万元 (its tolerance from how it was written)."""
    unit = f.unit if f.unit in _TO_WAN else _WAN
    return tol.figure(f.value, f.raw, unit=unit, approx=f.comparator == "≈").scaled(_TO_WAN[unit])


@dataclass
class Item:
    """One item of a list: its amounts (one, or two on a numbered line that states two), the
    sublist it opens, and on a numbered line its details (quantities, rates, durations)."""
    amounts: list
    sub: list = field(default_factory=list)
    details: list = field(default_factory=list)
    signs: list = field(default_factory=list)  # change lists: +1 / −1 / 0 per amount


@dataclass
class ItemList:
    total: object  # the total fact (an amount, or a change for a change list)
    items: list[Item]
    marker: str
    numbered: bool
    partial: bool
    sentence: str  # the list as written (for the evidence)
    start: Optional[int]  # where the list's text starts in Document.text
    change: Optional[int] = None  # the total is a change (`减少595.70万元，其中：…`): its sign


def find_lists(doc: Document, facts) -> list[ItemList]:
    """The extractors' itemised lists of money amounts and of changes, with their items."""
    by_group: dict[str, list] = {}
    totals = {}
    for f in facts:
        if f.group:
            by_group.setdefault(f.group, []).append(f)
        if f.total_group and f.kind in ("amount", "comparison") and f.value is not None:
            totals[f.total_group] = f
    out = []
    for gid, total in totals.items():
        members = [f for f in by_group.get(gid, []) if f.start is not None]
        heads = [f for f in members if f.role == "item" and f.kind == total.kind and f.value is not None]
        if not heads or total.start is None:
            continue
        lst_head = _header(doc, total, heads)
        if lst_head is None:
            continue
        marker, marker_end = lst_head
        heads = [f for f in heads if _in_region(doc, f, marker_end, total.kind)]
        if not heads:
            continue
        items: dict = {}
        for f in heads:
            items.setdefault(f.item or id(f), Item([])).amounts.append(f)
        for f in members:
            if f.role == "detail" and f.item in items:
                items[f.item].details.append(f)
        for it in items.values():
            for f in it.amounts:
                if f.total_group:
                    it.sub += [g for g in by_group.get(f.total_group, []) if g.role == "item" and g.kind == "amount"]
            it.signs = [_SIGN.get(f.direction) for f in it.amounts]
        out.append(_list_of(doc, total, list(items.values()), members, marker))
    return out


def _header(doc: Document, total, heads: list) -> Optional[tuple[str, int]]:
    """(marker, its end) when the total stands right before the list's marker."""
    a = total.end if total.end is not None else total.start
    first = min(f.start for f in heads)
    for m in reversed(list(_MARKER_RE.finditer(doc.text, a, first))):
        gap = doc.text[a:m.start()]
        if _GAP.fullmatch(gap) and not ("。" in gap and not gap.rstrip().endswith("。")) \
                and not _GAP_NOT_LIST.search(gap):
            return m.group(), m.end()
    return None


def _in_region(doc: Document, f, marker_end: int, kind: str) -> bool:
    """An item of an inline list stands on the marker's line (a numbered list runs over
    lines), and an amount item is not the base of a comparison."""
    before = doc.text[marker_end:f.start]
    if "\n" in before and not f.list_no:
        return False
    if kind == "amount" and _BASE_BEFORE.search(doc.text[max(0, f.start - 16):f.start]):
        return False
    return True


def _list_of(doc: Document, total, items: list[Item], members: list, marker: str) -> ItemList:
    last = max(f.end or f.start for it in items for f in it.amounts + it.details)
    text = doc.text
    stop = re.search(r"[。\n]", text[last:last + 200])
    tail = text[last:last + stop.end()] if stop else text[last:last + 200]
    partial = marker in _PARTIAL or any(w in marker for w in V["partial_words"]) or bool(_ETC_END.search(tail.strip()))
    numbered = any(f.list_no for it in items for f in it.amounts)
    change = None
    if total.kind == "comparison":
        change = _SIGN.get(total.direction) or None
    s = doc.sentence_at(total.start)
    a = min(s.start, total.start) if s is not None else total.start
    sentence = text[a:max(last + len(tail), s.end if s is not None else 0)]
    return ItemList(total, items, marker, numbered, partial, sentence, a, change)


def check(doc: Document, facts=None) -> list[Flag]:
    facts = facts or []
    flags: list[Flag] = stated_twice(doc, facts)
    for lst in find_lists(doc, facts):
        f = _check_changes(doc, lst, facts) if lst.total.kind == "comparison" else _check_list(doc, lst)
        if f:
            flags.append(f)
        for it in lst.items:
            g = _check_product(it, lst)
            if g:
                flags.append(g)
    return flags


def _candidate_sums(lst: ItemList) -> Optional[list[tuple[str, list]]]:
    top: list = []
    allv: list = []
    for it in lst.items:
        if lst.numbered and len(it.amounts) > 1:
            return None  # an item with two amounts: which one is its cost is not clear
        top += it.amounts
        allv += it.amounts + it.sub
    if not top:
        return None
    cands = [("top", top)]
    if len(allv) != len(top):
        cands.append(("all", allv))
    return cands


def _whole(f) -> bool:
    raw = str(f.raw or f.value)
    return not re.search(r"\d[.．]\d", raw) and f.comparator != "≈"


def _whole_figure(f) -> tol.Figure:
    unit = f.unit if f.unit in _TO_WAN else _WAN
    return tol.figure(f.value, f.raw, decimals=0).scaled(_TO_WAN[unit])


def _check_list(doc: Document, lst: ItemList) -> Optional[Flag]:
    cands = _candidate_sums(lst)
    if not cands or len(cands[0][1]) < 2:
        return None
    # a list written in whole 万元 throughout (上海 单位预算: 30441 + 5000 + 0 + 5428 = 40869 against
    # 收入预算40870, the tables in 元) is rounded to the unit: each figure stands for ±0.5
    whole = all(_whole(f) for _n, ps in cands for f in ps) and _whole(lst.total)
    fig = _whole_figure if whole else _figure
    total = fig(lst.total)
    best = None
    for _name, parts in cands:
        s = tol.total(fig(p) for p in parts)
        if tol.agree(s, total):
            return None
        if best is None or abs(s.value - total.value) < abs(best[1].value - total.value):
            best = (parts, s)
    parts, s = best
    over = s.value > total.value
    if not over and (lst.partial or s.value < 0.8 * total.value):
        return None
    unit = lst.total.unit
    k = _TO_WAN[unit]
    items_txt = "＋".join(fmt(p.value_wan / k) for p in parts)
    quote_text = quote(_sentence_of(doc, lst), 600)
    severity = "error" if over else ("info" if lst.marker in V["list_markers"].get("subset", []) else "warning")
    return Flag(
        FAMILY, "list.sum_vs_total", severity,
        say("list.sum_vs_total", sum=fmt(s.value / k), unit=unit, items=items_txt, total=fmt(lst.total.value),
            more_less=word("more" if over else "less"), gap=fmt(abs(s.value - total.value) / k)),
        values=[lst.total.value, round(s.value / k, 6)], stated=lst.total.value,
        expected=round(s.value / k, 6), difference=round((total.value - s.value) / k, 6),
        evidence=[quote_text], start=lst.total.start, end=lst.total.end,
        sentence=quote_text, key=f"list:{lst.total.start}:{lst.total.value}",
        cells=[f"span:{p.start}" for p in parts],
    )


def _sentence_of(doc: Document, lst: ItemList) -> str:
    """The list as quoted: a numbered list with the paragraph or cell it stands in, an inline
    list from the sentence of its total to its last item."""
    if lst.numbered:
        block = _block_at(doc, lst.total.start)
        if block is not None:
            return doc.text[block[0]:block[1]].strip()
    return lst.sentence


def _block_at(doc: Document, offset: int) -> Optional[tuple[int, int]]:
    """The paragraph holding `offset`, else the first table cell whose span holds it."""
    paras, starts = memo.once(doc, "narrative_arithmetic_paragraphs", lambda: _paragraphs(doc))
    if starts is not None:  # in order, none overlapping: the one starting last at or before
        k = bisect.bisect_right(starts, offset) - 1
        if k >= 0 and paras[k][0] <= offset < paras[k][1]:
            return paras[k][0], paras[k][1]
    else:
        for a, b in paras:
            if a <= offset < b:
                return a, b
    for t in doc.tables:
        for r in t.rows:
            for span in r.spans:
                if span and span[0] is not None and span[0] <= offset < span[1]:
                    return span
    return None


def _paragraphs(doc: Document) -> tuple:
    """(paragraphs, their starts when in order and none overlapping, else None)."""
    paras = list(doc.paragraphs)
    ordered = all(a <= b for a, b in paras) and all(paras[i][1] <= paras[i + 1][0] for i in range(len(paras) - 1))
    return paras, ([a for a, _b in paras] if ordered else None)


def _unit_key(u: str) -> Optional[str]:
    for key, words in V["quantity_units"].items():
        if u in words or u == key:
            return key
    return None


def _check_product(it: Item, lst: ItemList) -> Optional[Flag]:
    """Item amount against rate × quantities stated on the same numbered line."""
    if len(it.amounts) != 1 or not it.details:
        return None
    amount = it.amounts[0]
    rates: dict[tuple, float] = {}
    qtys = []
    for d in it.details:
        if d.kind == "rate" and d.per and d.value_wan is not None:
            keys = tuple(sorted(_unit_key(p) or p for p in d.per.split("/")))
            rates[keys] = rates.get(keys, 0.0) + d.value_wan
        elif d.kind in ("count", "staffing") and d.value is not None and not d.per:
            qtys.append((_unit_key(str(d.unit)), d.value, d.comparator == "≈"))
    if len(rates) != 1:
        return None
    (per_keys, rate), = rates.items()
    used, rest = [], list(qtys)
    for k in per_keys:
        match = [q for q in rest if q[0] == k]
        if len(match) != 1:
            return None
        used.append(match[0])
        rest.remove(match[0])
    line = lst.sentence if not lst.numbered else _line_of(it)
    approx = amount.comparator == "≈" or any(q[2] for q in qtys) or any(w in line for w in V["approx_words"])
    stated = tol.figure(amount.value_wan, amount.raw, unit=_WAN, approx=approx)
    base = rate
    for q in used:
        base *= q[1]
    products = [base]
    extra = base
    for q in rest:
        extra *= q[1]
        products.append(extra)
    for p in products:
        if tol.agree(stated, tol.Figure(p, 1e-9 if not approx else abs(p) * tol.APPROX_RELATIVE)):
            return None
    if rest:
        return None  # quantities the rate does not name: cannot tell which multiply
    k = _TO_WAN[amount.unit]
    parts = " × ".join([fmt(rate)] + [fmt(q[1]) for q in used])
    return Flag(
        FAMILY, "quantity_times_rate", "error",
        say("quantity_times_rate", line=quote(line.strip(), 60), parts=parts, product=fmt(base),
            amount=fmt(amount.value_wan)),
        values=[amount.value, round(base / k, 6)], stated=amount.value,
        expected=round(base / k, 6), difference=round(amount.value_wan - base, 6),
        evidence=[quote(line.strip())], start=amount.start, end=amount.end,
        key=f"qxr:{amount.start}:{amount.value}",
    )


def _line_of(it: Item) -> str:
    """The numbered line an item stands on (its facts share the sentence it was read in)."""
    f = it.amounts[0]
    return f.sentence or f.raw or ""


def _check_changes(doc: Document, lst: ItemList, facts) -> Optional[Flag]:
    """`较上年减少595.70万元，其中：基本支出增加104.62万元；项目支出减少700.32万元` —
    the signed component changes against the total change (family `comparison`)."""
    if lst.change is None:
        return None
    terms = []
    for it in lst.items:
        for a, sg in zip(it.amounts, it.signs):
            if sg is None:
                return None
            terms.append((a, sg))
    if len(terms) < 2:
        return None
    first = min(a.start for a, _ in terms)
    last = max(a.end or a.start for a, _ in terms)
    if any(f.kind == "amount" and f.start is not None and first <= f.start < last for f in facts):
        return None  # an amount among the changes (`其中：基本支出104.62万元`): not a list of changes only
    total = _figure(lst.total).scaled(lst.change)
    s = tol.Figure(0.0, 0.0)
    for a, sg in terms:
        s = s + _figure(a).scaled(sg)
    if tol.agree(s, total):
        return None
    unit = lst.total.unit
    k = _TO_WAN[unit]
    def way(v: float) -> str:
        return word("increase" if v > 0 else "decrease")

    txt = "；".join(f"{'+' if sg > 0 else '−' if sg < 0 else '±'}{fmt(a.value)}" for a, sg in terms)
    quote_text = quote(_sentence_of(doc, lst), 600)
    return Flag(
        "comparison", "comparison.components_vs_total", "error",
        say("comparison.components_vs_total", terms=txt, sum_word=way(s.value), sum=fmt(abs(s.value) / k), unit=unit,
            total_word=way(total.value), total=fmt(lst.total.value)),
        values=[lst.total.value, round(abs(s.value) / k, 6)], stated=lst.total.value,
        expected=round(abs(s.value) / k, 6), difference=round((abs(total.value) - abs(s.value)) / k, 6),
        evidence=[quote_text], start=lst.total.start, end=lst.total.end, sentence=quote_text,
        key=f"chg_list:{lst.total.start}:{lst.total.value}",
    )


# ── one item stated with two different amounts ──────────────────────────────────────────

TWICE = gazetteers.load("rules/lists")["stated_twice"]
_SKIP_QUALIFIER = re.compile(TWICE["skip_qualifier"])


def _twice_key(doc: Document, f) -> Optional[tuple]:
    """What the figure is the amount of: a 功能分类 code (5 or 7 digits), or a term of
    `stated_twice.terms` in one scope (一般公共预算/财政拨款 or all funds)."""
    if f.kind != "amount" or getattr(f, "origin", "narrative") != "narrative" or f.value_wan is None or f.start is None:
        return None
    code = str(f.code) if getattr(f, "code", None) else None
    is_code = bool(code and code[:1] == "2" and len(code) in (5, 7))
    term = getattr(f, "term", None)
    if not is_code and term not in TWICE["terms"]:
        return None  # the amount of nothing stated twice (asked first: the checks below read the text)
    if f.year and doc.year and f.year != doc.year:
        return None
    if _SKIP_QUALIFIER.search(f.qualifier or ""):
        return None
    s = doc.sentence_at(f.start)
    before = doc.text[s.start:f.start] if s is not None else ""
    clause = re.split(r"[，,；;。：:]", before)[-1]
    if re.search(TWICE["skip_clause"], clause):
        return None
    if getattr(f, "role", None) == "item" and f.parent and not f.code:
        return None  # an item of a list: its subject is only meaningful within the list
    if is_code:
        return ("code", code)
    if term in TWICE["terms"]:
        ctx = (f.sentence or "") + (f.section or "")
        scope = "general" if re.search(TWICE["scope_words"], ctx) else "all"
        return ("term", term, scope)
    return None


def stated_twice(doc: Document, facts) -> list[Flag]:
    groups: dict[tuple, list] = {}
    for f in facts:
        k = _twice_key(doc, f)
        if k:
            groups.setdefault(k, []).append(f)
    flags = []
    for k, fs in groups.items():
        first = fs[0]
        a = tol.figure(first.value_wan, first.raw or str(first.value), unit=_WAN)
        for g in fs[1:]:
            b = tol.figure(g.value_wan, g.raw or str(g.value), unit=_WAN)
            if tol.agree(a, b):
                continue
            name = k[1] if k[0] == "term" else (first.subject or k[1])
            flags.append(Flag(
                FAMILY, "amount.stated_twice", "error",
                say("amount.stated_twice", name=name, first=fmt(first.value), first_unit=first.unit or word("money_unit"),
                    second=fmt(g.value), second_unit=g.unit or word("money_unit")),
                values=[first.value, g.value], stated=g.value, expected=first.value,
                difference=round(g.value_wan - first.value_wan, 6),
                evidence=list(dict.fromkeys([quote(first.sentence), quote(g.sentence)])),
                start=g.start, end=g.end, sentence=g.sentence,
                key=f"twice:{k}:{first.start}:{g.start}",
            ))
            flags[-1].cells = [f"span:{first.start}", f"span:{g.start}"]
            break  # one flag per subject
    return flags
