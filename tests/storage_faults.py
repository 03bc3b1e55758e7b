"""Storage faults injected at the write layer, without root: the store's DuckDB connection
is wrapped so that the n-th statement matching a pattern fails the way a full disk makes
DuckDB fail (or pauses, so that a test can `kill -9` the process at that point).

In-process: `install(monkeypatch, Fault(...))`.  In a subprocess:
    python tests/storage_faults.py FAULT -- budgetlens-args...
with FAULT as `fail:PATTERN:N` or `pause:PATTERN:N` (the process prints `PAUSED` on stderr
and sleeps), e.g. `pause:COPY:2`."""
from __future__ import annotations

import errno
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ENOSPC = "No space left on device"

# one pattern per write step of a run (the SQL the store sends for it)
STEPS = {
    "delete": r'^DELETE FROM "facts"',
    "documents": r'^INSERT INTO "documents"',
    "facts": r'^INSERT INTO "facts"',
    "cells": r'^INSERT INTO "table_cells"',
    "flags": r'^INSERT INTO "flags"',
    "files": r"^INSERT INTO files",
    "commit": r"^COMMIT",
    "cross_document": r"^DELETE FROM flags WHERE family",
    "runs": r"^INSERT INTO runs",
    "export": r'^COPY \(SELECT [^()]*(\([^()]*\))? FROM "table_cells"',  # "*" or "* EXCLUDE (write_seq)"
}


@dataclass
class Fault:
    pattern: str
    nth: int | tuple = 1  # the n-th matching statement fails (earlier ones run); or several n
    action: str = "fail"  # or "pause", or "refuse" (a value the schema refuses: about the data)
    seen: int = 0
    fired: list = field(default_factory=list)

    def check(self, sql: str) -> bool:
        if not re.search(self.pattern, sql.lstrip()):
            return False
        self.seen += 1
        return self.seen in (self.nth if isinstance(self.nth, tuple) else (self.nth,))


class FaultyConnection:
    """A DuckDB connection whose matching statement fails like a full disk does: an
    IOException from a write, and for COMMIT a TransactionException after DuckDB has
    already rolled the transaction back (so a later ROLLBACK finds none)."""

    def __init__(self, con, fault: Fault, path: Path):
        self._con, self._fault, self._path = con, fault, path

    def execute(self, sql, *args, **kw):
        if self._fault.check(sql):
            self._fault.fired.append(sql.split("(")[0][:40])
            if self._fault.action == "pause":
                result = self._con.execute(sql, *args, **kw)
                sys.stderr.write("PAUSED\n")
                sys.stderr.flush()
                time.sleep(120)
                return result
            if self._fault.action == "unlink":  # someone removes the store under the running process
                self._path.unlink()
                return self._con.execute(sql, *args, **kw)
            if self._fault.action == "refuse":
                raise duckdb.ConversionException("Conversion Error: Could not convert string 'x' to INT32")
            if sql.lstrip().startswith("COMMIT"):
                self._con.execute("ROLLBACK")
                raise duckdb.TransactionException(
                    f'TransactionContext Error: Failed to commit: Could not write file "{self._path}.wal": {ENOSPC}')
            raise duckdb.IOException(f'IO Error: Could not write file "{self._path}": {ENOSPC}')
        return self._con.execute(sql, *args, **kw)

    def cursor(self):  # another connection to the same file fails the same way (the store's view)
        return FaultyConnection(self._con.cursor(), self._fault, self._path)

    def __getattr__(self, name):
        return getattr(self._con, name)


def install(monkeypatch, fault: Fault) -> Fault:
    import budgetlens.store.duck as duck

    real = duck._connect

    def connect(path, read_only, wait, on_wait):
        con = real(path, read_only, wait, on_wait)
        return con if read_only else FaultyConnection(con, fault, Path(path))

    monkeypatch.setattr(duck, "_connect", connect)
    return fault


def failing_report(monkeypatch) -> list:
    """report.html cannot be written: a partial temporary file, then ENOSPC."""
    import budgetlens.engine.run as runner

    calls = []

    def write_report(store, path, sources=None):
        calls.append(path)
        Path(path).write_text("<html>partial", encoding="utf-8")
        raise OSError(errno.ENOSPC, ENOSPC, str(path))

    monkeypatch.setattr(runner, "_write", write_report)
    return calls


if __name__ == "__main__":
    spec, rest = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    action, step, nth = spec.split(":")
    fault = Fault(STEPS.get(step, step), int(nth), action)

    class _MP:  # a monkeypatch stand-in for a process that ends with the run
        @staticmethod
        def setattr(obj, name, value):
            setattr(obj, name, value)

    install(_MP, fault)
    from budgetlens.pipelines.cli import main

    sys.exit(main(rest))
