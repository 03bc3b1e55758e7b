"""One disclosure (one file, or a narrative + tables pair) → rows for every output table.

Failures are contained here: a document that cannot be read or crashes an extractor
becomes a `documents` row with status "error" and a reason; nothing escapes."""
from __future__ import annotations

import signal
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import pandas as pd

from budgetlens.document.build import build_document
from budgetlens.document.tables import is_code, numeric_cells, parse_number, row_label_for, to_wan
from budgetlens.readers import ReadError, read_blocks
from budgetlens.document.model import Document
from budgetlens.extractors.narrative import extract_facts
from budgetlens.reconcile import check_document
import hashlib
from budgetlens.limits import current
from budgetlens.extractors.facts import FACT_COLUMNS
from budgetlens.reconcile.flags import FLAG_COLUMNS

DOC_COLUMNS = ["doc_id", "source", "format", "department", "region", "year", "doc_kind", "scope",
               "status", "error", "title", "sources", "template", "pages", "n_tables", "n_sentences",
               "read_seconds", "process_seconds"]
CELL_COLUMNS = ["source", "doc_id", "table_id", "table_type", "title", "row", "column", "row_code",
                "row_label", "column_label", "value", "unit", "value_wan", "raw", "start", "end"]


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


# Reasons that may not recur on another try: such error rows are recomputed on re-run.
TRANSIENT_REASONS = ("cannot read file", "out of memory", "reader failed: OSError", "reader failed: PermissionError")


def is_transient(error: Optional[str]) -> bool:
    return bool(error) and error.startswith(TRANSIENT_REASONS)


def read_group(paths: list[Path]) -> Document:
    """Read one or more files as one document (blocks concatenated in the given order)."""
    t0 = time.perf_counter()
    blocks = []
    fmt = None
    for p in paths:
        f, bs = read_blocks(p)
        fmt = fmt or f
        for b in bs:
            b.source = str(p)
        blocks.extend(bs)
    if not blocks:
        raise ReadError("no text found in the document")
    doc = build_document(blocks, str(paths[0]), fmt, sources=[str(p) for p in paths])
    doc.read_seconds = time.perf_counter() - t0
    last_page: dict = {}
    for b in blocks:
        if b.page:
            last_page[b.source] = max(b.page, last_page.get(b.source, 0))
    doc.pages = sum(last_page.values()) or None  # paged formats only (PDF); a pair counts both files
    if doc.format == "pdf" and not doc.text.strip():
        raise ReadError("no text layer; OCR is not supported")
    return doc


def cell_rows(doc: Document) -> list[dict]:
    rows = []
    for t in doc.tables:
        labels: dict[int, list] = {}
        for r, j, v in numeric_cells(t):
            if id(r) not in labels:
                labels[id(r)] = _row_labels(t, r)
            span = r.spans[j] if j < len(r.spans) else (None, None)
            rows.append({
                "source": doc.source, "doc_id": doc.doc_id, "table_id": t.table_id,
                "table_type": t.table_type, "title": t.title, "row": r.index, "column": j,
                "row_code": r.code, "row_label": labels[id(r)][j] if j < len(labels[id(r)]) else row_label_for(t, r, j),
                "column_label": t.columns[j] if j < len(t.columns) else "",
                "value": v, "unit": t.unit or None, "value_wan": to_wan(v, t.unit),
                "raw": r.cells[j], "start": span[0], "end": span[1],
            })
    return rows


def _row_labels(t, r) -> list:
    """`row_label_for(t, r, j)` for every j of the row in one pass (calling it per cell
    is quadratic in the row length: a 20,000-cell row took minutes)."""
    out = []
    last = None
    for c in r.cells:
        out.append(last if last is not None else r.label)
        if c and parse_number(c) is None and not is_code(c):
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
    }


def extract_and_check(doc: Document) -> tuple[list[dict], list[dict], list[dict]]:
    cells = cell_rows(doc)
    fact_objs = extract_facts(doc)
    for f in fact_objs:
        f.source, f.doc_id = doc.source, doc.doc_id
    facts = [f.as_row() for f in fact_objs]
    flags = []
    for fl in check_document(doc, fact_objs):
        fl.source, fl.doc_id = doc.source, doc.doc_id
        flags.append(fl.as_row())
    return facts, cells, flags


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


def process_group(paths: list[Path], keep_doc: bool = False) -> DocResult:
    """Never raises: a document that cannot be read, crashes a step, runs out of memory or
    takes longer than the `max_seconds_per_document` limit becomes an error row."""
    paths = [Path(p) for p in paths]
    seconds = current().max_seconds_per_document
    try:
        with _deadline(seconds):
            return _process_group(paths, keep_doc)
    except DocumentTimeout:
        return DocResult(_error_row(paths, "error", f"took longer than the {seconds:g} s limit per document "
                                                    f"(raise with --max-seconds-per-document)"))


def _process_group(paths: list[Path], keep_doc: bool) -> DocResult:
    t0 = time.perf_counter()
    try:
        doc = read_group(paths)
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
    docs = pd.DataFrame([r.document for r in results], columns=DOC_COLUMNS)
    facts = pd.DataFrame([f for r in results for f in r.facts], columns=FACT_COLUMNS)
    cells = pd.DataFrame([c for r in results for c in r.cells], columns=CELL_COLUMNS)
    flags = pd.DataFrame([f for r in results for f in r.flags], columns=FLAG_COLUMNS)
    return {"documents": docs, "facts": facts, "table_cells": cells, "flags": flags}
