"""The units of text the narrative extractor reads: paragraphs (a paragraph broken by a
page end continued into the next) and the text cells of tables (itemised budget lists and
绩效目标 text live in cells), each a span of Document.text with where it came from."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

import regex

from budgetlens.document.model import Document

from . import indicators, itemisations, subjects

_HAN = regex.compile(r"\p{Han}")
_HAS_FIGURE = regex.compile(r"\d")
_TEXT_START = regex.compile(r"[\d\p{Han}%]")
_CONT_END = set("，,；;：:、")
_SENT_FINAL = set("。！？!?；;：:）)")
_HEADING = itemisations.HEADING


@dataclass
class Unit:
    start: int
    end: int
    origin: str = "narrative"
    table_id: Optional[str] = None
    row: Optional[int] = None
    project: Optional[str] = None
    title: str = ""


def text_units(doc: Document, used: set) -> list[Unit]:
    """The spans of text facts are read from, in document order: paragraphs (one that
    continues the previous one, broken by a page end, is merged into it) with a figure, and
    the text cells with a figure of table rows not read as indicators (`used`)."""
    paras: list[list] = []  # [start, end, text]
    for a, b in doc.paragraphs:
        t = doc.text[a:b]
        if paras:
            prev = paras[-1]
            p = prev[2].rstrip()
            if _continues_after(p[-1:], len(p) >= 25, t):
                prev[1], prev[2] = b, doc.text[prev[0]:b]
                continue
        paras.append([a, b, t])
    out = [Unit(a, b) for a, b, t in paras if _HAS_FIGURE.search(t)]
    for t in doc.tables:
        project, project_read = None, False
        rows = t.rows
        cells = tuple([tuple(r.cells) for r in rows])
        for i, j in _table_text_cells(cells, tuple([len(r.spans) for r in rows])):
            r = rows[i]
            if (t.table_id, r.index) in used:
                continue
            a, b = r.spans[j]
            if not project_read:  # the same table, the same answer: read it once
                project, project_read = indicators.project_of_rows(cells, t.title), True
            out.append(Unit(a, b, "table", t.table_id, r.index, project, t.title or ""))
    out.sort(key=lambda u: u.start)
    return out


@functools.lru_cache(maxsize=512)
def _table_text_cells(rows: tuple[tuple[str, ...], ...], spans: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """(row position, column) of every text cell with a figure of a table whose rows have
    these cells and these numbers of spans — read once per distinct table."""
    return tuple((i, j) for i, cells in enumerate(rows) for j in _text_cells(cells, spans[i]))


@functools.lru_cache(maxsize=8192)
def _text_cells(cells: tuple[str, ...], n: int) -> tuple[int, ...]:
    """The columns of a row's text cells with a figure (Han text and a digit), among its
    first `n` (cells past the spans are not read), a cell repeating the one before it (a
    merged cell) read once — a function of the cells alone, read once per distinct row."""
    if not _HAS_FIGURE.search("\0".join(cells)):
        return ()  # (a row without a digit has no cell with one)
    out = []
    last = None
    for j, c in enumerate(cells[:n]):
        if c == last:
            continue
        last = c
        if c.isascii() or not _HAN.search(c) or not _HAS_FIGURE.search(c):  # (ASCII: no Han)
            continue
        out.append(j)
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def _continues_after(last: str, long: bool, nxt: str) -> bool:
    """`nxt` continues a paragraph whose last character (spaces aside) is `last` and that
    is `long` (25 characters or more)."""
    if not last or not nxt:
        return False
    if _HEADING.match(nxt):
        return False  # 三、支出预算情况说明…: a new section, not the rest of the sentence
    if last in _CONT_END:
        return True
    return long and last not in _SENT_FINAL and not subjects.LIST_NO.match(nxt) \
        and bool(_TEXT_START.match(nxt))
