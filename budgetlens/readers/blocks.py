"""What every reader produces: `Block`s in reading order, or a `ReadError`.

Readers know file formats and nothing above them: the document model
(`budgetlens.document`) is built from these blocks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


class ReadError(Exception):
    """A document that cannot be read.  The message is shown to users as `error`."""


@dataclass
class Block:
    """One paragraph or one raw table, as a reader found it.

    For a table, `rows` holds the cell texts row by row (merged cells resolved as well
    as the format allows: a cell spanning several grid columns is repeated by readers
    that know the grid — python-docx, PDF ruling lines — and appears once in a Tika
    dump).  `page` is 1-based where the format has pages.
    """

    kind: str  # "para" | "table"
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    page: Optional[int] = None
    source: Optional[str] = None  # for paired documents: which file the block came from
    grid: bool = False  # True when rows are on a true column grid (spans repeated)
    # Where the text sits on the page, for formats that know (PDF); points, origin top-left
    # of the page as displayed.  A paragraph: one (page, x0, top, x1, bottom, n_chars) per
    # line, in order.  A table: per row, per cell (page, x0, top, x1, bottom) or None.
    lines: list[tuple] = field(default_factory=list)
    cell_boxes: list[list] = field(default_factory=list)
