"""Where a table holds a narrative figure: the cells a subject's locators find
(gazetteers/rules/narrative_vs_table.yaml `subjects`), the row of a classification code,
and the roles (reconcile/roles.py) of every cell found.

A `Cand` is one located cell (or a sum of coded rows) with its figure and roles; the rules
of narrative_vs_table and the verdicts compare a narrative figure with the candidates whose
roles fit the sentence's.
"""
from __future__ import annotations

import functools
import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document, Table
from budgetlens.document.numbers import cell_value as parse_number
from budgetlens.document.numbers import wan_factor
from budgetlens.document.tables import is_code
from budgetlens.reconcile import memo
from budgetlens.reconcile import roles as ro
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, clean_ws
from budgetlens.reconcile.messages import say, word
from budgetlens.reconcile.table_arithmetic import row_codes

V = gazetteers.load("rules/narrative_vs_table")
_VD = gazetteers.load("rules/verdict")
_AFFIX = [re.compile(p) for p in _VD["name_affixes"]]
_REWRITE = [(re.compile(a), b) for a, b in _VD.get("name_rewrites", [])]
_TOTAL_WORD = re.compile(_VD["total_words"])
_TOTAL_ROW = [re.compile(p) for p in gazetteers.load("rules/tables")["total_row"]]
_OTHER_COL = V["other_columns"]
_STRIP = re.compile(V["label_strip"])
_TOTAL_SUFFIX = re.compile(V["label_total_suffix"])
_CODE_COLUMN = re.compile(V["code_column_words"])
_WAN = word("money_unit")


@functools.lru_cache(maxsize=50_000)
def norm(s: str) -> str:
    prev = None
    s = s or ""
    while prev != s:
        prev, s = s, _STRIP.sub("", s)
    return s.replace("(", "（").replace(")", "）")


def _alias_map() -> dict[str, str]:
    out = {}
    for canon, spec in (gazetteers.load("terms").get("terms") or {}).items():
        for a in [canon] + list(spec.get("aliases") or []):
            out[norm(a)] = canon
    return out


ALIASES = _alias_map()


def canonical(label: str) -> Optional[str]:
    n = norm(label)
    if n in ALIASES:
        return ALIASES[n]
    n2 = _TOTAL_SUFFIX.sub("", n)
    return ALIASES.get(n2)


_WS = re.compile(r"\s+")


@functools.lru_cache(maxsize=50_000)
def c_(s: Optional[str]) -> str:
    return _WS.sub("", s or "")


class Cand:
    """A located cell: table, row(s) (several when coded rows are summed), column, figure,
    and the cell's roles."""
    __slots__ = ("t", "rows", "j", "fig", "weak", "value", "roles")

    def __init__(self, t, rows, j, fig, weak, value, roles=None):
        self.t, self.rows, self.j, self.fig, self.weak, self.value = t, rows, j, fig, weak, value
        self.roles = roles if roles is not None else ro.Roles()

    def cite(self) -> list[str]:
        return [cell(self.t, r, self.j) for r in self.rows]

    def keys(self) -> list[str]:
        return [cell_key(self.t, r, self.j) for r in self.rows]

    def cite_with_page(self) -> str:
        page = say("locate.page", page=self.t.page) if self.t.page else ""
        return word("list_separator").join(self.cite()) + page


def fig_at(t: Table, r, j) -> Optional[tol.Figure]:
    if j is None or j >= len(r.cells):
        return None
    v = parse_number(r.cells[j])
    if v is None:
        return None
    f = tol.figure(v, r.cells[j], unit=t.unit or _WAN)
    return f.scaled(wan_factor(t.unit, _WAN))


def amount_cols(t: Table) -> list[int]:
    """Grid columns holding amounts: the header tree's amount columns when it has them,
    else the columns with numbers whose label names no other measure (上年, 增减, %, 栏次…)."""
    return list(memo.table_once(t, "amount_cols", _amount_cols))


def _amount_cols(t: Table) -> tuple:
    if t.column_info:
        index = {c.index for c in t.column_info if c.relation in ("label", "code", "index")}
    else:
        index = set()
    out = []
    for j in range(max((len(r.cells) for r in t.rows), default=0)):
        if j in index:
            continue
        lab = ro.column_label(t, j)
        if any(w in lab for w in _OTHER_COL):
            continue
        if any(parse_number(r.cells[j]) is not None for r in t.rows if j < len(r.cells)):
            out.append(j)
    return tuple(out)


def _value_cols(t: Table) -> list[int]:
    """Every column that may hold a value, blank ones too (a stated 0 against an empty
    column): not the label, code and index columns of the header tree."""
    skip = {c.index for c in t.column_info if c.relation in ("label", "code", "index")}
    n = max((len(r.cells) for r in t.rows), default=0)
    if not t.column_info:
        return amount_cols(t)
    return [j for j in range(n) if j not in skip]


def total_rows(t: Table):
    """The table's total row (a one-row list), or [] (once per table)."""
    return list(memo.obj_once(t, "total_rows", _total_rows))


def _total_rows(t: Table):
    first = next((r for r in t.rows if not r.code and any(p.search(c_(r.label)) for p in _TOTAL_ROW)), None)
    if first is not None:
        return [first]
    data = [r for r in t.rows if any(parse_number(c) is not None for c in r.cells)]
    if data and not data[0].code and not c_(data[0].label):
        return data[:1]  # a one-row table (Jiangsu 支出总表: 合计 | 基本支出 | 项目支出 …)
    if len(data) == 1 and t.table_type in ("sangong",):
        return data
    return []


def first_amount_after(t: Table, r, k: int) -> Optional[int]:
    cols = set(amount_cols(t))
    for j in range(k + 1, len(r.cells)):
        c = c_(r.cells[j])
        if j in cols and parse_number(c) is not None:
            return j
        if c and parse_number(c) is None and not re.fullmatch(r"\d+", c):
            return None
    return None


def code_rows(t: Table) -> dict[str, list]:
    """classification code → rows (split 类|款|项 columns joined; codes in any cell).
    Worked out once per table (the caller must not change what it returns)."""
    return memo.table_once(t, "code_rows", _code_rows)


def _code_rows(t: Table) -> dict[str, list]:
    out: dict[str, list] = {}
    for idx, code in row_codes(t).items():
        out.setdefault(code, []).append(t.rows[idx])
    for r in t.rows:
        for j, c in enumerate(r.cells[:-1]):
            c = c.strip()
            if is_code(c) and parse_number(r.cells[j + 1]) is None and r not in out.get(c, []):
                out.setdefault(c, []).append(r)
    return out


def code_cell(t: Table, r, code: str) -> Optional[int]:
    """The amount of a coded row: the first amount column (the 合计) right of its name."""
    cols = amount_cols(t)
    k = next((j for j, c in enumerate(r.cells) if c.strip() == code), None)
    if k is not None:
        if k + 1 < len(r.cells) and parse_number(r.cells[k + 1]) is None:
            j = first_amount_after(t, r, k + 1)
        else:
            j = first_amount_after(t, r, k)
        if j is not None:
            return j
    for j in cols:
        if j < len(r.cells) and parse_number(r.cells[j]) is not None and r.cells[j].strip() != code:
            lab = c_(t.columns[j]) if j < len(t.columns) else ""
            if _CODE_COLUMN.search(lab):
                continue
            return j
    return None


def make(doc: Document, t: Table, rows: list, j: int, fig, weak: bool, value, part=None) -> Cand:
    return Cand(t, rows, j, fig, weak, value, ro.with_part(_cell_roles(doc, t, rows, j), part))


def _cell_roles(doc: Document, t: Table, rows: list, j: int) -> ro.Roles:
    """`roles.cell_roles` of a located cell, once per cell while the document's memo lasts
    (the same cells are located for many figures; Roles are frozen, so one can be shared)."""
    r = rows[0] if len(rows) == 1 else None
    year = doc.year
    m = memo.obj_once(t, "cell_roles", lambda _t: {})
    key = (None if r is None else id(r), j, year)
    hit = m.get(key)
    if hit is None or hit[0] is not r:
        hit = m[key] = (r, ro.cell_roles(t, r, j, year))
    return hit[1]


def _locate_total(doc, t, col_re, weak, out):
    for r in total_rows(t):
        for j in amount_cols(t):
            if col_re is not None and not col_re.search(ro.column_label(t, j)):
                continue
            f = fig_at(t, r, j)
            if f is not None:
                out.append(make(doc, t, [r], j, f, weak, parse_number(r.cells[j])))
                break


def _locate_codes(doc, t, codes, weak, part, out):
    by = code_rows(t)
    if not all(c in by for c in codes):
        return
    rows, figs, j0 = [], [], None
    for c in codes:
        r = by[c][0]
        j = code_cell(t, r, c)
        f = fig_at(t, r, j)
        if f is None:
            return
        rows.append(r)
        figs.append(f)
        j0 = j
    if figs:
        out.append(make(doc, t, rows, j0, tol.total(figs), weak, round(sum(x.value for x in figs), 6), part))


def _locate_row(doc, t, rx, col_re, weak, out):
    for r in t.rows:
        for k, c in enumerate(c_(x) for x in r.cells):
            if not rx.search(c):
                continue
            if col_re is not None:
                j = next((j for j in amount_cols(t) if col_re.search(ro.column_label(t, j))
                          and fig_at(t, r, j) is not None), None)
            else:
                j = first_amount_after(t, r, k)
            if j is not None:
                out.append(make(doc, t, [r], j, fig_at(t, r, j), weak, parse_number(r.cells[j])))
            break


def locate(doc: Document, spec: dict) -> list[Cand]:
    out: list[Cand] = []
    weak = bool(spec.get("weak"))
    col_re = re.compile(spec["col"]) if spec.get("col") else None
    row = spec.get("row")
    for t in doc.tables_of(spec["table"]):
        if t.empty:
            continue
        if row is None:
            _locate_total(doc, t, col_re, weak, out)
        elif row.startswith("code:"):
            _locate_codes(doc, t, row[5:].split("+"), weak, spec.get("part"), out)
        else:
            _locate_row(doc, t, re.compile(row), col_re, weak, out)
    return out


def cands_for_code(doc: Document, code: str, kind: str) -> list[Cand]:
    """The row of a classification code in every table of that classification: its first
    amount column, and (for a 功能分类 row) every other amount column, each with its roles
    (基本支出 / 项目支出 columns are the parts of the row).  Once per document and code."""
    return list(memo.once(doc, ("cands_for_code", code, kind), lambda: _cands_for_code(doc, code, kind)))


def _cands_for_code(doc: Document, code: str, kind: str) -> list[Cand]:
    out = []
    types = V["functional_tables"] if kind == "functional" else V["economic_tables"]
    for t in doc.tables_of(*types):
        if t.empty:
            continue
        rows = code_rows(t).get(code)
        if not rows:
            continue
        r = rows[0]
        j0 = code_cell(t, r, code)
        weak = kind == "economic" and t.table_type != "agency_operating"
        cols = [j0] + [j for j in amount_cols(t) if j != j0 and j0 is not None and j > j0]
        for j in cols:
            fg = fig_at(t, r, j)
            if fg is not None:
                out.append(make(doc, t, [r], j, fg, weak, parse_number(r.cells[j])))
    return out


# ── cells by the name written before a figure ──────────────────────────────────────────

@functools.lru_cache(maxsize=50_000)
def name_key(s: Optional[str]) -> str:
    """A label or a written name, without numbering, quotes, owner words and the words that
    only say `amount` (`项目预算`, `支出`, `合计` …)."""
    s = norm(clean_ws(s))
    prev = None
    while prev != s:
        prev = s
        for rx in _AFFIX:
            cut = rx.sub("", s)
            if len(cut) >= 3 or len(s) < 3:  # `其他支出` stays: `其他` would name anything
                s = cut
    for rx, to in _REWRITE:
        s = rx.sub(to, s)
    return s


def column_name(t: Table, j: int) -> str:
    """The name a column gives the cells of a total row: its deepest label that is not a
    total word, a year or a measure; a table's own subject for its bare total column."""
    return _column_name(ro.column_label(t, j), t.table_type)


@functools.lru_cache(maxsize=8192)
def _column_name(label: str, table_type: str) -> str:
    """`column_name` of a column so labelled in a table of that type (labels recur in
    every document of a template: read once)."""
    named = [p for p in label.split("/") if p and not _TOTAL_WORD.match(p)]
    if named:
        return named[-1]
    return (_VD.get("total_column_names") or {}).get(table_type, "")


@functools.lru_cache(maxsize=8192)
def _column_key(label: str, table_type: str) -> str:
    return name_key(_column_name(label, table_type))


def name_index(doc: Document) -> dict:
    """name key → [(table, row, [columns])]: rows by label, and total rows' columns by the
    column's deepest label.  A total row's column stands as (table, None, [column]): the
    table's total row is looked up when a name asks for it (most are never asked for; a
    table without one has no such cells)."""
    out: dict = {}
    get = out.get
    for t in doc.tables:
        if t.empty:
            continue
        cols = _value_cols(t)
        for r in t.rows:
            k = name_key(r.label)
            if len(k) >= 2:
                hit = get(k)
                if hit is None:
                    out[k] = [(t, r, cols)]
                else:
                    hit.append((t, r, cols))
        table_type = t.table_type
        for j in cols:
            k = _column_key(ro.column_label(t, j), table_type)
            if len(k) >= 2:
                hit = get(k)
                if hit is None:
                    out[k] = [(t, None, [j])]
                else:
                    hit.append((t, None, [j]))
    return out


def by_name(doc: Document, f, index: dict, keys: list[str]) -> list[Cand]:
    """Cells of the rows (or total-row columns) whose name key is one of `keys`."""
    out = []
    for k in keys:
        for t, r, cols in index.get(k, []):
            if r is None:  # a total row's column
                tr = total_rows(t)
                if not tr:
                    continue
                r = tr[0]
            for j in cols:
                fg = fig_at(t, r, j)
                if fg is None and f.value_wan == 0 and j < len(r.cells) and not clean_ws(r.cells[j]):
                    fg = tol.Figure(0.0, 0.0)  # a blank cell of the named row: nothing, i.e. 0
                if fg is not None:
                    out.append(make(doc, t, [r], j, fg, False, parse_number(r.cells[j]) if j < len(r.cells) else None))
    return out
