"""The DuckDB store.  Every output table is keyed by `doc_id`: writing a document's
results first deletes its earlier rows in the same transaction, so a re-run replaces and
never duplicates.  Parquet files are snapshots of the store, written atomically."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

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
        "row": "INTEGER", "is_target": "BOOLEAN", "raw": "VARCHAR", "run_id": "VARCHAR",
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


class StoreLocked(RuntimeError):
    """Another process holds the store."""


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


class Store:
    def __init__(self, path: str | Path, read_only: bool = False):
        import duckdb

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLocked(
                    f"the store {self.path} is in use by another budgetlens process; "
                    "wait for it to finish or use another --out/--store") from None
            raise
        if not read_only:
            self._create()

    def _create(self):
        for name, cols in SCHEMA.items():
            body = ", ".join(f'"{c}" {t}' for c, t in cols.items())
            self.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({body})')
            existing = {r[0] for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()}
            for c, t in cols.items():  # columns added by later versions
                if c not in existing:
                    self.con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{c}" {t}')
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR, started VARCHAR, finished VARCHAR, "
            "documents INTEGER, errors INTEGER, flags INTEGER, command VARCHAR)")

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT doc_id FROM documents").fetchall()}

    def write(self, frames: dict[str, pd.DataFrame], run_id: str) -> None:
        """Replace the rows of every document in `frames['documents']` in one transaction."""
        docs = frames["documents"]
        if docs.empty:
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
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise

    def record_run(self, run_id, started, finished, documents, errors, flags, command):
        self.con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [run_id, started, finished, documents, errors, flags, command])

    def table(self, name: str, where: str = "", params=None) -> pd.DataFrame:
        sql = f'SELECT * FROM "{name}"' + (f" WHERE {where}" if where else "")
        return self.con.execute(sql, params or []).df()

    def export_parquet(self, out_dir: str | Path, only_sources: list[str] | None = None) -> dict[str, Path]:
        """Write each table as Parquet atomically (temp file, then rename)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in TABLES:
            final = out_dir / f"{name}.parquet"
            tmp = out_dir / f".{name}.parquet.tmp-{os.getpid()}"
            order = "doc_id" if name == "documents" else "doc_id, 1"
            where = ""
            params: list = []
            if only_sources is not None:
                self.con.register("_only", pd.DataFrame({"source": only_sources}))
                where = " WHERE source IN (SELECT source FROM _only)"
            self.con.execute(f"COPY (SELECT * FROM \"{name}\"{where} ORDER BY {order}) TO '{tmp}' (FORMAT PARQUET)", params)
            os.replace(tmp, final)
            written[name] = final
        return written

    def close(self):
        try:
            self.con.execute("CHECKPOINT")
        except Exception:
            pass
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
