"""`two_sided`: summary tables printed as 收入 | 支出 side by side (收支总表, 财政拨款收支总表).

Per side (a label column and the amount column right of it, named by its header path):
- the parts the structure establishes add up to the side's current-year total
  (本年收入合计 / 本年支出合计), or, when the side states none and no carried-over amount,
  to its grand total (收入总计 / 支出总计).  Parts are, in this order of preference:
  the outermost numbered items (`一、…`, carried-over items excluded) when at least two are
  printed; else the rows named as 类 of the 功能分类 (a name that is also a 款/项 of the 类
  above it is that 类's child);
- the items of the next numbering level under an outermost item add up to it;
(收入总计 = 支出总计 is table_arithmetic's `same_totals`.)
Silent when a side's structure is ambiguous (no total, fewer than two parts, parts without
values).  Every comparison goes through reconcile.tolerance.  Vocabulary: gazetteers/rules/
tables.yaml `two_sided`; messages: gazetteers/messages.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document, Row, Table
from budgetlens.document.numbers import cell_value, cn_to_int
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, clean_ws, fmt, table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "table.arithmetic"
V = gazetteers.load("rules/tables")["two_sided"]
_NUM = [re.compile(p) for p in V["numbering"]]
_CURRENT = [re.compile(p) for p in V["current_total"]]
_GRAND = [re.compile(p) for p in V["grand_total"]]
MAX_ITEMS = 12


@dataclass
class Line:
    row: Row
    label: str  # numbering removed
    level: Optional[int]  # numbering level (0 = outermost), None when unnumbered
    value: Optional[float]
    num: str = ""  # the numbering as printed (`一、`)


@dataclass
class Side:
    name: str  # income / expenditure
    label_col: int
    amount_col: int
    lines: list = field(default_factory=list)


@functools.lru_cache(maxsize=50_000)
def _level(label: str) -> tuple[Optional[int], str, str]:
    for k, rx in enumerate(_NUM):
        m = rx.match(label)
        if m:
            return k, label[m.end():].strip(), re.sub(r"\s", "", m.group(0))
    return None, label, ""


def sides(t: Table) -> list[Side]:
    """(label column, amount column) pairs of a two-sided table, named by their header path;
    [] unless exactly one income and one expenditure side are established."""
    info = list(t.column_info)
    out = []
    for k, c in enumerate(info):
        if c.relation != "label" or k + 1 >= len(info):
            continue
        a = info[k + 1]
        if a.relation in ("label", "code", "index") or a.measure == "change_rate":
            continue
        head = "".join(c.path or ())
        names = [n for n, ws in V["sides"].items() if any(w in head for w in ws)]
        if len(names) == 1:
            out.append(Side(names[0], c.index, a.index))
    if sorted(s.name for s in out) != sorted(V["sides"]):
        return []
    for s in out:
        for r in t.rows:
            raw = clean_ws(r.cells[s.label_col]) if s.label_col < len(r.cells) else ""
            if not raw:
                continue
            lvl, label, num = _level(raw)
            v = cell_value(r.cells[s.amount_col]) if s.amount_col < len(r.cells) else None
            s.lines.append(Line(r, label, lvl, v, num))
    return out


def _is(rxs, label: str) -> bool:
    return any(rx.search(label) for rx in rxs)


def _carry(label: str) -> bool:
    return any(w in label for w in V["carry_over"])


def _lei_parts(lines: list[Line]) -> list[Line]:
    """Rows named as a 类 of the 功能分类; a name that is also a 款/项 of the 类 above it
    is taken as that 类's child."""
    index = gazetteers.functional_name_index()
    out, current = [], None
    for ln in lines:
        codes = index.get(ln.label, [])
        lei = [c for c in codes if len(c) == 3]
        if not lei:
            continue
        if current is not None and any(len(c) > 3 and c.startswith(current) for c in codes):
            continue
        current = lei[0]
        out.append(ln)
    return out


def _target(side: Side) -> Optional[Line]:
    body = [ln for ln in side.lines if ln.level is None]
    cur = [ln for ln in body if _is(_CURRENT, ln.label) and ln.value is not None]
    if cur:
        return cur[0]
    carried = [ln for ln in side.lines if _carry(ln.label) and ln.value]
    grand = [ln for ln in body if _is(_GRAND, ln.label) and ln.value is not None]
    if grand and not carried:
        return grand[0]
    return None


def _flag(t: Table, side: Side, total: Line, parts: list[Line], what: str) -> Optional[Flag]:
    unit = t.unit or "万元"
    stated = tol.figure(total.value, total.row.cells[side.amount_col], unit=unit)
    fs = [tol.figure(p.value, p.row.cells[side.amount_col], unit=unit) for p in parts if p.value is not None]
    s = tol.total(fs)
    if tol.agree(stated, s):
        return None
    j = side.amount_col
    return Flag(
        FAMILY, "two_sided.side_sum", "error",
        say("two_sided.side_sum", table=table_name(t), side=word(f"side_{side.name}"),
            total_label=total.label, total=fmt(stated.value), parts_what=what, sum=fmt(s.value),
            gap=fmt(stated.value - s.value), unit=unit),
        values=[stated.value, round(s.value, 6)] + [p.value or 0.0 for p in parts][:MAX_ITEMS],
        stated=stated.value, expected=round(s.value, 6), difference=round(stated.value - s.value, 6),
        evidence=[cell(t, total.row, j)] + [cell(t, p.row, j) for p in parts if p.value is not None][:MAX_ITEMS],
        cells=[cell_key(t, total.row, j)] + [cell_key(t, p.row, j) for p in parts],
        key=f"two_sided:{t.table_id}:{side.name}:{total.row.index}",
    )


def _items(parts: list[Line]) -> str:
    return word("enumeration").join(p.label for p in parts[:MAX_ITEMS])


def _ordinals(nums: list[str]) -> list[Optional[int]]:
    out = []
    for n in nums:
        core = re.sub(r"[^一二三四五六七八九十]", "", n)
        try:
            out.append(cn_to_int(core, "strict"))
        except ValueError:
            out.append(None)
    return out


def _is_break(ln: Line) -> bool:
    """A total or carried-over row: the end of a list of items."""
    return ln.level is None and (_is(_CURRENT, ln.label) or _is(_GRAND, ln.label) or _carry(ln.label))


def _unclear(side: Side, parts: list[Line]) -> bool:
    """The parts do not establish a sum: a numbering restarts (a second list), or a part
    without an amount has lines with amounts under it (its figure lost or left to them)."""
    nums = [p.num for p in parts if p.num]
    if nums and (len(nums) < len(parts) or _ordinals(nums) != list(range(1, len(nums) + 1))):
        return True  # not one complete list 一、二、…: an item lost to the header, a second list
    pos = {id(ln): k for k, ln in enumerate(side.lines)}
    for k, p in enumerate(parts):
        if p.value is not None:
            continue
        start = pos[id(p)] + 1
        end = pos[id(parts[k + 1])] if k + 1 < len(parts) else len(side.lines)
        if any(ln.value is not None and not _is_break(ln) for ln in side.lines[start:end]):
            return True
    return False


def side_checks(t: Table, side: Side) -> list[Flag]:
    """At most one flag per side: an outermost item its sub-items contradict, else the
    side's total its parts contradict."""
    top = [ln for ln in side.lines if ln.level == 0]
    for k, ln in enumerate(top):
        if ln.value is None:
            continue
        start = side.lines.index(ln)
        end = side.lines.index(top[k + 1]) if k + 1 < len(top) else len(side.lines)
        span = side.lines[start + 1:end]
        cut = next((i for i, x in enumerate(span) if _is_break(x)), len(span))
        kids = [x for x in span[:cut] if x.level == 1]
        if len(kids) < 2 or not any(x.value is not None for x in kids) or _unclear(side, kids):
            continue
        f = _flag(t, side, ln, kids, say("two_sided.parts.numbered", items=_items(kids)))
        if f:
            return [f]
    total = _target(side)
    if total is None:
        return []
    current = _is(_CURRENT, total.label)
    above = side.lines[:side.lines.index(total)]
    parts = [ln for ln in above if ln.level == 0 and not (current and _carry(ln.label))]
    what = say("two_sided.parts.numbered", items=_items(parts))
    if len(parts) < 2 and not (len(parts) == 1 and not current):
        parts = _lei_parts([ln for ln in above if ln.level is None])
        what = say("two_sided.parts.lei", items=_items(parts))
        if len(parts) < 2:
            return []
    if not any(p.value is not None for p in parts) or _unclear(side, parts):
        return []
    f = _flag(t, side, total, parts, what)
    return [f] if f else []


def check_table(t: Table) -> list[Flag]:
    flags = []
    for s in sides(t):
        flags += side_checks(t, s)
    return flags


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    for t in doc.tables_of(*V["tables"]):
        if not t.empty:
            flags += check_table(t)
    return flags
