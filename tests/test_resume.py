"""A run killed with SIGKILL resumes: the same command again completes, every document is
in the Parquet outputs and the DuckDB store exactly once, and the documents stored
before the kill are not recomputed.  Two runs on one store never corrupt it."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from badinput.generate import sample_text

ROOT = Path(__file__).resolve().parents[1]
N_DOCS = 200
BATCH = 10
KILL_AFTER_BATCHES = 5
LINES = 250
# the code fingerprint is pinned: a colleague saving a file in the shared tree between the
# two runs must not make the second one recompute everything
ENV = {**os.environ, "BUDGETLENS_PIPELINE_VERSION": "test-resume"}


def make_corpus(folder: Path, n: int, tag: str = "") -> list[Path]:
    """n small disclosures: the first lines of a seed (title, tables, some narrative)
    and a line that makes each one's content, and so its doc_id, unique."""
    folder.mkdir(parents=True, exist_ok=True)
    heads = [("\n".join(sample_text(i).split("\n")[:LINES])) for i in range(2)]
    paths = []
    for i in range(n):
        p = folder / f"doc_{tag}{i:04d}.txt"
        p.write_text(heads[i % 2] + f"\n\n附注：第{tag}{i}号样本。\n", encoding="utf-8")
        paths.append(p)
    return paths


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "budgetlens.pipelines.cli", "run", *args]


def store_rows(out: Path) -> pd.DataFrame:
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    try:
        return con.execute("SELECT doc_id, source, run_id FROM documents").df()
    finally:
        con.close()


def test_kill_9_then_rerun_completes_exactly_once(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    make_corpus(inp, N_DOCS)
    proc = subprocess.Popen(cli(str(inp), "--out", str(out), "--batch-size", str(BATCH)), cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stored = 0
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if re.match(r"batch \d+/\d+ stored", line):
            stored += 1
            if stored >= KILL_AFTER_BATCHES:
                proc.send_signal(signal.SIGKILL)  # mid-way through the next batch
                break
        assert time.monotonic() < deadline, "the run did not report its batches"
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "documents.parquet").exists()  # the snapshot is written at the end only

    # the store survived the kill: it opens, and holds whole batches only
    before = store_rows(out)
    assert len(before) >= KILL_AFTER_BATCHES * BATCH and len(before) % BATCH == 0
    assert before["doc_id"].is_unique
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    n_files = con.execute("SELECT count(*) FROM files").fetchone()[0]
    con.close()
    assert n_files == len(before)  # results and their files entries are committed together

    res = subprocess.run(cli(str(inp), "--out", str(out), "--batch-size", str(BATCH), "--quiet"), cwd=ROOT, env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r"(\d+) unchanged since an earlier run \(skipped\)", res.stdout)
    assert m and int(m.group(1)) == len(before), res.stdout

    after = store_rows(out)
    assert len(after) == N_DOCS and after["doc_id"].is_unique and after["source"].is_unique
    # the documents finished before the kill kept their results (and run id): not recomputed
    kept = after.set_index("doc_id").loc[before["doc_id"], "run_id"]
    assert (kept.values == before["run_id"].values).all()
    assert after["run_id"].nunique() == 2

    docs = pd.read_parquet(out / "documents.parquet")
    assert len(docs) == N_DOCS and docs["doc_id"].is_unique
    assert set(docs["source"]) == {str(p) for p in inp.iterdir()}
    assert (docs["status"] == "ok").all()
    cells = pd.read_parquet(out / "table_cells.parquet")
    assert set(cells["doc_id"]) == set(docs["doc_id"])
    per_doc = cells.groupby(["doc_id", "table_id", "row", "column"]).size()
    assert (per_doc == 1).all()  # no cell stored twice
    assert not list(out.glob(".*.tmp-*"))

    # a third run recomputes nothing; an edited file alone is recomputed
    victim = inp / "doc_0003.txt"
    victim.write_text(victim.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    res = subprocess.run(cli(str(inp), "--out", str(out), "--quiet"), cwd=ROOT, env=ENV, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0
    assert res.stdout.startswith("1 documents") and f"{N_DOCS - 1} unchanged" in res.stdout, res.stdout
    final = store_rows(out)
    assert len(final) == N_DOCS and final["source"].is_unique


def test_second_run_on_a_held_store_fails_clearly_after_waiting(tmp_path):
    from budgetlens.store import Store

    inp, out = tmp_path / "in", tmp_path / "out"
    make_corpus(inp, 3)
    holder = Store(out / "budgetlens.duckdb")
    try:
        t0 = time.monotonic()
        res = subprocess.run(cli(str(inp), "--out", str(out), "--store-wait-seconds", "1.5"), cwd=ROOT, env=ENV,
                             capture_output=True, text=True, timeout=120)
        waited = time.monotonic() - t0
    finally:
        holder.close()
    assert res.returncode == 3
    assert "in use by another budgetlens process" in res.stderr and "waited 1.5 s" in res.stderr, res.stderr
    assert waited >= 1.5
    res = subprocess.run(cli(str(inp), "--out", str(out), "--quiet"), cwd=ROOT, env=ENV, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(store_rows(out)) == 3


def test_two_runs_at_once_both_finish_and_store_is_consistent(tmp_path):
    out = tmp_path / "out"
    a = make_corpus(tmp_path / "a", 8, "a")
    b = make_corpus(tmp_path / "b", 8, "b")
    procs = [subprocess.Popen(cli(str(tmp_path / x), "--out", str(out), "--quiet", "--store-wait-seconds", "120"),
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for x in "ab"]
    results = [p.communicate(timeout=240) for p in procs]
    for p, (_so, se) in zip(procs, results):
        assert p.returncode == 0, se
    rows = store_rows(out)
    assert len(rows) == len(a) + len(b) and rows["doc_id"].is_unique
    assert rows["run_id"].nunique() == 2
    # each run's snapshot lists its own documents; the last one written is whole
    docs = pd.read_parquet(out / "documents.parquet")
    assert len(docs) == 8 and docs["doc_id"].is_unique


def test_code_change_recomputes(tmp_path, monkeypatch):
    """Results are reused only from the same pipeline: a changed fingerprint (code,
    vocabularies or limits) recomputes every document."""
    from budgetlens.engine.run import pipeline_fingerprint, run_job
    from budgetlens.limits import Limits

    monkeypatch.delenv("BUDGETLENS_PIPELINE_VERSION", raising=False)
    assert pipeline_fingerprint(Limits()) != pipeline_fingerprint(Limits(max_pages=3))
    inp, out = tmp_path / "in", tmp_path / "out"
    make_corpus(inp, 3)
    monkeypatch.setenv("BUDGETLENS_PIPELINE_VERSION", "1")
    assert run_job([str(inp)], out, quiet=True, write_report=False).documents == 3
    assert run_job([str(inp)], out, quiet=True, write_report=False).skipped == 3
    monkeypatch.setenv("BUDGETLENS_PIPELINE_VERSION", "2")
    s = run_job([str(inp)], out, quiet=True, write_report=False)
    assert (s.documents, s.skipped) == (3, 0)
    s = run_job([str(inp)], out, quiet=True, write_report=False, skip_known=False)
    assert (s.documents, s.skipped) == (3, 0)


def test_parquet_export_crash_leaves_old_files_whole(tmp_path, monkeypatch):
    """A crash between the temp file and the rename leaves the previous snapshot valid;
    the next export removes the orphaned temp file."""
    from budgetlens.engine.run import run_job

    inp, out = tmp_path / "in", tmp_path / "out"
    make_corpus(inp, 4)
    run_job([str(inp)], out, quiet=True, write_report=False)
    first = pd.read_parquet(out / "documents.parquet")
    (inp / "doc_0000.txt").write_text("新的内容\n\t1.00\n", encoding="utf-8")

    real_replace = os.replace
    calls = []

    def crash_on_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_job([str(inp)], out, quiet=True, write_report=False)
    monkeypatch.setattr(os, "replace", real_replace)
    for name in ("documents", "facts", "table_cells", "flags"):
        pd.read_parquet(out / f"{name}.parquet")  # every file is whole
    assert list(out.glob(".*.parquet.tmp-*"))  # the orphan of the crash
    assert len(first) == 4
    run_job([str(inp)], out, quiet=True, write_report=False)
    assert not list(out.glob(".*.parquet.tmp-*"))
    assert len(pd.read_parquet(out / "documents.parquet")) == 4


def test_fingerprint_covers_every_package_that_makes_rows(tmp_path, monkeypatch):
    """Editing an extractor, a gazetteer or the document model changes the fingerprint (they
    live in different folders since the move to one package, and once were missed)."""
    import budgetlens.engine.run as run_mod
    from budgetlens.limits import Limits

    monkeypatch.delenv("BUDGETLENS_PIPELINE_VERSION", raising=False)
    hashed = set()
    real_read = run_mod.Path.read_bytes

    def spy(self):
        hashed.add(self.parent.name)
        return real_read(self)

    run_mod._code_fingerprint.cache_clear()
    monkeypatch.setattr(run_mod.Path, "read_bytes", spy)
    run_mod.pipeline_fingerprint(Limits())
    assert {"readers", "document", "extractors", "reconcile", "gazetteers", "engine"} <= hashed
