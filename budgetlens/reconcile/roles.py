"""Roles of a narrative figure and of a table cell: year, measure, fund, part.

A narrative figure is compared with a cell only when the sentence's roles agree with the
column's (issue 12/13).  The column side comes from the header tree of
`budgetlens.document.tables` (`Table.column_info`); where a role is not established there,
it is read from the column's label, the row's label and the table's title with the same
vocabulary (gazetteers/rules/roles.yaml).  The sentence side is read from the figure's
subject, its clause, the lead-in of the numbered list it belongs to and its section heading,
in that order: the nearest words win.

`fit(sentence, cell)` grades a pair: "strong" (every role that either side names agrees),
"weak" (nothing contradicts, but a role is established on one side only, or the funds are
related ones that are often one figure: a cell that agrees verifies, one that disagrees is
no finding) or None (a role contradicts: the cell holds another figure).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document, Row, Table
from budgetlens.reconcile import memo
from budgetlens.reconcile.evidence import clean_ws

R = gazetteers.load("rules/roles")
_PREV = re.compile(R["previous_year"])
_STOCK = re.compile(R["stock_words"])
_INDEX_SEG = re.compile(R["column_index_segment"])
_LEAD_IN = re.compile(R["lead_in_end"])
_ITEM_START = re.compile(r"^\s*(?:[（(]?\d{1,2}[)）.、．]|[（(][一二三四五六七八九十]+[)）])")
_YEAR = re.compile(r"((?:19|20)\d{2})年")
_RELATED = [set(p) for p in R["related_funds"]]
_BUDGETS = {"budget", "initial_budget", "adjusted_budget"}


@dataclass(frozen=True)
class Roles:
    year: Optional[int] = None
    measure: Optional[str] = None
    fund: Optional[str] = None
    part: Optional[str] = None


def first_role(vocab: dict, text: str) -> Optional[str]:
    """The first role (in the vocabulary's order) one of whose words `text` contains."""
    if not text:
        return None
    for role, words in vocab.items():
        if any(w in text for w in words):
            return role
    return None


# the role readers depend on the text only (the vocabularies are loaded once): memoised,
# labels and subjects recur across a document's cells and figures
@functools.lru_cache(maxsize=50_000)
def measure_of(text: str) -> Optional[str]:
    return first_role(R["measures"], text)


@functools.lru_cache(maxsize=50_000)
def fund_of(text: str) -> Optional[str]:
    return first_role(R["funds"], text)


@functools.lru_cache(maxsize=50_000)
def part_of(text: str) -> Optional[str]:
    return first_role(R["parts"], text)


# ── the sentence side ──────────────────────────────────────────────────────────────────

def _clause_before(doc: Document, f) -> str:
    s = doc.sentence_at(f.start) if f.start is not None else None
    if s is None:
        return ""
    text = doc.text[s.start:f.start]
    cut = max(text.rfind(ch) for ch in "，,；;。：:")
    return text[cut + 1:]


def _lead_in(doc: Document, f, limit: int = 40) -> str:
    """The sentence that opens the numbered list the figure's sentence belongs to
    (`财政拨款支出主要内容如下：` above `1.…；2.…；3.“…”科目17374万元`), or ""."""
    s = doc.sentence_at(f.start) if f.start is not None else None
    if s is None or not _ITEM_START.match(s.text):
        return ""
    at = s.start - 1
    for _ in range(limit):
        prev = doc.sentence_at(at) if at >= 0 else None
        if prev is None or prev.section != s.section:
            return ""
        if _LEAD_IN.search(prev.text):
            return prev.text
        if not _ITEM_START.match(prev.text):
            return ""
        at = prev.start - 1
    return ""


def _heading(f) -> str:
    return (f.section or "").split(" > ")[-1]


def sentence_roles(doc: Document, f) -> Roles:
    """The roles a narrative figure's own words give it (nearest words first)."""
    return read_roles(subject=f.subject, clause=_clause_before(doc, f), parent=f.parent or "",
                      lead=_lead_in(doc, f), heading=_heading(f), qualifier=f.qualifier or "",
                      doc_kind=doc.doc_kind, doc_year=doc.year, year=f.year)


def read_roles(subject="", clause="", parent="", lead="", heading="", qualifier="",
               doc_kind=None, doc_year=None, year=None) -> Roles:
    """`sentence_roles` on the texts themselves: the figure's subject, the clause before
    it, its list's parent subject, the list's lead-in sentence and the section heading."""
    subject, clause = clean_ws(subject), clean_ws(clause)
    near = (subject, clause, clean_ws(lead), clean_ws(heading))
    fund = next((x for x in map(fund_of, near) if x), None)  # a list's parent subject as extracted may be another list's
    part = next((x for x in map(part_of, (subject, clause, clean_ws(parent), clean_ws(lead), clean_ws(heading))) if x), None)
    measure = next((x for x in map(measure_of, (clean_ws(qualifier), subject, clause)) if x), None)
    if measure is None or (measure == "budget" and doc_kind == "final_account" and not _says_budget(clause)):
        measure = "final" if doc_kind == "final_account" else ("budget" if doc_kind == "budget" else measure)
    year = year or doc_year
    if _STOCK.search(clause) or _STOCK.search(subject):
        year = None
    elif (_PREV.search(clause) or _PREV.search(subject)) and doc_year and year == doc_year:
        year = doc_year - 1
    return Roles(year=year, measure=measure, fund=fund, part=part)


def _says_budget(clause: str) -> bool:
    return bool(re.search(r"预算(数|为|安排)|年初预算|调整预算|全年预算", clause))


# ── the cell side ──────────────────────────────────────────────────────────────────────

def _label_path(t: Table, j: int) -> tuple:
    if j < len(t.column_info) and t.column_info[j].path:
        path = t.column_info[j].path
    else:
        path = tuple((t.columns[j] if j < len(t.columns) else "").split("/"))
    return tuple(p for p in (clean_ws(x) for x in path) if p and not _INDEX_SEG.match(p))


def column_label(t: Table, j: int) -> str:
    """The column's header path without line-number segments (`合计/1` → `合计`)."""
    return memo.obj_once(t, ("column_label", j), lambda _t: "/".join(_label_path(t, j)))


def _year_of_label(label: str, doc_year: Optional[int]) -> Optional[int]:
    years = {int(y) for y in _YEAR.findall(label)}
    if len(years) == 1:
        return years.pop()
    if doc_year and _PREV.search(label):
        return doc_year - 1
    return None


def table_fund(t: Table) -> Optional[str]:
    types = R["type_funds"]
    fund = fund_of(clean_ws(t.title))
    if fund:
        return fund
    if t.table_type in types:
        return types[t.table_type]
    return "all" if t.table_type in R["all_funds_tables"] else None


def cell_roles(t: Table, r: Optional[Row], j: int, doc_year: Optional[int] = None) -> Roles:
    """Roles of cell (r, j): the header tree's where established, else the column label's,
    the row label's (a `一般公共预算` row of a 收支总表) and the table title's."""
    col = t.column_info[j] if j < len(t.column_info) else None
    path = _label_path(t, j)
    label = "/".join(path)
    row_label = clean_ws(r.label) if r is not None else ""
    year = (col.year if col else None) or _year_of_label(label, doc_year)
    measure = (col.measure if col else None) or _deepest(measure_of, path)
    fund = fund_of(row_label) or (col.fund if col else None) or _deepest(fund_of, path) or table_fund(t)
    # a part the title names (`基本支出表`) is the whole table's context, not the column's
    part = part_of(row_label) or (col.part if col else None) or _deepest(part_of, path)
    return Roles(year=year, measure=measure, fund=fund, part=part)


def _deepest(read, path: tuple) -> Optional[str]:
    """The role the deepest header label names (`基本支出/人员经费` → personnel)."""
    return next((x for x in map(read, reversed(path)) if x), None)


def with_part(roles: Roles, part: Optional[str]) -> Roles:
    """The roles of a cell whose rows establish its part (301+303 rows → personnel)."""
    return replace(roles, part=part) if part else roles


def fit(s: Roles, c: Roles, one_fund: bool = False) -> Optional[str]:
    """"strong", "weak" or None (see the module doc).  `one_fund`: the document's funds are
    one figure (its all-funds total equals its 一般公共预算 total), so a figure whose
    sentence names no fund fits a 一般公共预算 / 财政拨款 cell as well as an all-funds one."""
    if s.year and c.year and s.year != c.year:
        return None
    if s.measure and c.measure and s.measure != c.measure and not {s.measure, c.measure} <= _BUDGETS:
        return None
    grade = "strong"
    if s.fund != c.fund:
        if s.fund and c.fund and c.fund != "all" and {s.fund, c.fund} not in _RELATED:
            return None
        if s.fund is not None or c.fund not in (None, "all"):
            if not (one_fund and s.fund is None and c.fund in ("fiscal", "general_public")):
                grade = "weak"
    if s.part != c.part:
        if s.part and c.part:
            return None
        grade = "weak"
    return grade
