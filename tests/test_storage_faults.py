"""Storage faults never lose a result (issue 16).

A failure to store is injected at each write step of a run (tests/storage_faults.py wraps
the store's DuckDB connection; no root needed); each faulted run must stop with a one-
paragraph message and its exit status, leave no document half-stored or marked done, and
the same command run again must end with results identical to a clean run's.  Also: a
truncated and a byte-flipped store, a read-only output folder, `kill -9` during the
export, and a small disk (a file-size limit, `ulimit -f`, in a subprocess)."""
from __future__ import annotations

import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from badinput.generate import sample_variant
from conftest import SEED_000, SEED_002
from storage_faults import STEPS, Fault, failing_report, install

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("documents", "facts", "table_cells", "flags", "files")
VOLATILE = {"run_id", "read_seconds", "process_seconds", "finished", "fingerprint", "write_seq"}  # write_seq: which write stored a row
ENV = {**os.environ, "BUDGETLENS_PIPELINE_VERSION": "test-storage-faults"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Four documents: the two seeds and a variant of each (two batches of two)."""
    d = tmp_path_factory.mktemp("storage-in")
    shutil.copy(SEED_000, d)
    shutil.copy(SEED_002, d)
    for i in range(2):
        (d / f"variant_{i}.txt").write_text(sample_variant(i, "storage"), encoding="utf-8")
    return d


def run(inputs: Path, out: Path, *extra: str) -> int:
    from budgetlens.pipelines.cli import main

    return main(["run", str(inputs), "--out", str(out), "--batch-size", "2", "--quiet", *extra])


def _norm(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    return v


def results(out: Path) -> dict:
    """Every table of the store and every Parquet snapshot, as sorted rows without the
    columns that change from run to run (run ids, timings)."""
    got = {}
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    try:
        for name in TABLES:
            df = con.execute(f'SELECT * FROM "{name}"').df()
            cols = [c for c in df.columns if c not in VOLATILE]
            got[name] = (cols, sorted(map(repr, (tuple(_norm(v) for v in r) for r in df[cols].itertuples(index=False)))))
    finally:
        con.close()
    import pandas as pd

    for name in TABLES[:4]:
        df = pd.read_parquet(out / f"{name}.parquet")
        cols = [c for c in df.columns if c not in VOLATILE]
        got[name + ".parquet"] = sorted(map(repr, (tuple(_norm(v) for v in r) for r in df[cols].itertuples(index=False))))
    return got


def integrity(out: Path) -> dict:
    from budgetlens.store import Store

    with Store(out / "budgetlens.duckdb", read_only=True) as s:
        s.verify()
        return {k: len(v) for k, v in s.integrity().items()}


def assert_consistent(out: Path, n_docs: int) -> None:
    found = integrity(out)
    for key in ("incomplete", "duplicate_documents", "orphans", "files_without_document", "files_status"):
        assert found[key] == 0, (key, found)
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == n_docs
        assert con.execute("SELECT count(DISTINCT doc_id) FROM files").fetchone()[0] == n_docs
    finally:
        con.close()


def assert_one_paragraph(err: str, *must: str) -> None:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("budgetlens: "), err
    for m in must:
        assert m in err, (m, err)


@pytest.fixture(scope="module")
def clean(inputs, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("storage-clean")
    assert run(inputs, out) == 0
    got = results(out)
    assert len(got["documents"][1]) == 4 and len(got["facts"][1]) > 100 and len(got["flags"][1]) > 0
    return got


@pytest.mark.parametrize("step", ["documents", "facts", "cells", "flags", "files", "commit"])
def test_a_failed_write_stores_nothing_of_its_batch_and_a_rerun_completes_it(step, inputs, clean, tmp_path,
                                                                             monkeypatch, capsys):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        fault = install(m, Fault(STEPS[step], nth=2))  # the second batch: the first is stored
        code = run(inputs, out)
    assert fault.fired, f"no {step} statement in the second batch"
    err = capsys.readouterr().err
    assert code == 4
    assert_one_paragraph(err, "No space left on device", "free on the disk", "Nothing of this batch (2 document(s)) "
                         "was recorded and none of them is marked done", "run the same command again")
    assert_consistent(out, 2)  # the first batch whole, nothing of the second
    assert not (out / "documents.parquet").exists()

    assert run(inputs, out) == 0
    assert "2 unchanged since an earlier run (skipped)" in capsys.readouterr().out  # exactly what was missing
    assert results(out) == clean


def test_a_failed_delete_of_earlier_rows_keeps_them_and_a_rerun_replaces_them(inputs, clean, tmp_path, monkeypatch,
                                                                             capsys):
    """Earlier rows are deleted only for documents the store holds (a first run's batches
    delete nothing): here a recomputed batch, whose failed DELETE leaves those rows whole."""
    out = tmp_path / "out"
    assert run(inputs, out) == 0
    with monkeypatch.context() as m:
        fault = install(m, Fault(STEPS["delete"], nth=2))  # the second batch's
        code = run(inputs, out, "--recompute")
    assert fault.fired, "no delete statement in the second batch"
    err = capsys.readouterr().err
    assert code == 4
    assert_one_paragraph(err, "No space left on device", "Nothing of this batch (2 document(s)) was recorded")
    assert_consistent(out, 4)  # the first batch replaced, the second's earlier rows kept
    assert run(inputs, out, "--recompute") == 0
    assert results(out) == clean


def test_a_value_the_store_refuses_is_that_documents_error_not_a_storage_failure(inputs, tmp_path, monkeypatch,
                                                                                  capsys):
    """About the data, not the machine: the batch is stored document by document, the one
    refused becomes an error row (not retried: it would fail the same way), the run goes on."""
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        fault = install(m, Fault(STEPS["facts"], nth=(1, 2), action="refuse"))  # the batch, then its first document
        assert run(inputs, out) == 0
    assert len(fault.fired) == 2
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    rows = con.execute("SELECT status, error FROM documents ORDER BY source").fetchall()
    con.close()
    assert [r[0] for r in rows] == ["error", "ok", "ok", "ok"]
    assert rows[0][1].startswith("results refused by the store: ConversionException")
    assert_consistent(out, 4)
    capsys.readouterr()
    assert run(inputs, out) == 0
    assert "4 unchanged since an earlier run (skipped)" in capsys.readouterr().out


def test_a_store_removed_under_the_run_is_a_lost_lock_not_a_silent_loss(inputs, clean, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        fault = install(m, Fault(STEPS["documents"], nth=2, action="unlink"))
        code = run(inputs, out)
    assert fault.fired and code == 4
    assert_one_paragraph(capsys.readouterr().err, "removed, moved or replaced", "run the same command again")
    assert run(inputs, out) == 0
    assert results(out) == clean


@pytest.mark.parametrize("step", ["cross_document", "runs"])
def test_a_failure_after_the_batches_keeps_every_document(step, inputs, clean, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        fault = install(m, Fault(STEPS[step], nth=1))
        code = run(inputs, out)
    assert fault.fired
    assert code == 4
    assert_one_paragraph(capsys.readouterr().err, "Every document's results are stored")
    assert_consistent(out, 4)
    assert run(inputs, out) == 0
    assert "4 unchanged since an earlier run (skipped)" in capsys.readouterr().out
    assert results(out) == clean


def snapshot_bytes(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet")) + [out / "report.html"] if p.exists()}


@pytest.mark.parametrize("what", ["parquet", "report"])
def test_an_export_failure_leaves_the_store_and_the_previous_snapshots(what, inputs, clean, tmp_path, monkeypatch,
                                                                        capsys):
    out = tmp_path / "out"
    # a first run whose export fails: the store is complete, no snapshot half-written
    with monkeypatch.context() as m:
        if what == "parquet":
            fault = install(m, Fault(STEPS["export"], nth=1))
        else:
            fault = Fault("", fired=failing_report(m))
        code = run(inputs, out)
    assert fault.fired and code == 6
    assert_one_paragraph(capsys.readouterr().err, "No space left on device", "The store",
                         "nothing is recomputed, and the snapshots and report are written again")
    assert_consistent(out, 4)
    assert not list(out.glob(".*tmp-*")), list(out.iterdir())
    assert not (out / "report.html").exists()
    if what == "parquet":
        assert not list(out.glob("*.parquet"))
    assert run(inputs, out) == 0
    assert "4 unchanged since an earlier run (skipped)" in capsys.readouterr().out
    assert results(out) == clean

    # a later run whose export fails keeps the previous files byte for byte
    before = snapshot_bytes(out)
    with monkeypatch.context() as m:
        if what == "parquet":
            install(m, Fault(STEPS["export"], nth=1))
        else:
            failing_report(m)
        assert run(inputs, out, "--recompute") == 6
    assert "intact" in capsys.readouterr().err
    after = snapshot_bytes(out)
    if what == "parquet":  # no Parquet file replaced, the report not rewritten
        assert after == before
    else:  # the Parquet snapshots came first and are complete; the report is the previous one
        assert after["report.html"] == before["report.html"]
    assert not list(out.glob(".*tmp-*"))
    assert_consistent(out, 4)


def _flip(path: Path) -> None:
    """Overwrite a few bytes in the middle of every 256 KB block after the header."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        for off in range(12288 + 131072, size, 262144):
            fh.seek(off)
            b = fh.read(8)
            fh.seek(off)
            fh.write(bytes(x ^ 0xFF for x in b))


@pytest.mark.parametrize("damage", ["truncated", "byte-flipped"])
def test_a_damaged_store_is_reported_and_rebuilt_keeping_reviews(damage, inputs, clean, tmp_path, capsys):
    from budgetlens.pipelines.cli import main
    from budgetlens.store import Store

    out = tmp_path / "out"
    assert run(inputs, out) == 0
    store = out / "budgetlens.duckdb"
    assert not store.with_name(store.name + ".wal").exists()
    if damage == "truncated":
        os.truncate(store, store.stat().st_size // 2)
    else:
        _flip(store)
    damaged = store.read_bytes()
    journal = out / "reviews.jsonl"
    journal.write_text('{"flag_id": "f1", "decision": "confirmed", "note": "checked p. 3", "reviewer": "wang", '
                       '"decided_at": "2026-11-30T10:00:00Z"}\n'
                       '{"review_id": "r2", "flag_id": "f2", "decision": "dismissed", "note": null, "reviewer": "li", '
                       '"decided_at": "2026-11-30T11:00:00Z"}\n{"flag_id": "f3", "decis', encoding="utf-8")
    capsys.readouterr()

    assert run(inputs, out) == 5
    assert_one_paragraph(capsys.readouterr().err, str(store), "is damaged", "--rebuild-store", "never deleted")
    assert store.read_bytes() == damaged  # nothing written to it
    assert main(["check-store", str(out)]) == 5
    capsys.readouterr()

    assert run(inputs, out, "--rebuild-store") == 0
    said = capsys.readouterr().out
    aside = list(out.glob("budgetlens.damaged-*.duckdb"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged, said  # kept, untouched
    assert "2 review decisions re-imported" in said and str(aside[0]) in said
    assert results(out) == clean
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT flag_id, decision, reviewer FROM reviews ORDER BY flag_id").fetchall() == [
        ("f1", "confirmed", "wang"), ("f2", "dismissed", "li")]
    con.close()
    assert main(["check-store", str(out)]) == 0
    with Store(store) as s:  # re-importing again never duplicates a decision
        assert s.reimport_reviews(journal) == 2
        assert s.con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2


def _make_read_only(folder: Path):
    """A real read-only folder without root: chmod; as root (which chmod does not stop),
    the immutable attribute."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
    pytest.skip("running as root on a file system without chattr +i: a folder cannot be made read-only")


def test_a_read_only_output_folder_stops_the_run_and_changes_nothing(inputs, clean, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(inputs, out) == 0
    before = snapshot_bytes(out) | {"store": (out / "budgetlens.duckdb").read_bytes()}
    capsys.readouterr()
    undo = _make_read_only(out)
    try:
        code = run(inputs, out, "--recompute")
    finally:
        undo()
    assert code == 4
    assert_one_paragraph(capsys.readouterr().err, str(out), "writable", "Nothing was processed or recorded")
    assert snapshot_bytes(out) | {"store": (out / "budgetlens.duckdb").read_bytes()} == before
    assert run(inputs, out) == 0
    assert results(out) == clean


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "budgetlens.pipelines.cli", "run", *args]


def test_kill_9_during_export_keeps_the_previous_snapshots(inputs, clean, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = [str(inputs), "--out", str(out), "--batch-size", "2", "--quiet"]
    monkeypatch.setenv("BUDGETLENS_PIPELINE_VERSION", ENV["BUDGETLENS_PIPELINE_VERSION"])  # as in the subprocess
    assert run(inputs, out) == 0
    before = snapshot_bytes(out)
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "storage_faults.py"), "pause:export:1", "--",
                             "run", *args, "--recompute"], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if line.startswith("PAUSED"):
            proc.send_signal(signal.SIGKILL)  # mid-export: two Parquet files written to temporaries
            break
        assert time.monotonic() < deadline
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert list(out.glob(".*.parquet.tmp-*"))  # it was killed mid-export …
    assert snapshot_bytes(out) == before  # … and the previous snapshots are whole
    assert_consistent(out, 4)
    capsys.readouterr()
    assert run(inputs, out) == 0
    assert "4 unchanged since an earlier run (skipped)" in capsys.readouterr().out
    assert not list(out.glob(".*tmp-*"))
    assert results(out) == clean


def test_a_disk_too_small_exits_non_zero_and_a_rerun_with_room_completes(inputs, clean, tmp_path, monkeypatch):
    """A small disk without root: a file-size limit (`ulimit -f`, RLIMIT_FSIZE) makes every
    write past 150 KB fail as a full disk does (EFBIG instead of ENOSPC)."""
    out = tmp_path / "out"
    args = [str(inputs), "--out", str(out), "--batch-size", "2", "--quiet"]
    limit = 150 * 1024

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    res = subprocess.run(cli(*args), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300,
                         preexec_fn=small_disk)
    assert res.returncode == 4, (res.returncode, res.stderr[-3000:])
    assert_one_paragraph(res.stderr, "File too large", "ulimit -f", "run the same command again")
    assert "documents (" not in res.stdout  # no summary of a run that did not finish
    found = integrity(out)
    assert found["incomplete"] == found["orphans"] == found["files_without_document"] == 0, found

    monkeypatch.setenv("BUDGETLENS_PIPELINE_VERSION", ENV["BUDGETLENS_PIPELINE_VERSION"])  # as in the subprocess
    assert run(inputs, out) == 0
    assert results(out) == clean


def test_check_store_finds_missing_rows_and_a_rerun_redoes_exactly_that_document(inputs, clean, tmp_path, capsys):
    from budgetlens.pipelines.cli import main

    out = tmp_path / "out"
    assert run(inputs, out) == 0
    assert main(["check-store", str(out)]) == 0
    con = duckdb.connect(str(out / "budgetlens.duckdb"))
    victim = con.execute("SELECT doc_id, source FROM documents ORDER BY source LIMIT 1").fetchone()
    # the state a full disk left before issue 16: a document marked done with facts missing
    con.execute("DELETE FROM facts WHERE doc_id = ? AND rowid % 3 = 0", [victim[0]])
    # and one stored as an error for a reason about the machine
    other = con.execute("SELECT doc_id FROM documents ORDER BY source LIMIT 1 OFFSET 1").fetchone()[0]
    con.execute("UPDATE documents SET status = 'error', error = 'results could not be stored: TransactionException: "
                "TransactionContext Error: cannot rollback - no transaction is active', n_facts = 0, n_cells = 0, "
                "n_flags = 0 WHERE doc_id = ?", [other])
    for t in ("facts", "table_cells", "flags"):
        con.execute(f'DELETE FROM "{t}" WHERE doc_id = ? AND family IS DISTINCT FROM \'cross_document\''
                    if t == "flags" else f'DELETE FROM "{t}" WHERE doc_id = ?', [other])
    con.execute("UPDATE files SET status = 'error', transient = false WHERE doc_id = ?", [other])
    con.close()
    capsys.readouterr()
    assert main(["check-store", str(out)]) == 7
    report = capsys.readouterr().out
    assert re.search(r"BAD\s+1\s+documents whose facts, cells or flags are not all stored", report), report
    assert victim[1] in report
    assert re.search(r"BAD\s+1\s+documents recorded as errors for a reason about the machine", report), report

    assert run(inputs, out) == 0
    assert "2 unchanged since an earlier run (skipped)" in capsys.readouterr().out
    assert results(out) == clean
    assert main(["check-store", str(out)]) == 0


def test_machine_reasons_are_retried_document_reasons_are_not():
    from budgetlens.engine.process import is_transient

    for reason in ("reader failed: OSError: [Errno 5] Input/output error (pdf.py:10)",
                   "reader failed: FileNotFoundError: gone", "extraction failed: MemoryError (x.py:1)",
                   "out of memory while reading", "results could not be stored: IOException: disk full",
                   "processing task failed: ConnectionError: worker lost", "cannot read file: busy"):
        assert is_transient(reason), reason
    for reason in ("empty file", "corrupt .docx: not a valid ZIP package", "reader failed: ValueError: bad",
                   "extraction failed: KeyError: 'x' (tables.py:3)", None, float("nan")):
        assert not is_transient(reason), reason


@pytest.mark.real
def test_process_stops_on_a_storage_failure_and_its_rerun_completes(tmp_path, monkeypatch):
    """`budgetlens process` (crawled documents) shares the runner: a failed write stops it
    with nothing recorded as processed, and the next `process` does both documents."""
    from conftest import REAL
    from portal import write_config
    from test_run_process_parity import NAMES, TwoYears

    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.crawler.inputs import process_raw
    from budgetlens.store import StorageError

    pdfs = [REAL / n for n in NAMES]
    if not all(p.is_file() for p in pdfs):
        pytest.skip("../shared/real is not available")
    portal = TwoYears(pdfs).start()
    (tmp_path / "portal").mkdir()
    try:
        config = load_config(write_config(tmp_path / "portal", portal))
        assert crawl(config).new == 2
    finally:
        portal.stop()
    with monkeypatch.context() as m:
        fault = install(m, Fault(STEPS["facts"], nth=1))
        with pytest.raises(StorageError) as err:
            process_raw(config, batch_size=1, write_report=False)
    assert fault.fired and "Nothing of this batch (1 document(s)) was recorded" in err.value.message()
    con = duckdb.connect(str(config.store_path), read_only=True)
    assert con.execute("SELECT count(*) FROM documents").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM processed_inputs").fetchall()[0][0] == 0
    con.close()
    summary = process_raw(config, batch_size=1, write_report=False)
    assert summary.processed == 2 and summary.skipped == 0 and summary.errors == 0
    found = integrity(config.store_path.parent)
    assert found["incomplete"] == found["orphans"] == 0
