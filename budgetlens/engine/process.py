"""One disclosure (one file, or a narrative + tables pair) → rows for every output table.

Failures are contained here: a document that cannot be read or crashes an extractor
becomes a `documents` row with status "error" and a reason; nothing escapes."""
from __future__ import annotations

import builtins
import dataclasses
import hashlib
import json
import os
import re
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from budgetlens.document.build import build_document
from budgetlens.document.model import Document
from budgetlens.document.numbers import cell_value, wan_factor
from budgetlens.document.tables import is_code, numeric_cells, row_label_for
from budgetlens.extractors.facts import FACT_COLUMNS, Fact
from budgetlens.extractors.narrative import extract_facts
from budgetlens.limits import current
from budgetlens.readers import ReadError, read_blocks_once
from budgetlens.reconcile import check_document
from budgetlens.reconcile.evidence import cell as cite
from budgetlens.reconcile.evidence import clean_ws, table_name
from budgetlens.reconcile.flags import FLAG_COLUMNS
from budgetlens.reconcile.verdict import counts as verdict_counts
from budgetlens.reconcile.verdict import verdicts

if TYPE_CHECKING:
    import pandas as pd

DOC_COLUMNS = ["doc_id", "source", "format", "department", "region", "year", "doc_kind", "scope",
               "status", "error", "title", "sources", "template", "pages", "n_tables", "n_sentences",
               "read_seconds", "process_seconds", "province", "metadata_conflicts",
               # verdict counts (issue 13): narrative money figures, and how many a table cell
               # verifies, a flag contradicts, or nothing could check
               "figures", "verified", "contradicted", "unverifiable"]
# verdict columns on facts (issue 13; reconcile/verdict.py)
VERDICT_COLUMNS = ["verdict", "checked_against", "checked_page"]
CELL_COLUMNS = ["source", "doc_id", "table_id", "table_type", "title", "row", "column", "row_code",
                "row_label", "column_label", "value", "unit", "value_wan", "raw", "start", "end",
                "page", "file", "bbox"]
# where each row was printed (issue 14): 1-based page of `file` (the file of a two-file
# publication it came from) and, for PDFs, the box to draw: [x0, top, x1, bottom] in points
LOCATION_COLUMNS = ["page", "file", "bbox"]
FLAG_LOCATION_COLUMNS = ["page", "file", "bbox", "evidence_pages", "evidence_files", "evidence_bboxes"]


@dataclass
class DocResult:
    document: dict
    facts: list[dict] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    doc: Optional[Document] = None  # kept only when asked (notebooks, tests)


def _error_id(paths: list[Path]) -> str:
    """An error row's id: per input path, so two files that fail the same way (two empty
    files, say) are two rows, each with its reason."""
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return "err-" + h.hexdigest()[:16]


# Reasons about the machine, not the document, that may not recur on another try: such
# error rows are recomputed on re-run.  Every OS-level error (disk, permissions, a file
# that vanished, a network share) and memory, whichever step raised it; a result that
# could not be stored (written by older versions: storage failures now stop the run; a
# value the store refuses is "results refused by the store", not retried);
# an orchestrator task that failed outright (a lost worker).
_RESOURCE_ERRORS = tuple(sorted(
    {n for n, c in vars(builtins).items()
     if isinstance(c, type) and issubclass(c, (OSError, MemoryError))}, key=len, reverse=True))
TRANSIENT_REASONS = ("cannot read file", "out of memory", "results could not be stored", "processing task failed",
                     *(f"{step} failed: {name}" for step in ("reader", "extraction") for name in _RESOURCE_ERRORS))


def is_transient(error: Optional[str]) -> bool:
    return isinstance(error, str) and error.startswith(TRANSIENT_REASONS)


def read_group(paths: list[Path], name: Optional[str] = None) -> Document:
    """Read one or more files as one document (blocks concatenated in the given order).
    `name`: the document's published name when the files are not named after it."""
    t0 = time.perf_counter()
    blocks = []
    fmt = None
    for p in paths:
        f, bs = read_blocks_once(p)  # pairing may have read it already (readers.reading_ahead)
        fmt = fmt or f
        for b in bs:
            b.source = str(p)
        blocks.extend(bs)
    if not blocks:
        raise ReadError("no text found in the document")
    doc = build_document(blocks, str(paths[0]), fmt, sources=[str(p) for p in paths], name=name)
    doc.read_seconds = time.perf_counter() - t0
    last_page: dict = {}
    for b in blocks:
        if b.page:
            last_page[b.source] = max(b.page, last_page.get(b.source, 0))
    doc.pages = sum(last_page.values()) or None  # paged formats only (PDF); a pair counts both files
    if doc.format == "pdf" and not doc.text.strip():
        raise ReadError("no text layer; OCR is not supported")
    return doc


def cell_rows(doc: Document, files: Optional[dict] = None) -> list[dict]:
    """A row per numeric table cell.  Each row is a copy of its table row's template (the
    columns shared by the row's cells) with the cell's own columns set: copying a dict is
    cheaper than building one of 19 keys.  `files`: `file` as written → as stored."""
    rows: list[dict] = []
    append = rows.append
    doc_base = dict.fromkeys(CELL_COLUMNS)
    doc_base["source"], doc_base["doc_id"] = doc.source, doc.doc_id
    for t in doc.tables:
        columns = t.columns
        n_cols = len(columns)
        k = wan_factor(t.unit)  # to_wan's factor, the same for every cell of the table
        table_base = doc_base.copy()
        table_base.update(table_id=t.table_id, table_type=t.table_type, title=t.title, unit=t.unit or None)
        last = None
        for r, j, v in numeric_cells(t):
            if r is not last:  # a row's cells come one after the other
                last = r
                row_labels = _row_labels(t, r)
                n_labels, spans, boxes, cells = len(row_labels), r.spans, r.boxes, r.cells
                n_spans, n_boxes = len(spans), len(boxes)
                row_base = table_base.copy()
                row_base.update(row=r.index, row_code=r.code, page=r.page,
                                file=files.get(r.file, r.file) if files is not None else r.file)
            c = row_base.copy()
            c["column"] = j
            c["row_label"] = row_labels[j] if j < n_labels else row_label_for(t, r, j)
            c["column_label"] = columns[j] if j < n_cols else ""
            c["value"] = v
            if k is not None:
                c["value_wan"] = round(v * k, 10)
            c["raw"] = cells[j]
            if j < n_spans:
                c["start"], c["end"] = spans[j]
            if j < n_boxes and boxes[j]:
                c["bbox"] = _box(boxes[j])
            append(c)
    return rows


def _box(b) -> Optional[list]:
    return [round(float(v), 2) for v in b] if b else None


def _cell_location(doc: Document, key: str) -> tuple:
    """(page, file, bbox) of a cited cell `table_id:row:col`."""
    t, r, j = _cell_of(doc, key)
    if t is None:
        return None, None, None
    return r.page, r.file, _box(r.boxes[j] if 0 <= j < len(r.boxes) else None)


def _locate_cell_text(doc: Document, ev: str) -> tuple:
    """An evidence line written by `evidence.cell` (`表名 / 行 / 列 = 值`), or naming a
    table, found in the document's tables: (page, file, bbox)."""
    for t, name in _table_names(doc):
        if not name or not ev.startswith(name):
            continue
        if " = " in ev:
            for r in t.rows:
                for j in range(len(r.cells)):
                    if r.cells[j] and ev.endswith(r.cells[j].strip()) and cite(t, r, j) == ev:
                        return r.page, r.file, _box(r.boxes[j] if j < len(r.boxes) else None)
            # a rule that names the row by another cell of it (an indicator's name): the
            # row holding that text and the value
            left, _, value = ev.rpartition(" = ")
            parts = left.split(" / ")
            row_text = parts[-2] if len(parts) >= 3 else ""
            for r in t.rows:
                cells = [clean_ws(c) for c in r.cells]
                if not row_text or clean_ws(row_text) not in cells:
                    continue
                span = _cells_spelling(cells, clean_ws(value))  # a value may be split over cells (≥ | 90 | %)
                if span is not None:
                    boxes = [b for b in r.boxes[span[0]:span[1]] if b]
                    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                           max(b[3] for b in boxes)) if boxes else None
                    return r.page, r.file, _box(box)
        else:
            first = t.rows[0] if t.rows else None
            return (first.page if first and first.page else t.page), (first.file if first else t.source), None
    return None, None, None


def _fact_row_template() -> dict:
    """A fact row before its fact is copied in: every column, in order, holding the field's
    default (what `Fact.as_row` reads of a fact whose instance lacks the field)."""
    row = dict.fromkeys(FACT_COLUMNS + LOCATION_COLUMNS)
    for fl in dataclasses.fields(Fact):
        if fl.name in row and fl.default is not dataclasses.MISSING:
            row[fl.name] = fl.default
    return row


_FACT_ROW = _fact_row_template()


def fact_rows(doc: Document, facts: list, files: dict) -> list[dict]:
    """`Fact.as_row()` with `locate_fact`'s page, file and bbox, for every fact, in one pass
    (the place of a figure is worked out once per offset; `files`: `file` as written → as
    stored)."""
    out = []
    template, n = _FACT_ROW, len(_FACT_ROW)
    placed: dict = {}
    for f in facts:
        # `as_row` by copying: the template's columns in order, the fact's fields over them;
        # what else the fact carries (a mark such as `_pending`) came last, and is dropped
        row = template.copy()
        row.update(f.__dict__)
        if len(row) != n:
            for k in list(row)[n:]:
                del row[k]
        start = f.start
        page = file = bbox = None
        if start is not None:
            loc = placed.get(start)
            if loc is None:
                loc = placed[start] = _figure_location(doc, start)
            page, file, bbox = loc
            if bbox is not None:
                bbox = list(bbox)  # a row's own list, as locate_fact gives
        if page is None and f.table_id is not None and f.row is not None:
            page, file = _row_place(doc, f.table_id, f.row)
        row["page"], row["file"], row["bbox"] = page, files.get(file, file), bbox
        out.append(row)
    return out


def _row_place(doc: Document, table_id, row) -> tuple:
    """(page, file) of row `row` of table `table_id` (what `_cell_location` gives the key
    `table_id:row:0`)."""
    t = _tables_by_id(doc).get(table_id) if isinstance(table_id, str) else None
    if t is None or type(row) is not int or not 0 <= row < len(t.rows):
        return None, None
    r = t.rows[row]
    return r.page, r.file


def locate_fact(doc: Document, row: dict) -> None:
    """Add page, file and bbox to a fact row (its sentence's, or its table row's)."""
    page = file = bbox = None
    if row.get("start") is not None:
        page, file, bbox = _figure_location(doc, row["start"])
    if page is None and row.get("table_id") is not None and row.get("row") is not None:
        page, file, _ = _cell_location(doc, f"{row['table_id']}:{row['row']}:0")
    row.update(page=page, file=file, bbox=bbox)


def locate_flag(doc: Document, row: dict) -> None:
    """Add where a flag's evidence is printed: `page`/`file`/`bbox` of its quoted sentence
    (else of its first located evidence line), and `evidence_pages`/`evidence_files`/
    `evidence_bboxes` (JSON), one per line of `evidence`."""
    by_text = {}
    for k in row.get("cells") or []:
        loc = _cell_location(doc, k)
        t, r, j = _cell_of(doc, k)
        if t is not None:
            by_text.setdefault(cite(t, r, j), loc)
    page = file = bbox = None
    if row.get("start") is not None:
        page, file, bbox = _figure_location(doc, row["start"])
        s = doc.sentence_at(row["start"])
        if s is not None and page is not None:
            by_text.setdefault(s.text.strip(), (page, file, bbox))
    locs = []
    for ev in row.get("evidence") or []:
        ev = str(ev)
        loc = by_text.get(ev)
        if loc is None:
            loc = _locate_cell_text(doc, ev)
            loc = loc if loc[0] is not None else None
        if loc is None:
            x = _sentences_by_text(doc).get(ev)
            loc = (x.page, x.file, _box(x.bbox)) if x is not None and x.page is not None else None
        if loc is None and "：" in ev:  # "文中识别到的表：A、B…" / "文中标题：A；B…": where the first is
            for item in re.split("[、；]", ev.split("：", 1)[1])[:5]:
                loc = _locate_cell_text(doc, item.strip()) if item.strip() else (None, None, None)
                if loc[0] is not None:
                    break
                sentences = _sentences_by_text(doc)
                x = sentences.get(item.strip())
                if x is not None and x.page is not None:
                    loc = (x.page, x.file, _box(x.bbox))
                    break
            loc = loc if loc is not None and loc[0] is not None else None
        locs.append(loc or (None, None, None))
    if page is None:
        first = next((l for l in locs if l[0] is not None), None)
        if first is not None:
            page, file, bbox = first
    if file is None and len(doc.sources) == 1:
        file = doc.sources[0]
    row.update(page=page, file=file, bbox=bbox, evidence_pages=[l[0] for l in locs],
               evidence_files=[l[1] for l in locs], evidence_bboxes=json.dumps([l[2] for l in locs]))


def _figure_location(doc: Document, offset: int) -> tuple:
    """(page, file, bbox) of the figure at `offset`: the page it is printed on, and the box of
    its sentence's lines on that page (a sentence may run over a page break)."""
    s = doc.sentence_at(offset)
    if s is not None and s.table_id is not None:  # text inside a table cell
        return s.page, s.file, _box(s.bbox)
    page, file = doc.location_at(offset)
    if page is None and s is not None:
        return s.page, s.file, _box(s.bbox)
    if s is None:
        return page, file, _box(doc.span_box(offset, offset + 1, page))
    return page, file or s.file, _box(doc.span_box(s.start, s.end, page))


def _cells_spelling(cells: list[str], value: str) -> Optional[tuple[int, int]]:
    """[j, k) such that cells j..k-1 written one after the other are `value`."""
    for j in range(len(cells)):
        text = ""
        for k in range(j, min(len(cells), j + 4)):
            text += cells[k]
            if text == value:
                return j, k + 1
            if not value.startswith(text):
                break
    return None


def _sentences_by_text(doc: Document) -> dict:
    """stripped text → the first sentence so written (built from the last one back: the
    first one written last wins)."""
    index = doc.__dict__.get("_sentences_by_text")
    if index is None:
        index = doc.__dict__["_sentences_by_text"] = {x.text.strip(): x for x in reversed(doc.sentences)}
    return index


def _table_names(doc: Document) -> list:
    """(table, `table_name`) of every table, once per document."""
    names = doc.__dict__.get("_table_names")
    if names is None:
        names = doc.__dict__["_table_names"] = [(t, table_name(t)) for t in doc.tables]
    return names


def _tables_by_id(doc: Document) -> dict:
    index = doc.__dict__.get("_tables_by_id")
    if index is None:
        index = doc.__dict__["_tables_by_id"] = {t.table_id: t for t in doc.tables}
    return index


def _cell_of(doc: Document, key: str) -> tuple:
    index = _tables_by_id(doc)
    tid, _, col = key.rpartition(":")
    tid, _, row = tid.rpartition(":")
    t = index.get(tid)
    try:
        r, j = int(row), int(col)
    except ValueError:
        return None, None, None
    if t is None or not 0 <= r < len(t.rows):
        return None, None, None
    return t, t.rows[r], j


def _row_labels(t, r) -> list:
    """`row_label_for(t, r, j)` for every j of the row in one pass (calling it per cell
    is quadratic in the row length: a 20,000-cell row took minutes)."""
    out = []
    last = None
    for c in r.cells:
        out.append(last if last is not None else r.label)
        if c and cell_value(c) is None and not is_code(c):
            last = c
    return out


def document_row(doc: Document, status="ok", error=None, seconds=None) -> dict:
    return {
        "doc_id": doc.doc_id, "source": doc.source, "format": doc.format,
        "department": doc.department, "region": doc.region, "year": doc.year,
        "doc_kind": doc.doc_kind, "scope": doc.scope, "status": status, "error": error,
        "title": doc.title, "sources": list(doc.sources), "template": doc.template,
        "pages": doc.pages, "n_tables": len(doc.tables), "n_sentences": len(doc.sentences),
        "read_seconds": doc.read_seconds, "process_seconds": seconds,
        "province": doc.province,
        "metadata_conflicts": "; ".join(doc.metadata_conflicts) or None,
        **doc.__dict__.get("verdict_counts", {}),
    }


def _abs_file(f):
    """`file` columns name the file absolutely (a review app or report may run elsewhere)."""
    if not f or "://" in f:
        return f
    return os.path.abspath(f)


def extract_and_check(doc: Document) -> tuple[list[dict], list[dict], list[dict]]:
    """Facts (with their verdicts), cells and flags of one document; the verdict counts are
    left on the document for its documents row."""
    files = {f: _abs_file(f) for f in doc.sources}
    cells = cell_rows(doc, files)
    fact_objs = extract_facts(doc)
    for f in fact_objs:
        f.source, f.doc_id = doc.source, doc.doc_id
    facts = fact_rows(doc, fact_objs, files)
    flags = []
    found = check_document(doc, fact_objs)
    for fl in found:
        fl.source, fl.doc_id = doc.source, doc.doc_id
        row = fl.as_row()
        locate_flag(doc, row)
        row["file"] = files.get(row["file"], row["file"])
        row["evidence_files"] = [files.get(f, f) for f in row["evidence_files"]]
        flags.append(row)
    _add_verdicts(doc, fact_objs, facts, found)
    return facts, cells, flags


def _add_verdicts(doc: Document, fact_objs: list, rows: list[dict], flags: list) -> None:
    """`verdict`, `checked_against`, `checked_page` on every fact row (null for facts that
    are no narrative money figure) and the counts for the documents row."""
    vs = verdicts(doc, fact_objs, flags)
    for f, row in zip(fact_objs, rows):
        v = vs.get(id(f))
        row["verdict"] = v.verdict if v else None
        row["checked_against"] = v.checked_against if v else None
        row["checked_page"] = v.page if v else None
    doc.__dict__["verdict_counts"] = verdict_counts(vs.values())


class DocumentTimeout(BaseException):
    """Raised by the per-document alarm.  A BaseException, so that the `except Exception`
    of a reader or an extractor cannot swallow it."""


@contextmanager
def _deadline(seconds: float):
    """An alarm after `seconds` (main thread of a Unix process only: worker threads of an
    orchestrator run without it)."""
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def fire(signum, frame):
        raise DocumentTimeout()

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def process_group(paths: list[Path], keep_doc: bool = False, name: Optional[str] = None) -> DocResult:
    """Never raises: a document that cannot be read, crashes a step, runs out of memory or
    takes longer than the `max_seconds_per_document` limit becomes an error row."""
    paths = [Path(p) for p in paths]
    seconds = current().max_seconds_per_document
    try:
        with _deadline(seconds):
            return _process_group(paths, keep_doc, name)
    except DocumentTimeout:
        return DocResult(_error_row(paths, "error", f"took longer than the {seconds:g} s limit per document "
                                                    f"(raise with --max-seconds-per-document)"))


def _process_group(paths: list[Path], keep_doc: bool, name: Optional[str] = None) -> DocResult:
    t0 = time.perf_counter()
    try:
        doc = read_group(paths, name)
    except ReadError as exc:
        return DocResult(_error_row(paths, "error", str(exc)))
    except MemoryError:
        return DocResult(_error_row(paths, "error", "out of memory while reading"))
    except RecursionError:
        return DocResult(_error_row(paths, "error", "reader failed: structure nested too deeply"))
    except Exception as exc:  # a reader bug must not stop the run
        return DocResult(_error_row(paths, "error", f"reader failed: {_describe(exc)}"))
    try:
        facts, cells, flags = extract_and_check(doc)
    except MemoryError:
        return DocResult(document_row(doc, "error", "out of memory while extracting", time.perf_counter() - t0))
    except Exception as exc:
        row = document_row(doc, "error", f"extraction failed: {_describe(exc)}", time.perf_counter() - t0)
        return DocResult(row, doc=doc if keep_doc else None)
    row = document_row(doc, "ok", None, time.perf_counter() - t0)
    return DocResult(row, facts, cells, flags, doc if keep_doc else None)


def _describe(exc: BaseException) -> str:
    """`Type: message (file:line)`, the message cut to a readable length."""
    msg = str(exc)
    if len(msg) > 300:
        msg = msg[:300] + "…"
    where = ""
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})"
    return f"{type(exc).__name__}: {msg}{where}"


def _error_row(paths: list[Path], status: str, error: str) -> dict:
    fmt = paths[0].suffix.lower().lstrip(".") or "unknown"
    return {
        "doc_id": _error_id(paths), "source": str(paths[0]), "format": fmt, "department": None,
        "region": None, "year": None, "doc_kind": None, "scope": None, "status": status,
        "error": error, "title": None, "sources": [str(p) for p in paths], "template": None,
        "pages": None, "n_tables": 0, "n_sentences": 0, "read_seconds": None, "process_seconds": None,
    }


def process_paths(groups: Iterable[list[Path]], keep_doc: bool = False) -> list[DocResult]:
    return [process_group(g, keep_doc=keep_doc) for g in groups]


def frames(results: list[DocResult]) -> dict[str, pd.DataFrame]:
    """The rows of `results` per output table, as DataFrames (notebooks, benchmarks)."""
    import pandas as pd

    docs = pd.DataFrame([r.document for r in results], columns=DOC_COLUMNS)
    facts = pd.DataFrame([f for r in results for f in r.facts], columns=FACT_COLUMNS + LOCATION_COLUMNS + VERDICT_COLUMNS)
    cells = pd.DataFrame([c for r in results for c in r.cells], columns=CELL_COLUMNS)
    flags = pd.DataFrame([f for r in results for f in r.flags], columns=FLAG_COLUMNS + FLAG_LOCATION_COLUMNS)
    return {"documents": docs, "facts": facts, "table_cells": cells, "flags": flags}


def rows(results: list[DocResult]) -> dict[str, list[dict]]:
    """The row dicts of `results` per output table (what the store writes through Arrow)."""
    return {"documents": [r.document for r in results], "facts": [f for r in results for f in r.facts],
            "table_cells": [c for r in results for c in r.cells], "flags": [f for r in results for f in r.flags]}
