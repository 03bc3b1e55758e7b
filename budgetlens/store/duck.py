"""The DuckDB store.  Every output table is keyed by `doc_id`: writing a document's
results first deletes its earlier rows in the same transaction, so a re-run replaces and
never duplicates.  Parquet files are snapshots of the store, written atomically."""
from __future__ import annotations

import os
import re
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd
from budgetlens.limits import current

SCHEMA = {
    "documents": {
        "doc_id": "VARCHAR", "source": "VARCHAR", "format": "VARCHAR", "department": "VARCHAR",
        "region": "VARCHAR", "year": "INTEGER", "doc_kind": "VARCHAR", "scope": "VARCHAR",
        "status": "VARCHAR", "error": "VARCHAR", "title": "VARCHAR", "sources": "VARCHAR[]",
        "template": "VARCHAR", "pages": "INTEGER", "n_tables": "INTEGER", "n_sentences": "INTEGER",
        "read_seconds": "DOUBLE", "process_seconds": "DOUBLE", "run_id": "VARCHAR",
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
    },
    "table_cells": {
        "source": "VARCHAR", "doc_id": "VARCHAR", "table_id": "VARCHAR", "table_type": "VARCHAR",
        "title": "VARCHAR", "row": "INTEGER", "column": "INTEGER", "row_code": "VARCHAR",
        "row_label": "VARCHAR", "column_label": "VARCHAR", "value": "DOUBLE", "unit": "VARCHAR",
        "value_wan": "DOUBLE", "raw": "VARCHAR", "start": "INTEGER", "end": "INTEGER", "run_id": "VARCHAR",
    },
    "flags": {
        "source": "VARCHAR", "doc_id": "VARCHAR", "flag_id": "VARCHAR", "family": "VARCHAR",
        "rule": "VARCHAR", "severity": "VARCHAR", "message": "VARCHAR", "values": "DOUBLE[]",
        "stated": "DOUBLE", "expected": "DOUBLE", "difference": "DOUBLE", "evidence": "VARCHAR[]",
        "related": "VARCHAR[]", "start": "INTEGER", "end": "INTEGER", "sentence": "VARCHAR",
        "cells": "VARCHAR[]", "run_id": "VARCHAR",
    },
}
TABLES = list(SCHEMA)

# What each input file became, so that a re-run (after a crash, or with a few new files)
# skips files whose bytes and pipeline are unchanged.  Written in the same transaction as
# the document's rows: a document is either complete (rows + files entry) or absent.
FILES = {
    "path": "VARCHAR", "size": "BIGINT", "mtime_ns": "BIGINT", "sha256": "VARCHAR",
    "doc_id": "VARCHAR", "source": "VARCHAR", "status": "VARCHAR", "transient": "BOOLEAN",
    "duplicate_of": "VARCHAR", "fingerprint": "VARCHAR", "run_id": "VARCHAR", "finished": "VARCHAR",
}
RUNS = {
    "run_id": "VARCHAR", "started": "VARCHAR", "finished": "VARCHAR", "documents": "INTEGER",
    "errors": "INTEGER", "flags": "INTEGER", "command": "VARCHAR", "skipped": "INTEGER",
}


class StoreLocked(RuntimeError):
    """Another process holds the store."""


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


class Store:
    """`wait`: seconds to wait for another process to release the store before raising
    `StoreLocked` (default: the `store_wait_seconds` limit for a writable store, 0 for a
    read-only one).  `on_wait(message)` is called once when waiting starts."""

    def __init__(self, path: str | Path, read_only: bool = False, wait: float | None = None,
                 on_wait: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if wait is None:
            wait = 0.0 if read_only else current().store_wait_seconds
        self.con = _connect(self.path, read_only, wait, on_wait)
        if not read_only:
            self._create()

    def _create(self):
        for name, cols in [*SCHEMA.items(), ("files", FILES), ("runs", RUNS)]:
            body = ", ".join(f'"{c}" {t}' for c, t in cols.items())
            self.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({body})')
            existing = {r[0] for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()}
            for c, t in cols.items():  # columns added by later versions
                if c not in existing:
                    self.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{c}" {t}')

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT doc_id FROM documents").fetchall()}

    def write(self, frames: dict[str, pd.DataFrame], run_id: str, files: pd.DataFrame | None = None) -> None:
        """Replace the rows of every document in `frames['documents']` in one transaction,
        together with the `files` entries (see FILES) that record what each input became."""
        docs = frames["documents"]
        if docs.empty:
            if files is not None and not files.empty:
                self.write_files(files, run_id)
            return
        ids = pd.DataFrame({"doc_id": docs["doc_id"].astype(str).unique()})
        sources = pd.DataFrame({"source": docs["source"].astype(str).unique()})
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("_ids", ids)
            self.con.register("_sources", sources)
            for name in TABLES:
                # a document is replaced by its id and by its source path (an edited file
                # gets a new content hash but must not leave its old results behind)
                self.con.execute(f'DELETE FROM "{name}" WHERE doc_id IN (SELECT doc_id FROM _ids) '
                                 f'OR source IN (SELECT source FROM _sources)')
                df = frames.get(name)
                if df is None or df.empty:
                    continue
                df = df.copy()
                df["run_id"] = run_id
                cols = list(SCHEMA[name])
                for c in cols:
                    if c not in df.columns:
                        df[c] = None
                df = df[cols]
                self.con.register("_df", df)
                casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in SCHEMA[name].items())
                self.con.execute(f'INSERT INTO "{name}" SELECT {casts} FROM _df')
                self.con.unregister("_df")
            self.con.unregister("_ids")
            self.con.unregister("_sources")
            if files is not None and not files.empty:
                self._replace_files(files, run_id)
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise

    def write_files(self, files: pd.DataFrame, run_id: str) -> None:
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._replace_files(files, run_id)
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise

    def _replace_files(self, files: pd.DataFrame, run_id: str) -> None:
        df = files.copy()
        df["run_id"] = run_id
        df["finished"] = datetime.now(timezone.utc).isoformat()
        for c in FILES:
            if c not in df.columns:
                df[c] = None
        df = df[list(FILES)]
        self.con.register("_files", df)
        self.con.execute("DELETE FROM files WHERE path IN (SELECT path FROM _files)")
        casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in FILES.items())
        self.con.execute(f"INSERT INTO files SELECT {casts} FROM _files")
        self.con.unregister("_files")

    def finished_files(self, keys: pd.DataFrame, fingerprint: str) -> pd.DataFrame:
        """The `files` entries that match `keys` (path, size, mtime_ns, sha256) and were
        produced by the same pipeline (`fingerprint`), and whose document is still in
        the store (or, for a duplicate, whose original is)."""
        if keys.empty:
            return pd.DataFrame(columns=list(FILES))
        self.con.register("_keys", keys[["path", "size", "mtime_ns", "sha256"]])
        try:
            return self.con.execute(
                "SELECT f.* FROM files f JOIN _keys k ON f.path = k.path AND f.size = k.size "
                "AND f.mtime_ns = k.mtime_ns AND f.sha256 = k.sha256 "
                "WHERE f.fingerprint = ? AND NOT coalesce(f.transient, false) "
                "AND f.doc_id IN (SELECT doc_id FROM documents)", [fingerprint]).df()
        finally:
            self.con.unregister("_keys")

    def replace_family_flags(self, family: str, doc_ids: list[str], flags: pd.DataFrame,
                             run_id: str | None = None) -> None:
        """Replace one family's flags of the given documents (corpus-level checks such as
        cross_document are recomputed after each run, apart from per-document rows)."""
        if not doc_ids:
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("_fam_ids", pd.DataFrame({"doc_id": list(doc_ids)}))
            self.con.execute('DELETE FROM flags WHERE family = ? AND doc_id IN (SELECT doc_id FROM _fam_ids)', [family])
            self.con.unregister("_fam_ids")
            if flags is not None and not flags.empty:
                df = flags.copy()
                df["run_id"] = run_id
                cols = list(SCHEMA["flags"])
                for c in cols:
                    if c not in df.columns:
                        df[c] = None
                self.con.register("_fam", df[cols])
                casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in SCHEMA["flags"].items())
                self.con.execute(f'INSERT INTO flags SELECT {casts} FROM _fam')
                self.con.unregister("_fam")
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise

    def record_run(self, run_id, started, finished, documents, errors, flags, command, skipped: int = 0):
        self.con.execute("INSERT INTO runs (run_id, started, finished, documents, errors, flags, command, skipped) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [run_id, started, finished, documents, errors, flags, command, skipped])

    def table(self, name: str, where: str = "", params=None) -> pd.DataFrame:
        sql = f'SELECT * FROM "{name}"' + (f" WHERE {where}" if where else "")
        return self.con.execute(sql, params or []).df()

    def export_parquet(self, out_dir: str | Path, only_sources: list[str] | None = None,
                       only_doc_ids: list[str] | None = None) -> dict[str, Path]:
        """Write each table as Parquet atomically: a temp file in the same folder, flushed
        to disk, then renamed over the old one.  A crash leaves either the old or the new
        file, never half of one; temp files of a killed run are removed here."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for stale in out_dir.glob(".*.parquet.tmp-*"):
            try:
                stale.unlink()
            except OSError:
                pass
        where = ""
        if only_sources is not None or only_doc_ids is not None:
            self.con.register("_only_sources", pd.DataFrame({"source": list(only_sources or [])}, dtype=object))
            self.con.register("_only_ids", pd.DataFrame({"doc_id": list(only_doc_ids or [])}, dtype=object))
            where = (" WHERE source IN (SELECT source FROM _only_sources) "
                     "OR doc_id IN (SELECT doc_id FROM _only_ids)")
        written = {}
        for name in TABLES:
            final = out_dir / f"{name}.parquet"
            tmp = out_dir / f".{name}.parquet.tmp-{os.getpid()}"
            order = "doc_id" if name == "documents" else "doc_id, 1"
            target = str(tmp).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM \"{name}\"{where} ORDER BY {order}) TO '{target}' (FORMAT PARQUET)")
            _fsync(tmp)
            os.replace(tmp, final)
            written[name] = final
        _fsync(out_dir)
        return written

    def close(self):
        if self.con is None:
            return
        try:
            self.con.execute("CHECKPOINT")
        except Exception:
            pass
        self.con.close()
        self.con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _connect(path: Path, read_only: bool, wait: float, on_wait):
    """A DuckDB connection; another process holding the file is waited for, up to `wait`
    seconds, then reported as StoreLocked naming that process."""
    import duckdb

    deadline = time.monotonic() + max(0.0, wait)
    delay = 0.1
    told = False
    while True:
        try:
            # DuckDB's buffer pool would otherwise grow towards 80% of RAM as the store grows;
            # results are written in small batches, so a modest pool costs no speed
            config = {"memory_limit": os.environ.get("BUDGETLENS_DUCKDB_MEMORY", "256MB")}
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
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


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
