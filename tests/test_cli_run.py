"""`budgetlens run`: outputs per the contract; a corrupt file is an error row, not a crash."""
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
from conftest import SEED_000, SEED_002

CONTRACT = {
    "documents": ["doc_id", "source", "format", "department", "region", "year", "doc_kind", "scope", "status", "error"],
    "facts": ["source", "doc_id", "kind", "subject", "value", "unit", "value_wan", "per", "comparator", "year",
              "base_year", "direction", "parent", "group", "origin", "section", "sentence", "start", "end"],
    "table_cells": ["source", "doc_id", "table_id", "table_type", "title", "row", "column", "row_code", "row_label",
                    "column_label", "value", "unit", "value_wan"],
    "flags": ["source", "doc_id", "flag_id", "family", "rule", "severity", "message", "values", "stated",
              "expected", "difference", "evidence"],
}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "budgetlens.pipelines.cli", *args], capture_output=True, text=True, timeout=120)


def test_run_with_corrupt_file_among_good_ones(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SEED_000, inp)
    shutil.copy(SEED_002, inp)
    (inp / "broken.docx").write_bytes(b"PK\x03\x04 this is not a zip")
    (inp / "empty.txt").write_bytes(b"")
    (inp / "junk.pdf").write_bytes(b"\x00\x01garbage" * 50)
    out = tmp_path / "out"
    res = run_cli("run", str(inp), "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    for name, cols in CONTRACT.items():
        df = pd.read_parquet(out / f"{name}.parquet")
        assert set(cols) <= set(df.columns), name
    docs = pd.read_parquet(out / "documents.parquet").set_index(
        pd.read_parquet(out / "documents.parquet")["source"].map(lambda s: Path(s).name))
    assert docs.loc["000_3d763aca435f5d08.txt", "status"] == "ok"
    assert docs.loc["002_12a0a1313b8a7506.txt", "status"] == "ok"
    assert docs.loc["broken.docx", "status"] == "error" and "corrupt .docx" in docs.loc["broken.docx", "error"]
    assert docs.loc["empty.txt", "error"] == "empty file"
    assert "not a PDF" in docs.loc["junk.pdf", "error"]
    cells = pd.read_parquet(out / "table_cells.parquet")
    assert len(cells) > 200
    assert (out / "report.html").exists()
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    assert con.execute("select count(*) from documents").fetchone()[0] == 5
    con.close()

    # a re-run replaces, never duplicates
    res = run_cli("run", str(inp), "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    assert con.execute("select count(*) from documents").fetchone()[0] == 5
    assert con.execute("select count(*) from table_cells").fetchone()[0] == len(cells)


def test_file_name_not_utf8_is_an_error_row_and_the_rest_is_stored(tmp_path):
    """A name of bytes that are not UTF-8 (a Linux file system allows them) cannot be stored
    as text: that file is an error row named by its escaped bytes, the others are processed,
    with one worker and with two, and a re-run replaces the row.  (Before, the run stopped
    with a traceback while pairing the inputs.)"""
    import os

    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SEED_000, inp)
    shutil.copy(SEED_002, inp)
    shutil.copy(SEED_002, os.fsencode(inp) + b"/bad\xff\xfename.txt")
    shutil.copy(SEED_000, inp / "copy.txt")
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        for _ in range(2):
            res = run_cli("run", str(inp), "--out", str(out), "--quiet", "--workers", workers)
            assert res.returncode == 0, res.stderr
            con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
            rows = dict(con.execute("SELECT source, status FROM documents").fetchall())
            con.close()
            bad = str(inp / "bad\\xff\\xfename.txt")
            assert rows[bad] == "error" and rows[str(inp / "002_12a0a1313b8a7506.txt")] == "ok"
            assert len(rows) == 3  # copy.txt is the same bytes as 000: a duplicate, not a document
        docs = pd.read_parquet(out / "documents.parquet")
        assert "rename the file" in docs.set_index("source").loc[bad, "error"]


def test_bad_arguments_exit_non_zero(tmp_path):
    assert run_cli("run", str(tmp_path / "nope"), "--out", str(tmp_path / "o")).returncode != 0


def test_progress_bar_on_a_terminal_and_lines_in_a_log():
    """On a terminal the run shows a rich progress bar; without one (a log), a line per batch."""
    import io

    from rich.console import Console

    from budgetlens.engine.run import Progress

    buf = io.StringIO()
    p = Progress(4, quiet=False, n_batches=2, console=Console(file=buf, force_terminal=True, width=100))
    p.total = 5  # the crawler learns its total late
    p.update(2, 3)
    p.update(3, 1)
    p.close()
    out = buf.getvalue()
    assert "5/5" in out and "4 flags" in out
    log = Progress(4, quiet=False, n_batches=2, console=Console(file=io.StringIO(), force_terminal=False))
    assert log._bar is None and not log.tty
