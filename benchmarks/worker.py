"""Measurement bodies, each run in a fresh child process by benchmarks.run (so that its
peak RSS is its own): `python -m benchmarks.worker MODE ARGS.json`.  Prints one line
`RESULT {json}`.  Times exclude interpreter start-up and imports unless named so."""
from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections import deque
from itertools import islice
from pathlib import Path

T_START = time.perf_counter()


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _done(d: dict):
    d["self_maxrss_mb"] = _rss_mb()
    print("RESULT " + json.dumps(d, ensure_ascii=False), flush=True)


# ------------------------------------------------------------------ mappers (2 workers)

def pool_mapper(workers: int, info: dict):
    """What `budgetlens run --workers N` uses: engine.workers.pool_map (a forkserver that
    warms the pipeline up before forking, at most 2 batches per worker in flight)."""
    from budgetlens.engine.run import process_batch
    from budgetlens.engine.workers import pool_map

    return pool_map(process_batch, workers)


def dask_mapper(workers: int, info: dict):
    """Plain dask.distributed (no Prefect): a local cluster of `workers` processes."""
    from budgetlens.engine.run import process_batch

    def m(bs):
        from dask.distributed import Client, LocalCluster

        t0 = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            info["cluster_start_s"] = round(time.perf_counter() - t0, 3)
            it = iter(bs)
            pending = deque(client.submit(process_batch, b, pure=False) for b in islice(it, 2 * workers))
            while pending:
                r = pending.popleft().result()
                nb = next(it, None)
                if nb is not None:
                    pending.append(client.submit(process_batch, nb, pure=False))
                yield r
    return m


def prefect_dask_mapper(workers: int, info: dict):
    """The project's Prefect flow of batches (pipelines.flows.run_batches_flow: each batch a
    `process_batch_task`, i.e. engine.run.process_batch, the function `--workers` hands to
    its pool) on the project's DaskTaskRunner (pipelines.flows.make_task_runner('dask'), what
    `budgetlens process --runner dask` uses).  The Prefect API server is started before the
    clock (e2e); the Dask cluster starts inside the timed run, as it does for a user."""
    from budgetlens.pipelines.flows import batch_results, make_task_runner, no_heartbeat, run_batches_flow

    def m(bs):
        fl = run_batches_flow.with_options(task_runner=make_task_runner("dask", workers=workers))
        with no_heartbeat():
            yield from batch_results(fl(list(bs)))
    return m


def start_prefect_server() -> float:
    """Start the temporary Prefect API server (an empty flow run): seconds taken."""
    from prefect import flow

    from budgetlens.pipelines.flows import no_heartbeat

    @flow(name="bench-start-server")
    def noop():
        return 1

    t0 = time.perf_counter()
    with no_heartbeat():
        noop()
    return round(time.perf_counter() - t0, 3)


# ------------------------------------------------------------------ modes

def e2e(a: dict):
    """In-process `run_job` (what `budgetlens run` calls), writes and report included."""
    t0 = time.perf_counter()
    from budgetlens.engine.run import run_job, sequential

    info: dict = {}
    runner, workers = a.get("runner", "sequential"), a.get("workers", 1)
    mapper = {"sequential": lambda w, i: sequential, "pool": pool_mapper, "dask": dask_mapper,
              "prefect-dask": prefect_dask_mapper}[runner](workers, info)
    t_import = time.perf_counter() - t0
    if runner.startswith("prefect"):
        info["prefect_server_start_s"] = start_prefect_server()
    t1, c1 = time.perf_counter(), time.process_time()
    s = run_job(a["paths"], a["out"], map_batches=mapper, batch_size=a.get("batch_size", 25), quiet=True,
                write_report=a.get("report", True))
    secs, cpu = time.perf_counter() - t1, time.process_time() - c1
    _done({"documents": s.documents, "errors": s.errors, "facts": s.facts, "flags": s.flags,
           "seconds": round(secs, 3), "cpu_seconds_this_process": round(cpu, 3), "import_s": round(t_import, 3),
           "since_start_s": round(time.perf_counter() - T_START, 3), **info})


def stages(a: dict):
    """Each stage timed separately over the same documents, one process, in order."""
    import budgetlens.document.build as build
    from budgetlens.engine.discover import discover
    from budgetlens.engine.process import DocResult, cell_rows, document_row, frames
    from budgetlens.readers import read_blocks
    from budgetlens.store import Store
    from budgetlens.store.duck import new_run_id

    try:
        from budgetlens.extractors.narrative import extract_facts
    except ImportError:
        extract_facts = None
    try:
        from budgetlens.reconcile import check_document
    except ImportError:
        check_document = None

    t = {k: 0.0 for k in ("read", "segment", "tables", "cells", "extract", "reconcile", "write")}
    orig_structure = build.structure_table

    def timed_structure(*args, **kw):
        s0 = time.perf_counter()
        try:
            return orig_structure(*args, **kw)
        finally:
            t["tables"] += time.perf_counter() - s0
    build.structure_table = timed_structure

    files = discover(a["paths"])
    nbytes = sum(os.path.getsize(f) for f in files)
    tmp = Path(tempfile.mkdtemp(prefix="bl-stages-"))
    store = Store(tmp / "budgetlens.duckdb")
    run_id = new_run_id()
    batch: list = []
    n = errors = n_facts = n_flags = n_cells = 0
    bs = a.get("batch_size", 25)

    def flush():
        s0 = time.perf_counter()
        store.write(frames(batch), run_id)
        t["write"] += time.perf_counter() - s0
        batch.clear()

    for f in files:
        n += 1
        s0 = time.perf_counter()
        try:
            fmt, blocks = read_blocks(f)
            for b in blocks:
                b.source = str(f)
        except Exception:
            errors += 1
            continue
        s1 = time.perf_counter()
        t["read"] += s1 - s0
        tables_before = t["tables"]
        doc = build.build_document(blocks, str(f), fmt, sources=[str(f)])
        s2 = time.perf_counter()
        t["segment"] += (s2 - s1) - (t["tables"] - tables_before)
        cells = cell_rows(doc)
        s3 = time.perf_counter()
        t["cells"] += s3 - s2
        facts = extract_facts(doc) if extract_facts else []
        for fa in facts:
            fa.source, fa.doc_id = doc.source, doc.doc_id
        fact_rows = [fa.as_row() for fa in facts]
        s4 = time.perf_counter()
        t["extract"] += s4 - s3
        flags = []
        if check_document:
            for fl in check_document(doc, facts):
                fl.source, fl.doc_id = doc.source, doc.doc_id
                flags.append(fl.as_row())
        s5 = time.perf_counter()
        t["reconcile"] += s5 - s4
        n_facts += len(fact_rows)
        n_flags += len(flags)
        n_cells += len(cells)
        batch.append(DocResult(document_row(doc, "ok", None, s5 - s0), fact_rows, cells, flags))
        if len(batch) >= bs:
            flush()
    if batch:
        flush()
    s0 = time.perf_counter()
    store.export_parquet(tmp, only_sources=[str(f) for f in files])
    store.close()
    t["write"] += time.perf_counter() - s0
    _done({"documents": n, "errors": errors, "bytes": nbytes, "facts": n_facts, "flags": n_flags,
           "cells": n_cells, "seconds": {k: round(v, 4) for k, v in t.items()},
           "extract_available": extract_facts is not None, "reconcile_available": check_document is not None})


def prefect(a: dict):
    """The same run_job with and without the Prefect flow, in one process; a throw-away
    flow first so that the temporary API server's start-up is counted apart."""
    t0 = time.perf_counter()
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    import budgetlens.pipelines.flows as flows  # imports prefect
    from budgetlens.engine.run import run_job, sequential

    t_import = time.perf_counter() - t0
    out = Path(a["out"])
    s0 = time.perf_counter()
    local = run_job(a["paths"], out / "local", map_batches=sequential, batch_size=a["batch_size"], quiet=True,
                    write_report=False)
    t_local = time.perf_counter() - s0

    @flow(name="bench-noop")
    def noop():
        return 1

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        s0 = time.perf_counter()
        noop()
        t_first = time.perf_counter() - s0
        s0 = time.perf_counter()
        noop()
        t_second = time.perf_counter() - s0
    s0 = time.perf_counter()
    pre = run_job(a["paths"], out / "prefect", map_batches=flows.prefect_map_batches, batch_size=a["batch_size"],
                  quiet=True, write_report=False)
    t_prefect = time.perf_counter() - s0
    n_batches = -(-local.documents // a["batch_size"])
    _done({"documents": local.documents, "documents_prefect": pre.documents, "batches": n_batches,
           "import_prefect_s": round(t_import, 3), "local_s": round(t_local, 3),
           "server_start_plus_first_flow_s": round(t_first, 3), "empty_flow_call_s": round(t_second, 3),
           "prefect_s": round(t_prefect, 3), "overhead_s": round(t_prefect - t_local, 3),
           "overhead_per_task_s": round((t_prefect - t_local - t_second) / max(n_batches, 1), 4)})


def pdf_ours(a: dict):
    from budgetlens.engine.process import process_group
    from budgetlens.readers import read_blocks

    docs = []
    for p in a["paths"]:
        s0, c0 = time.perf_counter(), time.process_time()
        fmt, blocks = read_blocks(p)
        s1, c1 = time.perf_counter(), time.process_time()
        r = process_group([Path(p)])
        s2, c2 = time.perf_counter(), time.process_time()
        docs.append({"file": Path(p).name, "bytes": os.path.getsize(p), "read_s": round(s1 - s0, 4),
                     "read_cpu_s": round(c1 - c0, 4), "pipeline_cpu_s": round(c2 - c1, 4),
                     "tables": sum(1 for b in blocks if b.kind == "table"),
                     "pipeline_s": round(s2 - s1, 4), "status": r.document["status"],
                     "pages": r.document.get("pages"), "facts": len(r.facts), "cells": len(r.cells),
                     "flags": len(r.flags)})
    _done({"docs": docs})


def pdf_plumber(a: dict):
    import pdfplumber

    docs = []
    for p in a["paths"]:
        s0, c0 = time.perf_counter(), time.process_time()
        n_tables = chars = 0
        with pdfplumber.open(p) as pdf:
            pages = len(pdf.pages)
            for page in pdf.pages:
                chars += len(page.extract_text() or "")
                n_tables += len(page.extract_tables())
                page.flush_cache()
        docs.append({"file": Path(p).name, "seconds": round(time.perf_counter() - s0, 4),
                     "cpu_s": round(time.process_time() - c0, 4), "tables": n_tables,
                     "pages": pages, "text_chars": chars})
    _done({"docs": docs})


def money_ours(a: dict):
    """Our amount extraction (extractors.numbers.find_quantities) over the sentences."""
    sentences = json.loads(Path(a["sentences"]).read_text(encoding="utf-8"))
    import budgetlens.extractors.numbers as numbers
    from budgetlens.extractors.numbers import find_quantities

    def clear():  # find_quantities memoises per text: time cold calls only
        for fn in (getattr(numbers, "_find", None), find_quantities):
            if hasattr(fn, "cache_clear"):
                fn.cache_clear()

    clear()
    found = []
    for i, s in enumerate(sentences):
        for q in find_quantities(s):
            if q.kind in ("money", "rate") and q.value_wan is not None:
                found.append({"i": i, "start": q.start, "end": q.end, "text": s[q.start:q.end], "kind": q.kind,
                              "yuan": round(q.value_wan * 10000, 2), "unit": q.unit, "per": q.per})
    reps = a.get("repeat", 5)
    best = None
    for _r in range(reps):
        clear()
        s0 = time.perf_counter()
        for s in sentences:
            find_quantities(s)
        dt = time.perf_counter() - s0
        best = dt if best is None else min(best, dt)
    _done({"found": found, "seconds": round(best, 5), "sentences": len(sentences)})


def money_sentences(a: dict):
    """Sentences that contain a money figure, from the samples and the real PDFs."""
    import regex

    from budgetlens.engine.process import read_group

    money = regex.compile(r"\d[\d,.，]*\s*(?:亿元|万元|千元|元)|[零〇一二两三四五六七八九十百千万亿]+(?:亿元|万元|元)")
    out, seen = [], set()
    for p in a["paths"]:
        try:
            doc = read_group([Path(p)])
        except Exception:
            continue
        for s in doc.sentences:
            t = s.text.strip()
            if s.table_id is None and money.search(t) and t not in seen:
                seen.add(t)
                out.append(t)
    Path(a["out"]).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    _done({"sentences": len(out)})


def profile(a: dict):
    """cProfile of an in-process `run_job` (1 worker, warm: the one-time loads of warm_up are
    done before the profiler starts): the top functions by cumulative and by own time, as
    text lines for the benchmark output; the raw stats go to `a["stats"]` when given."""
    import cProfile
    import io
    import pstats

    from budgetlens.engine.run import run_job
    from budgetlens.engine.workers import warm_up

    warm_up()
    pr = cProfile.Profile()
    pr.enable()
    run_job(a["paths"], a["out"], quiet=True)
    pr.disable()
    if a.get("stats"):
        pr.dump_stats(a["stats"])
    root = str(Path(__file__).resolve().parents[1]) + "/"
    top = a.get("top", 30)

    def lines(key: str, n: int) -> list[str]:
        buf = io.StringIO()
        pstats.Stats(pr, stream=buf).sort_stats(key).print_stats(n)
        ls = [ln.replace(root, "") for ln in buf.getvalue().splitlines() if ln.strip()]
        return ls[-(n + 1):]
    _done({"top": lines("cumulative", top), "top_tottime": lines("tottime", a.get("top_tottime", 20))})


MODES = {f.__name__: f for f in (e2e, stages, profile, prefect, pdf_ours, pdf_plumber, money_ours, money_sentences)}

if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    MODES[mode](json.loads(Path(path).read_text(encoding="utf-8")))
