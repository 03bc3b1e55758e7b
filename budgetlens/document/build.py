"""Blocks from any reader → one `Document`: normalised text with offsets, the section
tree, paragraphs and sentences, typed tables and the title metadata."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Optional

import regex

from budgetlens import gazetteers
from budgetlens.gazetteers.headings import heading_style
from budgetlens.readers.blocks import Block
from budgetlens.document.model import Document, Section, Sentence
from budgetlens.readers.normalize import normalize_cell, normalize_text

from .tables import parse_number, structure_table, unit_of

HEAD = gazetteers.load("headings")
META = gazetteers.load("document_meta")
SENT_END = regex.compile(HEAD["sentence_split"])
TITLE_RE = regex.compile(META["title_pattern"])
LEADING_CODE = regex.compile(META["leading_code"])
REGION_RE = regex.compile(META["region_pattern"])
EMPTY_NOTE = regex.compile(META["empty_note_pattern"])
HAN = regex.compile(r"\p{Han}")  # compiled once: regex.search(pattern, s) re-resolves its cache per call


def content_hash(blocks: list[Block]) -> str:
    h = hashlib.sha256()
    for b in blocks:
        if b.kind == "para":
            h.update(b"P" + b.text.encode("utf-8"))
        else:
            for r in b.rows:
                h.update(b"R" + "\t".join(r).encode("utf-8"))
    return h.hexdigest()[:20]


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of `text` (offsets + base), split after 。！？； and trimmed."""
    spans = []
    pos = 0
    for m in SENT_END.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a + base, b + base))
    return out


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
) -> Document:
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
    doc.sentences.sort(key=lambda s: s.start)
    _metadata(doc, [b for b, _ in laid if b.kind == "para"])
    return doc


def _lay_out(blocks: list[Block]) -> tuple[str, list[Laid]]:
    """The normalised text of the blocks, one after the other (a table's cells joined by
    TABs, a newline after each row and paragraph), and each block with its spans."""
    parts: list[str] = []
    pos = 0

    def emit(s: str) -> tuple[int, int]:
        nonlocal pos
        start = pos
        parts.append(s)
        pos += len(s)
        return start, pos

    laid: list[Laid] = []
    for b in blocks:
        if b.kind == "para":
            t = normalize_text(b.text).strip()
            if not t:
                continue
            span = emit(t)
            emit("\n")
            laid.append((Block(kind="para", text=t, page=b.page, source=b.source), span))
        else:
            rows = [[normalize_cell(c) for c in r] for r in b.rows]
            spans = []
            for r in rows:  # the row's cells joined by TABs, a newline after it
                rs = []
                p = pos
                for c in r:
                    rs.append((p, p + len(c)))
                    p += len(c) + 1
                emit("\t".join(r))
                emit("\n")
                spans.append(rs)
            emit("\n")
            laid.append((Block(kind="table", rows=rows, page=b.page, source=b.source, grid=b.grid), spans))
    return "".join(parts), laid


def _sections(laid: list[Laid], text_len: int) -> list[Section]:
    stack: list[tuple[str, Section]] = []
    roots: list[Section] = []
    for b, span in laid:
        if b.kind != "para":
            continue
        style = heading_style(b.text)
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
    for s, t in split_sentences(b.text, a):
        doc.sentences.append(Sentence(s, t, doc.text[s:t], section, pi))
    # a note right after a table that declares it empty
    if doc.tables and EMPTY_NOTE.search(b.text) and _follows_table(laid, idx):
        tbl = doc.tables[-1]
        if tbl.empty_note is None:
            tbl.empty_note = b.text


def _add_table(doc: Document, laid: list[Laid], idx: int, b: Block, span: list, n_table: int) -> None:
    title, context_unit = _title_for(laid, idx)
    ttype = gazetteers.match_table_type(title) or "unknown"
    table = structure_table(
        b.rows, table_id=f"{doc.doc_id}:t{n_table}", title=title, table_type=ttype,
        grid=b.grid, context_unit=context_unit, page=b.page, source=b.source,
    )
    if ttype == "unknown":  # a caption row inside the table may carry the title
        for c in table.caption:
            m = gazetteers.match_table_type(c)
            if m:
                table.table_type, table.title = m, c
                break
    table.start = span[0][0][0] if span and span[0] else len(doc.text)
    # row spans and table-cell sentences
    data_offset = len(b.rows) - len(table.rows)
    section = None  # one for the whole table: section bounds are paragraph starts
    for ri, row_spans in enumerate(span):
        row_index = ri - data_offset
        if 0 <= row_index < len(table.rows):
            table.rows[row_index].spans = list(row_spans)
        row_cells = b.rows[ri]  # the text laid out at row_spans
        for ci, (a, _e) in enumerate(row_spans):
            cell = row_cells[ci]
            if not HAN.search(cell) or parse_number(cell) is not None:
                continue
            if section is None:
                section = doc.section_at(a)
            for s, t in split_sentences(cell, a):
                doc.sentences.append(Sentence(s, t, doc.text[s:t], section, -1,
                                              table_id=table.table_id, row=row_index, col=ci))
    doc.tables.append(table)


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
        unit = unit or unit_of(t)
        if unit_of(t) and len(t) < 30:
            continue
        if EMPTY_NOTE.search(t) or t.startswith("注"):
            continue
        if gazetteers.match_table_type(t) or t.rstrip().endswith(("表", "情况", "预算", "决算")):
            return t, unit
        if not fallback and len(t) <= 40:
            fallback = t
    return fallback, unit


def _metadata(doc: Document, paras: list[Block]) -> None:
    candidates = [b.text for b in paras[:300]]
    best = None
    for t in candidates:
        t2 = t
        for p in META["strip_prefixes"]:
            t2 = t2.replace(p, " ")
        m = TITLE_RE.search(t2)
        if not m:
            continue
        dept = LEADING_CODE.sub("", m.group("dept")).strip()
        if any(w in dept for w in META["not_department"]) or len(dept) < 3:
            continue
        score = ("公开" in t) + ("说明" in t) + (m.start() < 6)
        if best is None or score > best[0]:
            best = (score, t, m, dept)
        if score >= 3:
            break
    if best is None:
        _metadata_from_filename(doc)
        return
    _score, line, m, dept = best
    doc.title = line
    _apply_title(doc, m, dept)
    if not doc.region:
        _complete_region(doc)


def _complete_region(doc: Document) -> None:
    """A body that calls itself 省委办公厅 in its title is named in full elsewhere in the
    document (江苏省委办公厅) or in the file name."""
    dept = doc.department or ""
    for m in regex.finditer(r"(\p{Han}{2,3})" + regex.escape(dept), doc.text[:200000]):
        if any(ch in META["not_region_chars"] for ch in m.group(1)):
            continue
        r = REGION_RE.match(m.group(0))
        if r and r.group("region") and len(r.group("region")) > 1:
            doc.region = r.group("region")
            return
    probe = Document(doc_id="", source=doc.source, format=doc.format)
    _metadata_from_filename(probe)
    if probe.region and probe.department and probe.department.endswith(dept[1:] if len(dept) > 3 else dept):
        doc.region = probe.region
    elif probe.region and dept[:1] in "省市" and probe.region.endswith(dept[:1]):
        doc.region = probe.region


def _metadata_from_filename(doc: Document) -> None:
    name = Path(doc.source).stem
    m = TITLE_RE.search(regex.sub(r"^[A-Za-z0-9_]+_", "", name))
    if not m:
        return
    _apply_title(doc, m, LEADING_CODE.sub("", m.group("dept")).strip())


def _apply_title(doc: Document, m, dept: str) -> None:
    """Department, year, kind, scope and region from a title match."""
    doc.department = dept
    doc.year = int(m.group("year"))
    doc.doc_kind = META["kind_words"].get(m.group("kind"))
    doc.scope = META["scope_words"].get(m.group("scope") or "部门", "department")
    r = REGION_RE.match(dept)
    doc.region = (r.group("region") or None) if r else None
