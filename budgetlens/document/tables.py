"""Raw table rows → a typed `Table` with caption, unit, merged column labels and data rows,
and the long-format `table_cells` view of every numeric cell.

Works on Tika dumps (a cell spanning columns appears once; a cell spanning rows appears
as an empty cell below it) and on grid readers (python-docx, PDF, HTML), where spans are
already repeated into every grid column.
"""
from __future__ import annotations

import functools
import re
from typing import Optional

import regex

from budgetlens import gazetteers
from budgetlens.document.model import Row, Table
from budgetlens.document.numbers import cell_value

META = gazetteers.load("document_meta")
UNIT_RE = regex.compile(META["unit_pattern"])

CODE_RE = re.compile(r"^(?:\d{3}|\d{5}|\d{7})$")
SPLIT_CODE_RE = re.compile(r"^\d{2,3}$")


# the cell grammar is the one parser's (document/numbers.py); the old name stays importable
# for code written against it
parse_number = cell_value


@functools.lru_cache(maxsize=100_000)
def is_code(cell: str) -> bool:
    return bool(CODE_RE.match((cell or "").strip()))


def unit_of(text: str) -> Optional[str]:
    m = UNIT_RE.search(text or "")
    return m.group("unit") if m else None


CAPTION_CELL = regex.compile(META["caption_cell_pattern"])


def _is_caption_row(row: list[str]) -> bool:
    nonempty = [c.strip() for c in row if c.strip()]
    if not nonempty or any(cell_value(c) is not None for c in nonempty):
        return False
    if len(nonempty) == 1 and len(row) <= 2:
        return True
    return all(CAPTION_CELL.search(c) for c in nonempty)


def _is_column_number_row(row: list[str]) -> bool:
    """The 栏次 row (`栏次 | 1 | 2 | 3 …`) or a bare `1 | 2 | 3 …` numbering row."""
    cells = [c.strip() for c in row if c.strip()]
    if not cells:
        return False
    if cells[0] in ("栏次", "栏 次"):
        return True
    ints = [c for c in cells if re.fullmatch(r"\d{1,2}", c)]
    if len(ints) >= 3 and len(ints) == len(cells):
        nums = [int(c) for c in ints]
        return nums == list(range(nums[0], nums[0] + len(nums)))
    return False


def _is_data_row(row: list[str]) -> bool:
    cells = [c.strip() for c in row]
    if any(is_code(c) for c in cells[:3]):
        return True
    if any(re.fullmatch(r"[-−]?\d+\.\d+", c.replace(",", "")) for c in cells):
        return True
    return False


def _labels_from_headers(headers: list[list[str]], width: int, grid: bool) -> list[str]:
    """One label per column from the header rows.

    Grid rows: labels are the distinct texts stacked top-down.  Tika rows: a row with
    fewer cells than the grid holds column-spanning cells; they are aligned with the runs
    of the row below (an empty cell below marks a row-spanning cell above).
    """
    if not headers:
        return [""] * width
    rows = [[c.strip() for c in r] for r in headers]
    if grid:
        labels = []
        for j in range(width):
            parts: list[str] = []
            for r in rows:
                c = r[j] if j < len(r) else ""
                if c and c not in parts:
                    parts.append(c)
            labels.append("/".join(parts))
        return labels
    # Tika: align from the bottom (full-width) row upwards.
    labels = [[] for _ in range(width)]
    below: Optional[list[str]] = None
    for r in reversed(rows):
        if len(r) >= width or below is None:
            cells = (r + [""] * width)[:width]
            for j, c in enumerate(cells):
                if c:
                    labels[j].insert(0, c)
            below = cells
            continue
        # segments of the row below: an empty cell alone, or a run of non-empty cells
        segments: list[list[int]] = []
        j = 0
        while j < width:
            if not below[j]:
                segments.append([j])
                j += 1
            else:
                k = j
                while k < width and below[k]:
                    k += 1
                segments.append(list(range(j, k)))
                j = k
        if len(segments) == len(r):
            for seg, c in zip(segments, r):
                if c:
                    for j in seg:
                        labels[j].insert(0, c)
            below = [r[i] or below[seg[0]] for i, seg in enumerate(segments) for _ in seg]
        else:
            # cannot align: attach to columns whose own label is still empty
            for j, c in enumerate(r):
                if j < width and c and not labels[j]:
                    labels[j].insert(0, c)
    return ["/".join(dict.fromkeys(x)) for x in labels]


def _clean_label(label: str) -> str:
    return re.sub(r"\s+", "", label or "")


def structure_table(
    rows: list[list[str]],
    *,
    table_id: str,
    title: str,
    table_type: str,
    grid: bool = False,
    context_unit: Optional[str] = None,
    page: Optional[int] = None,
    source: Optional[str] = None,
) -> Table:
    caption: list[str] = []
    i = 0
    while i < len(rows) and _is_caption_row(rows[i]) and not _is_data_row(rows[i]):
        caption.extend(c.strip() for c in rows[i] if c.strip())
        i += 1
    body = rows[i:]
    unit = None
    for c in caption:
        unit = unit or unit_of(c)
    # header rows: up to the 栏次 row, else up to the first data row
    header_end = None
    data_start = None
    if (gazetteers.table_types().get(table_type) or {}).get("layout") == "form":
        header_end = data_start = 0
    for k, r in enumerate(body[:12] if header_end is None else []):
        if _is_column_number_row(r):
            header_end, data_start = k, k + 1
            break
    if header_end is None:
        for k, r in enumerate(body):
            if _is_data_row(r):
                header_end = data_start = k
                break
        if header_end is None:
            header_end = data_start = min(1, len(body)) if any(cell_value(c) is None and c for c in (body[0] if body else [])) else 0
    headers = body[:header_end]
    data = body[data_start:]
    for h in headers:
        for c in h:
            unit = unit or unit_of(c)
    unit = unit or context_unit or ""
    width = max([len(r) for r in data] + [len(r) for r in headers[-1:]] + [1])
    columns = [_clean_label(x) for x in _labels_from_headers(headers, width, grid)]
    out_rows: list[Row] = []
    for k, r in enumerate(data):
        cells = [c.strip() for c in r]
        code = label = None
        for j, c in enumerate(cells[:4]):
            if is_code(c) and not _is_index_col(data, j):
                code = c
                label = next((x for x in cells[j + 1:] if x and cell_value(x) is None), None)
                break
        if label is None:
            label = next((x for x in cells if x and cell_value(x) is None and not is_code(x)), None)
        out_rows.append(Row(index=k, cells=cells, code=code, label=label))
    t = Table(
        table_id=table_id, title=title, table_type=table_type, unit=unit, columns=columns,
        header_rows=headers, rows=out_rows, caption=caption, page=page, source=source,
    )
    t.empty = not any(v is not None for _r, _c, v in numeric_cells(t))
    return t


def _is_index_col(data: list[list[str]], j: int) -> bool:
    """Column j holds row numbers (序号) rather than codes or values."""
    vals = [r[j].strip() for r in data if j < len(r) and r[j].strip()]
    if len(vals) < 3 or not all(re.fullmatch(r"\d{1,3}", v) for v in vals):
        return False
    nums = [int(v) for v in vals]
    return all(b == a + 1 for a, b in zip(nums, nums[1:]))


def numeric_cells(t: Table):
    """(row, col, value) for every numeric value cell: not a 序号, not a code.  Computed
    once per table (the table is fixed once structured)."""
    return iter(_numeric_cells_of(t))


@functools.lru_cache(maxsize=256)
def _numeric_cells_of(t: Table) -> tuple:
    return tuple(_numeric_cells(t))


def _numeric_cells(t: Table):
    index_cols = {j for j in range(len(t.columns)) if _index_label(t.columns[j])}
    data_cells = [r.cells for r in t.rows]
    for j in range(min(3, max((len(r) for r in data_cells), default=0))):
        if _is_index_col(data_cells, j):
            index_cols.add(j)
    for r in t.rows:
        for j, c in enumerate(r.cells):
            if j in index_cols or is_code(c) and (c == r.code or _code_label(t, j)):
                continue
            v = cell_value(c)
            if v is not None:
                yield r, j, v


def _index_label(label: str) -> bool:
    return label in ("序号", "栏次", "行次") or label.startswith("序号")


def _code_label(t: Table, j: int) -> bool:
    lab = t.columns[j] if j < len(t.columns) else ""
    return any(w in lab for w in ("编码", "代码", "科目编码"))


def row_label_for(t: Table, r: Row, j: int) -> Optional[str]:
    """The text cell nearest to the left of column j (two-sided tables such as 收支总表
    carry an income label and an expenditure label in one row)."""
    for k in range(j - 1, -1, -1):
        c = r.cells[k] if k < len(r.cells) else ""
        if c and cell_value(c) is None and not is_code(c):
            return c
    return r.label
