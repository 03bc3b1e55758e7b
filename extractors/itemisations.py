"""Itemised lists: `包括：…`, `其中：…`, `（其中：…）`, `明细如下：1、… 2、…` — the items and the
total they belong to, linked so that reconciliation can sum them.

Conventions (columns of `facts`):
  * every list gets a `group` id ("<doc_id>:g<n>"); its items carry `group` = that id,
    `role` = "item" and `parent` = the total's subject; the total carries
    `total_group` = that id and `role` = "total" (its own `group` is the list it is an item
    of, if any: 基本支出 is an item of 支出预算 and the total of 人员经费 + 公用经费).
    So: total = the fact with total_group == G; items = facts with group == G.
  * the total is the last figure of the same kind before the marker (in the same text
    unit, possibly the previous sentence: `…共计安排32.88万元，…。包括：办公费5.25万元、…`).
    Items are figures of the same family after the marker at the same bracket depth:
    money amounts under a money total, counts/staffing under a count total, comparisons
    under a comparison (`较2020年预算减少595.70万元，其中：基本支出增加104.62万元…`).
  * a list opened inside brackets (`（其中：公务用车购置费为0万元，…）`) ends at the bracket;
    a list nested in another ends at the next ；or 。; an outer `其中/包括` list ends at 。;
    an enumerated list (`明细如下：`) runs to the end of the cell / paragraph.
  * items are of the total's family (a count list takes counts of its own unit).  When the
    figures after the marker are of another family than the figure right before it, sibling
    lists open at the same marker, each with the last figure of its family in the sentence as
    total: `…32.20万元，与2024年预算持平。其中：公务用车购置费0.00万元，与2024年预算持平；…` gives an
    amount list (total 32.20) and a comparison list (total the flat change); `2批次、26人次，
    其中：接待外宾0批次、0人次` one list per unit.  A top-level heading (`\n三、`) closes every list.
  * enumerated lists: each numbered line is one item (`list_no` = its number as written,
    duplicates kept: seed 000 has two items numbered 7).  The line's money amounts
    outside brackets are the item amounts; its other figures — quantities (`3人`, `约合750人`),
    rates (`每人每月0.22万元`, `0.05万元/人`) and durations (`9个月`) — are `role` = "detail"
    with the same `item` id ("<group>/<n>") as the amount, so quantity × rate × duration can
    be compared with the item amount.

Corpus: extractors/corpus/itemisations.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import regex

from budgetlens.gazetteers.patterns import alternation, load

I = load("itemisations")
NUMERALS = load("amounts")["numerals"]
_MARKER_RE = regex.compile(alternation(I["markers"] + I["enumerated_markers"]))
ENUMERATED = set(I["enumerated_markers"])
_LINE_NO = regex.compile(r"(?:^|\n)\s*(?P<no>\d{1,2})\s*[、.．](?!\d)")
OPEN, CLOSE = "（(", "）)"
# a top-level heading (三、支出预算情况说明) ends every list opened before it
HEADING = regex.compile(rf"\s*[{NUMERALS}]{{1,3}}、")
_HEADING_IN = regex.compile(rf"\n\s*[{NUMERALS}]{{1,3}}、")


def family(f) -> Optional[str]:
    if f.kind == "amount":
        return "money"
    if f.kind in ("count", "staffing"):
        return "count:" + str(f.unit)
    if f.kind == "comparison":
        return "comparison:" + str(f.unit)
    return None


@dataclass
class _List:
    gid: str
    total: object
    kind: str  # paren | nested | outer | enum
    depth: int
    start: int
    fam: str
    items: list = field(default_factory=list)


_BRACKET = regex.compile(rf"[{regex.escape(OPEN + CLOSE)}]")


def _depths(text: str) -> list[int]:
    """The bracket depth at each offset of `text` (and one past its end): an opening bracket
    counts inside, a closing one too."""
    d, out, last = 0, [], 0
    for m in _BRACKET.finditer(text):
        i = m.start()
        out.extend([d] * (i - last))
        if text[i] in OPEN:
            d += 1
            out.append(d)
        else:
            out.append(d)
            d = max(0, d - 1)
        last = i + 1
    out.extend([d] * (len(text) - last + 1))
    return out


_FULL_STOP = regex.compile("。")
_CLAUSE_STOP = regex.compile(r"[；;。]")


def _window_start(text: str, a: int) -> int:
    """Start of the sentence that ends at the marker at `a` (or holds it): sibling totals are
    looked for there."""
    ends = [m.end() for m in _FULL_STOP.finditer(text, 0, a)]
    if text[:a].rstrip().endswith("。"):
        ends = ends[:-1]
    return ends[-1] if ends else 0


def assign(text: str, facts: list, new_gid, base: int = 0) -> None:
    """Set group / parent / role / total_group / item / list_no on `facts` (their
    `start` are document offsets; `base` is the offset of `text`)."""
    markers = [(m.start(), m.end(), m.group()) for m in _MARKER_RE.finditer(text)]
    if not markers:
        return
    depth = _depths(text)
    rel = [(f.start - base, f) for f in facts if f.start is not None]
    rel.sort(key=lambda t: t[0])
    events = [(a, 0, ("marker", a, b, w)) for a, b, w in markers] + [(p, 1, ("fact", f)) for p, f in rel]
    events.sort(key=lambda e: (e[0], e[1]))
    stack: list[_List] = []
    lists: list[_List] = []
    last_by_depth: dict[int, list] = {}
    # the base amount of a comparison (`比2025年年初预算数99024.2万元减少…`) is last year's
    # figure, never the total of the list that follows
    bases = {id(a) for c in facts if c.kind == "comparison" and c.amount_from is not None and c.start is not None
             for a in facts if a.kind == "amount" and a.start is not None and a.start < c.start
             and a.value == c.amount_from and a.sentence == c.sentence}
    for pos, _, ev in events:
        _close_until(stack, text, depth, pos)
        if ev[0] == "marker":
            _, a, b, w = ev
            opened = _open_lists(text, base, depth, rel, last_by_depth, a, b, w, bool(stack), new_gid)
            stack.extend(opened)
            lists.extend(opened)
            continue
        f = ev[1]
        if id(f) in bases:
            continue  # last year's figure: neither a list's item nor its total
        d = depth[pos]
        _attach_item(stack, f, d, family(f))
        if f.qualifier != "budget_vs_final":  # a budget-vs-final pair is never a list's total
            last_by_depth.setdefault(d, []).append(f)
    for lst in lists:
        if not lst.items:
            continue
        t = lst.total
        t.total_group = lst.gid
        t.role = t.role or "total"
        for it in lst.items:
            it.group = lst.gid
            it.parent = t.subject
            it.role = "item"
        if lst.kind == "enum":
            _enumerated_details(text, base, lst, facts, depth)


def _close_until(stack: list[_List], text: str, depth: list[int], pos: int) -> None:
    """Close the open lists that end before `pos` (a heading, a closing bracket, the end of
    the clause or of the sentence, by the list's kind)."""
    while stack:
        top = stack[-1]  # (the list's text is text[top.start:pos], searched in place)
        d = depth[pos] if pos < len(depth) else 0
        if _HEADING_IN.search(text, top.start, pos):
            stack.pop()
        elif top.kind == "paren" and d < top.depth:
            stack.pop()
        elif top.kind == "nested" and _CLAUSE_STOP.search(text, top.start, pos):
            stack.pop()
        elif top.kind == "outer" and text.find("。", top.start, pos) >= 0:
            stack.pop()
        else:
            break


def _total_candidates(text: str, base: int, cands: list, a: int) -> list:
    """The figures that may be the total of a list whose marker is at `a`: the total is the
    figure right before the marker (a percentage there means the marker introduces
    something else: `…占16.81%。具体情况如下：`).  `cands` holds no budget-vs-final pair
    (assign leaves them out) and is not copied."""
    if cands and cands[-1].kind == "percent" and cands[-1].start is not None \
            and not _CLAUSE_STOP.search(text[cands[-1].start - base:a]):
        # 支出决算为0.39万元，完成预算的13.68%，其中：… — the share does not end the sentence
        cands = [c for c in cands if c.kind != "percent"]
    return cands


def _open_lists(text: str, base: int, depth: list[int], rel: list, last_by_depth: dict[int, list],
                a: int, b: int, w: str, nested: bool, new_gid) -> list[_List]:
    """The list(s) a marker at a..b opens: one for the figure right before it, plus its
    sibling lists (see _sibling_lists); none when no figure can be the total."""
    d = depth[a]
    prev_open = text[:a].rstrip()[-1:] in OPEN
    cands = _total_candidates(text, base, last_by_depth.get(d - 1 if prev_open else d, []), a)
    if not cands or not family(cands[-1]):
        return []
    total = cands[-1]
    kind = "enum" if w in ENUMERATED else "paren" if prev_open else "nested" if nested else "outer"
    lst = _List(new_gid(), total, kind, d, b, family(total))
    return [lst] + _sibling_lists(text, base, rel, cands, lst, a, b, new_gid)


def _sibling_lists(text: str, base: int, rel: list, cands: list, lst: _List, a: int, b: int,
                   new_gid) -> list[_List]:
    """Sibling lists: the figures after the marker may be of other families than the
    figure right before it — `2批次、26人次，其中：接待外宾0批次、0人次`; `…36.56万元，
    比2024年预算减少10万元，…新增1辆…。其中：公务用车购置费15万元，比2024年预算减少10万元`.
    Each family listed after the marker gets the last figure of its family before the
    marker (this sentence or the one before) as its total."""
    total, kind, d = lst.total, lst.kind, lst.depth
    window = _window_start(text, a)
    after: list[str] = []
    for p2, f2 in rel:
        if p2 < b:
            continue
        if kind != "enum" and "。" in text[b:p2]:
            break
        fam2 = family(f2)
        if fam2 and fam2 not in after:
            after.append(fam2)
    seen = {lst.fam}
    if after and after[0] == lst.fam:
        after = []  # the list starts with the total's own family: no siblings
    out = []
    for fam2 in after:
        if fam2 in seen:
            continue
        tot = next((c for c in reversed(cands) if family(c) == fam2 and c.start is not None
                    and c.start - base >= window), None)
        # the same subject stated twice (32.20万元，与2024年预算持平。其中：…), or a count
        # in between (…新增1辆…。其中：公务用车购置费15万元); not 收入、支出预算总计 after
        # a change of 收、支预算
        if tot is not None and not (tot.subject == total.subject or total.kind in ("count", "staffing")
                                    or fam2.startswith("count:") and lst.fam.startswith("count:")):
            tot = None
        if tot is not None:
            seen.add(fam2)
            out.append(_List(new_gid(), tot, kind, d, b, fam2))
    return out


def _attach_item(stack: list[_List], f, d: int, fam) -> None:
    """An item joins the innermost open list of its depth and family (a count list takes
    counts of its own unit: 编制496人 is not the total of 23个内设机构)."""
    for k, lst in enumerate(reversed(stack)):
        if d == lst.depth and fam and fam == lst.fam:
            lst.items.append(f)
            break
        nxt = stack[len(stack) - k - 2] if len(stack) - k - 2 >= 0 else None
        if d == lst.depth and nxt is not None and nxt.start == lst.start and nxt.depth == lst.depth:
            continue  # a sibling list of another unit opened by the same marker
        if d >= lst.depth:
            break


def _enumerated_details(text: str, base: int, lst: _List, facts: list, depth: list[int]) -> None:
    """One item per numbered line; the line's other figures become its details."""
    lines = []
    for m in _LINE_NO.finditer(text, lst.start):
        lines.append((m.start("no"), m.group("no")))
    if not lines:
        return
    bounds = [a for a, _ in lines] + [len(text)]
    for i, (a, no) in enumerate(lines):
        b = bounds[i + 1]
        item_id = f"{lst.gid}/{i + 1}"
        in_line = [f for f in facts if f.start is not None and a <= f.start - base < b]
        item_ids = {id(x) for x in lst.items}  # identity: two facts may have equal fields
        heads = [f for f in in_line if id(f) in item_ids]
        for f in in_line:
            f.item = item_id
            f.list_no = no
            if id(f) in item_ids:
                continue
            f.group = lst.gid
            f.role = "detail"
            f.parent = heads[0].subject if heads else lst.total.subject
