"""Apache Tika server text dumps of .docx disclosures.

Tika writes paragraphs as lines and every table cell as a TAB-prefixed line; a blank line
ends a table row.  A cell whose text had line breaks continues on following lines
without a TAB.  `[bookmark: …]` markers are Word bookmarks, not content, and bare page
numbers between tables come from page-number fields.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from budgetlens import gazetteers
from budgetlens.gazetteers.headings import heading_style

from .blocks import Block, ReadError
from .textio import decode_text

BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
PAGE_NUMBER = re.compile(r"^\s*[-—–]?\s*\d{1,4}\s*[-—–]?\s*$")
CELL_LINE = re.compile(r"^[ \u3000\xa0]*\t")
_CELL_PAD = (" ", "\u3000", "\xa0")  # what may stand before a cell line's TAB
_BOOKMARK_IN_LINE = re.compile(r"\[bookmark:[^\]\n]*\]")  # BOOKMARK within one line


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


@functools.lru_cache(maxsize=20_000)
def _breaks_table(line: str) -> bool:
    return heading_style(line) in _BREAKING


_BREAKING: set[str] = set()


def parse_tika_text(text: str) -> list[Block]:
    if not _BREAKING:
        _BREAKING.update(gazetteers.load("headings").get("table_breaking_styles", []))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "[bookmark:" in text:  # Word bookmarks (most dumps have none); never across a line
        text = _BOOKMARK_IN_LINE.sub("", text)
    lines = text.split("\n")
    blocks: list[Block] = []
    rows: list[list[str]] = []  # rows of the table being built
    row: list[str] = []  # cells of the row being built
    last_was_cell = False  # the previous line was a cell or a continuation of one
    page_number = PAGE_NUMBER.match

    for ln in lines:
        first = ln[:1]
        if first == "\t":  # a cell (the common case of CELL_LINE, without the regex)
            row.append(ln.strip())  # (the TAB is whitespace: ln[1:].strip())
            last_was_cell = True
            continue
        if first in _CELL_PAD and CELL_LINE.match(ln):
            row.append(ln.split("\t", 1)[1].strip())
            last_was_cell = True
            continue
        stripped = ln.strip()
        if not stripped:
            if row:  # end of a table row
                rows.append(row)
                row = []
            last_was_cell = False
            continue
        if last_was_cell and row and not _breaks_table(ln):
            # a line break inside the cell above
            row[-1] = (row[-1] + "\n" + stripped).strip()
            continue
        if rows and page_number(ln):
            continue  # page-number field between tables
        if not rows and not row and blocks and blocks[-1].kind == "table" and page_number(ln):
            continue
        if row:  # end of the table
            rows.append(row)
            row = []
        if rows:
            blocks.append(Block(kind="table", rows=rows))
            rows = []
        if blocks and blocks[-1].kind == "table" and page_number(stripped):
            continue
        blocks.append(Block(kind="para", text=stripped))
        last_was_cell = False
    if row:
        rows.append(row)
    if rows:
        blocks.append(Block(kind="table", rows=rows))
    return [b for b in blocks if b.kind == "table" or b.text]
