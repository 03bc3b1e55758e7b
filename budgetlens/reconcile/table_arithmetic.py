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
from budgetlens.document.numbers import cell_value
from budgetlens.document.tables import is_code, numeric_cells
from budgetlens.document.model import Document, Row, Table
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, fmt, table_name
from budgetlens.reconcile.flags import Flag

FAMILY = "table.arithmetic"
V = gazetteers.load("rules/tables")
TOTAL_ROW = [re.compile(p) for p in V["total_row"]]
TOTAL_COL = [re.compile(p) for p in V["total_col"]]
SUBTOTAL_COL = [re.compile(p) for p in V["subtotal_col"]]
NOT_PART = V["not_part_col"]
MAX_VALUES = 14


from budgetlens.reconcile.evidence import clean_ws as _clean  # noqa: E402


def val(r: Row, j: int) -> Optional[float]:
    return cell_value(r.cells[j]) if j < len(r.cells) else None


def _fig(t: Table, r: Row, j: int) -> tol.Figure:
    return _figure_of(r.cells[j] if j < len(r.cells) else None, t.unit or "万元")


@functools.lru_cache(maxsize=50_000)
def _figure_of(raw: Optional[str], unit: str) -> tol.Figure:
    """The figure depends on the cell text and the table unit only."""
    return tol.figure((cell_value(raw) if raw is not None else None) or 0.0, raw, unit=unit)


def _value_cols(t: Table) -> list[int]:
    """Columns holding amounts (not 序号, not codes, not 栏次)."""
    labels = [_clean(c) for c in t.columns]
    return sorted({j for _r, j, _v in numeric_cells(t)
                   if not (j < len(labels) and any(w in labels[j] for w in ("序号", "编码", "代码", "栏次", "行次")))})


class _Coded:
    """A row seen with its full code (a view; the Row itself is not changed)."""

    def __init__(self, row: Row, code: str):
        self._row, self.code = row, code

    def __getattr__(self, name):
        return getattr(self._row, name)


def _is_total_row(r: Row) -> bool:
    lab = _clean(r.label)
    return not r.code and any(p.search(lab) for p in TOTAL_ROW)


def _sum_flag(t: Table, rule: str, parent: tuple[Row, int], parts: list[tuple[Row, int]], what: str) -> Optional[Flag]:
    pr, pj = parent
    if val(pr, pj) is None or not any(val(r, j) is not None for r, j in parts):
        return None
    stated = _fig(t, pr, pj)
    s = tol.total(_fig(t, r, j) for r, j in parts)
    if tol.agree(stated, s):
        return None
    col = _clean(t.columns[pj]) if pj < len(t.columns) else ""
    part_vals = [val(r, j) or 0.0 for r, j in parts]
    return Flag(
        FAMILY, rule, "error",
        f"{table_name(t)}：{what}（{col}）为{fmt(stated.value)}，各组成部分合计为{fmt(s.value)}，相差{fmt(stated.value - s.value)}。",
        values=[stated.value, round(s.value, 6)] + part_vals[:MAX_VALUES], stated=stated.value,
        expected=round(s.value, 6), difference=round(stated.value - s.value, 6),
        evidence=[cell(t, pr, pj)] + [cell(t, r, j) for r, j in parts if val(r, j) is not None][:MAX_VALUES],
        cells=[cell_key(t, pr, pj)] + [cell_key(t, r, j) for r, j in parts],
        key=f"{rule}:{t.table_id}:{pr.index}:{pj}",
    )


def row_codes(t: Table) -> dict[int, str]:
    """Row index → full classification code.  Tables that split the code over 类 | 款 | 项
    columns (`201 | 05 | 07`) are joined (`2010507`); otherwise the row's own code."""
    labels = [_clean(c) for c in t.columns]
    split = [j for j, c in enumerate(labels) if re.search(r"(^|/)(类|款|项)$", c)]
    out = {}
    if len(split) >= 2:
        for r in t.rows:
            parts = [(r.cells[j] if j < len(r.cells) else "").strip() for j in split]
            if not parts[0] or not re.fullmatch(r"\d{3}", parts[0]):
                continue
            code = parts[0]
            for p in parts[1:]:
                if not p:
                    break
                if not re.fullmatch(r"\d{1,2}", p):
                    code = None
                    break
                code += p.zfill(2)  # some PDFs print 款 `02` as `2`
            if code:
                out[r.index] = code
        return out
    return {r.index: r.code for r in t.rows if r.code}


def _panels(t: Table) -> list[tuple[int, range]]:
    """Code columns and the column range each governs.  A two-panel table (工资福利 on the
    left, 商品和服务 on the right) has two code columns."""
    counts = {}
    for r in t.rows:
        for j, c in enumerate(r.cells):
            nxt = r.cells[j + 1].strip() if j + 1 < len(r.cells) else ""
            if is_code(c) and nxt and cell_value(nxt) is None:
                counts[j] = counts.get(j, 0) + 1
    cols = sorted(j for j, n in counts.items() if n >= 3)
    if len(cols) < 2:
        return []
    width = max(len(r.cells) for r in t.rows)
    return [(c, range(c, cols[k + 1] if k + 1 < len(cols) else width)) for k, c in enumerate(cols)]


def hierarchy(t: Table) -> list[Flag]:
    """类 = Σ款, 款 = Σ项 (and 301 = Σ30101…), total row = Σ top-level rows."""
    panels = _panels(t)
    if panels:
        flags = []
        for cc, rng in panels:
            coded = [_Coded(r, r.cells[cc].strip()) for r in t.rows if cc < len(r.cells) and is_code(r.cells[cc])]
            cols = [j for j in _value_cols(t) if j in rng]
            flags += _hierarchy_rows(t, coded, cols, with_total=False)
        return flags
    codes = row_codes(t)
    coded = [_Coded(r, codes[r.index]) for r in t.rows if r.index in codes]
    return _hierarchy_rows(t, coded, _value_cols(t), with_total=True)


def _hierarchy_rows(t: Table, coded: list, cols: list[int], with_total: bool) -> list[Flag]:
    if len(coded) < 2:
        return []
    flags = []
    children: dict[str, list] = {}  # parent code → its rows one level down, in row order
    for k in coded:
        if len(k.code) >= 2:
            children.setdefault(k.code[:-2], []).append(k)
    for r in coded:
        kids = children.get(r.code, [])
        if not kids:
            continue
        level = {3: "类", 5: "款"}.get(len(r.code), "科目")
        for j in cols:
            f = _sum_flag(t, "classification.subtotal", (r, j), [(k, j) for k in kids],
                          f"{r.code} {_clean(r.label)}（{level}）")
            if f:
                flags.append(f)
    if not with_total:
        return flags
    top_len = min(len(r.code) for r in coded)
    tops = [r for r in coded if len(r.code) == top_len]
    for tr in (r for r in t.rows if _is_total_row(r)):
        for j in cols:
            f = _sum_flag(t, "classification.total_row", (tr, j), [(k, j) for k in tops], _clean(tr.label))
            if f:
                flags.append(f)
        break
    return flags


def _col_parts(t: Table) -> list[tuple[int, list[int]]]:
    """(total column, its part columns) pairs from the merged column labels (`A/B/C`).

    The parts of a `合计` are the columns after it under the same parent label: a leaf
    column counts itself, a group counts through its `小计` (or its leaves when it has
    none); each `小计` is in turn the sum of its group's other columns."""
    labels = [_clean(c) for c in t.columns]
    paths = [c.split("/") if c else [] for c in labels]
    out = []

    def excluded(c: str) -> bool:
        return not c or any(w in c for w in NOT_PART)

    def parts_under(parent: list[str], start: int, stop_at_total: bool) -> Optional[list[int]]:
        n = len(parent)
        members = []
        for j in range(start, len(labels)):
            p = paths[j]
            if p[:n] != parent or len(p) <= n:
                break
            if stop_at_total and len(p) == n + 1 and any(x.search(labels[j]) for x in TOTAL_COL):
                break
            members.append(j)
        parts, seen = [], set()
        for j in members:
            seg = paths[j][n]
            if seg in seen:
                continue
            seen.add(seg)
            if excluded(seg):
                continue
            group = [k for k in members if paths[k][n] == seg]
            if len(group) == 1 and len(paths[j]) == n + 1:
                parts.append(j)
                continue
            sub = [k for k in group if len(paths[k]) == n + 2 and any(x.search(paths[k][-1]) for x in SUBTOTAL_COL)]
            if sub:
                parts.append(sub[0])
            elif all(len(paths[k]) == n + 2 for k in group):
                parts.extend(k for k in group if not excluded(paths[k][-1]))
            else:
                return None
        return parts

    for j0, c in enumerate(labels):
        if not c:
            continue
        is_total = any(p.search(c) for p in TOTAL_COL)
        is_sub = any(p.search(paths[j0][-1]) for p in SUBTOTAL_COL) and len(paths[j0]) > 1
        if not (is_total or is_sub):
            continue
        parent = paths[j0][:-1]
        parts = parts_under(parent, j0 + 1, True)
        if parts and len(parts) >= 2:
            out.append((j0, parts))
    return out


def column_splits(t: Table) -> list[Flag]:
    flags = []
    for j0, parts in _col_parts(t):
        for r in t.rows:
            what = f"“{_clean(r.label) or r.code or r.index + 1}”行"
            f = _sum_flag(t, "columns.split", (r, j0), [(r, j) for j in parts], what)
            if f:
                flags.append(f)
    return flags


_NUMBERED = re.compile(r"^[一二三四五六七八九十]+[、.．]")


def sangong(t: Table) -> list[Flag]:
    """小计 = 因公出国（境）费 + 公务用车购置及运维费 + 公务接待费 (the numbered rows)."""
    total = next((r for r in t.rows if _is_total_row(r) or "小计" in _clean(r.label) or "合计" in _clean(r.label)), None)
    parts = [r for r in t.rows if _NUMBERED.match(_clean(r.label))]
    if total is None or len(parts) < 2:
        return []
    flags = []
    for j in _value_cols(t):
        f = _sum_flag(t, "sangong.total", (total, j), [(r, j) for r in parts], "“三公”经费合计")
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
            for j in js:
                if val(r, j) is not None:
                    return t, r, j
            continue
        rx = re.compile(row_re)
        for r in t.rows:
            cells = [_clean(c) for c in r.cells]
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


def same_totals(doc: Document) -> list[Flag]:
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
        f0 = _fig(t0, r0, j0)
        for t, r, j in found[1:]:
            f = _fig(t, r, j)
            if t.unit and t0.unit and t.unit != t0.unit:
                continue
            if tol.agree(f0, f):
                continue
            flags.append(Flag(
                FAMILY, "summary_tables.same_total", "error",
                f"{grp['name']}在不同表中不一致：{table_name(t0)}为{fmt(f0.value)}，{table_name(t)}为{fmt(f.value)}。",
                values=[f0.value, f.value], stated=f.value, expected=f0.value, difference=round(f.value - f0.value, 6),
                evidence=[cell(t0, r0, j0), cell(t, r, j)],
                cells=[cell_key(t0, r0, j0), cell_key(t, r, j)],
                key=f"same:{grp['name']}:{t.table_id}:{r.index}:{j}",
            ))
    return flags


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    for t in doc.tables:
        if t.empty or t.table_type not in V["arithmetic_tables"]:
            continue
        flags += hierarchy(t)
        flags += column_splits(t)
        if t.table_type == "sangong":
            flags += sangong(t)
    flags += same_totals(doc)
    return flags
