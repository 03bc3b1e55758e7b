"""Apache Tika server text dumps of .docx disclosures.

Tika writes paragraphs as lines and every table cell as a TAB-prefixed line; a blank line
ends a table row.  A cell whose text had line breaks continues on following lines
without a TAB.  `[bookmark: …]` markers are Word bookmarks, not content, and bare page
numbers between tables come from page-number fields.
"""
from __future__ import annotations

import re
from pathlib import Path

from budgetlens import gazetteers
from budgetlens.gazetteers.headings import heading_style

from .blocks import Block, ReadError
from .textio import decode_text

BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
PAGE_NUMBER = re.compile(r"^\s*[-—–]?\s*\d{1,4}\s*[-—–]?\s*$")
CELL_LINE = re.compile(r"^[ \u3000\xa0]*\t")


def read_tika_text(path: str | Path, max_bytes: int | None = None) -> list[Block]:
    data = Path(path).read_bytes() if max_bytes is None else _read_capped(path, max_bytes)
    text, _enc = decode_text(data)
    return parse_tika_text(text)


def _read_capped(path, max_bytes: int) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ReadError(f"file larger than the {max_bytes // (1 << 20)} MB limit for text dumps")
    return data


def _breaks_table(line: str) -> bool:
    return heading_style(line) in _BREAKING


_BREAKING: set[str] = set()


def parse_tika_text(text: str) -> list[Block]:
    if not _BREAKING:
        _BREAKING.update(gazetteers.load("headings").get("table_breaking_styles", []))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if "[bookmark:" in text:  # Word bookmarks (most dumps have none)
        lines = [BOOKMARK.sub("", ln) for ln in lines]
    blocks: list[Block] = []
    rows: list[list[str]] = []  # rows of the table being built
    row: list[str] = []  # cells of the row being built
    last_was_cell = False  # the previous line was a cell or a continuation of one

    def end_row():
        nonlocal row
        if row:
            rows.append(row)
            row = []

    def end_table():
        nonlocal rows
        end_row()
        if rows:
            blocks.append(Block(kind="table", rows=rows))
            rows = []

    for ln in lines:
        if CELL_LINE.match(ln):
            row.append(ln.split("\t", 1)[1].strip())
            last_was_cell = True
            continue
        if not ln.strip():
            end_row()
            last_was_cell = False
            continue
        if last_was_cell and row and not _breaks_table(ln):
            # a line break inside the cell above
            row[-1] = (row[-1] + "\n" + ln.strip()).strip()
            continue
        if rows and PAGE_NUMBER.match(ln):
            continue  # page-number field between tables
        if not rows and not row and PAGE_NUMBER.match(ln) and blocks and blocks[-1].kind == "table":
            continue
        end_table()
        stripped = ln.strip()
        if PAGE_NUMBER.match(stripped) and blocks and blocks[-1].kind == "table":
            continue
        blocks.append(Block(kind="para", text=stripped))
        last_was_cell = False
    end_table()
    return [b for b in blocks if b.kind == "table" or b.text]
