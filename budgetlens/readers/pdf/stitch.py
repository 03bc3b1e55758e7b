"""Cross-page stitching: the pages' lines and tables assembled into blocks — paragraphs
joined across lines, a table continued on the next page merged into one block (columns
mapped, a repeated header dropped, a row broken by the page end glued back)."""
from __future__ import annotations

import statistics
from typing import Optional

from budgetlens.gazetteers import match_table_type
from budgetlens.readers.blocks import Block

from .grid import NUMERIC, RuledTable
from .layout import Line, Page, breaks, hard_wrapped, is_heading, mode_edge
from .text import join_lines


def assemble(pages: list[Page]) -> list[Block]:
    # text column statistics per page width (portrait / landscape pages differ)
    right_edges: dict[int, float] = {}
    left_edges: dict[int, float] = {}
    by_width: dict[int, list[Line]] = {}
    for p in pages:
        for it in p.items:
            if isinstance(it, Line) and not it.split and len(it.text) >= 8:
                by_width.setdefault(round(p.width), []).append(it)
    for w, lines in by_width.items():
        right_edges[w] = mode_edge([l.x1 for l in lines], max)
        left_edges[w] = mode_edge([l.x0 for l in lines], min)
    sizes = [l.size for p in pages for l in p.items if isinstance(l, Line)]
    body_size = statistics.median(sizes) if sizes else 10.0

    blocks: list[Block] = []
    para: list[Line] = []
    open_block: Optional[Block] = None  # the last table, while nothing but page furniture followed it
    open_table: Optional[RuledTable] = None

    def flush():
        nonlocal para
        if para:
            text = join_lines([l.text for l in para])
            if text:
                blocks.append(Block(kind="para", text=text, page=para[0].page,
                                    lines=[(l.page, l.x0, l.top, l.x1, l.bottom, len(l.text.strip())) for l in para]))
        para = []

    for p in pages:
        w = round(p.width)
        R = right_edges.get(w, p.width * 0.85)
        L = left_edges.get(w, p.width * 0.1)
        own = [l for l in p.items if isinstance(l, Line) and not l.split and len(l.text) >= 8]
        if len(own) >= 3:  # a page's own margins, when it has enough full lines to tell
            r_own, l_own = mode_edge([l.x1 for l in own], max, 2), mode_edge([l.x0 for l in own], min, 2)
            R = r_own if r_own is not None else R
            L = l_own if l_own is not None else L
        for it in p.items:
            if isinstance(it, RuledTable):
                flush()
                titles, body = _lift_title_rows(it.rows)
                boxes = list(it.boxes)[len(it.rows) - len(body):]
                it.rows = body
                mapping = None
                if (
                    not titles
                    and open_block is not None
                    and open_table is not None
                    and open_table.page == p.number - 1
                ):
                    mapping = continuation_map(open_table, it)
                if mapping is not None:
                    assert open_block is not None and open_table is not None
                    rows = [spread_row(r, mapping, len(open_block.rows[0])) for r in it.rows]
                    boxes = [spread_boxes(b, r, mapping, len(open_block.rows[0])) for b, r in zip(boxes, it.rows)]
                    n_spread = len(rows)
                    rows = strip_repeated_header(open_block.rows, rows)
                    boxes = boxes[n_spread - len(rows):]
                    n_kept = len(rows)
                    join_split_row(open_block.rows, rows)
                    boxes = boxes[n_kept - len(rows):]
                    open_block.rows.extend(rows)
                    if len(open_block.cell_boxes) + len(boxes) == len(open_block.rows):
                        open_block.cell_boxes.extend(boxes)
                    open_table.page = p.number  # the chain keeps the first page's column grid
                elif it.rows:
                    for t in titles:  # a title inside the frame: a caption paragraph like any other
                        blocks.append(Block(kind="para", text=t, page=p.number))
                    open_block = Block(kind="table", rows=[list(r) for r in it.rows], page=p.number, grid=True,
                                       cell_boxes=boxes if len(boxes) == len(it.rows) else [])
                    blocks.append(open_block)
                    open_table = it
                continue
            line: Line = it
            open_block = open_table = None  # text after a table: it does not continue
            if para and breaks(para[-1], line, L, R, body_size) and not hard_wrapped(para, line):
                flush()
            para.append(line)
            if line.split:  # caption segments are paragraphs of their own
                flush()
    flush()
    return blocks


def _norm_row(row: list[str]) -> tuple[str, ...]:
    return tuple(c.replace(" ", "") for c in row)


def _lift_title_rows(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Leading rows that are one cell spanning the whole width (a title / unit line drawn
    inside the frame), returned as text and removed from the rows."""
    def full_width(r: list[str]) -> bool:
        return len(r) >= 2 and bool(r[0]) and all(c == r[0] for c in r) and not NUMERIC.match(r[0])

    if not rows or not full_width(rows[0]) or match_table_type(rows[0][0]) is None:
        return [], rows  # a spanning header group (财政拨款“三公”经费), not a title
    titles: list[str] = []
    k = 0
    while (
        k < len(rows) - 1
        and len(rows[k]) >= 2
        and rows[k][0]
        and all(c == rows[k][0] for c in rows[k])
        and not NUMERIC.match(rows[k][0])
    ):
        titles.append(rows[k][0])
        k += 1
    return titles, rows[k:]


def continuation_map(prev: RuledTable, nxt: RuledTable) -> Optional[list[tuple[int, int]]]:
    """If `nxt` (top of a page) continues `prev`, the span of `prev` columns each `nxt`
    column covers; None when it does not continue `prev`."""
    if not prev.rows or not nxt.rows:
        return None
    pb = getattr(prev, "col_x", prev.xs)
    nb = getattr(nxt, "col_x", nxt.xs)
    tol = 6.0
    if len(pb) == len(nb):
        if all(abs(a - b) <= tol for a, b in zip(pb, nb)):
            return [(j, j) for j in range(len(nb) - 1)]
        # same columns, shifted (another page margin): widths agree
        pw = [b - a for a, b in zip(pb, pb[1:])]
        nw = [b - a for a, b in zip(nb, nb[1:])]
        if all(abs(a - b) <= tol for a, b in zip(pw, nw)):
            return [(j, j) for j in range(len(nb) - 1)]
        return None
    if len(nb) < len(pb):  # fewer columns: a page whose rows merge some of prev's columns
        idx = []
        for x in nb:
            k = min(range(len(pb)), key=lambda i: abs(pb[i] - x))
            if abs(pb[k] - x) > tol:
                return None
            idx.append(k)
        if idx[0] != 0 or idx[-1] != len(pb) - 1 or any(b <= a for a, b in zip(idx, idx[1:])):
            return None
        return [(idx[j], idx[j + 1] - 1) for j in range(len(idx) - 1)]
    return None


def spread_boxes(boxes: list, row: list[str], mapping: list[tuple[int, int]], width: int) -> list:
    """The cell boxes of a continued row, spread like its texts (`spread_row`)."""
    out: list = [None] * width
    for box, text, (a, b) in zip(boxes, row, mapping):
        if not text:
            continue
        for c in ([a] if NUMERIC.match(text) else range(a, b + 1)):
            out[c] = box
    return out


def spread_row(row: list[str], mapping: list[tuple[int, int]], width: int) -> list[str]:
    out = [""] * width
    for text, (a, b) in zip(row, mapping):
        if not text:
            continue
        if NUMERIC.match(text):
            out[a] = text
        else:
            for c in range(a, b + 1):
                out[c] = text
    return out


def join_split_row(prev_rows: list[list[str]], rows: list[list[str]]) -> None:
    """A row broken by the page end: its tail (text only, no numbers, continuing text cells
    of the last row) is glued back onto the last row of the previous page."""
    if not prev_rows or not rows:
        return
    last, first = prev_rows[-1], rows[0]
    cells = [(i, t) for i, t in enumerate(first) if t]
    if not cells or len(first) != len(last):
        return
    for i, t in cells:
        if NUMERIC.match(t) or is_heading(t) or not last[i] or NUMERIC.match(last[i]):
            return
    done: dict[str, str] = {}
    for i, t in cells:
        key = last[i]
        last[i] = done.setdefault(key + "\x00" + t, key + t)
    rows.pop(0)


def strip_repeated_header(prev_rows: list[list[str]], rows: list[list[str]]) -> list[list[str]]:
    k = 0
    while k < len(rows) - 1 and k < len(prev_rows) and k < 8 and _norm_row(rows[k]) == _norm_row(prev_rows[k]):
        k += 1
    if k == len(rows) - 1 and k < len(prev_rows) and _norm_row(rows[k]) == _norm_row(prev_rows[k]):
        k += 1
    return [list(r) for r in rows[k:]]
