"""Header trees: every grid column's label path, its relation to its neighbours and its
roles (year, measure, fund, part).

The header rows of a table are a tree: a merged cell spans the columns below it, so each
grid column has a path of labels from the top header row down (`财政拨款/合计`,
`预算数/项目支出/扣除基建项目后预算数`).  From the paths alone we establish which column
is the total of which others; a column that may not be an addend (`其中…`, `扣除…后`,
another year, a change) is never made one.  When the tree does not establish a relation
the column stays an `amount` and the sum rules stay silent on it.

Words are data: gazetteers/table_headers.yaml.  Examples from real tables, with file and
page, are in budgetlens/document/corpus/headers.yaml and walked by tests/test_headers.py.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Column

H = gazetteers.load("table_headers")
NOISE = re.compile(H["noise_segment"])
INDEX = re.compile(H["index"])
CODE = re.compile(H["code"])
LABEL = re.compile(H["label"])
TOTAL = re.compile(H["total"])
OF_WHICH = re.compile(H["of_which"])
SUBSET = re.compile(H["subset"])
NOT_PART = tuple(H["not_part"])
YEAR_EXPLICIT = re.compile(H["year_explicit"])
YEAR_RELATIVE = [(re.compile(p), off) for p, off in H["year_relative"]]
MEASURE = [(k, re.compile(p)) for k, p in H["measure"]]
FUND = [(k, re.compile(p)) for k, p in H["fund"]]
PART = [(k, re.compile(p)) for k, p in H["part"]]
FUND_WORDS = re.compile("|".join(p.pattern for _k, p in FUND))
TOTAL_ROW = [re.compile(p) for p in H["total_row"]]
SUBJECT_TOTALS = [(re.compile(a), re.compile(b)) for a, b in H["subject_totals"]]


_WHITESPACE = re.compile(r"\s+")


def _clean(s: str) -> str:
    return _WHITESPACE.sub("", s or "")


def clean_path(path) -> tuple:
    """A label path without whitespace, numbering segments (`1`, `**`) and repeats."""
    return _clean_path(tuple(path))


@functools.lru_cache(maxsize=20_000)
def _clean_path(path: tuple) -> tuple:
    """clean_path, memoised (header paths recur from table to table)."""
    out: list[str] = []
    for seg in path:
        s = _clean(seg)
        if not s or NOISE.match(s) or (out and out[-1] == s):
            continue
        out.append(s)
    return tuple(out)


# --- roles -------------------------------------------------------------------------------

def year_of(path: tuple, base: Optional[int]) -> tuple[Optional[int], bool]:
    """(year, explicit) from the deepest segment that names one; relative words need `base`."""
    for seg in reversed(path):
        m = YEAR_EXPLICIT.search(seg)
        if m:
            return int(m.group(1)), True
        for rx, off in YEAR_RELATIVE:
            if rx.search(seg):
                return (base + off if base else None), True
    return None, False


@functools.lru_cache(maxsize=20_000)
def _year_of(path, base: Optional[int]) -> tuple[Optional[int], bool]:
    """year_of, memoised on (path, base) (header paths recur from table to table)."""
    return year_of(path, base)


@functools.lru_cache(maxsize=20_000)
def _roles_of(path) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(measure, fund, part) of a column path, memoised."""
    return measure_of(path), fund_of(path), part_of(path)


def measure_of(path: tuple) -> Optional[str]:
    for seg in reversed(path):
        s = FUND_WORDS.sub("", seg)
        for key, rx in MEASURE:
            if rx.search(s):
                return key
    return None


def _first(path: tuple, vocab) -> Optional[str]:
    for seg in reversed(path):
        for key, rx in vocab:
            if rx.search(seg):
                return key
    return None


def fund_of(path: tuple) -> Optional[str]:
    return _first(path, FUND)


def part_of(path: tuple) -> Optional[str]:
    return _first(path, PART)


def is_total_label(label: str) -> bool:
    lab = _clean(label)
    return any(p.search(lab) for p in TOTAL_ROW)


def not_part(seg: str) -> bool:
    return any(w in seg for w in NOT_PART)


# --- column kinds from labels and data ----------------------------------------------------

@dataclass
class _Stats:
    numbers: int = 0
    codes: int = 0
    texts: int = 0
    consecutive: bool = False


def column_kind(path: tuple, stats: Optional[_Stats]) -> str:
    """label / code / index / value, from the path's last segment and the data cells."""
    last = path[-1] if path else ""
    is_index, is_code, is_label, is_total = _label_marks(last)
    if is_index:
        return "index"
    if stats is not None and stats.consecutive:
        return "index"
    if is_code:
        return "code"
    if stats is not None and stats.codes and stats.codes >= max(stats.numbers, 1) and stats.codes >= stats.texts:
        return "code"
    if stats is not None and stats.texts > stats.numbers:
        return "label"
    if is_label and not is_total and (stats is None or stats.numbers == 0):
        return "label"
    if stats is not None and stats.numbers == 0 and stats.texts == 0 and is_label:
        return "label"
    return "value"


@functools.lru_cache(maxsize=20_000)
def _label_marks(last: str) -> tuple[bool, bool, bool, bool]:
    """Whether a column's last label names an index, a code, a label or a total column."""
    if not last:
        return False, False, False, False
    return (INDEX.search(last) is not None, CODE.search(last) is not None,
            LABEL.search(last) is not None, TOTAL.search(last) is not None)


# --- the tree ----------------------------------------------------------------------------

@dataclass
class _Node:
    seg: str
    cols: list  # grid columns under this node (leaf: one)
    rep: Optional[int] = None  # the column holding this node's amount
    kids: list = field(default_factory=list)


def build_columns(paths: list[tuple], kinds: list[str]) -> list[Column]:
    """One `Column` per grid column: path, relation, parent/children (years and measures
    are resolved later, when the document's year and kind are known).  Header trees recur
    from table to table: the tree is built once per (paths, kinds) and copied."""
    try:
        made = _columns_of(tuple(paths), tuple(kinds))
    except TypeError:  # a path given as a list: not hashable
        return _build_columns(paths, kinds)
    return [Column(c.index, c.path, c.relation, c.parent, list(c.children)) for c in made]


@functools.lru_cache(maxsize=5_000)
def _columns_of(paths: tuple, kinds: tuple) -> tuple:
    """build_columns' tree (never handed out: copied per table)."""
    return tuple(_build_columns(list(paths), list(kinds)))


def _build_columns(paths: list[tuple], kinds: list[str]) -> list[Column]:
    cols = [Column(j, p) for j, p in enumerate(paths)]
    for j, k in enumerate(kinds):
        if k in ("label", "code", "index"):
            cols[j].relation = k
    values = [j for j, k in enumerate(kinds) if k == "value"]
    if values and not _cross(cols, values):
        _level(cols, values, 0)
    return cols


def _cross(cols: list[Column], values: list[int]) -> bool:
    """An item × dimension header (SH02 p.17 `合计/预算数 | 合计/决算数 | 因公出国（境）费/预算数
    | …`, SZ01 p.31 `总计/一般公共预算 | 总计/政府性基金预算 | 因公出国(境)费/一般公共预算 | …`): every
    column ends in one of a few repeated labels (measures, funds).  The tree is built once
    per such label on the items above it, so 合计/预算数 = Σ item/预算数."""
    lasts = [cols[j].path[-1] if cols[j].path else "" for j in values]
    counts: dict = {}
    for x in lasts:
        counts[x] = counts.get(x, 0) + 1
    dims = [x for x in counts if x and counts[x] >= 2]
    if len(dims) < 2 or any(counts.get(x, 0) < 2 or not x for x in lasts) or \
            any(len(cols[j].path) < 2 for j in values) or any(_is_total(x) or OF_WHICH.search(x) for x in dims):
        return False
    full = {j: cols[j].path for j in values}
    try:
        for d in dims:
            members = [j for j in values if full[j][-1] == d]
            for j in members:
                cols[j].path = full[j][:-1]
            _level(cols, members, 0, dense=True)
    finally:
        for j in values:
            cols[j].path = full[j]
    return True


def _siblings(cols: list[Column], members: list[int], depth: int, dense: bool = False) -> list[_Node]:
    """Contiguous runs of members sharing path[depth] (`dense`: the members are taken as
    adjacent, as in one dimension of an item × dimension header)."""
    nodes: list[_Node] = []
    for j in members:
        p = cols[j].path
        seg = p[depth] if len(p) > depth else ""
        if nodes and nodes[-1].seg == seg and seg and (dense or j == nodes[-1].cols[-1] + 1):
            nodes[-1].cols.append(j)
        else:
            nodes.append(_Node(seg, [j]))
    return nodes


def _is_total(seg: str) -> bool:
    return bool(TOTAL.search(seg)) and not OF_WHICH.search(seg)


def _level(cols: list[Column], members: list[int], depth: int, dense: bool = False) -> tuple[Optional[int], list[_Node]]:
    """Relations among `members` (value columns sharing path[:depth]).  Returns the column
    holding the whole run's amount (its total), if the tree establishes one, and the
    sibling nodes."""
    nodes = _siblings(cols, members, depth, dense)
    for n in nodes:
        if len(n.cols) == 1 and len(cols[n.cols[0]].path) <= depth + 1:
            n.rep = n.cols[0]
            continue
        # a group: a column whose path stops at this label heads it (a parent label over
        # its children), else the group's own 合计/小计 column holds its amount
        heads = [j for j in n.cols if len(cols[j].path) <= depth + 1]
        inner = [j for j in n.cols if j not in heads]
        if not inner:
            n.rep = heads[0] if len(heads) == 1 else None
            continue
        sub_rep, sub_nodes = _level(cols, inner, depth + 1, dense) if inner else (None, [])
        n.kids = sub_nodes
        if heads and len(heads) == 1 and heads[0] < inner[0]:
            h = heads[0]
            cols[h].relation = "total"
            if sub_rep is None:
                parts = _parts_of(cols, h, sub_nodes)
                if parts:
                    _link(cols, h, parts)
            n.rep = h
        elif not heads:
            n.rep = sub_rep
    rep = None
    i = 0
    while i < len(nodes):
        n = nodes[i]
        if n.rep is None or not _is_total(n.seg):
            i += 1
            continue
        # a total node: its addends are the following siblings up to the next total
        k = i + 1
        while k < len(nodes) and not _is_total(nodes[k].seg):
            k += 1
        run = nodes[i + 1:k]
        if not run and i > 0 and rep is None:  # a total printed after its parts
            run = nodes[:i]
        run = _scope(n.seg, run)
        cols[n.rep].relation = "total"
        parts = _parts_of(cols, n.rep, run)
        if parts:
            _link(cols, n.rep, parts)
        if rep is None:
            rep = n.rep
        i = k
    return rep, nodes


def _scope(total_seg: str, run: list[_Node]) -> list[_Node]:
    """A total that names its subject (`“三公”经费合计`) covers only that subject's items:
    the run stops at the first sibling outside it (会议费, 培训费)."""
    for subject, items in SUBJECT_TOTALS:
        if subject.search(total_seg):
            out = []
            for n in run:
                if not items.search(n.seg):
                    break
                out.append(n)
            return out
    return run


def _parts_of(cols: list[Column], total: Optional[int], run: list[_Node], least: int = 2) -> Optional[list[int]]:
    """The addend columns of a total among sibling nodes; of-which and subset columns are
    marked as such and never added; None when a node's amount is not established."""
    parts: list[int] = []
    prev: Optional[int] = total
    ok = True
    for n in run:
        if OF_WHICH.search(n.seg):
            group = len(n.cols) > 1 or bool(n.kids)
            for j in n.cols:
                if cols[j].relation in ("amount", "part", "total"):
                    cols[j].relation = "of_which"
                    cols[j].parent = total if n.kids or group else prev
            continue
        if SUBSET.search(n.seg):
            for j in n.cols:
                cols[j].relation = "subset"
                cols[j].parent = prev
            continue
        if not_part(n.seg):
            continue
        if n.rep is None:
            # a group without a total column: its own addends count, when established
            sub = _parts_of(cols, None, n.kids, least=1) if n.kids else None
            if sub:
                parts.extend(sub)
                prev = sub[-1]
            else:
                ok = False
            continue
        parts.append(n.rep)
        prev = n.rep
    return parts if ok and len(parts) >= least else None


def _link(cols: list[Column], total: int, parts: list[int]) -> None:
    cols[total].relation = "total"
    cols[total].children = list(parts)
    for j in parts:
        if cols[j].relation == "amount":
            cols[j].relation = "part"
        cols[j].parent = total


def resolve_roles(cols: list[Column], *, year: Optional[int], kind_measure: Optional[str],
                  type_fund: Optional[str]) -> None:
    """Year, measure, fund and part of every value column.  Unmarked columns take the
    table's year and the document kind's measure unless the table has columns of another
    year or measure (then the unmarked ones stay unknown)."""
    values = [c for c in cols if c.relation not in ("label", "code", "index")]
    yrs = {}
    for c in values:
        yrs[c.index] = _year_of(c.path, year)
    explicit_years = {y for y, e in yrs.values() if e and y is not None}
    for c in values:
        y, explicit = yrs[c.index]
        c.year = None
        if explicit:
            c.year = y
        elif not explicit_years - {year}:
            c.year = year
        c.measure, c.fund, c.part = _roles_of(c.path)
    measures = {c.measure for c in values if c.measure and c.measure not in ("change", "change_rate")}
    for c in values:
        if c.measure is None and kind_measure and not measures - {kind_measure}:
            c.measure = kind_measure
    funds = {c.fund for c in values if c.fund}
    for c in values:
        if c.fund is None:
            if c.relation == "total" and funds and c.parent is None and \
                    any(cols[k].fund for k in c.children):
                c.fund = "all"
            elif type_fund and c.fund is None:
                c.fund = type_fund
