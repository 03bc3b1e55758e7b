"""Prefect flows against one temporary API server for the whole module (~15 s once):
serve --once (crawl + process + report), incremental re-runs, the task cache, Dask."""
from __future__ import annotations

import logging
import sys
import time

import duckdb
import pytest
from portal import Portal, write_config

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("PREFECT_HOME", str(home))
    mp.setenv("DO_NOT_TRACK", "1")
    mp.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    mp.delenv("PREFECT_API_URL", raising=False)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), \
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        _console_to_real_stderr()
        yield
        _console_to_real_stderr()
    mp.undo()


def _console_to_real_stderr():
    """Prefect's console handler keeps the stream it was created with; under pytest that is
    a per-test capture file, closed by the next test.  Point it at the real stderr and keep
    it to warnings so CI logs stay readable."""
    for name in [None, *list(logging.root.manager.loggerDict)]:
        lg = logging.getLogger(name)
        for h in list(getattr(lg, "handlers", [])):
            if type(h).__name__ == "PrefectConsoleHandler":
                h.setLevel(logging.WARNING)
                if getattr(h, "console", None) is not None:
                    h.console.file = sys.__stderr__
                h.stream = sys.__stderr__


@pytest.fixture(autouse=True)
def _prefect_console():
    _console_to_real_stderr()
    yield
    _console_to_real_stderr()


@pytest.fixture(scope="module")
def portal():
    p = Portal().start()
    yield p
    p.stop()


def count_calls(monkeypatch):
    import budgetlens.crawler.inputs as ci
    calls = []
    real = ci.process_inputs

    def counting(batch):
        calls.extend(i.source for i in batch)
        return real(batch)

    monkeypatch.setattr(ci, "process_inputs", counting)
    return calls


def test_serve_once_then_incremental_and_cache(harness, portal, tmp_path, monkeypatch, capsys):
    from budgetlens.pipelines.cli import main
    from budgetlens.pipelines.flows import crawl_flow, process_flow

    cfg = write_config(tmp_path, portal)
    calls = count_calls(monkeypatch)

    # one full cycle: crawl + process + report, no standing server
    t0 = time.perf_counter()
    assert main(["serve", "--once", "--config", str(cfg), "--quiet"]) == 0
    cycle_s = time.perf_counter() - t0
    out = capsys.readouterr().out
    n = len(portal.expected_documents) + 1  # + the .doc, kept as unsupported
    assert f"process: {n} processed" in out, out
    for path in portal.expected_documents:
        assert portal.downloads(path) == 1, path
    assert (tmp_path / "data" / "report.html").is_file()
    con = duckdb.connect(str(tmp_path / "data" / "budgetlens.duckdb"), read_only=True)
    docs = con.execute("SELECT source, status FROM documents").fetchall()
    con.close()
    assert len(docs) == n
    assert sorted(calls) == sorted(s for s, _ in docs)

    # a second crawl downloads nothing new; process after it does no work
    before = {p: portal.downloads(p) for p in portal.expected_documents}
    c = crawl_flow(config_path=str(cfg))
    assert c["new"] == 0 and c["not_modified"] == len(portal.expected_documents) + 2  # + the .doc, the mirror URL
    assert {p: portal.downloads(p) for p in portal.expected_documents} == before
    calls.clear()
    p = process_flow(config_path=str(cfg))
    assert p["processed"] == 0 and p["skipped"] == n and calls == []

    # forced re-processing: the task cache (content hash → persisted results) answers
    t0 = time.perf_counter()
    p = process_flow(config_path=str(cfg), force=True)
    assert p["processed"] == n and calls == [], "cached batches must not run again"
    cached_s = time.perf_counter() - t0
    print(f"cycle {cycle_s:.2f}s, forced re-run from cache {cached_s:.2f}s")


def test_process_on_dask_two_workers(harness, portal, tmp_path):
    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.pipelines.flows import process_with_runner

    cfg = write_config(tmp_path, portal)
    crawl(load_config(cfg))
    s = process_with_runner(str(cfg), runner="dask", workers=2, batch_size=2)
    assert s["processed"] == len(portal.expected_documents) + 1
    con = duckdb.connect(str(tmp_path / "data" / "budgetlens.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0] == len(portal.expected_documents)
    con.close()


def test_one_off_run_as_a_prefect_flow(harness, tmp_path):
    """`budgetlens run --orchestrator prefect`: the same outputs as the in-process mode,
    and a broken file is an error row, not a failed flow."""
    import shutil

    import pandas as pd
    from conftest import SAMPLES

    from budgetlens.pipelines.flows import run_with_prefect

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    (inp / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    summary = run_with_prefect([str(inp)], str(tmp_path / "out"), batch_size=1, quiet=True)
    assert summary.documents == 3 and summary.errors == 1
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet")
    assert sorted(docs["status"]) == ["error", "ok", "ok"]
    flags = pd.read_parquet(tmp_path / "out" / "flags.parquet")
    assert len(flags) >= 6  # the seeds' findings, as in local mode


def test_prefect_run_pairs_in_tasks_and_remembers(harness, tmp_path, monkeypatch):
    """Inside a flow, the files are read to pair them in the flow's tasks (on Dask, its
    workers), not one by one in the flow's own process; a re-run reads none of them."""
    import shutil

    from conftest import SAMPLES

    import budgetlens.pipelines.flows as flows
    from budgetlens.engine.run import run_job, sequential

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    profiled: list = []
    real = flows.profile_files
    monkeypatch.setattr(flows, "profile_files", lambda folder, n, paths: profiled.extend(paths) or real(folder, n, paths))
    summary = flows.run_with_prefect([str(inp)], str(tmp_path / "out"), batch_size=1, quiet=True)
    assert summary.documents == 2 and summary.errors == 0
    assert sorted(profiled) == sorted(str(p) for p in inp.iterdir())
    local = run_job([str(inp)], tmp_path / "local", map_batches=sequential, quiet=True, write_report=False)
    assert (summary.facts, summary.flags) == (local.facts, local.flags)
    profiled.clear()
    again = flows.run_with_prefect([str(inp)], str(tmp_path / "out"), batch_size=1, quiet=True, skip_known=False)
    assert again.documents == 2 and profiled == []  # the store remembers each file's profile


def test_flow_of_batches_returns_rows_prefect_does_not_walk(harness, tmp_path, monkeypatch):
    """`prefect_map_batches` (each batch a flow run of `process_batch_task`) stores the same
    rows as the in-process run, and Prefect does not walk the batch's results looking for
    futures: unquoted, it visited every row and value (~370,000 objects a batch of 25
    documents, 42 of 58 s on 200)."""
    import prefect.futures
    from conftest import SAMPLES

    from benchmarks.same_output import differences
    from budgetlens.engine.run import run_job
    from budgetlens.pipelines.flows import prefect_map_batches

    visited = []
    real = prefect.futures._collect_futures

    def counting(futures, expr, context):
        visited.append(1)
        return real(futures, expr, context)

    monkeypatch.setattr(prefect.futures, "_collect_futures", counting)
    run_job([str(SAMPLES)], tmp_path / "local", quiet=True, write_report=False, workers=1)
    run_job([str(SAMPLES)], tmp_path / "flow", quiet=True, write_report=False, map_batches=prefect_map_batches,
            batch_size=2)
    assert differences(tmp_path / "local", tmp_path / "flow") == []
    assert 0 < len(visited) < 100
