"""`table.arithmetic`: the tables against themselves.

- 功能分类 / 经济分类 hierarchy: a 类 row equals the sum of its 款 rows, a 款 row the sum
  of its 项 rows (301 = Σ30101…), the grand-total row the sum of the top-level rows;
- column splits: 合计 = 基本支出 + 项目支出 (+ …), 合计 = 人员经费 + 公用经费, 合计 = Σ
  funding sources, 小计 = Σ its group, per row;
- 三公 table: 小计 = 因公出国（境）费 + 公务用车购置及运维费 + 公务接待费;
- the same total across the summary tables (gazetteers/rules/tables.yaml `same_totals`).

Each sum is compared with the tolerance its n rounded parts allow (tolerance.total).
"""
from __future__ import annotations

import functools
import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.headers import fund_of
from budgetlens.document.model import Document, Row, Table
from budgetlens.document.numbers import cell_value, to_wan
from budgetlens.document.tables import full_codes, is_code, numeric_cells
from budgetlens.reconcile import memo
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, fmt, table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

FAMILY = "table.arithmetic"
V = gazetteers.load("rules/tables")
MAX_VALUES = 14


from budgetlens.reconcile.evidence import clean_ws as _clean  # noqa: E402


def val(r: Row, j: int) -> Optional[float]:
    return cell_value(r.cells[j]) if j < len(r.cells) else None


_UNIT = V["default_unit"]


def _fig(t: Table, r: Row, j: int) -> tol.Figure:
    return _figure_of(r.cells[j] if j < len(r.cells) else None, t.unit or _UNIT)


@functools.lru_cache(maxsize=50_000)
def _figure_of(raw: Optional[str], unit: str) -> tol.Figure:
    """The figure depends on the cell text and the table unit only."""
    return tol.figure((cell_value(raw) if raw is not None else None) or 0.0, raw, unit=unit)


def _value_cols(t: Table) -> list[int]:
    """Columns holding amounts that add up down the rows: what the header tree calls an
    amount (not a label, code, 行次/序号 or a rate).  Once per table (the hierarchy, the
    column splits and the 三公 sum all ask)."""
    return memo.obj_once(t, "value_cols", _value_cols_of)


def _value_cols_of(t: Table) -> list[int]:
    info = {c.index: c for c in t.column_info}
    out = set()
    for _r, j, _v in numeric_cells(t):
        c = info.get(j)
        if c is None or c.relation in ("label", "code", "index") or c.measure == "change_rate":
            continue
        out.add(j)
    return sorted(out)


class _Coded:
    """A row seen with its full code (a view; the Row itself is not changed)."""

    def __init__(self, row: Row, code: str):
        self._row, self.code = row, code
        self.cells, self.index, self.label = row.cells, row.index, row.label  # read in every sum

    def __getattr__(self, name):
        return getattr(self._row, name)


def _is_total_row(r: Row) -> bool:
    return r.is_total


def _sum_flag(t: Table, rule: str, parent: tuple[Row, int], parts: list[tuple], what: str) -> Optional[Flag]:
    """A flag when the parent cell differs from the sum of the part cells; a part is
    (row, col) in `t`, or (table, row, col) for rows of a table continued from a page before."""
    pr, pj = parent
    if pj >= len(pr.cells) or cell_value(pr.cells[pj]) is None:
        return None
    unit = t.unit or _UNIT
    filled = False  # a part cell holds a number
    value = half = 0.0  # tol.total of the parts' figures, added in the same order
    for p in parts:
        if len(p) == 3:
            pt, r, j = p
            f = _figure_of(r.cells[j] if j < len(r.cells) else None, pt.unit or _UNIT)
        else:
            r, j = p
            f = _figure_of(r.cells[j] if j < len(r.cells) else None, unit)
        if not filled and j < len(r.cells) and cell_value(r.cells[j]) is not None:
            filled = True
        value += f.value
        half += f.half
    if not filled:
        return None
    stated = _fig(t, pr, pj)
    s = tol.Figure(value, half)
    if tol.agree(stated, s):
        return None
    parts3 = [p if len(p) == 3 else (t, p[0], p[1]) for p in parts]
    col = _clean(t.columns[pj]) if pj < len(t.columns) else ""
    part_vals = [val(r, j) or 0.0 for _t, r, j in parts3]
    return Flag(
        FAMILY, rule, "error",
        say("table_arithmetic.sum_vs_parts", table=table_name(t), what=what, col=col, stated=fmt(stated.value),
            sum=fmt(s.value), gap=fmt(stated.value - s.value)),
        values=[stated.value, round(s.value, 6)] + part_vals[:MAX_VALUES], stated=stated.value,
        expected=round(s.value, 6), difference=round(stated.value - s.value, 6),
        evidence=[cell(t, pr, pj)] + [cell(pt, r, j) for pt, r, j in parts3 if val(r, j) is not None][:MAX_VALUES],
        cells=[cell_key(t, pr, pj)] + [cell_key(pt, r, j) for pt, r, j in parts3],
        key=f"{rule}:{t.table_id}:{pr.index}:{pj}",
    )


def row_codes(t: Table) -> dict[int, str]:
    """Row index → full classification code (codes split over 类 | 款 | 项 columns joined,
    with the parts a row leaves to the rows above): `budgetlens.document.tables.full_codes`."""
    return full_codes(t)


def _panels(t: Table) -> list[tuple[int, range]]:
    """Code columns and the column range each governs.  A two-panel table (工资福利 on the
    left, 商品和服务 on the right) has two code columns."""
    counts: dict = {}
    for r in t.rows:
        cells = r.cells
        if not any(map(is_code, cells)):
            continue
        for j, c in enumerate(cells):
            if not is_code(c):
                continue
            nxt = cells[j + 1].strip() if j + 1 < len(cells) else ""
            if nxt and cell_value(nxt) is None:
                counts[j] = counts.get(j, 0) + 1
    cols = sorted(j for j, n in counts.items() if n >= 3)
    if len(cols) < 2:
        return []
    width = max(len(r.cells) for r in t.rows)
    return [(c, range(c, cols[k + 1] if k + 1 < len(cols) else width)) for k, c in enumerate(cols)]


def hierarchy(t: Table, before: Optional[list] = None, continued: bool = False) -> list[Flag]:
    """类 = Σ款, 款 = Σ项 (and 301 = Σ30101…), total row = Σ top-level rows.

    `before`: the tables this one continues (a table split over pages repeats its header;
    its total row sums the rows of every page).  `continued`: a next page continues this
    table, so the last group's children may be there."""
    panels = _panels(t)
    if panels:
        flags = []
        for cc, rng in panels:
            coded = [_Coded(r, r.cells[cc].strip()) for r in t.rows if cc < len(r.cells) and is_code(r.cells[cc])]
            cols = [j for j in _value_cols(t) if j in rng]
            flags += _hierarchy_rows(t, coded, cols, with_total=False, continued=continued)
        return flags
    codes = row_codes(t)
    coded = [_Coded(r, codes[r.index]) for r in t.rows if r.index in codes]
    earlier = []
    for bt in before or []:
        bcodes = row_codes(bt)
        earlier += [(bt, _Coded(r, bcodes[r.index])) for r in bt.rows if r.index in bcodes]
    return _hierarchy_rows(t, coded, _value_cols(t), with_total=not _two_sided(t), continued=continued,
                           earlier=earlier)


def _two_sided(t: Table) -> bool:
    """A 收入 | 支出 table: a label column right of an amount column.  Its total rows
    (收入总计, 支出总计) are not sums of the coded rows."""
    seen_amount = False
    for c in t.column_info:
        if c.relation == "label" and seen_amount:
            return True
        if c.relation not in ("label", "code", "index"):
            seen_amount = True
    return False


def _hierarchy_rows(t: Table, coded: list, cols: list[int], with_total: bool, continued: bool = False,
                    earlier: Optional[list] = None) -> list[Flag]:
    if len(coded) < 2:
        return []
    flags = []
    children: dict[str, list] = {}  # parent code → its rows one level down, in row order
    for k in coded:
        if len(k.code) >= 2:
            children.setdefault(k.code[:-2], []).append(k)
    last = coded[-1]
    sub: dict[int, list] = {}  # column → its subtotal flags
    held: dict[int, int] = {}  # column → parent rows that add up
    for r in coded:
        kids = children.get(r.code, [])
        if not kids:
            continue
        if len({k.code for k in kids}) < len(kids):
            continue  # a code printed twice (a 项 printed with its 款's code, a per-unit listing): not a tree
        if continued and any(k is last or last.code.startswith(k.code) for k in kids):
            continue  # its last children may be on the next page
        level = V["code_levels"].get(len(r.code), V["code_level_other"])
        what = f"{r.code} {_clean(r.label)}（{level}）"
        for j in cols:
            f = _sum_flag(t, "classification.subtotal", (r, j), [(k, j) for k in kids], what)
            if f:
                sub.setdefault(j, []).append(f)
            elif val(r, j) is not None:
                held[j] = held.get(j, 0) + 1
    for j, fl in sub.items():
        # a column whose 类/款 rows mostly fail is misread (another unit's rows, a lost
        # row), not wrong in most rows: silent, as for a column split the rows contradict
        if len(fl) + held.get(j, 0) >= 3 and len(fl) > held.get(j, 0):
            continue
        flags += fl
    if not with_total:
        return flags
    allrows = list(earlier or []) + [(t, r) for r in coded]
    top_len = min(len(r.code) for _t, r in allrows)
    tops = [(bt, r) for bt, r in allrows if len(r.code) == top_len]
    if len({r.code for _t, r in tops}) < len(tops):
        return flags  # a 类 printed twice: rows of several units, not one tree
    for tr in (r for r in t.rows if _is_total_row(r)):
        for j in cols:
            f = _sum_flag(t, "classification.total_row", (tr, j), [(bt, k, j) for bt, k in tops], _clean(tr.label))
            if f:
                flags.append(f)
        break
    return flags


def _col_parts(t: Table) -> list[tuple[int, list[int]]]:
    """(total column, its part columns) pairs the header tree establishes: a 合计/小计/总计
    (or a parent label) and the addends under it; 其中 and 扣除…后 columns, other years,
    changes and shares are never parts, and an ambiguous tree gives no pair."""
    return [(c.index, list(c.children)) for c in t.column_info
            if c.relation == "total" and len(c.children) >= 2]


def _split_failures(t: Table, total: int, parts: list[int]) -> tuple[int, list[Row]]:
    """(rows where the split holds, rows where it fails) among the rows that fill it: a
    row fills it when its total cell and one of its part cells hold numbers (what
    `_sum_flag` asks before it compares; a failing row is one it flags)."""
    held = 0
    failed = []
    unit = t.unit or _UNIT
    for r in t.rows:
        cells = r.cells
        n = len(cells)
        if total >= n or cell_value(cells[total]) is None or \
                not any(j < n and cell_value(cells[j]) is not None for j in parts):
            continue
        if tol.agree(_figure_of(cells[total], unit),
                     tol.total(_figure_of(cells[j] if j < n else None, unit) for j in parts)):
            held += 1
        else:
            failed.append(r)
    return held, failed


def _contradicted(held: int, failed: int) -> bool:
    """The rows contradict the tree: the split fails in most of the rows that fill it.  A
    published table is added by software; a split that fails in most rows means the tree
    was misread (a header row lost, a total that covers other columns), not that the
    department got most rows wrong.  Tables of fewer than three such rows are not judged."""
    return held + failed >= 3 and failed > held


def column_splits(t: Table) -> list[Flag]:
    flags = []
    for j0, parts in _col_parts(t):
        held, failed = _split_failures(t, j0, parts)
        if _contradicted(held, len(failed)):
            continue
        for r in failed:  # the rows `_sum_flag` flags (it returns None for every other row)
            what = say("columns.split.what", row=_clean(r.label) or r.code or r.index + 1)
            f = _sum_flag(t, "columns.split", (r, j0), [(r, j) for j in parts], what)
            if f:
                flags.append(f)
    return flags


_NUMBERED = re.compile(V["sangong_numbered_row"])


def sangong(t: Table) -> list[Flag]:
    """小计 = 因公出国（境）费 + 公务用车购置及运维费 + 公务接待费 (the numbered rows)."""
    total = next((r for r in t.rows if _is_total_row(r) or any(w in _clean(r.label) for w in V["sangong_total_words"])), None)
    parts = [r for r in t.rows if _NUMBERED.match(_clean(r.label))]
    if total is None or len(parts) < 2:
        return []
    flags = []
    for j in _value_cols(t):
        f = _sum_flag(t, "sangong.total", (total, j), [(r, j) for r in parts], say("sangong.total.what"))
        if f:
            flags.append(f)
    return flags


def _locate(doc: Document, table_type: str, row_re: Optional[str], col_re: Optional[str], side: Optional[str]):
    for t in doc.tables_of(table_type):
        if row_re is None:
            rows = [r for r in t.rows if _is_total_row(r)]
            if not rows:
                continue
            r = rows[0]
            labels = [_clean(c) for c in t.columns]
            js = [j for j, c in enumerate(labels) if col_re and re.search(col_re, c)]
            top = [j for j in js if j < len(t.column_info) and t.column_info[j].parent is None]
            js = top or js  # a column the tree puts under another total is not the table's total
            for j in js:
                if val(r, j) is not None:
                    return t, r, j
            continue
        rx = re.compile(row_re)
        filled = rx.search("") is None  # a pattern an empty cell cannot match: only filled cells are tried
        texts = memo.obj_once(t, "filled_cells", _filled_cells) if filled else None
        for i, (r, cells) in enumerate(zip(t.rows, memo.obj_once(t, "clean_cells", _clean_cells))):
            if texts is not None:
                hits = [k for k, c in texts[i] if rx.search(c)]
            else:
                hits = [k for k, c in enumerate(cells) if rx.search(c)]
            if not hits:
                continue
            k = hits[0] if side != "right" else hits[-1]
            for j in range(k + 1, len(cells)):
                if val(r, j) is not None:
                    return t, r, j
                if cells[j] and cell_value(cells[j]) is None and not re.fullmatch(r"\d+", cells[j]):
                    break
    return None


def _clean_cells(t: Table) -> list[list[str]]:
    """Every row's cells without whitespace (once per table)."""
    return [[_clean(c) for c in r.cells] for r in t.rows]


def _filled_cells(t: Table) -> list[list[tuple[int, str]]]:
    """Every row's (column, cell) pairs of its cleaned non-empty cells (once per table)."""
    return [[(k, c) for k, c in enumerate(cells) if c] for cells in memo.obj_once(t, "clean_cells", _clean_cells)]


def _fig_wan(t: Table, r: Row, j: int) -> Optional[tol.Figure]:
    """A cell's figure in 万元 (tables in 元 and in 万元 compared through one conversion);
    None when the table's unit is not one `to_wan` knows."""
    k = to_wan(1.0, t.unit or V["default_unit"])
    return None if k is None else _fig(t, r, j).scaled(k)


def same_totals(doc: Document, compared: Optional[set] = None) -> list[Flag]:
    """`compared`, when given, receives each pair of cell keys compared (flagged or not)."""
    flags = []
    for grp in V["same_totals"]:
        found = []
        for m in grp["members"]:
            hit = _locate(doc, m[0], m[1], m[2], m[3] if len(m) > 3 else None)
            if hit:
                found.append(hit)
        if len(found) < 2:
            continue
        t0, r0, j0 = found[0]
        f0 = _fig_wan(t0, r0, j0)
        for t, r, j in found[1:]:
            f = _fig_wan(t, r, j)
            if compared is not None:
                compared.add(frozenset((cell_key(t0, r0, j0), cell_key(t, r, j))))
            if f0 is None or f is None or tol.agree(f0, f):
                continue
            flags.append(Flag(
                FAMILY, "summary_tables.same_total", "error",
                say("summary_tables.same_total", name=grp["name"], table_a=table_name(t0), a=fmt(f0.value),
                    table_b=table_name(t), b=fmt(f.value)),
                values=[f0.value, f.value], stated=f.value, expected=f0.value, difference=round(f.value - f0.value, 6),
                evidence=[cell(t0, r0, j0), cell(t, r, j)],
                cells=[cell_key(t0, r0, j0), cell_key(t, r, j)],
                key=f"same:{grp['name']}:{t.table_id}:{r.index}:{j}",
            ))
    return flags


def _role_key(t: Table, c) -> Optional[tuple]:
    """(flow, fund, part, year, measure) of a total-row cell's column, the table type's scope
    filling what the column leaves unsaid; None unless every role is established.  A part of
    None is the whole only for the table's top-level total column."""
    scope = V["role_scopes"].get(t.table_type)
    if scope is None or c.relation not in ("total", "part", "amount") or c.measure == "change_rate":
        return None
    fund = c.fund or scope.get("fund")
    part = c.part or scope.get("part")
    if part is None:
        if c.relation == "total" and c.parent is None:
            part = "all"
        else:
            return None
    if not (fund and c.year and c.measure):
        return None
    return (scope["flow"], fund, part, c.year, c.measure)


def _carry(label: str) -> bool:
    return any(w in label for w in V["two_sided"]["carry_over"])


def _income_rows(t: Table) -> list[tuple]:
    """(role key, row, column) of the income side's rows of the year in a two-sided table:
    the fund from the row label, the year and measure from the amount column."""
    scope = V["two_sided_scopes"][t.table_type]
    info = list(t.column_info)
    out = []
    for k, c in enumerate(info[:-1]):
        a = info[k + 1]
        if c.relation != "label" or not any(w in "".join(c.path or ()) for w in V["two_sided"]["sides"]["income"]):
            continue
        if a.relation in ("label", "code", "index") or not (a.year and a.measure):
            return []
        for r in t.rows:
            label = _clean(r.cells[c.index]) if c.index < len(r.cells) else ""
            if not label:
                continue
            if _carry(label):
                break
            fund = scope.get("fund") if r.is_total else fund_of((label,))
            if fund and val(r, a.index) is not None:
                out.append(((scope["flow"], fund, scope["part"], a.year, a.measure), r, a.index))
            if r.is_total:
                break
        return out
    return []


def _what(t: Table, r: Row, j: int) -> str:
    """The cell's subject: its row label in a two-sided table, else its column label."""
    if t.table_type in V["two_sided_scopes"]:
        return _clean(r.cells[j - 1]) if j >= 1 else ""
    return _clean(t.columns[j]) if j < len(t.columns) else ""


def same_role_totals(doc: Document, compared: set) -> list[Flag]:
    """A total of type A's column with roles R equals type B's total with the same roles
    (表03 支出总表 / 项目支出 = 表10 项目支出预算表 / 总计).  Silent when a type has several
    tables, a table several cells of one key, or the roles are not established."""
    by_key: dict[tuple, dict[str, list]] = {}
    for t in doc.tables:
        if t.empty:
            continue
        if t.table_type in V["two_sided_scopes"]:
            for key, r, j in _income_rows(t):
                by_key.setdefault(key, {}).setdefault(t.table_type, []).append((t, r, j))
        if t.table_type not in V["role_scopes"]:
            continue
        tr = next((r for r in t.rows if _is_total_row(r)), None)
        if tr is None:
            continue
        for c in t.column_info:
            key = _role_key(t, c)
            if key is None or val(tr, c.index) is None or any(_carry(seg) for seg in c.path or ()):
                continue
            by_key.setdefault(key, {}).setdefault(t.table_type, []).append((t, tr, c.index))
    flags = []
    for key, types in by_key.items():
        if len(types) < 2:
            continue
        if any(len({id(x[0]) for x in v}) > 1 or len({val(r, j) for _t, r, j in v}) > 1 for v in types.values()):
            continue  # several tables (units) or differing cells of one key: not one figure
        cells = [v[0] for v in types.values()]
        if any(not t.unit for t, _r, _j in cells):
            continue  # a table whose unit is not printed (or not read): its figures are not established
        t0, r0, j0 = cells[0]
        f0 = _fig_wan(t0, r0, j0)
        for t, r, j in cells[1:]:
            if frozenset((cell_key(t0, r0, j0), cell_key(t, r, j))) in compared:
                continue
            f = _fig_wan(t, r, j)
            if f0 is None or f is None or tol.agree(f0, f):
                continue
            flags.append(Flag(
                FAMILY, "summary_tables.same_role_total", "error",
                say("summary_tables.same_role_total", table_a=table_name(t0), what_a=_what(t0, r0, j0),
                    a=fmt(f0.value), table_b=table_name(t), what_b=_what(t, r, j), b=fmt(f.value),
                    gap=fmt(f.value - f0.value)),
                values=[f0.value, f.value], stated=f.value, expected=f0.value, difference=round(f.value - f0.value, 6),
                evidence=[cell(t0, r0, j0), cell(t, r, j)],
                cells=[cell_key(t0, r0, j0), cell_key(t, r, j)],
                key=f"same_role:{'/'.join(map(str, key))}:{t.table_id}:{r.index}:{j}",
            ))
    return flags


def _continuations(doc: Document) -> dict[str, tuple[list, bool]]:
    """table_id → (the tables it continues, whether a next page continues it).  A table
    continues the one before when it has the same title and the same column labels and
    starts on the next page (a long table whose header is repeated on every page)."""
    out: dict = {}
    chain: list = []
    prev = None
    for t in doc.tables:
        if prev is not None and _clean(t.title) == _clean(prev.title) and t.columns == prev.columns \
                and t.page and prev.page and t.page == prev.page + 1 and not any(r.is_total for r in prev.rows):
            chain.append(prev)
            out[prev.table_id] = (out.get(prev.table_id, ([], False))[0], True)
        else:
            chain = []
        out[t.table_id] = (list(chain), False)
        prev = t
    return out


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    chains = _continuations(doc)
    for t in doc.tables:
        if t.empty or t.table_type not in V["arithmetic_tables"]:
            continue
        before, continued = chains.get(t.table_id, ([], False))
        flags += hierarchy(t, before, continued)
        flags += column_splits(t)
        if t.table_type == "sangong":
            flags += sangong(t)
    compared: set = set()
    flags += same_totals(doc, compared)
    flags += same_role_totals(doc, compared)
    return flags
