"""Spreadsheet reader (.xlsx via openpyxl, .xls via xlrd): each sheet -> a title paragraph
(the sheet name) and one grid table.

Merged cells are resolved into the grid the same way as the PDF reader does it: a text
value spanning several cells is repeated into each of them, a number is kept once, in the
top-left cell.  Title / unit lines that sit in the first rows as one merged cell across the
table (``2025年部门财务收支预算总表``, ``单位：元``) are emitted as paragraphs before the
table, so `extractors.build` finds the title and unit as it does for PDFs.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Union

import regex

from budgetlens.readers.blocks import Block, ReadError

_NUMERIC = regex.compile(r"^[-+−]?[0-9][0-9,，]*(\.[0-9]+)?%?$")


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 6)).rstrip("0").rstrip(".") if "e" not in repr(v) else f"{v:.6f}".rstrip("0").rstrip(".")
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    return " ".join(str(v).split())


def _grid_to_blocks(name: str, grid: list[list[str]], merges: list[tuple[int, int, int, int]], sheet_no: int) -> list[Block]:
    """grid: raw values (top-left of each merge only); merges: (r0, c0, r1, c1) inclusive."""
    if not grid:
        return []
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for r0, c0, r1, c1 in merges:
        if r0 < len(grid):
            spans[(r0, c0)] = (r0, c0, min(r1, len(grid) - 1), min(c1, width - 1))
    for (r0, c0), (_, _, r1, c1) in spans.items():
        text = grid[r0][c0]
        if not text or _NUMERIC.match(text):
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                grid[r][c] = text
    # trim empty rows and columns
    rows = [r for r in grid if any(c for c in r)]
    if not rows:
        return [Block(kind="para", text=name, page=sheet_no)]
    cols = [c for c in range(width) if any(r[c] for r in rows)]
    rows = [[r[c] for c in cols] for r in rows]
    blocks = [Block(kind="para", text=name, page=sheet_no)]
    # leading title / unit lines: rows with a single distinct non-empty text
    while len(rows) > 1:
        distinct = {c for c in rows[0] if c}
        if len(distinct) == 1 and len(cols) > 1 and not _NUMERIC.match(next(iter(distinct))):
            text = next(iter(distinct))
            if text != name:
                blocks.append(Block(kind="para", text=text, page=sheet_no))
            rows = rows[1:]
            continue
        # "编制部门：…   单位：元" on one row, no other content: caption segments
        filled = [c for c in rows[0] if c]
        if 2 <= len(filled) <= 3 and all(("：" in c or ":" in c) for c in filled) and len(rows[0]) > 3:
            for seg in dict.fromkeys(filled):
                blocks.append(Block(kind="para", text=seg, page=sheet_no))
            rows = rows[1:]
            continue
        break
    blocks.append(Block(kind="table", rows=rows, page=sheet_no, grid=True))
    return blocks


def _read_xlsx(path: Path, max_rows: int) -> list[Block]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=False)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise ReadError(f"cannot open .xlsx ({type(e).__name__}: {e})") from e
    blocks: list[Block] = []
    try:
        for n, ws in enumerate(wb.worksheets, start=1):
            if ws.sheet_state != "visible":
                continue
            if ws.max_row > max_rows:
                raise ReadError(f"sheet {ws.title!r} has {ws.max_row} rows, more than the limit of {max_rows}")
            grid = [[_fmt(v) for v in row] for row in ws.iter_rows(values_only=True)]
            merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
            blocks.extend(_grid_to_blocks(ws.title, grid, merges, n))
    finally:
        wb.close()
    return blocks


def _read_xls(path: Path, max_rows: int) -> list[Block]:
    import xlrd

    try:
        wb = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception:
        try:
            wb = xlrd.open_workbook(str(path))
        except Exception as e:
            raise ReadError(f"cannot open .xls ({type(e).__name__}: {e})") from e
    blocks: list[Block] = []
    for n in range(wb.nsheets):
        sh = wb.sheet_by_index(n)
        if getattr(sh, "visibility", 0):
            continue
        if sh.nrows > max_rows:
            raise ReadError(f"sheet {sh.name!r} has {sh.nrows} rows, more than the limit of {max_rows}")
        grid = []
        for r in range(sh.nrows):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(xlrd.xldate.xldate_as_datetime(cell.value, wb.datemode).date().isoformat())
                    except Exception:
                        row.append(_fmt(cell.value))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    row.append("")
                else:
                    row.append(_fmt(cell.value))
            grid.append(row)
        merges = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])]
        blocks.extend(_grid_to_blocks(sh.name, grid, merges, n + 1))
    return blocks


def read_xlsx(path: Union[str, Path], max_rows: int = 100_000) -> list[Block]:
    """Blocks of a workbook: per visible sheet, its name as a paragraph, caption rows as
    paragraphs, then the sheet's cells as one grid table."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, max_rows)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xls(path, max_rows)
    raise ReadError("not a spreadsheet: neither an .xlsx (ZIP) nor an .xls (OLE2) file")
