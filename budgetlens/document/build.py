"""Blocks from any reader → one `Document`: normalised text with offsets, the section
tree, paragraphs and sentences, typed tables and the title metadata."""
from __future__ import annotations

import functools
import hashlib
from itertools import compress
from operator import attrgetter, itemgetter, not_
from typing import Any, Optional

import regex

from budgetlens import gazetteers
from budgetlens.document.model import Document, Section, Sentence
from budgetlens.gazetteers.headings import heading_style
from budgetlens.readers.blocks import Block
from budgetlens.readers.normalize import normalize_cell, normalize_text

from .metadata import apply_metadata, choose_template
from .numbers import cell_value
from .table_types import _match_type as match_type
from .table_types import assign_type
from .tables import resolve_roles, structure_table, unit_of

HEAD = gazetteers.load("headings")
META = gazetteers.load("document_meta")
SENT_END = regex.compile(HEAD["sentence_split"])
EMPTY_NOTE = regex.compile(META["empty_note_pattern"])
HAN = regex.compile(r"\p{Han}")  # compiled once: regex.search(pattern, s) re-resolves its cache per call
CAPTION_LINE = regex.compile(META["caption_cell_pattern"])
TRAILING_PAREN = regex.compile(r"[（(][^（）()]*[）)]$")


_START = attrgetter("start")
_heading_style = functools.lru_cache(maxsize=20_000)(heading_style)  # headings recur
_OFFSET = itemgetter(0)


def content_hash(blocks: list[Block]) -> str:
    parts = []  # hashed in one piece: the same digest as updating part by part
    for b in blocks:
        if b.kind == "para":
            parts.append("P" + b.text)
        else:
            parts.extend(["R" + "\t".join(r) for r in b.rows])
    return hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()[:20]


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of `text` (offsets + base), split after 。！？； and trimmed."""
    spans = _spans_of(text)
    if base:
        return [(a + base, b + base) for a, b in spans]
    return list(spans)


def _spans_of(text: str) -> tuple:
    """The trimmed sentence spans of `text` from offset 0; memoised for short texts (cells,
    headings and notes recur from document to document, long paragraphs do not)."""
    return _sentence_spans(text) if len(text) <= 200 else _split_spans(text)


def _split_spans(text: str) -> tuple:
    out = []
    pos = 0
    ends = [m.end() for m in SENT_END.finditer(text)]
    if (ends[-1] if ends else 0) < len(text):
        ends.append(len(text))
    for e in ends:
        seg = text[pos:e]
        core = seg.lstrip()  # str.strip trims exactly what str.isspace calls whitespace
        if core:
            a = pos + len(seg) - len(core)
            out.append((a, a + len(core.rstrip())))
        pos = e
    return tuple(out)


_sentence_spans = functools.lru_cache(maxsize=20_000)(_split_spans)


# a laid-out block and where its text sits in Document.text: (start, end) for a paragraph,
# one list of cell spans per row for a table
Laid = tuple[Block, Any]


def build_document(
    blocks: list[Block],
    source: str,
    fmt: str,
    *,
    doc_id: Optional[str] = None,
    sources: Optional[list[str]] = None,
    name: Optional[str] = None,
) -> Document:
    """`name`: the document's name as published, a hint for its metadata when the text does
    not say (the file name for `budgetlens run`; the portal's link text for `process`, whose
    files are content-addressed blobs)."""
    doc = Document(doc_id=doc_id or content_hash(blocks), source=source, format=fmt,
                   sources=sources or [source])
    doc.text, laid = _lay_out(blocks)  # 1. normalise and lay out the text
    doc.sections = _sections(laid, len(doc.text))  # 2. sections from headings (paragraphs only)
    # 3. paragraphs, sentences and tables
    n_table = 0
    for idx, (b, span) in enumerate(laid):
        if b.kind == "para":
            _add_paragraph(doc, laid, idx, b, span)
        else:
            n_table += 1
            _add_table(doc, laid, idx, b, span, n_table)
    doc.sentences.sort(key=_START)
    doc.page_marks.sort(key=_OFFSET)
    apply_metadata(doc, [b for b, _ in laid if b.kind == "para"], name)
    for k, t in enumerate(doc.tables):  # types from evidence, then roles with the document's year and kind
        assign_type(t, doc.tables[k - 1] if k else None)
        resolve_roles(t, doc.year, doc.doc_kind)
    doc.template = choose_template(doc)  # after typing: a template may ask for table types
    return doc


def _lay_out(blocks: list[Block]) -> tuple[str, list[Laid]]:
    """The normalised text of the blocks, one after the other (a table's cells joined by
    TABs, a newline after each row and paragraph), and each block with its spans."""
    parts: list[str] = []
    pos = 0
    laid: list[Laid] = []
    for b in blocks:
        if b.kind == "para":
            t = normalize_text(b.text).strip()
            if not t:
                continue
            parts.append(t)
            parts.append("\n")
            if t is not b.text:  # (normalised text is the reader's own string when nothing changed)
                b = Block(kind="para", text=t, page=b.page, source=b.source, lines=b.lines)
            laid.append((b, (pos, pos + len(t))))
            pos += len(t) + 1
        else:
            rows = [list(map(normalize_cell, r)) for r in b.rows]
            spans = []
            for r in rows:  # the row's cells joined by TABs, a newline after it
                rs = []
                p = pos
                for c in r:
                    e = p + len(c)
                    rs.append((p, e))
                    p = e + 1
                line = "\t".join(r)
                parts.append(line)
                parts.append("\n")
                pos += len(line) + 1
                spans.append(rs)
            parts.append("\n")
            pos += 1
            laid.append((Block(kind="table", rows=rows, page=b.page, source=b.source, grid=b.grid,
                               cell_boxes=b.cell_boxes if len(b.cell_boxes) == len(rows) else []), spans))
    return "".join(parts), laid


def _sections(laid: list[Laid], text_len: int) -> list[Section]:
    stack: list[tuple[str, Section]] = []
    roots: list[Section] = []
    for b, span in laid:
        if b.kind != "para":
            continue
        style = _heading_style(b.text)
        if not style:
            continue
        start = span[0]
        while stack and any(st == style for st, _ in stack):
            st, sec = stack.pop()
            sec.end = start
            if st == style:
                break
        path = " > ".join([s.heading for _, s in stack] + [b.text])
        sec = Section(level=len(stack) + 1, heading=b.text, start=start, end=text_len, path=path)
        (stack[-1][1].children if stack else roots).append(sec)
        stack.append((style, sec))
    return roots


def _add_paragraph(doc: Document, laid: list[Laid], idx: int, b: Block, span: tuple[int, int]) -> None:
    a, _ = span
    doc.paragraphs.append(span)
    pi = len(doc.paragraphs) - 1
    section = doc.section_at(a)
    offs = _line_offsets(b.lines, len(b.text))  # where the PDF printed each line (page, box)
    _mark(doc, a, b.page if not offs else offs[0][2][0], b.source)
    for ls, _le, ln in offs[1:]:
        _mark(doc, a + ls, ln[0], b.source)
    for ls, le, ln in offs:
        doc.line_boxes.append((a + ls, a + le, ln[0], b.source, tuple(ln[1:5])))
    text, page0, source = b.text, b.page, b.source  # the text is laid out at a
    for s, t in _spans_of(text):
        page, bbox = _locate(offs, s, t) if offs else (None, None)
        # (fields in order: start end text section paragraph table_id row col page file bbox)
        doc.sentences.append(Sentence(a + s, a + t, text[s:t], section, pi, None, None, None, page or page0,
                                      source, bbox))
    # a note right after a table that declares it empty (the anchored pattern fails at once
    # on other paragraphs: tested before the walk back to the table)
    if doc.tables and EMPTY_NOTE.search(b.text) and _follows_table(laid, idx):
        tbl = doc.tables[-1]
        if tbl.empty_note is None:
            tbl.empty_note = b.text


def _add_table(doc: Document, laid: list[Laid], idx: int, b: Block, span: list, n_table: int) -> None:
    title, context_unit = _title_for(laid, idx)
    ttype = match_type(title) or "unknown"
    table = structure_table(
        b.rows, table_id=f"{doc.doc_id}:t{n_table}", title=title, table_type=ttype,
        grid=b.grid, context_unit=context_unit, page=b.page, source=b.source, roles=False,
        stripped=True,  # normalize_cell strips
    )  # (the roles once the document's year and kind are known)
    if ttype == "unknown":  # a caption row inside the table may carry the title
        for c in table.caption:
            m = match_type(c)
            if m:
                table.table_type, table.title = m, c
                break
    table.start = span[0][0][0] if span and span[0] else len(doc.text)
    # row spans and table-cell sentences
    data_offset = len(b.rows) - len(table.rows)
    section = None  # one for the whole table: section bounds are paragraph starts
    rows = table.rows
    n_rows = len(rows)
    source = b.source
    table_id = table.table_id
    boxed = bool(b.cell_boxes)
    row_page = b.page
    if not boxed:  # one page for every row: only the first row with cells may mark it
        first = next((rs for rs in span if rs), None)
        if first:
            _mark(doc, first[0][0], row_page, source)
    for ri, row_spans in enumerate(span):
        row_index = ri - data_offset
        if boxed:
            row_page, row_boxes = _row_location(b, ri)
            if row_spans:
                _mark(doc, row_spans[0][0], row_page, source)
        if 0 <= row_index < n_rows:
            r = rows[row_index]
            r.spans = row_spans  # the list _lay_out made for this row (laid is discarded)
            r.page, r.file, r.boxes = row_page, source, (row_boxes if boxed else [])
        cells = b.rows[ri]  # the text laid out at row_spans
        for ci in compress(range(len(cells)), map(not_, map(str.isascii, cells))):  # ASCII: no Han character
            cell = cells[ci]
            cell_spans = _cell_sentence_spans(cell)
            if not cell_spans:
                continue
            a = row_spans[ci][0]
            if section is None:
                section = doc.section_at(a)
            bbox = (row_boxes[ci] if ci < len(row_boxes) else None) if boxed else None
            for s, t in cell_spans:  # (fields in order: start end text section paragraph
                # table_id row col page file bbox)
                doc.sentences.append(Sentence(a + s, a + t, cell[s:t], section, -1, table_id, row_index, ci,
                                              row_page, source, bbox))
    doc.tables.append(table)


@functools.lru_cache(maxsize=100_000)
def _cell_sentence_spans(cell: str) -> tuple:
    """The sentence spans of a text cell (one with Han characters that is no figure)."""
    if not HAN.search(cell) or cell_value(cell) is not None:
        return ()
    return _split_spans(cell)


def _mark(doc: Document, offset: int, page: Optional[int], source: Optional[str]) -> None:
    """Record where the page (or the file) changes in the text."""
    marks = doc.page_marks
    if page is None and source is None:
        return
    if marks and marks[-1][1] == page and marks[-1][2] == source:
        return
    marks.append((offset, page, source))


def _line_offsets(lines: list, length: int) -> list:
    """(start, end, line) of each PDF line within its paragraph's text, from the lines'
    character counts scaled to the normalised text's length."""
    if not lines:
        return []
    total = sum(ln[5] for ln in lines)
    if total <= 0:
        return []
    k = length / total
    out, pos = [], 0.0
    for ln in lines:
        end = pos + ln[5] * k
        out.append((int(pos), int(end), ln))
        pos = end
    return out


def _locate(offs: list, a: int, b: int) -> tuple[Optional[int], Optional[tuple]]:
    """Page and box (union of its lines on its first page) of the span [a, b) of a paragraph."""
    hit = [ln for ls, le, ln in offs if ls < b and le > a] or [ln for ls, le, ln in offs if ls <= a][-1:]
    if not hit:
        return None, None
    page = hit[0][0]
    on = [ln for ln in hit if ln[0] == page]
    return page, (min(ln[1] for ln in on), min(ln[2] for ln in on), max(ln[3] for ln in on), max(ln[4] for ln in on))


def _row_location(b: Block, ri: int) -> tuple[Optional[int], list]:
    """Page of a table block's row `ri` and its cells' boxes on that page."""
    if not b.cell_boxes or ri >= len(b.cell_boxes):
        return b.page, []
    boxes = b.cell_boxes[ri]
    page = next((x[0] for x in boxes if x), b.page)
    return page, [tuple(x[1:]) if x and x[0] == page else None for x in boxes]


def _follows_table(laid, idx: int) -> bool:
    """The paragraph at idx comes right after a table (notes may follow a caption)."""
    for k in range(idx - 1, max(-1, idx - 4), -1):
        if laid[k][0].kind == "table":
            return True
    return False


def _title_for(laid, idx: int) -> tuple[str, Optional[str]]:
    """The caption right before a table: the nearest preceding paragraph that names a
    table type or ends with 表, else the nearest short paragraph; plus a unit line."""
    unit = None
    fallback = ""
    for k in range(idx - 1, max(-1, idx - 6), -1):
        b = laid[k][0]
        if b.kind == "table":
            break
        t = b.text
        own_unit = unit_of(t)
        unit = unit or own_unit
        if own_unit and len(t) < 30:
            continue
        if EMPTY_NOTE.search(t) or t.startswith("注"):
            continue
        core = TRAILING_PAREN.sub("", t.rstrip())  # 一般公共预算支出情况表（按功能分类科目）
        if match_type(t) or core.endswith(("表", "情况", "预算", "决算")):
            return t, unit
        if CAPTION_LINE.search(t):
            continue  # a caption line (单位名称：…) is not the title
        if not fallback and len(t) <= 40:
            fallback = t
    return fallback, unit
