"""The DuckDB store.  Every output table is keyed by `doc_id`: writing a document's
results first deletes its earlier rows in the same transaction, so a re-run replaces and
never duplicates.  Parquet files are snapshots of the store, written atomically.

Failures of the machine (a full disk, an I/O error, a read-only folder, a lost lock, a
commit that could not be written) are never a document's result: the transaction is
rolled back and a `StorageError` stops the caller.  A store whose file is damaged raises
`StoreDamaged`; a failed Parquet snapshot raises `ExportError` and leaves the previous
snapshot files whole."""
from __future__ import annotations

import copy
import errno
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import duckdb
import numpy as np

from budgetlens.engine.corpus import FAMILY as CORPUS_FAMILY
from budgetlens.limits import current

from . import reviews

if TYPE_CHECKING:
    import pandas as pd

# documents per sorted range when a table is exported (see StoreDB._export_table)
EXPORT_DOCS_PER_CHUNK = 500
# rows per sorted range: a range also ends here, so that its sort fits the store's memory limit
# whatever the documents' sizes (500 documents of facts, ~53,000 rows, did not fit 64 MB)
EXPORT_ROWS_PER_CHUNK = 20_000
# rows per Parquet row group of a snapshot.  COPY holds a whole row group in memory before it
# writes it; DuckDB's default (122,880 rows of 44 fact columns) did not fit the store's 64 MB
# memory limit, and a run of 2,000 documents failed at its export.  Smaller groups cost a few
# per cent in file size and nothing in what readers see.
EXPORT_ROW_GROUP_ROWS = 16_384

SCHEMA = {
    "documents": {
        "doc_id": "VARCHAR", "source": "VARCHAR", "format": "VARCHAR", "department": "VARCHAR",
        "region": "VARCHAR", "year": "INTEGER", "doc_kind": "VARCHAR", "scope": "VARCHAR",
        "status": "VARCHAR", "error": "VARCHAR", "title": "VARCHAR", "sources": "VARCHAR[]",
        "template": "VARCHAR", "pages": "INTEGER", "n_tables": "INTEGER", "n_sentences": "INTEGER",
        "read_seconds": "DOUBLE", "process_seconds": "DOUBLE", "run_id": "VARCHAR",
        "province": "VARCHAR", "metadata_conflicts": "VARCHAR",
        "figures": "INTEGER", "verified": "INTEGER", "contradicted": "INTEGER", "unverifiable": "INTEGER",
        # rows written with the document, in the same transaction: what "complete" means
        # (n_flags: the document's own checks; corpus-level flags come after the run)
        "n_facts": "INTEGER", "n_cells": "INTEGER", "n_flags": "INTEGER",
    },
    "facts": {
        "source": "VARCHAR", "doc_id": "VARCHAR", "kind": "VARCHAR", "subject": "VARCHAR",
        "value": "DOUBLE", "unit": "VARCHAR", "value_wan": "DOUBLE", "per": "VARCHAR",
        "comparator": "VARCHAR", "year": "INTEGER", "base_year": "INTEGER", "direction": "VARCHAR",
        "parent": "VARCHAR", "group": "VARCHAR", "origin": "VARCHAR", "section": "VARCHAR",
        "sentence": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "code": "VARCHAR",
        "path": "VARCHAR", "qualifier": "VARCHAR", "text_value": "VARCHAR", "amount_from": "DOUBLE",
        "amount_to": "DOUBLE", "level": "VARCHAR", "project": "VARCHAR", "table_id": "VARCHAR",
        "row": "INTEGER", "is_target": "BOOLEAN", "raw": "VARCHAR", "term": "VARCHAR", "role": "VARCHAR",
        "total_group": "VARCHAR", "item": "VARCHAR", "list_no": "VARCHAR", "run_id": "VARCHAR",
        "verdict": "VARCHAR", "checked_against": "VARCHAR", "checked_page": "INTEGER",
        **{"page": "INTEGER", "file": "VARCHAR", "bbox": "DOUBLE[]"},  # issue 14: where it is printed
    },
    "table_cells": {
        "source": "VARCHAR", "doc_id": "VARCHAR", "table_id": "VARCHAR", "table_type": "VARCHAR",
        "title": "VARCHAR", "row": "INTEGER", "column": "INTEGER", "row_code": "VARCHAR",
        "row_label": "VARCHAR", "column_label": "VARCHAR", "value": "DOUBLE", "unit": "VARCHAR",
        "value_wan": "DOUBLE", "raw": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "run_id": "VARCHAR",
        **{"page": "INTEGER", "file": "VARCHAR", "bbox": "DOUBLE[]"},
    },
    "flags": {
        "source": "VARCHAR", "doc_id": "VARCHAR", "flag_id": "VARCHAR", "family": "VARCHAR",
        "rule": "VARCHAR", "severity": "VARCHAR", "message": "VARCHAR", "values": "DOUBLE[]",
        "stated": "DOUBLE", "expected": "DOUBLE", "difference": "DOUBLE", "evidence": "VARCHAR[]",
        "related": "VARCHAR[]", "start": "INTEGER", "end": "INTEGER", "sentence": "VARCHAR",
        "cells": "VARCHAR[]", "run_id": "VARCHAR",
        **{"page": "INTEGER", "file": "VARCHAR", "bbox": "DOUBLE[]", "evidence_pages": "INTEGER[]",
           "evidence_files": "VARCHAR[]", "evidence_bboxes": "VARCHAR"},  # per evidence line; bboxes as JSON
    },
}
TABLES = list(SCHEMA)

# The store's own column of the four tables, not part of the contract (not exported, not
# read back by `Store.table`: see Store._all): the write (transaction) that stored each row, counting
# up.  Rows are appended in the order they are written, so each row group's min/max of
# write_seq spans a few writes, and a DELETE that names the writes its documents came from
# reads only those row groups: replacing a batch's documents costs the same in a store of
# 2,000 documents as in one of a national year (a scan of every row of facts and table_cells
# per batch before: ~0.37 s per 20 M rows, ~0.007 s with it).  A document's rows all carry
# its documents row's write_seq (cross-document flags take theirs).  NULL: written by a
# version before it (such rows are found by a full scan, as before).
WRITE_SEQ = "write_seq"

# What each input file became, so that a re-run (after a crash, or with a few new files)
# skips files whose bytes and pipeline are unchanged.  Written in the same transaction as
# the document's rows: a document is either complete (rows + files entry) or absent.
FILES = {
    "path": "VARCHAR", "size": "BIGINT", "mtime_ns": "BIGINT", "sha256": "VARCHAR",
    "doc_id": "VARCHAR", "source": "VARCHAR", "status": "VARCHAR", "transient": "BOOLEAN",
    "duplicate_of": "VARCHAR", "fingerprint": "VARCHAR", "run_id": "VARCHAR", "finished": "VARCHAR",
}
# What pairing learnt of each input file (readers.pairing.Profile), so that a re-run does not
# read every file again just to pair it: valid while the file's path, size and mtime and
# the pipeline are the same.  A cache only: losing it costs time, never a result.
PAIRING = {
    "path": "VARCHAR", "size": "BIGINT", "mtime_ns": "BIGINT", "fingerprint": "VARCHAR", "kind": "VARCHAR",
    "year": "INTEGER", "dept": "VARCHAR", "name_dept": "VARCHAR",
}
RUNS = {
    "run_id": "VARCHAR", "started": "VARCHAR", "finished": "VARCHAR", "documents": "INTEGER",
    "errors": "INTEGER", "flags": "INTEGER", "command": "VARCHAR", "skipped": "INTEGER",
}


# The reviewers' journal the desk writes beside the store: one JSON object per line with
# these keys.  A rebuilt store re-imports it, so a rebuild never loses a decision.
REVIEWS_JOURNAL = "reviews.jsonl"
REVIEW_COLUMNS = ("flag_id", "decision", "note", "reviewer", "decided_at")
# the desk's `reviews` table (review_id, fingerprint and doc_id when its journal has them)
REVIEW_TABLE = {"review_id": "VARCHAR", **{c: "VARCHAR" for c in REVIEW_COLUMNS},
                "fingerprint": "VARCHAR", "doc_id": "VARCHAR"}


ROLLED_BACK = "The transaction was rolled back: nothing of it was recorded."


class StoreLocked(RuntimeError):
    """Another process holds the store."""


class StorageError(RuntimeError):
    """The store, or an output beside it, could not be written or read because of the
    machine (disk full, I/O error, read-only folder, lost lock, failed commit), not
    because of a document.  Never recorded as a document's result: the caller stops.

    `action` says what failed, `path` where; `outcome` (what was and was not recorded)
    is completed by the caller, which knows how far the run got."""

    exit_status = 4

    def __init__(self, action: str, path: str | Path, cause: BaseException | str, *, outcome: str = "",
                 advice: str = ""):
        self.action, self.path, self.cause = action, Path(path), cause
        self.outcome, self.advice = outcome, advice
        super().__init__(action)

    def __reduce__(self):  # picklable (an orchestrator may persist a failed run's exception)
        cause = self.cause if isinstance(self.cause, OSError) else f"{type(self.cause).__name__}: {self.cause}"
        return (self.__class__, (self.action, self.path, cause), {"outcome": self.outcome, "advice": self.advice})

    def kind(self) -> str:
        return failure_kind(self.cause)

    def default_advice(self) -> str:
        again = "run the same command again: it completes exactly what is missing, nothing twice."
        return {
            "space": "Free some space on that disk (or use another --out) and " + again,
            "file_size": "A file-size limit (`ulimit -f`) stopped the file from growing: raise it and " + again,
            "read_only": "Make the folder and its files writable by this user (or use another --out) and " + again,
            "memory": "Give the run more memory (or set BUDGETLENS_DUCKDB_MEMORY) and " + again,
        }.get(self.kind(), "Check the disk (system log, `df`, permissions) and " + again)

    def message(self) -> str:
        parts = [f"{self.action} failed: {_cause_text(self.cause)}."]
        free = free_space(self.path)
        if free is not None:
            parts.append(f"{_human(free)} free on the disk of {_folder(self.path)}.")
        if self.outcome:
            parts.append(self.outcome)
        parts.append(self.advice or self.default_advice())
        return " ".join(parts)

    def __str__(self) -> str:
        return self.message()


class StoreDamaged(StorageError):
    """The store file cannot be read back (checksum mismatch, truncated, not a DuckDB file)."""

    exit_status = 5

    def message(self) -> str:
        return (f"The results store {self.path} is damaged ({self.action.lower()} failed: {_cause_text(self.cause)}), "
                "so its results can no longer be trusted and nothing was written to it. "
                "Run the same command again with --rebuild-store: the damaged file is moved aside "
                f"(to {self.path.stem}.damaged-<time>{self.path.suffix}, kept, never deleted), the store is rebuilt "
                f"from the inputs, and the reviewers' decisions are re-imported from {REVIEWS_JOURNAL}. "
                "Documents stored there from other inputs must be run again into the rebuilt store.")


class ExportError(StorageError):
    """A Parquet snapshot or the report could not be written; the store is complete."""

    exit_status = 6

    def default_advice(self) -> str:
        return super().default_advice().replace(
            "it completes exactly what is missing, nothing twice.",
            "nothing is recomputed, and the snapshots and report are written again.")


_DATA_ERRORS = ("ConversionException", "InvalidInputException", "ConstraintException", "BinderException",
                "ParserException", "TypeMismatchException", "OutOfRangeException", "NotImplementedException",
                "InvalidTypeException", "CatalogException", "SyntaxException", "ResourceInUseException")
_DAMAGE = re.compile(r"corrupt|checksum|not a valid DuckDB database|could not read enough bytes|"
                     r"replaying WAL|WAL file.*(?:invalid|corrupt)", re.I)


def is_damage(exc: BaseException) -> bool:
    """The store file itself is damaged (as opposed to a disk that refuses a write)."""
    return isinstance(exc, StoreDamaged) or (not isinstance(exc, StorageError) and bool(_DAMAGE.search(str(exc))))


def is_storage_failure(exc: BaseException) -> bool:
    """A failure of the machine rather than of the data: an OS error, memory, or any
    DuckDB error except those that say a value or a statement was refused."""
    if isinstance(exc, (StorageError, OSError, MemoryError)):
        return True
    if isinstance(exc, duckdb.Error):
        return type(exc).__name__ not in _DATA_ERRORS
    return False


def failure_kind(cause: BaseException | str) -> str:
    text = str(cause)
    no = getattr(cause, "errno", None)
    if no == errno.ENOSPC or "no space left" in text.lower():
        return "space"
    if no == errno.EFBIG or "file too large" in text.lower():
        return "file_size"
    if no in (errno.EROFS, errno.EACCES, errno.EPERM) or re.search(r"read-only file system|permission denied", text, re.I):
        return "read_only"
    if isinstance(cause, MemoryError) or "out of memory" in text.lower():
        return "memory"
    return "io"


def _cause_text(cause: BaseException | str) -> str:
    if isinstance(cause, str):
        return cause
    text = " ".join(str(cause).split()) or type(cause).__name__
    if isinstance(cause, OSError) and cause.strerror:
        text = cause.strerror + (f": {cause.filename}" if cause.filename else "")
    if len(text) > 300:
        text = text[:300] + "…"
    return text.rstrip(".")


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def free_space(path: str | Path) -> Optional[int]:
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def _human(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# A document is complete when the rows stored for it are as many as were written with it
# (documents.n_facts / n_cells / n_flags, set in the same transaction).  Corpus-level
# flags are recomputed after every run and are not part of a document's own count.
COMPLETE_DOCS = """
SELECT d.doc_id FROM documents d
LEFT JOIN (SELECT doc_id, count(*) AS n FROM facts GROUP BY doc_id) fa ON fa.doc_id = d.doc_id
LEFT JOIN (SELECT doc_id, count(*) AS n FROM table_cells GROUP BY doc_id) ce ON ce.doc_id = d.doc_id
LEFT JOIN (SELECT doc_id, count(*) AS n FROM flags WHERE family IS DISTINCT FROM '{corpus}' GROUP BY doc_id) fl
       ON fl.doc_id = d.doc_id
WHERE d.n_facts = coalesce(fa.n, 0) AND d.n_cells = coalesce(ce.n, 0) AND d.n_flags = coalesce(fl.n, 0)
""".format(corpus=CORPUS_FAMILY)


# What a batch's rows carry (run_id is added when they are written, and the documents rows'
# counts of facts, cells and flags).
_ROW_COLUMNS = {name: {c: t for c, t in cols.items() if c not in ("run_id", "n_facts", "n_cells", "n_flags")}
                for name, cols in SCHEMA.items()}
# the Python types a column's values may have to be taken as they are (anything else: the
# pandas way, whose casts DuckDB does)
_NONE = type(None)
_SCALARS = {"VARCHAR": {str, _NONE}, "INTEGER": {int, float, _NONE}, "BIGINT": {int, _NONE},
            "DOUBLE": {float, int, _NONE}, "BOOLEAN": {bool, _NONE}}
_INT32 = (-2 ** 31, 2 ** 31 - 1)
COLUMN_ERRORS = (TypeError, ValueError, OverflowError)


class Columns(dict):
    """One table's rows as columns (column name → numpy array), what DuckDB scans without
    pandas or pyarrow: strings, booleans, lists and BIGINTs as object arrays (None is NULL),
    DOUBLE and INTEGER columns as float64 (NaN is NULL; an INTEGER column's values are whole
    numbers within INTEGER's range).  `column_rows` makes them."""

    @property
    def num_rows(self) -> int:
        return len(next(iter(self.values()))) if self else 0

    def take(self, mask) -> "Columns":
        return Columns({c: a[mask] for c, a in self.items()})


def _objects(values: list) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


def _object_columns(columns: dict[str, list]) -> Columns:
    """Columns of any values, as they are (DuckDB finds each column's type; the query casts)."""
    return Columns({c: _objects(v) for c, v in columns.items()})


def _sql_str(x) -> str:
    """`x` inside a SQL string literal."""
    return str(x).replace("'", "''")


def _dicts(cursor) -> list[dict]:
    """A query's rows as dicts."""
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, r)) for r in cursor.fetchall()]


def _column(values, sql_type: str) -> np.ndarray:
    """One column (a list or tuple of values); raises one of COLUMN_ERRORS when a value is
    not of the column's type as it is (a number in a text column, a text in a list
    column...)."""
    kinds = set(map(type, values))
    if sql_type.endswith("[]"):
        inner = _SCALARS[sql_type[:-2]] - {float} if sql_type == "INTEGER[]" else _SCALARS[sql_type[:-2]]
        if not kinds <= {list, _NONE} or \
                not set(map(type, chain.from_iterable(v for v in values if v is not None))) <= inner:
            raise TypeError(f"a value that is not a list of {sql_type[:-2]}")
        return _objects(values)
    if not kinds <= _SCALARS[sql_type]:
        raise TypeError(f"a value that is not {sql_type}")
    if sql_type == "DOUBLE":
        return np.array(values, dtype=np.float64)
    if sql_type == "INTEGER":
        a = np.trunc(np.array(values, dtype=np.float64))  # a fraction is cut, as Arrow did
        if len(a) and (np.nanmin(a, initial=0) < _INT32[0] or np.nanmax(a, initial=0) > _INT32[1]):
            raise OverflowError("a value out of the INTEGER range")
        return a
    return _objects(values)


def column_rows(name: str, rows: list[dict], types: Optional[dict] = None) -> Columns:
    """Row dicts of table `name` as Columns with the store's column types (a missing key is
    NULL, NaN is NULL as pandas has it).  Raises one of COLUMN_ERRORS when a value is not of
    its column's type as it is (the store then writes the rows the pandas way, whose casts
    are DuckDB's)."""
    types = types or _ROW_COLUMNS[name]
    return Columns({c: _column(v, t) for (c, t), v in zip(types.items(), _transposed(rows, list(types)))})


def _transposed(rows: list[dict], names: list[str]) -> list[tuple]:
    """The values of each of `names` in `rows`, a tuple per name (None where a row lacks the
    key): one C-level pass (itemgetter, zip) where every row has every key, as the engine's
    rows do; a value at a time otherwise."""
    if not rows or not names:
        return [() for _ in names]
    try:
        if len(names) == 1:
            return [tuple(map(itemgetter(names[0]), rows))]
        return list(zip(*map(itemgetter(*names), rows)))
    except KeyError:
        return [tuple(r.get(c) for r in rows) for c in names]


def _write_columns(frames: dict, run_id: str) -> Optional[dict[str, Columns]]:
    """Each table's rows (dicts, or Columns from `column_rows`) as the Columns written: with
    run_id, and the documents rows with their n_facts, n_cells and n_flags.  None when a
    value cannot be taken as it is (the caller then lets DuckDB cast it)."""
    try:
        given = {name: (v if isinstance(v, Columns) else column_rows(name, v or [])) for name, v in
                 ((name, frames.get(name)) for name in SCHEMA)}
    except COLUMN_ERRORS:
        return None
    counts = {}
    for name, col in (("facts", "n_facts"), ("table_cells", "n_cells"), ("flags", "n_flags")):
        c: dict = {}
        for d in given[name].get("doc_id", ()):
            c[d] = c.get(d, 0) + 1
        counts[col] = c
    out = {}
    for name, t in given.items():
        n = t.num_rows
        extra = {"run_id": _objects([run_id] * n)}
        if name == "documents":
            ids = t["doc_id"]
            extra.update({col: np.array([c.get(d, 0) for d in ids], dtype=np.float64) for col, c in counts.items()})
        out[name] = Columns({c: (extra[c] if c in extra else t[c]) for c in SCHEMA[name]})
    return out


class Store:
    """`wait`: seconds to wait for another process to release the store before raising
    `StoreLocked` (default: the `store_wait_seconds` limit for a writable store, 0 for a
    read-only one).  `on_wait(message)` is called once when waiting starts.

    Raises StorageError when the store cannot be opened or written, StoreDamaged when its
    file is damaged."""

    def __init__(self, path: str | Path, read_only: bool = False, wait: float | None = None,
                 on_wait: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.con = None
        self.checkpoint_failure: Optional[BaseException] = None  # set by close()
        # the doc_ids and sources the four tables may hold (see _may_hold), None: not read yet
        self._held: Optional[tuple[set, set]] = None
        self._last_seq: Optional[int] = None  # the last write_seq given (None: not read yet)
        self._with_seq: Optional[set] = None  # the tables that have write_seq (see _all)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Creating the folder of the results store {self.path}", self.path, exc) from exc
        if wait is None:
            wait = 0.0 if read_only else current().store_wait_seconds
        self.con = _connect(self.path, read_only, wait, on_wait)
        self._identity = _identity(self.path)
        if not read_only:
            try:
                # a damaged store is found before anything (tables, the reviews journal) is
                # written to it
                self.verify()
            except StorageError:
                self._discard()
                raise
            try:
                self._create()
            except Exception as exc:
                self.close()
                err = self._failure(exc, f"Preparing the tables of the results store {self.path}")
                if err is None:
                    raise
                raise err from exc

    def _create(self):
        for name, cols in [*SCHEMA.items(), ("files", FILES), ("runs", RUNS), ("pairing", PAIRING)]:
            body = ", ".join(f'"{c}" {t}' for c, t in cols.items())
            self.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({body})')
            existing = {r[0] for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()}
            for c, t in cols.items():  # columns added by later versions
                if c not in existing:
                    self.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{c}" {t}')
            if name in SCHEMA and WRITE_SEQ not in existing:
                self.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{WRITE_SEQ}" BIGINT')
        # reviewers' decisions (issue 14): their own table, refilled from reviews.jsonl
        # beside the store, so a rebuilt store gets every decision back
        reviews.create_table(self.con)
        reviews.import_journal(self.con, self.path)

    # -- failures -----------------------------------------------------------------

    def _failure(self, exc: BaseException, action: str, cls=StorageError, outcome: str = "") -> Optional[StorageError]:
        """The StorageError that `exc` means, or None when it is about the data (a value
        the schema refuses), which the caller handles per document."""
        if isinstance(exc, StorageError):
            return exc
        if is_damage(exc):
            return StoreDamaged(action, self.path, exc)
        if is_storage_failure(exc):
            return cls(action, self.path, exc, outcome=outcome)
        return None

    def _rollback(self) -> None:
        """DuckDB has already rolled back a transaction whose commit failed; ROLLBACK then
        raises "no transaction is active", which must not hide the real failure."""
        try:
            self.con.execute("ROLLBACK")
        except Exception:
            pass

    @contextmanager
    def _transaction(self, action: str):
        """BEGIN … COMMIT; any failure rolls back.  A storage failure is raised as
        StorageError (nothing of the transaction is recorded); other errors as they are."""
        state = {"doing": "beginning"}
        try:
            self.con.execute("BEGIN TRANSACTION")
            yield state
            state["doing"] = "committing"
            self._check_still_ours()
            self.con.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if not isinstance(exc, Exception):
                raise
            err = self._failure(exc, f"{action} ({state['doing']}) in the results store {self.path}",
                                outcome=ROLLED_BACK)
            if err is None:
                raise
            raise err from exc

    def _check_still_ours(self) -> None:
        """The file this connection writes is still the store at `path`: one deleted,
        moved or replaced under a running process (the lock lost with it) would take every
        later commit with it, silently."""
        if self._identity is not None and _identity(self.path) != self._identity:
            raise StorageError(f"Keeping the results store {self.path}", self.path,
                               "the file was removed, moved or replaced while this run was writing it, "
                               "and its lock with it",
                               outcome="Whatever this run had stored went with that file, and nothing more was "
                                       "recorded; the next run starts a new store at that path (or uses the one "
                                       "that replaced it).")

    def verify(self) -> None:
        """Read every value of every table, so that a damaged block is found before the
        store is trusted or written to (DuckDB checks a block's checksum when it reads it).
        Raises StoreDamaged."""
        try:
            names = [r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "ORDER BY table_name").fetchall()]
            for name in names:
                self.con.execute(f'SELECT min(hash(COLUMNS(*))) FROM "{name}"').fetchall()
        except Exception as exc:
            err = self._failure(exc, "Reading the results store")
            raise (err or StoreDamaged("Reading the results store", self.path, exc)) from exc

    # -- reading --------------------------------------------------------------------

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT doc_id FROM documents").fetchall()}

    def complete_doc_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute(COMPLETE_DOCS).fetchall()}

    # -- writing --------------------------------------------------------------------

    def write(self, frames: dict, run_id: str, files: Optional[list[dict]] = None) -> None:
        """Replace the rows of every document in `frames['documents']` in one transaction,
        together with the `files` entries (row dicts, see FILES) that record what each input
        became.  Each document row records how many facts, cells and flags were written with
        it.  `frames`: per table, a list of row dicts or `Columns` (written as columns with
        the table's types), or a DataFrame; rows whose values are not of their column's type
        as they are go the DataFrame way (pandas, imported then), whose casts are DuckDB's.

        Raises StorageError (transaction rolled back) on a failure of the machine; a value
        the schema refuses raises DuckDB's own error (also rolled back)."""
        if all(isinstance(v, (list, Columns)) for v in frames.values()):
            tables = _write_columns(frames, run_id)
            if tables is not None:
                return self._write_tables(tables, run_id, files)
            import pandas as pd

            frames = {name: (pd.DataFrame(dict(rows)) if isinstance(rows, Columns) else
                             pd.DataFrame(rows, columns=[c for c in SCHEMA[name] if c != "run_id"]))
                      for name, rows in frames.items()}
        self._write_frames(frames, run_id, files)

    def _write_frames(self, frames: dict, run_id: str, files: Optional[list[dict]]) -> None:
        """`write` of DataFrames: DuckDB casts each column to the table's type."""
        docs = frames["documents"]
        if docs.empty:
            if files:
                self.write_files(files, run_id)
            return
        docs = docs.copy()
        for name, col in (("facts", "n_facts"), ("table_cells", "n_cells"), ("flags", "n_flags")):
            df = frames.get(name)
            counts = df["doc_id"].value_counts().to_dict() if df is not None and len(df) else {}
            docs[col] = [int(counts.get(d, 0)) for d in docs["doc_id"]]
        frames = {**frames, "documents": docs}
        self._held = None  # its rows are not followed: read again at the next write
        ids = _object_columns({"doc_id": list(dict.fromkeys(str(x) for x in docs["doc_id"]))})
        sources = _object_columns({"source": list(dict.fromkeys(str(x) for x in docs["source"]))})
        with self._transaction(f"Storing the results of {ids.num_rows} document(s)") as state:
            seq = self._next_seq()
            self.con.register("_ids", ids)
            self.con.register("_sources", sources)
            for name in TABLES:
                self._delete_earlier(name, state)
                df = frames.get(name)
                if df is None or df.empty:
                    continue
                state["doing"] = f"writing {name}"
                df = df.copy()
                df["run_id"] = run_id
                df[WRITE_SEQ] = seq
                cols = [*SCHEMA[name], WRITE_SEQ]
                for c in cols:
                    if c not in df.columns:
                        df[c] = None
                df = df[cols]
                self.con.register("_df", df)
                casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in {**SCHEMA[name], WRITE_SEQ: "BIGINT"}.items())
                names = ", ".join(f'"{c}"' for c in cols)
                self.con.execute(f'INSERT INTO "{name}" ({names}) SELECT {casts} FROM _df')
                self.con.unregister("_df")
            self.con.unregister("_ids")
            self.con.unregister("_sources")
            if files:
                state["doing"] = "writing files"
                self._replace_files(files, run_id)

    def _all(self, name: str) -> str:
        """`*` of table `name` without the store's own column (a store written before it was
        added and opened read-only has none)."""
        if name not in SCHEMA:
            return "*"
        if self._with_seq is None:
            self._with_seq = {r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.columns WHERE column_name = ?", [WRITE_SEQ]).fetchall()}
        return f'* EXCLUDE ("{WRITE_SEQ}")' if name in self._with_seq else "*"

    def _next_seq(self) -> int:
        """The write_seq of the write in progress (this Store is the store's one writer)."""
        if self._last_seq is None:
            self._last_seq = int(self.con.execute(
                f'SELECT coalesce(max("{WRITE_SEQ}"), 0) FROM ('
                + " UNION ALL ".join(f'SELECT max("{WRITE_SEQ}") AS "{WRITE_SEQ}" FROM "{t}"' for t in TABLES)
                + ")").fetchall()[0][0])  # fetched to the end: DuckDB refuses `register` while a result is open
        self._last_seq += 1
        return self._last_seq

    def _doc_seqs(self, doc_ids) -> dict:
        """{doc_id: write_seq of its documents row} (a flag written after its document, by the
        checks across documents, carries its document's)."""
        ids = list(dict.fromkeys(str(d) for d in doc_ids if d is not None))
        return dict(self.con.execute(
            f'SELECT doc_id, max("{WRITE_SEQ}") FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[])) '
            "GROUP BY doc_id", [ids]).fetchall())

    def _earlier_seqs(self, state: dict) -> Optional[list[int]]:
        """The writes that stored the documents being written (_ids, _sources), from their
        documents rows; None when a row of theirs may lack it (written before write_seq, or
        a table holds rows of theirs without a documents row): then every row is read."""
        state["doing"] = "finding the earlier rows"
        seqs = [r[0] for r in self.con.execute(
            f'SELECT DISTINCT "{WRITE_SEQ}" FROM documents WHERE doc_id IN (SELECT doc_id FROM _ids) '
            'OR source IN (SELECT source FROM _sources)').fetchall()]
        if not seqs or any(x is None for x in seqs):
            return None
        return seqs

    def _delete_earlier(self, name: str, state: dict, seqs: Optional[list[int]] = None) -> None:
        """Remove `name`'s rows of the documents being written (registered as _ids and
        _sources): a document is replaced by its id and by its source path (an edited file
        gets a new content hash but must not leave its old results behind).  `seqs`: the
        writes their rows came from (see WRITE_SEQ), so that only those row groups are read."""
        state["doing"] = f"removing earlier {name} rows"
        which = "(doc_id IN (SELECT doc_id FROM _ids) OR source IN (SELECT source FROM _sources))"
        if seqs is None:
            self.con.execute(f'DELETE FROM "{name}" WHERE {which}')
        else:
            self.con.execute(f'DELETE FROM "{name}" WHERE "{WRITE_SEQ}" IN (SELECT unnest(?::BIGINT[])) AND {which}',
                             [seqs])

    def _insert(self, name: str, rows: Columns, types: dict, seq: Optional[int] = None) -> None:
        """Append `rows` (every column of `types`, in its order) to table `name`; `seq`: their
        write_seq (one of the four tables), or the column `write_seq` of `rows`."""
        self.con.register("_rows", rows)
        try:
            names = ", ".join(f'"{c}"' for c in types)
            casts = ", ".join(f'CAST("{c}" AS {t})' for c, t in types.items())
            if name in SCHEMA:
                names += f', "{WRITE_SEQ}"'
                casts += f", {int(seq)}" if seq is not None else f', CAST("{WRITE_SEQ}" AS BIGINT)'
            self.con.execute(f'INSERT INTO "{name}" ({names}) SELECT {casts} FROM _rows')
        except Exception:
            # a value the database refuses (a lone surrogate in a text) aborts the transaction,
            # in which nothing more can run, not even `unregister`: the refusal is what the
            # caller must see (a document's data, not the machine); the next register replaces it
            try:
                self.con.unregister("_rows")
            except duckdb.Error:
                pass
            raise
        self.con.unregister("_rows")

    def _write_tables(self, tables: dict[str, Columns], run_id: str, files: Optional[list[dict]]) -> None:
        docs = tables["documents"]
        if docs.num_rows == 0:
            if files:
                self.write_files(files, run_id)
            return
        ids = list(dict.fromkeys(str(x) for x in docs["doc_id"]))
        sources = list(dict.fromkeys(str(x) for x in docs["source"]))
        with self._transaction(f"Storing the results of {len(ids)} document(s)") as state:
            seq = self._next_seq()
            earlier = self._may_hold(ids, sources, state)
            if earlier:
                self.con.register("_ids", _object_columns({"doc_id": ids}))
                self.con.register("_sources", _object_columns({"source": sources}))
                seqs = self._earlier_seqs(state)
            for name in TABLES:
                if earlier:
                    self._delete_earlier(name, state, seqs)
                t = tables.get(name)
                if t is None or t.num_rows == 0:
                    continue
                state["doing"] = f"writing {name}"
                self._insert(name, t, SCHEMA[name], seq)
            if earlier:
                self.con.unregister("_ids")
                self.con.unregister("_sources")
            if files:
                state["doing"] = "writing files"
                self._replace_files(files, run_id)
        if self._held is not None:  # committed: what the tables now also hold
            for t in tables.values():
                self._held[0].update(t["doc_id"])
                self._held[1].update(t["source"])

    def _may_hold(self, ids: list[str], sources: list[str], state: dict) -> bool:
        """Whether a table may hold rows of these documents or sources (for `_delete_earlier`,
        each of whose DELETEs reads a whole table: a run's batches of new documents need none).
        The doc_ids and sources of every row are read once, then followed by `_write_tables`
        as it commits: this Store is the store's one writer (its lock), and the other writes of
        these tables (`_write_frames`, `replace_family_flags`) have them read again."""
        if self._held is None:
            state["doing"] = "reading the stored documents"
            rows = self.con.execute(" UNION ".join(f'SELECT doc_id, source FROM "{t}"' for t in TABLES)).fetchall()
            self._held = ({r[0] for r in rows}, {r[1] for r in rows})
        return not (self._held[0].isdisjoint(ids) and self._held[1].isdisjoint(sources))

    def write_files(self, files: list[dict], run_id: str) -> None:
        """Record `files` (row dicts of FILES' columns but run_id and finished)."""
        with self._transaction(f"Recording {len(files)} input file(s)") as state:
            state["doing"] = "writing files"
            self._replace_files(files, run_id)

    def _replace_files(self, files: list[dict], run_id: str) -> None:
        finished = datetime.now(timezone.utc).isoformat()
        rows = _object_columns({c: ([run_id] * len(files) if c == "run_id" else [finished] * len(files)
                                    if c == "finished" else [f.get(c) for f in files]) for c in FILES})
        self.con.register("_files", rows)
        try:
            self.con.execute("DELETE FROM files WHERE path IN (SELECT path FROM _files)")
            casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in FILES.items())
            self.con.execute(f"INSERT INTO files SELECT {casts} FROM _files")
        finally:
            self.con.unregister("_files")

    def finished_files(self, keys: list[dict], fingerprint: str) -> list[dict]:
        """The `files` entries (row dicts, with FILES' columns) that match `keys` (dicts of
        path, size, mtime_ns, sha256) and were produced by the same pipeline (`fingerprint`),
        and whose document is still in the store whole (or, for a duplicate, whose original
        is): every fact, cell and flag written with it is there.  `doc_error` is the
        document's error reason, so that the caller can redo errors that were about the
        machine."""
        if not keys:
            return []
        self.con.register("_keys", _object_columns({c: [k[c] for k in keys] for c in ("path", "size", "mtime_ns",
                                                                                      "sha256")}))
        try:
            return _dicts(self.con.execute(
                "SELECT f.*, d.error AS doc_error FROM files f JOIN _keys k ON f.path = k.path AND f.size = k.size "
                "AND f.mtime_ns = k.mtime_ns AND f.sha256 = k.sha256 "
                "JOIN (SELECT doc_id, any_value(error) AS error FROM documents GROUP BY doc_id) d ON d.doc_id = f.doc_id "
                "WHERE f.fingerprint = ? AND NOT coalesce(f.transient, false) "
                f"AND f.doc_id IN ({COMPLETE_DOCS})", [fingerprint]))
        finally:
            self.con.unregister("_keys")

    def pairing_profiles(self, stats: dict[str, tuple[int, int]], fingerprint: str) -> dict[str, tuple]:
        """path → (kind, year, dept, name_dept) remembered for the files of `stats` (path →
        (size, mtime_ns)) whose size and mtime are unchanged, under this pipeline."""
        if not stats:
            return {}
        keys = _object_columns({"path": list(stats), "size": [v[0] for v in stats.values()],
                                "mtime_ns": [v[1] for v in stats.values()]})
        self.con.register("_pair_keys", keys)
        try:
            rows = self.con.execute(
                "SELECT p.path, p.kind, p.year, p.dept, p.name_dept FROM pairing p JOIN _pair_keys k "
                "ON p.path = k.path AND p.size = CAST(k.size AS BIGINT) AND p.mtime_ns = CAST(k.mtime_ns AS BIGINT) "
                "WHERE p.fingerprint = ?", [fingerprint]).fetchall()
        finally:
            self.con.unregister("_pair_keys")
        return {r[0]: tuple(r[1:]) for r in rows}

    def remember_pairing(self, rows: list[tuple], fingerprint: str) -> None:
        """Record (path, size, mtime_ns, kind, year, dept, name_dept) rows (a cache: a
        failure to write it is left for the run's own writes to report)."""
        if not rows:
            return
        cols = [c for c in PAIRING if c != "fingerprint"]
        t = _object_columns({**{c: [r[i] for r in rows] for i, c in enumerate(cols)},
                             "fingerprint": [fingerprint] * len(rows)})
        self.con.register("_pairing", t)
        try:
            self.con.execute("DELETE FROM pairing WHERE path IN (SELECT path FROM _pairing)")
        except duckdb.Error:
            return
        finally:
            self.con.unregister("_pairing")
        try:
            self._insert("pairing", Columns({c: t[c] for c in PAIRING}), PAIRING)
        except duckdb.Error:
            pass

    def replace_family_flags(self, family: str, doc_ids: list[str], flags, run_id: str | None = None) -> None:
        """Replace one family's flags of the given documents (corpus-level checks such as
        cross_document are recomputed after each run, apart from per-document rows).
        `flags`: row dicts or a DataFrame."""
        if not doc_ids:
            return
        self._held = None  # its rows are not followed: read again at the next write
        with self._transaction(f"Storing the {family} flags") as state:
            state["doing"] = "writing flags"
            self.con.register("_fam_ids", _object_columns({"doc_id": list(doc_ids)}))
            self.con.execute('DELETE FROM flags WHERE family = ? AND doc_id IN (SELECT doc_id FROM _fam_ids)', [family])
            self.con.unregister("_fam_ids")
            if flags is None or len(flags) == 0:
                return
            if isinstance(flags, list):
                try:
                    rows = column_rows("flags", flags)
                except COLUMN_ERRORS:
                    import pandas as pd

                    flags = pd.DataFrame(flags)
                else:
                    rows["run_id"] = _objects([run_id] * rows.num_rows)
                    seq_of = self._doc_seqs(rows["doc_id"])
                    rows[WRITE_SEQ] = _objects([seq_of.get(d) for d in rows["doc_id"]])
                    self._insert("flags", Columns({c: rows[c] for c in [*SCHEMA["flags"], WRITE_SEQ]}), SCHEMA["flags"])
                    return
            df = flags.copy()
            df["run_id"] = run_id
            seq_of = self._doc_seqs(df["doc_id"]) if "doc_id" in df.columns else {}
            df[WRITE_SEQ] = [seq_of.get(d) for d in df["doc_id"]] if "doc_id" in df.columns else None
            cols = [*SCHEMA["flags"], WRITE_SEQ]
            for c in cols:
                if c not in df.columns:
                    df[c] = None
            self.con.register("_fam", df[cols].astype({WRITE_SEQ: object}))
            casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in {**SCHEMA["flags"], WRITE_SEQ: "BIGINT"}.items())
            self.con.execute(f'INSERT INTO flags SELECT {casts} FROM _fam')
            self.con.unregister("_fam")

    def record_run(self, run_id, started, finished, documents, errors, flags, command, skipped: int = 0):
        with self._transaction("Recording the run") as state:
            state["doing"] = "writing runs"
            self.con.execute("INSERT INTO runs (run_id, started, finished, documents, errors, flags, command, skipped) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [run_id, started, finished, documents, errors, flags, command, skipped])

    def reviews(self) -> pd.DataFrame:
        """Reviewers' decisions, oldest first (the table's and the journal's; see reviews.py)."""
        return reviews.table(self.con, self.path)

    def view(self) -> "Store":
        """This store on a DuckDB connection of its own (a cursor of this one), for reading or
        exporting in another thread beside this connection's work.  Close it with
        `view.con.close()` (not `close()`: the store stays this one's)."""
        v = copy.copy(self)
        v.con = self.con.cursor()
        return v

    def review_rows(self) -> list[dict]:
        """`reviews()` as row dicts (see reviews.table_rows)."""
        return reviews.table_rows(self.con, self.path)

    def table(self, name: str, where: str = "", params=None) -> pd.DataFrame:
        sql = f'SELECT {self._all(name)} FROM "{name}"' + (f" WHERE {where}" if where else "")
        return self.con.execute(sql, params or []).df()

    # -- snapshots --------------------------------------------------------------------

    def export_parquet(self, out_dir: str | Path, only_sources: list[str] | None = None,
                       only_doc_ids: list[str] | None = None, remove_stale: bool = True) -> dict[str, Path]:
        """Write each table as Parquet atomically: every table to a temp file in the same
        folder, flushed to disk, and only when all four are written, each renamed over the
        old one.  A failure (or a crash) leaves the previous snapshot files whole, and
        raises ExportError; temp files of a killed run are removed here (`remove_stale`;
        False when the caller did, and writes a temporary file of its own meanwhile)."""
        out_dir = Path(out_dir)
        if remove_stale:
            remove_stale_temporaries(out_dir)
        where = ""
        if only_sources is not None or only_doc_ids is not None:
            self.con.register("_only_sources", _object_columns({"source": [str(x) for x in only_sources or []]}))
            self.con.register("_only_ids", _object_columns({"doc_id": [str(x) for x in only_doc_ids or []]}))
            where = (" WHERE source IN (SELECT source FROM _only_sources) "
                     "OR doc_id IN (SELECT doc_id FROM _only_ids)")
        written: dict[str, Path] = {}
        tmps: list[Path] = []
        name = TABLES[0]
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            for name in TABLES:
                tmp = out_dir / f".{name}.parquet.tmp-{os.getpid()}"
                tmps.append(tmp)
                self._export_table(name, where, tmp)
                _fsync(tmp, strict=True)
            for name, tmp in zip(TABLES, tmps):
                final = out_dir / f"{name}.parquet"
                os.replace(tmp, final)
                written[name] = final
            _fsync(out_dir)
        except Exception as exc:
            for tmp in tmps:
                try:
                    tmp.unlink()
                except OSError:
                    pass
            outcome = ("The store is complete and was not changed; "
                       + ("the previous snapshot files are intact." if not written else
                          f"{', '.join(p.name for p in written.values())} were replaced, the other snapshot files "
                          "are the previous ones."))
            err = self._failure(exc, f"Writing the Parquet snapshot {name}.parquet in {out_dir}", cls=ExportError,
                                outcome=outcome)
            if err is None:
                raise
            raise err from exc
        return written

    def _export_table(self, name: str, where: str, tmp: Path) -> None:
        """One table as Parquet, ordered by doc_id.  A table that fits one range (at most
        EXPORT_DOCS_PER_CHUNK documents and EXPORT_ROWS_PER_CHUNK rows) in one COPY; beyond,
        in such ranges, each sorted into a file of its own, then the files copied in their
        order into one, so that the sort's memory stays that of one range and does not grow
        with the store (sorting a whole large table in one go is the run's peak, or fails
        under the store's memory limit).  The same rows in the same order either way."""
        # a document's rows in the order they were stored (rowid): a stable order, unlike ties
        order = "doc_id, rowid"
        counts = self.con.execute(
            f'SELECT doc_id, count(*) FROM "{name}"{where} GROUP BY doc_id ORDER BY doc_id NULLS LAST').fetchall()
        ids = [r[0] for r in counts]
        ranges = _export_ranges(counts)
        if len(ranges) <= 1:
            self.con.execute(f"COPY (SELECT {self._all(name)} FROM \"{name}\"{where} ORDER BY {order}) TO '{_sql_str(tmp)}' "
                             f"{_parquet_options()}")
            return
        cond = f"({where[len(' WHERE '):]}) AND " if where else ""
        parts: list[Path] = []  # one sorted range each, then copied into one file in that order
        try:
            for i, j in ranges:
                chunk = [d for d in ids[i:j] if d is not None]
                queries = []
                if chunk:
                    lo, hi = (str(x).replace("'", "''") for x in (chunk[0], chunk[-1]))
                    queries.append(f"SELECT {self._all(name)} FROM \"{name}\" WHERE {cond}doc_id BETWEEN '{lo}' "
                                   f"AND '{hi}' ORDER BY {order}")
                if len(chunk) < j - i:  # rows without a doc_id, last
                    queries.append(f'SELECT {self._all(name)} FROM "{name}" WHERE {cond}doc_id IS NULL ORDER BY {order}')
                for q in queries:
                    part = tmp.with_name(f"{tmp.name}.{len(parts)}")
                    parts.append(part)
                    self.con.execute(f"COPY ({q}) TO '{_sql_str(part)}' {_parquet_options()}")
            # a list of files is read in its order, and COPY keeps the order it reads
            files = ", ".join(f"'{_sql_str(p)}'" for p in parts)
            self.con.execute(f"COPY (SELECT * FROM read_parquet([{files}])) TO '{_sql_str(tmp)}' "
                             f"{_parquet_options()}")
        finally:
            for p in parts:
                try:
                    p.unlink()
                except OSError:
                    pass

    # -- integrity, damage, reviews -------------------------------------------------------

    def integrity(self) -> dict[str, pd.DataFrame]:
        """What `budgetlens check-store` reports, one frame per kind of problem (empty when
        there is none):
        - incomplete: documents with fewer (or more) facts, cells or flags than were written
          with them;
        - duplicate_documents: one doc_id stored twice;
        - orphans: facts, cells or flags whose document is not in `documents`;
        - files_without_document: `files` entries whose document is missing (re-run redoes them);
        - files_status: `files` entries whose status differs from their document's;
        - unverifiable: documents stored before counts were kept (information only);
        - without_files: documents no `files` entry points to (stored by `process` or an
          older version: information only);
        - errors: documents stored as errors, with the reason (the caller decides which
          reasons are about the machine and will be retried)."""
        q = self.con.execute
        out: dict[str, pd.DataFrame] = {}
        out["incomplete"] = q(f"""
            SELECT d.doc_id, d.source, d.n_facts, coalesce(fa.n, 0) AS facts, d.n_cells, coalesce(ce.n, 0) AS cells,
                   d.n_flags, coalesce(fl.n, 0) AS flags
            FROM documents d
            LEFT JOIN (SELECT doc_id, count(*) AS n FROM facts GROUP BY doc_id) fa ON fa.doc_id = d.doc_id
            LEFT JOIN (SELECT doc_id, count(*) AS n FROM table_cells GROUP BY doc_id) ce ON ce.doc_id = d.doc_id
            LEFT JOIN (SELECT doc_id, count(*) AS n FROM flags WHERE family IS DISTINCT FROM '{CORPUS_FAMILY}'
                       GROUP BY doc_id) fl ON fl.doc_id = d.doc_id
            WHERE d.n_facts IS NOT NULL AND (d.n_facts <> coalesce(fa.n, 0) OR d.n_cells <> coalesce(ce.n, 0)
                  OR d.n_flags <> coalesce(fl.n, 0))
            ORDER BY d.source""").df()
        out["duplicate_documents"] = q(
            "SELECT doc_id, count(*) AS rows, min(source) AS source FROM documents GROUP BY doc_id HAVING count(*) > 1 "
            "ORDER BY doc_id").df()
        out["orphans"] = q(" UNION ALL ".join(
            f"SELECT '{t}' AS \"table\", doc_id, any_value(source) AS source, count(*) AS rows FROM \"{t}\" "
            "WHERE doc_id NOT IN (SELECT doc_id FROM documents) GROUP BY doc_id" for t in TABLES[1:])).df()
        out["files_without_document"] = q(
            "SELECT path, doc_id, status FROM files WHERE doc_id IS NULL OR doc_id NOT IN (SELECT doc_id FROM documents) "
            "ORDER BY path").df()
        out["files_status"] = q(
            "SELECT f.path, f.status AS files_status, d.status AS document_status FROM files f "
            "JOIN documents d ON d.doc_id = f.doc_id WHERE f.status <> 'duplicate' AND f.status IS DISTINCT FROM d.status "
            "ORDER BY f.path").df()
        out["unverifiable"] = q("SELECT doc_id, source FROM documents WHERE n_facts IS NULL ORDER BY source").df()
        out["without_files"] = q(
            "SELECT doc_id, source FROM documents WHERE doc_id NOT IN (SELECT doc_id FROM files WHERE doc_id IS NOT NULL) "
            "ORDER BY source").df()
        out["errors"] = q("SELECT doc_id, source, error FROM documents WHERE status <> 'ok' ORDER BY source").df()
        return out

    def reimport_reviews(self, journal: str | Path) -> int:
        """Put back the reviewers' decisions from their append-only journal (one JSON object
        per line: flag_id, decision, note, reviewer, decided_at, and review_id when the desk
        wrote one) into `reviews`; a decision already in the table (same review_id, or the
        same flag, decision, reviewer and time) is not inserted twice, and a line that is not
        such an object (cut by a crash) is skipped.  Returns how many of the journal's
        decisions the table holds afterwards."""
        decided = reviews.journal_rows(journal)  # the one reader of the journal
        rows = [{c: (None if r.get(c) is None or r.get(c) != r.get(c) else str(r.get(c))) for c in REVIEW_TABLE}
                for r in decided]
        if not rows:
            return 0
        body = ", ".join(f'"{c}" {t}' for c, t in REVIEW_TABLE.items())
        key = "coalesce(r.review_id, '') = coalesce(j.review_id, '') AND r.flag_id = j.flag_id " \
              "AND r.decision IS NOT DISTINCT FROM j.decision AND r.reviewer IS NOT DISTINCT FROM j.reviewer " \
              "AND r.decided_at IS NOT DISTINCT FROM j.decided_at"
        by_id = "(j.review_id IS NOT NULL AND r.review_id = j.review_id)"
        with self._transaction(f"Re-importing the review decisions of {journal}") as state:
            state["doing"] = "writing reviews"
            self.con.execute(f"CREATE TABLE IF NOT EXISTS reviews ({body})")
            have = {r[0] for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'reviews'").fetchall()}
            for c, t in REVIEW_TABLE.items():
                if c not in have:
                    self.con.execute(f'ALTER TABLE reviews ADD COLUMN "{c}" {t}')
            self.con.register("_journal", _object_columns({c: [r[c] for r in rows] for c in REVIEW_TABLE}))
            names = ", ".join(f'"{c}"' for c in REVIEW_TABLE)
            self.con.execute(f"INSERT INTO reviews ({names}) SELECT {names} FROM _journal j "
                             f"WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE {by_id} OR ({key}))")
            n = self.con.execute(f"SELECT count(*) FROM _journal j WHERE EXISTS "
                                 f"(SELECT 1 FROM reviews r WHERE {by_id} OR ({key}))").fetchall()[0][0]
            self.con.unregister("_journal")
        return int(n)

    def _discard(self) -> None:
        """Close without CHECKPOINT: nothing may be written to a damaged store."""
        try:
            self.con.close()
        except Exception:
            pass
        self.con = None

    def close(self):
        if self.con is None:
            return
        try:
            # folds the write-ahead log into the file; if the disk is full this fails and
            # the log stays, which DuckDB replays on the next open: nothing is lost
            self.con.execute("CHECKPOINT")
        except Exception as exc:
            self.checkpoint_failure = exc
        try:
            self.con.close()
        except Exception:
            pass
        self.con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def checkpoint_warning(store: "Store") -> Optional[str]:
    """What to tell the user when close() could not fold the write-ahead log into the
    store file (a full disk): the results are safe in the log, replayed on the next open."""
    exc = store.checkpoint_failure
    if exc is None:
        return None
    free = free_space(store.path)
    return (f"warning: the results are stored, but the write-ahead log {store.path.name}.wal could not be folded "
            f"into {store.path} ({_cause_text(exc)}"
            + (f"; {_human(free)} free" if free is not None else "")
            + "). Keep both files together: the next run that can write there folds it in.")


def move_aside(path: str | Path) -> Optional[Path]:
    """Rename a (damaged) store and its write-ahead log to `<stem>.damaged-<time><suffix>`
    beside it: kept for inspection, never deleted.  Returns the new path of the store file
    (None when there was none)."""
    path = Path(path)
    wal = path.with_name(path.name + ".wal")
    if not path.exists() and not wal.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    try:
        if path.exists():
            os.replace(path, aside)
        if wal.exists():
            os.replace(wal, aside.with_name(aside.name + ".wal"))
    except OSError as exc:
        raise StorageError(f"Moving the damaged store {path} aside", path, exc) from exc
    _fsync(path.parent)
    return aside


def remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary files (`.<name>.tmp-<pid>`) of a killed run or of a failed export, and
    folders so named (a killed run's files read ahead: readers.spill_folder)."""
    for stale in Path(out_dir).glob(".*.tmp-*"):
        try:
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        except OSError:
            pass


def _export_ranges(counts: list[tuple]) -> list[tuple[int, int]]:
    """(start, end) index ranges over the (doc_id, rows) list in doc_id order: consecutive
    documents until EXPORT_DOCS_PER_CHUNK documents or EXPORT_ROWS_PER_CHUNK rows (a larger
    document makes a range of its own)."""
    ranges: list[tuple[int, int]] = []
    start, rows = 0, 0
    for k, (_, n) in enumerate(counts):
        if k > start and (k - start >= EXPORT_DOCS_PER_CHUNK or rows + n > EXPORT_ROWS_PER_CHUNK):
            ranges.append((start, k))
            start, rows = k, 0
        rows += n
    if start < len(counts):
        ranges.append((start, len(counts)))
    return ranges


def _parquet_options() -> str:
    return f"(FORMAT PARQUET, ROW_GROUP_SIZE {int(EXPORT_ROW_GROUP_ROWS)})"


def _connect(path: Path, read_only: bool, wait: float, on_wait):
    """A DuckDB connection; another process holding the file is waited for, up to `wait`
    seconds, then reported as StoreLocked naming that process.  A file that is not a
    readable DuckDB store raises StoreDamaged, any other failure StorageError."""
    import duckdb

    deadline = time.monotonic() + max(0.0, wait)
    delay = 0.1
    told = False
    while True:
        try:
            # DuckDB's buffer pool would otherwise grow towards 80% of RAM as the store grows;
            # results are written in small batches, so a modest pool costs no speed
            config = {"memory_limit": os.environ.get("BUDGETLENS_DUCKDB_MEMORY", "64MB")}
            threads = os.environ.get("BUDGETLENS_DUCKDB_THREADS", "" if read_only else "1")
            if threads:
                # a writer's statements are small (a batch's rows, its deletes, a snapshot):
                # a second DuckDB thread costs CPU to schedule and merge and buys no time,
                # and competes with the worker processes for the cores
                config["threads"] = int(threads)
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise _open_failure(path, exc) from exc
            holder = re.search(r"PID (\d+)", str(exc))
            who = f"budgetlens process (PID {holder.group(1)})" if holder else "budgetlens process"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreLocked(
                    f"the store {path} is in use by another {who}"
                    + (f"; waited {wait:g} s" if wait > 0 else "")
                    + "; wait for it to finish, raise --store-wait-seconds, or use another --out") from None
            if on_wait and not told:
                on_wait(f"the store {path} is in use by another {who}; waiting up to {wait:g} s")
                told = True
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)
        except (duckdb.Error, OSError) as exc:
            raise _open_failure(path, exc) from exc


def _identity(path: Path) -> Optional[tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_dev, st.st_ino)


def _open_failure(path: Path, exc: BaseException) -> StorageError:
    if is_damage(exc):
        return StoreDamaged("Opening the results store", path, exc)
    return StorageError(f"Opening the results store {path}", path, exc,
                        outcome="Nothing was processed or recorded.")


def _fsync(path: Path, strict: bool = False) -> None:
    """Flush a file (or a folder's entries) to disk.  `strict`: a failure to flush a file
    just written raises (the data may not be on disk)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if strict:
            raise
        return
    try:
        os.fsync(fd)
    except OSError:
        if strict:
            raise
    finally:
        os.close(fd)
