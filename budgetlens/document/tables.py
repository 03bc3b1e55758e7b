"""Raw table rows → a typed `Table` with caption, unit, merged column labels and data rows,
and the long-format `table_cells` view of every numeric cell.

Works on Tika dumps (a cell spanning columns appears once; a cell spanning rows appears
as an empty cell below it) and on grid readers (python-docx, PDF, HTML), where spans are
already repeated into every grid column.
"""
from __future__ import annotations

import functools
import re
from itertools import zip_longest
from typing import Optional

import regex

from budgetlens import gazetteers
from budgetlens.document import headers as headers_mod
from budgetlens.document.headers import build_columns, clean_path, column_kind, is_total_label
from budgetlens.document.model import Row, Table
from budgetlens.document.numbers import DASHES, cell_value

META = gazetteers.load("document_meta")
UNIT_RE = regex.compile(META["unit_pattern"])

CODE_RE = re.compile(r"^(?:\d{3}|\d{5}|\d{7})$")
SPLIT_CODE_RE = re.compile(r"^\d{2,3}$")
_SMALL_INT = re.compile(r"\d{1,2}")  # a 栏次 number
_ROW_NUMBER = re.compile(r"\d{1,3}")  # a 序号
_DECIMAL = re.compile(r"[-−]?\d+\.\d+")
_THREE_DIGITS = re.compile(r"\d{3}")
_WHITESPACE = re.compile(r"\s+")


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
LABEL_CODE = regex.compile(headers_mod.H["label_code"])
HEADER_ROW_CELL = regex.compile(headers_mod.H["header_row_cell"])


def _is_caption_row(row: list[str]) -> bool:
    nonempty = [c.strip() for c in row if c.strip()]
    if not nonempty or any(cell_value(c) is not None for c in nonempty):
        return False
    if len(nonempty) >= 2 and any(HEADER_ROW_CELL.search(c) for c in nonempty):
        return False  # year/measure headings over column groups: a header row
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
    ints = [c for c in cells if _SMALL_INT.fullmatch(c)]
    if len(ints) >= 3 and len(ints) == len(cells):
        nums = [int(c) for c in ints]
        return nums == list(range(nums[0], nums[0] + len(nums)))
    return False


@functools.lru_cache(maxsize=20_000)
def _caption_not_data(row: tuple) -> bool:
    """A caption row above the header (memoised: caption and header rows recur)."""
    return _is_caption_row(row) and not _is_data_row(row)


_column_number_row = functools.lru_cache(maxsize=20_000)(_is_column_number_row)


def _is_data_row(row: list[str]) -> bool:
    cells = [c.strip() for c in row]
    if any(is_code(c) for c in cells[:3]):
        return True
    return any(_is_decimal(c) for c in cells)


@functools.lru_cache(maxsize=100_000)
def _is_decimal(cell: str) -> bool:
    return _DECIMAL.fullmatch(cell.replace(",", "")) is not None


def _labels_from_headers(headers: list[list[str]], width: int, grid: bool) -> list[str]:
    """One label per column from the header rows (the path joined by `/`)."""
    return ["/".join(p) for p in header_paths(headers, width, grid)]


def header_paths(headers: list[list[str]], width: int, grid: bool) -> list[list[str]]:
    """One label path per column from the header rows, top row first.

    Grid rows: labels are the distinct texts stacked top-down.  Tika rows: a row with
    fewer cells than the grid holds column-spanning cells; they are aligned with the runs
    of the row below (an empty cell below marks a row-spanning cell above).
    """
    if not headers:
        return [[] for _ in range(width)]
    rows = [[c.strip() for c in r] for r in headers]
    if grid:
        labels = []
        for j in range(width):
            parts: list[str] = []
            for r in rows:
                c = r[j] if j < len(r) else ""
                if c and c not in parts:
                    parts.append(c)
            labels.append(parts)
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
    return [list(dict.fromkeys(x)) for x in labels]


@functools.lru_cache(maxsize=20_000)
def _clean_label(label: str) -> str:
    return _WHITESPACE.sub("", label or "")


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
    roles: bool = True,
    stripped: bool = False,
) -> Table:
    """`roles`: resolve the columns' roles now (build_document resolves them once it knows
    the document's year and kind, and asks for none here).  `stripped`: every cell is
    stripped already (build_document's cells are normalised) and the data rows' lists
    become the rows' cells as they are."""
    caption: list[str] = []
    i = 0
    while i < len(rows) and _caption_not_data(tuple(rows[i])):
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
        if _column_number_row(tuple(r)):
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
    paths = header_paths(headers, width, grid)
    cleaned = [clean_path(p) for p in paths]
    # labels without the 栏次 numbers / `**` some templates print under each header (`总计/1`)
    columns = [_clean_label("/".join(cp or p)) for cp, p in zip(cleaned, paths)]
    index_cols: dict[int, bool] = {}  # column j holds 序号 (computed once per column)
    cells = data if stripped else [list(map(str.strip, r)) for r in data]  # (a row's cells: its Row's)
    kinds = [list(map(_raw_cell_kind, r)) for r in cells]  # each data cell classified once
    by_column = _Columns(cells, kinds)
    out_rows = _data_rows(cells, index_cols, kinds, by_column)
    t = Table(
        table_id=table_id, title=title, table_type=table_type, unit=unit, columns=columns,
        header_rows=headers, rows=out_rows, caption=caption, page=page, source=source,
    )
    t.column_info = build_columns(cleaned, _column_kinds(cleaned, cells, width, index_cols, kinds, by_column))
    t.__dict__["_index_cols"] = index_cols  # 序号 columns among the first three: numeric_cells reuses them
    t.__dict__["_kinds"] = kinds  # each data row's cell kinds (_raw_cell_kind), for numeric_cells and typing
    if roles:
        resolve_roles(t, None, None)  # again in build_document, with the document's year and kind
    if len(_split_code_columns(t)) >= 2:  # a code split over 类 | 款 | 项 columns, joined
        codes = full_codes(t)
        for r in t.rows:
            if codes.get(r.index):
                r.code = codes[r.index]
            r.level = _code_level(codes.get(r.index))
    # (otherwise the full codes are the rows' own codes, their levels already set)
    t.empty = not _numeric_cells_of(t)
    return t


_LEVELS = {3: 1, 5: 2, 7: 3}  # _code_level by the code's length


class _Columns:
    """A table's data cells and their kinds column by column (missing cells ""), and which
    columns hold 序号, each found once."""

    def __init__(self, cells: list[list[str]], kinds: list[list]):
        self.cells = list(zip_longest(*cells, fillvalue="")) if cells else []
        self.kinds = list(zip_longest(*kinds, fillvalue="")) if kinds else []

    def is_index(self, j: int) -> bool:
        """_is_index_col on column j: its non-empty cells are 1, 2, 3 … (at least three)."""
        if j >= len(self.cells) or "text" in self.kinds[j]:  # a text cell is no row number
            return False
        vals = [v for v in self.cells[j] if v]
        return _row_numbers(vals)


def _row_numbers(vals: list[str]) -> bool:
    """Stripped non-empty cells that count 1, 2, 3 … (序号; at least three)."""
    if len(vals) < 3:
        return False
    # _ROW_NUMBER: one to three decimal digits (\d is any Unicode decimal digit, as isdecimal)
    if not all(len(v) <= 3 and v.isdecimal() for v in vals):
        return False
    nums = [int(v) for v in vals]
    return all(b == a + 1 for a, b in zip(nums, nums[1:]))


def _data_rows(cells: list[list[str]], index_cols: dict[int, bool], all_kinds: list,
               by_column: Optional[_Columns] = None) -> list[Row]:
    """The data rows (stripped cells, and each cell's _raw_cell_kind) with their code,
    label and total mark; `index_cols` collects which of the columns looked at hold 序号."""
    out_rows: list[Row] = []
    label_code = LABEL_CODE.match
    for k, (row, kinds) in enumerate(zip(cells, all_kinds)):
        code = label = None
        if "code" in kinds[:4]:
            for j, kd in enumerate(kinds[:4]):
                if kd != "code":
                    continue
                if j not in index_cols:
                    index_cols[j] = by_column.is_index(j) if by_column else _is_index_col(cells, j, True)
                if not index_cols[j]:
                    code = row[j]
                    label = _first_label(row, kinds, j + 1)
                    break
        if label is None:  # a label is text or a dash: no figure, no code
            for c, kd in zip(row, kinds):
                if c and kd != "code" and kd != "number":
                    label = c
                    break
        if code is None and label:
            c0 = label[0]
            if c0.isdigit() or c0 in "[【（(":  # what LABEL_CODE may start with
                m = label_code(label)
                if m:
                    code = m.group("code")
        # (fields in order: index cells spans code label level is_total)
        out_rows.append(Row(k, row, [], code, label, _LEVELS.get(len(code)) if code else None,
                            code is None and label is not None and _is_total_label(label)))
    return out_rows


def _first_label(cells: list[str], kinds: list, start: int) -> Optional[str]:
    """The first cell from `start` on that is neither a figure nor a code."""
    for j in range(start, len(cells)):
        if cells[j] and kinds[j] != "code" and kinds[j] != "number":
            return cells[j]
    return None


def resolve_roles(t: Table, doc_year: Optional[int], doc_kind: Optional[str]) -> None:
    """Year, measure and fund of every amount column, now that the document's year and
    kind are known (the table's own title or caption year wins over the document's)."""
    year = None
    for text in [t.title] + list(t.caption):
        m = headers_mod.YEAR_EXPLICIT.search(text or "")
        if m:
            year = int(m.group(1))
            break
    headers_mod.resolve_roles(
        t.column_info, year=year or doc_year,
        kind_measure=headers_mod.H["kind_measure"].get(doc_kind or ""),
        type_fund=headers_mod.H["type_fund"].get(t.table_type))


SPLIT_CODE_SEG = regex.compile(headers_mod.H["split_code_segment"])


def full_codes(t: Table) -> dict[int, str]:
    """Row index → full classification code.  A code split over 类 | 款 | 项 columns is
    joined (`201 | 05 | 07` → `2010507`); a row that prints only its own part (`| 08 |`,
    the 类 above it) takes the rest from the rows above.  Otherwise the row's own code."""
    split = _split_code_columns(t)
    if len(split) < 2:
        return {r.index: r.code for r in t.rows if r.code}
    out: dict[int, str] = {}
    ctx: list[str] = []  # the 类, 款 codes of the rows above
    for r in t.rows:
        parts = [(r.cells[j] if j < len(r.cells) else "").strip() for j in split]
        first = next((k for k, x in enumerate(parts) if x), None)
        if first is None:
            continue
        if first == 0:
            if not _THREE_DIGITS.fullmatch(parts[0]):
                continue
            code = parts[0]
        else:
            if len(ctx) < first:
                continue
            code = ctx[first - 1]
        ok = True
        for x in parts[max(first, 1):]:
            if not x:
                break
            if not _SMALL_INT.fullmatch(x):
                ok = False
                break
            code += x.zfill(2)  # some PDFs print 款 `02` as `2`
        if not ok:
            continue
        level = (len(code) - 1) // 2  # 3 → 1, 5 → 2, 7 → 3
        ctx = ctx[: level - 1] + [code]
        out[r.index] = code
    return out


def _split_code_columns(t: Table) -> list[int]:
    """The adjacent code columns headed 类 | 款 | 项 (the first panel's)."""
    split: list[int] = []
    for c in t.column_info:
        if c.relation == "code" and c.path and SPLIT_CODE_SEG.search(c.path[-1]):
            if split and c.index != split[-1] + 1:
                break  # a second panel (政府预算经济分类 beside 部门预算经济分类)
            split.append(c.index)
        elif split:
            break
    return split


def _code_level(code: Optional[str]) -> Optional[int]:
    """1 for a 类 (3 digits: 201, 301), 2 for a 款 (20101, 30101), 3 for a 项 (2010101)."""
    if not code:
        return None
    return {3: 1, 5: 2, 7: 3}.get(len(code))


def _column_kinds(cleaned: list[tuple], data: list[list[str]], width: int,
                  index_cols: Optional[dict] = None, kinds: Optional[list] = None,
                  by_column: Optional[_Columns] = None) -> list[str]:
    """`cleaned`: each column's header path through `clean_path`; `kinds`: each data cell's
    `_raw_cell_kind`, row by row, when known (then `data` holds the stripped cells)."""
    index_cols = {} if index_cols is None else index_cols
    if by_column is None:
        if kinds is None:
            kinds = [list(map(_raw_cell_kind, r)) for r in data]
        by_column = _Columns([[c.strip() for c in r] for r in data], kinds)
    cols, kcols = by_column.cells, by_column.kinds
    out = []
    for j in range(width):
        st = headers_mod._Stats()
        ks = kcols[j] if j < len(kcols) else ()  # "": no cell
        st.codes = ks.count("code")
        st.numbers = ks.count("number")
        st.texts = ks.count("text")
        if j < 3:
            if j not in index_cols:
                index_cols[j] = by_column.is_index(j)
            st.consecutive = index_cols[j]
        else:
            st.consecutive = False
        # amounts in 元 can look like codes (12345): a code column shows the hierarchy
        cs = {c for c, kd in zip(cols[j], ks) if kd == "code"} if st.codes else set()
        if not any(c[:n] in cs for c in cs for n in (3, 5) if len(c) > n):
            st.numbers += st.codes
            st.codes = 0
        out.append(column_kind(cleaned[j] if j < len(cleaned) else (), st))
    return out


@functools.lru_cache(maxsize=100_000)
def _raw_cell_kind(c: str) -> Optional[str]:
    """A data cell: None (empty or a dash), "code", "number" or "text"."""
    c = c.strip()
    if not c or c in DASHES:
        return None
    if CODE_RE.match(c):  # is_code
        return "code"
    return "number" if cell_value(c) is not None else "text"


@functools.lru_cache(maxsize=100_000)
def _cell_kind(c: str) -> Optional[str]:
    """A stripped data cell: None (empty or a dash), "code", "number" or "text"."""
    if not c or c in DASHES:
        return None
    if is_code(c):
        return "code"
    return "number" if cell_value(c) is not None else "text"


@functools.lru_cache(maxsize=20_000)
def _is_total_label(label: str) -> bool:
    return is_total_label(label)


def _is_index_col(data: list[list[str]], j: int, stripped: bool = False) -> bool:
    """Column j holds row numbers (序号) rather than codes or values (`stripped`: the
    cells are stripped already)."""
    col = [r[j] for r in data if j < len(r)]
    return _row_numbers([v for v in (col if stripped else map(str.strip, col)) if v])


def numeric_cells(t: Table):
    """(row, col, value) for every numeric value cell: not a 序号, not a code.  Computed
    once per table (the table is fixed once structured)."""
    return iter(_numeric_cells_of(t))


@functools.lru_cache(maxsize=256)
def _numeric_cells_of(t: Table) -> tuple:
    return tuple(_numeric_cells(t))


def _numeric_cells(t: Table) -> list:
    index_cols = {j for j, lab in enumerate(t.columns) if _index_label(lab)}
    index_cols |= {c.index for c in t.column_info if c.relation == "index"}  # 行次/栏次/序号: never amounts
    data_cells = [r.cells for r in t.rows]
    known = t.__dict__.get("_index_cols") or {}  # found by structure_table on the same cells
    width = max((len(r) for r in data_cells), default=0)
    for j in range(min(3, width)):
        if known[j] if j in known else _is_index_col(data_cells, j):
            index_cols.add(j)
    code_cols = {j for j, lab in enumerate(t.columns[:width]) if _code_words(lab)}  # _code_label
    kinds = t.__dict__.get("_kinds")
    if kinds is None or len(kinds) != len(t.rows):
        kinds = [list(map(_cell_kind_of, r.cells)) for r in t.rows]
    out: list = []
    for r, kr in zip(t.rows, kinds):
        # a value is a figure (number) or a code that is not the row's code nor in a code column
        if "number" not in kr and "code" not in kr:
            continue
        code = r.code
        out += [(r, j, cell_value(c)) for j, (c, kd) in enumerate(zip(r.cells, kr))
                if (kd == "number" or kd == "code" and c != code and j not in code_cols) and j not in index_cols]
    return out


def _cell_kind_of(c: str) -> Optional[str]:
    """The kind of a cell of a row as given (not stripped): "code" and "number" exactly
    where `cell_value` gives a value, "code" where `is_code` says so."""
    v = cell_value(c)
    if v is None:
        return None
    return "code" if is_code(c) else "number"


@functools.lru_cache(maxsize=20_000)
def _index_label(label: str) -> bool:
    return label in ("序号", "栏次", "行次") or label.startswith("序号")


def _code_label(t: Table, j: int) -> bool:
    return _code_words(t.columns[j] if j < len(t.columns) else "")


@functools.lru_cache(maxsize=20_000)
def _code_words(lab: str) -> bool:
    return any(w in lab for w in ("编码", "代码", "科目编码"))


def row_label_for(t: Table, r: Row, j: int) -> Optional[str]:
    """The text cell nearest to the left of column j (two-sided tables such as 收支总表
    carry an income label and an expenditure label in one row)."""
    for k in range(j - 1, -1, -1):
        c = r.cells[k] if k < len(r.cells) else ""
        if c and cell_value(c) is None and not is_code(c):
            return c
    return r.label
