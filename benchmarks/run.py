"""`make bench` / `python -m benchmarks.run [--quick | --full] [--only SECTIONS]`.

Every comparison issue 15 asks for, side by side in one run, each measurement in a fresh
child process (benchmarks.worker or the `budgetlens` command), so that each peak RSS and CPU
time is that run's own:

  tika     `budgetlens run --workers 1` and `--workers 2` on the benchmark corpus (seed-sized
           Tika dumps, all distinct; its first 200 are benchmarks/.cache/corpus-200-7), in-process
           run_job, time per stage, and a cProfile of the one-worker run;
  memory   peak RSS of `budgetlens run` on N and 10×N documents;
  dask     the project's Prefect flow on its DaskTaskRunner (2 workers) beside
           `run --workers 2` (engine.workers pool), on the same documents; both run
           engine.run.process_batch, and their outputs are compared row for row;
  prefect  the Prefect flow's own overhead (not with --quick);
  pdf      the real PDFs: `pdftotext -layout`, pdfplumber, our reader and `budgetlens run`
           end to end on the same files; one-PDF peak RSS;
  money    our amounts (extractors.numbers) vs JioNLP `extract_money` on the same sentences
           (JioNLP in its own venv, benchmarks/.venv-jionlp, installed on first use).

The machine may be shared: one-process rates are judged on CPU seconds, which other
processes barely change; wall-time figures (two workers vs one) are printed beside the load
average.  The reference run (default) writes benchmarks/results/latest.{json,md}; --quick
(~3 min on a quiet machine, fewer documents) writes results/quick.{json,md}.  The table of
targets is printed last.  See README "Performance"."""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import corpus
from .measure import PY, ROOT, bench_env, machine, run_child, worker
from .same_output import differences

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
JIONLP_VENV = HERE / ".venv-jionlp"
BIN = Path(PY).parent / "budgetlens"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->"

# issue 15's targets
TARGETS = {"tika_docs_per_cpu_s_1_worker": 60, "workers_2_vs_1": 1.7, "pdf_vs_pdftotext_layout": 5,
           "pdf_single_peak_rss_mb": 200, "rss_ratio_10x_documents": 1.3}

# what each mode runs (--docs / --sample / --pdfs override)
PROFILES = {
    "quick": {"docs": 100, "sample": 100, "memory": (30, 300), "pdfs": 4, "singles": 1, "stages_2": False,
              "tika_inprocess": False,
              "plain_dask": False, "prefect_dask_1": False, "pdf_inprocess": False, "prefect": False},
    "default": {"docs": 2000, "sample": 200, "memory": (200, 2000), "pdfs": 0, "singles": 3, "stages_2": True,
                "tika_inprocess": True,
                "plain_dask": True, "prefect_dask_1": False, "pdf_inprocess": True, "prefect": True},
    "full": {"docs": 2000, "sample": 2000, "memory": (200, 2000, 8000), "pdfs": 0, "singles": 0, "stages_2": True,
             "tika_inprocess": True,
             "plain_dask": True, "prefect_dask_1": True, "pdf_inprocess": True, "prefect": True},
}


def log(msg: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="bl-bench-"))


def cli_run(paths: list[str], extra: list[str] | None = None, workers: int = 1, keep: Path | None = None) -> dict:
    """`budgetlens run` in a child process; its output folder is kept in `keep` when given."""
    out = keep or _tmp()
    try:
        r = run_child([str(BIN), "run", *paths, "--out", str(out / "o"), "--quiet", "--workers", str(workers),
                       *(extra or [])])
        if r["rc"] != 0:
            raise RuntimeError(f"budgetlens run failed: {r['stderr'][-2000:]}")
        return {k: r[k] for k in ("wall_s", "cpu_s", "tree_cpu_s", "maxrss_mb", "tree_peak_mb")} | {
            "summary": r["stdout"].strip().splitlines()[-2:]}
    finally:
        if keep is None:
            shutil.rmtree(out, ignore_errors=True)


def e2e(paths: list[str], runner: str = "sequential", workers: int = 1, batch_size: int = 25,
        keep: Path | None = None, **kw) -> dict:
    """In-process run_job with a given batch mapper, in a child process."""
    out = keep or _tmp()
    try:
        r = worker("e2e", {"paths": paths, "out": str(out / "o"), "runner": runner, "workers": workers,
                           "batch_size": batch_size}, **kw)
        return {k: r[k] for k in ("wall_s", "cpu_s", "tree_cpu_s", "maxrss_mb", "tree_peak_mb")} | r["result"]
    finally:
        if keep is None:
            shutil.rmtree(out, ignore_errors=True)


def rates(n_docs: int, nbytes: int, seconds: float, cpu: float | None = None) -> dict:
    d = {"docs_per_s": round(n_docs / seconds, 1) if seconds else None,
         "mb_per_s": round(nbytes / 1e6 / seconds, 2) if seconds else None}
    if cpu:
        d["docs_per_cpu_s"] = round(n_docs / cpu, 1)
    return d


def same_rows(a: Path, b: Path) -> dict:
    """Do two output folders hold the same rows (documents, facts, table_cells, flags)?"""
    try:
        diff = differences(a / "o", b / "o")
    except Exception as exc:  # a missing snapshot is a finding, not a crash of the benchmark
        return {"identical": False, "differences": [f"could not compare: {type(exc).__name__}: {exc}"]}
    return {"identical": not diff, "differences": diff[:20]}


def _ratio(a, b, nd: int = 2):
    return round(a / b, nd) if a and b else None


# ------------------------------------------------------------------ sections

def section_tika(folder: Path, files: list[Path], args, res: dict):
    n, nbytes = len(files), corpus.size_bytes(files)
    paths = [str(folder)]
    t = res["tika"] = {"documents": n, "bytes": nbytes}
    log(f"tika: budgetlens run on {n} documents, --workers 1 then --workers 2 (outputs compared)")
    k1, k2 = _tmp(), _tmp()
    try:
        c = cli_run(paths, keep=k1)
        c2 = cli_run(paths, workers=2, keep=k2)
        t["cli_1_vs_2_same_rows"] = same_rows(k1, k2)
    finally:
        shutil.rmtree(k1, ignore_errors=True)
        shutil.rmtree(k2, ignore_errors=True)
    t["cli_1_worker"] = c | rates(n, nbytes, c["wall_s"], c["cpu_s"])
    # the same, on documents whose tables' amounts do not recur (see corpus.WIDE_FACTORS)
    wide = corpus.build(n, args.seed, distinct_amounts=True)
    log(f"tika: budgetlens run on {n} documents with distinct amounts, --workers 1")
    cw = cli_run([str(wide)])
    t["cli_1_worker_distinct_amounts"] = cw | rates(n, corpus.size_bytes(corpus.files(wide)), cw["wall_s"], cw["cpu_s"])
    t["cli_2_workers"] = c2 | rates(n, nbytes, c2["wall_s"])
    t["cli_2_vs_1"] = _ratio(c["wall_s"], c2["wall_s"])
    # what two idle cores could give at most, from the CPU each run spent: load-proof
    t["cli_2_vs_1_cpu_ceiling"] = _ratio(2 * c["cpu_s"], c2["tree_cpu_s"]) if c2.get("tree_cpu_s") else None
    if args.p["tika_inprocess"]:
        log("tika: in-process run_job, 1 worker, then a process pool of 2")
        s = e2e(paths)
        t["inprocess_1_worker"] = s | rates(n, nbytes, s["seconds"], s["cpu_seconds_this_process"])
        p = e2e(paths, "pool", 2)
        t["inprocess_pool_2_workers"] = p | rates(n, nbytes, p["seconds"])
    log("tika: time per stage, 1 worker; cProfile of the in-process run")
    st = worker("stages", {"paths": paths})
    prof = worker("profile", {"paths": paths, "out": str(_tmp() / "o"), "stats": str(args.out_dir / "profile.pstats")})
    t["profile_1_worker"] = prof["result"]["top"]
    t["profile_1_worker_tottime"] = prof["result"]["top_tottime"]
    t["profile_stats_file"] = str(args.out_dir / "profile.pstats")
    t["stages_1_worker"] = stage_table(st["result"]) | {"maxrss_mb": st["maxrss_mb"]}
    if args.p["stages_2"]:
        log("tika: time per stage, 2 workers (two processes on halves of the corpus)")
        half = [[str(f) for f in files[0::2]], [str(f) for f in files[1::2]]]
        with ThreadPoolExecutor(2) as ex:
            rs = list(ex.map(lambda ps: worker("stages", {"paths": ps}), half))
        t["stages_2_workers"] = stage_table_parallel([r["result"] for r in rs]) | {
            "maxrss_mb_each": [r["maxrss_mb"] for r in rs]}


def stage_table(r: dict) -> dict:
    out = {"documents": r["documents"], "errors": r["errors"], "facts": r["facts"], "cells": r["cells"],
           "flags": r["flags"], "extract_available": r["extract_available"],
           "reconcile_available": r["reconcile_available"], "stages": {}}
    total = sum(r["seconds"].values())
    for k, v in r["seconds"].items():
        out["stages"][k] = {"seconds": v, "share": round(v / total, 3) if total else None,
                            "ms_per_doc": round(1000 * v / r["documents"], 2) if r["documents"] else None,
                            **rates(r["documents"], r["bytes"], v)}
    out["stages"]["total"] = {"seconds": round(total, 3), "share": 1.0,
                              "ms_per_doc": round(1000 * total / r["documents"], 2) if r["documents"] else None,
                              **rates(r["documents"], r["bytes"], total)}
    return out


def stage_table_parallel(rs: list[dict]) -> dict:
    """Two processes at once: a stage's throughput is all documents over the slower
    process's time in that stage."""
    n = sum(r["documents"] for r in rs)
    nbytes = sum(r["bytes"] for r in rs)
    out = {"documents": n, "stages": {}}
    keys = list(rs[0]["seconds"])
    for k in keys + ["total"]:
        secs = max((sum(r["seconds"].values()) if k == "total" else r["seconds"][k]) for r in rs)
        out["stages"][k] = {"seconds": round(secs, 4), **rates(n, nbytes, secs)}
    return out


def section_memory(args, res: dict):
    m = res["memory"] = {}
    sizes = sorted(args.memory_sizes)
    for n in sizes:
        folder = corpus.build(n, args.seed)
        log(f"memory: budgetlens run --workers 1 on {n} documents")
        c = cli_run([str(folder)])
        m[str(n)] = c | {"documents": n} | rates(n, 0, c["wall_s"], c["cpu_s"])
    # the issue's pair is 200 and 2,000: the smallest and the one ten times it
    lo = sizes[0]
    hi = 10 * lo if 10 * lo in sizes else sizes[-1]
    m["ratio"] = _ratio(m[str(hi)]["maxrss_mb"], m[str(lo)]["maxrss_mb"])
    m["compared"] = [lo, hi]


def section_dask(folder: Path, files: list[Path], args, res: dict):
    n, nbytes = len(files), corpus.size_bytes(files)
    paths = [str(folder)]
    d = res["dask"] = {"documents": n, "note": (
        "Prefect + Dask: pipelines.flows.run_batches_flow on make_task_runner('dask', workers=N) (a local "
        "Dask cluster of N processes, 1 thread each; what `budgetlens process --runner dask` uses), fed by "
        "run_job; each task runs engine.run.process_batch, the function `run --workers N` hands to its "
        "engine.workers pool. Times are run_job's (cluster start included; the Prefect API server started "
        "before the clock, its start-up shown apart)")}
    if args.p["plain_dask"]:
        for w in (1, 2):
            log(f"dask: run_job on a plain dask.distributed LocalCluster of {w} worker(s), {n} documents")
            r = e2e(paths, "dask", w)
            d[f"plain_{w}"] = r | rates(n, nbytes, r["seconds"])
        d["plain_speedup"] = _ratio(d["plain_1"]["seconds"], d["plain_2"]["seconds"])
    k_pd, k_pool = _tmp(), _tmp()
    try:
        for w in ((1, 2) if args.p["prefect_dask_1"] else (2,)):
            log(f"dask: Prefect flow on DaskTaskRunner({w}), {n} documents")
            home = Path(tempfile.mkdtemp(prefix="bl-prefect-home-"))
            try:
                r = e2e(paths, "prefect-dask", w, keep=k_pd if w == 2 else None, timeout=1800,
                        env=bench_env(PREFECT_HOME=home, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=180))
            finally:
                shutil.rmtree(home, ignore_errors=True)
            d[f"prefect_{w}"] = r | rates(n, nbytes, r["seconds"])
        if "prefect_1" in d:
            d["prefect_speedup"] = _ratio(d["prefect_1"]["seconds"], d["prefect_2"]["seconds"])
        log(f"dask: run_job with the --workers 2 pool (engine.workers), {n} documents, right after")
        r = e2e(paths, "pool", 2, keep=k_pool)
        d["run_workers_2"] = r | rates(n, nbytes, r["seconds"])
        d["same_rows"] = same_rows(k_pool, k_pd)
    finally:
        shutil.rmtree(k_pd, ignore_errors=True)
        shutil.rmtree(k_pool, ignore_errors=True)
    d["prefect_dask_2_vs_run_workers_2"] = _ratio(d["prefect_2"]["seconds"], d["run_workers_2"]["seconds"])


def section_prefect(args, res: dict):
    n = args.prefect_docs
    folder = corpus.build(n, args.seed)
    home = Path(tempfile.mkdtemp(prefix="bl-prefect-home-"))
    out = _tmp()
    log(f"prefect: the same {n} documents with and without the flow (temporary server in {home})")
    try:
        r = worker("prefect", {"paths": [str(folder)], "out": str(out), "batch_size": 25},
                   env=bench_env(PREFECT_HOME=home, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=180),
                   timeout=1800)
        res["prefect"] = r["result"] | {"maxrss_mb": r["maxrss_mb"], "tree_peak_mb": r["tree_peak_mb"],
                                        "wall_s": r["wall_s"]}
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


def pick_pdfs(args) -> list[Path]:
    """All real PDFs, or `args.pdfs` of them spread evenly over the sorted names (the first
    and the last included, so both provinces' templates are in a small subset)."""
    pdfs = corpus.real_pdfs()
    k = args.pdfs
    if k and k < len(pdfs):
        pdfs = [pdfs[round(i * (len(pdfs) - 1) / max(k - 1, 1))] for i in range(k)]
    return pdfs


def _pdftotext(pdfs: list[Path]) -> dict:
    """`pdftotext -layout` on every file (what it costs just to lay out the text)."""
    exe = shutil.which("pdftotext")  # Debian's poppler-utils
    if exe is None:
        return {"missing": "pdftotext is not installed (Debian package poppler-utils): "
                           "budgetlens vs `pdftotext -layout` not measured"}
    wall = cpu = 0.0
    for x in pdfs:
        r = run_child([exe, "-layout", str(x), "-"])
        if r["rc"] != 0:
            raise RuntimeError(f"pdftotext failed on {x.name}: {r['stderr'][-500:]}")
        wall += r["wall_s"]
        cpu += r["cpu_s"]
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "version": _pdftotext_version(exe)}


def _pdftotext_version(exe: str) -> str:
    r = run_child([exe, "-v"])
    m = re.search(r"version\s+(\S+)", r["stderr"] + r["stdout"])
    return m.group(1) if m else "?"


def section_pdf(args, res: dict):
    pdfs = pick_pdfs(args)
    p = res["pdf"] = {"files": len(pdfs), "names": [x.name for x in pdfs], "of": len(corpus.real_pdfs())}
    if not pdfs:
        p["note"] = "../shared/real is absent: PDF measurements skipped"
        return
    nbytes = corpus.size_bytes(pdfs)
    names = [str(x) for x in pdfs]
    log(f"pdf: our reader and pipeline, per document, in one process ({len(pdfs)} real PDFs)")
    r = worker("pdf_ours", {"paths": names})
    docs = r["result"]["docs"]
    rest = docs[1:] or docs
    p["ours"] = {"per_doc": docs, "maxrss_mb": r["maxrss_mb"],
                 "reader_s": round(sum(d["read_s"] for d in docs), 3),
                 "reader_cpu_s": round(sum(d["read_cpu_s"] for d in docs), 3),
                 "reader_s_per_doc": round(sum(d["read_s"] for d in docs) / len(docs), 4),
                 "pipeline_s_per_doc": round(sum(d["pipeline_s"] for d in docs) / len(docs), 4),
                 "max_pipeline_s": max(d["pipeline_s"] for d in docs),
                 "first_doc_pipeline_s": docs[0]["pipeline_s"],
                 "warm_pipeline_s_per_doc": round(sum(d["pipeline_s"] for d in rest) / len(rest), 4),
                 "tables": sum(d["tables"] for d in docs), "pages": sum(d["pages"] or 0 for d in docs)}
    log("pdf: pdftotext -layout on the same files")
    pt = p["pdftotext_layout"] = _pdftotext(pdfs)
    if "missing" in pt:
        res["notes"].append(pt["missing"])
    log("pdf: budgetlens run on the same files (--workers 1, --workers 2)")
    c = cli_run(names)
    p["cli_1_worker"] = c | rates(len(pdfs), nbytes, c["wall_s"], c["cpu_s"]) | {"s_per_file": round(c["wall_s"] / len(pdfs), 3)}
    c2 = cli_run(names, workers=2)
    p["cli_2_workers"] = c2 | rates(len(pdfs), nbytes, c2["wall_s"]) | {"s_per_file": round(c2["wall_s"] / len(pdfs), 3)}
    if "missing" not in pt:
        p["vs_pdftotext_cpu_1_worker"] = _ratio(c["cpu_s"], pt["cpu_s"])
        p["vs_pdftotext_wall_1_worker"] = _ratio(c["wall_s"], pt["wall_s"])
        p["vs_pdftotext_wall_2_workers"] = _ratio(c2["wall_s"], pt["wall_s"])
    if args.p["pdf_inprocess"]:
        log("pdf: in-process run_job, 1 worker and a pool of 2")
        s = e2e(names, batch_size=2)
        p["inprocess_1_worker"] = s | rates(len(pdfs), nbytes, s["seconds"]) | {"s_per_file": round(s["seconds"] / len(pdfs), 3)}
        s2 = e2e(names, "pool", 2, batch_size=2)
        p["inprocess_pool_2_workers"] = s2 | rates(len(pdfs), nbytes, s2["seconds"]) | {
            "s_per_file": round(s2["seconds"] / len(pdfs), 3)}
    allp = corpus.real_pdfs()
    single = sorted(allp, key=lambda x: -x.stat().st_size)[:args.p["singles"] or len(allp)]
    log(f"pdf: single-document budgetlens run on {len(single)} PDF(s), the largest first (peak RSS)")
    singles = []
    for x in single:
        c1 = cli_run([str(x)])
        singles.append({"file": x.name, "bytes": x.stat().st_size, "wall_s": c1["wall_s"], "cpu_s": c1["cpu_s"],
                        "maxrss_mb": c1["maxrss_mb"]})
    p["single_document_runs"] = singles
    p["single_peak_rss_mb"] = max(s["maxrss_mb"] for s in singles)
    log(f"pdf: pdfplumber extract_text + extract_tables on the same {len(pdfs)} PDFs")
    r = worker("pdf_plumber", {"paths": names})
    pl = r["result"]["docs"]
    p["pdfplumber"] = {"per_doc": pl, "maxrss_mb": r["maxrss_mb"],
                       "seconds": round(sum(d["seconds"] for d in pl), 3),
                       "cpu_s": round(sum(d["cpu_s"] for d in pl), 3),
                       "s_per_doc": round(sum(d["seconds"] for d in pl) / len(pl), 3),
                       "tables": sum(d["tables"] for d in pl)}
    p["reader_vs_pdfplumber_cpu"] = _ratio(p["ours"]["reader_cpu_s"], p["pdfplumber"]["cpu_s"])
    p["run_vs_pdfplumber_cpu"] = _ratio(c["cpu_s"], p["pdfplumber"]["cpu_s"])


def section_money(args, res: dict):
    m = res["money"] = {}
    sent = _tmp() / "sentences.json"
    pdfs = pick_pdfs(args)
    paths = [str(p) for p in sorted(corpus.SAMPLES.glob("*.txt"))] + [str(p) for p in pdfs]
    m["source"] = f"the samples and {len(pdfs)} real PDFs"
    log(f"money: collecting sentences with money figures ({m['source']})")
    worker("money_sentences", {"paths": paths, "out": str(sent)})
    ours = worker("money_ours", {"sentences": str(sent), "repeat": 20})["result"]
    sentences = json.loads(sent.read_text(encoding="utf-8"))
    m["sentences"] = len(sentences)
    m["ours"] = {"seconds": ours["seconds"], "sentences_per_s": round(len(sentences) / ours["seconds"]),
                 "figures": len(ours["found"]), "rates": sum(1 for f in ours["found"] if f["kind"] == "rate")}
    py = JIONLP_VENV / "bin" / "python"
    if not py.exists():
        log("money: creating benchmarks/.venv-jionlp and installing jionlp from the package registry (once)")
        err = _install_jionlp()
        if err:
            m["jionlp"] = {"error": f"jionlp could not be installed into benchmarks/.venv-jionlp: {err}"}
            res["notes"].append("money: " + m["jionlp"]["error"])
            return
    log("money: JioNLP extract_money in its own environment")
    r = run_child([str(py), str(HERE / "jionlp_worker.py"), str(sent), "20"], env=bench_env(PYTHONPATH=""))
    if r["rc"] != 0 or not r["result"]:
        m["jionlp"] = {"error": f"jionlp worker failed: {r['stderr'][-800:]}"}
        res["notes"].append("money: " + m["jionlp"]["error"])
        return
    jio = r["result"]
    m["jionlp"] = {"version": jio["version"], "seconds": jio["seconds"], "import_s": jio["import_s"],
                   "sentences_per_s": round(len(sentences) / jio["seconds"]), "figures": len(jio["found"]),
                   "errors": jio["errors"]}
    m["speedup"] = round(jio["seconds"] / ours["seconds"], 2)
    m["comparison"] = compare_money(sentences, ours["found"], jio["found"])
    probe = _tmp() / "probe.json"
    probe.write_text(json.dumps(RATE_PROBE, ensure_ascii=False), encoding="utf-8")
    po = worker("money_ours", {"sentences": str(probe), "repeat": 1})["result"]["found"]
    pj = run_child([str(py), str(HERE / "jionlp_worker.py"), str(probe), "1"], env=bench_env(PYTHONPATH=""))["result"]["found"]
    m["rate_probe"] = [{"sentence": t, "ours": [(f["text"], f["kind"], f["unit"], f["yuan"]) for f in po if f["i"] == i],
                        "jionlp": [(f["text"], f["yuan"]) for f in pj if f["i"] == i]} for i, t in enumerate(RATE_PROBE)]
    shutil.rmtree(probe.parent, ignore_errors=True)
    shutil.rmtree(sent.parent, ignore_errors=True)


# hand-written probes for rates (not in the sample sentences): what each extractor returns
RATE_PROBE = ["人均公用经费标准为0.05万元/人。", "按照每人每天200元的标准安排伙食补助。",
              "物业管理费按3.5元/平方米/月计算。", "会议费标准不超过550元/人·天。"]


def _install_jionlp() -> str:
    """Create benchmarks/.venv-jionlp and pip-install jionlp into it: '' or the error."""
    import subprocess

    py311 = shutil.which("python3.11") or sys.executable
    for cmd in ([py311, "-m", "venv", str(JIONLP_VENV)],
                [str(JIONLP_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "jionlp"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(JIONLP_VENV, ignore_errors=True)  # a half-made venv would be taken as ready next time
            return f"`{' '.join(cmd[-3:])}` failed: {(r.stderr or r.stdout).strip()[-400:]}"
    return ""


def compare_money(sentences: list[str], ours: list[dict], jio: list[dict]) -> dict:
    """A JioNLP figure counts as a figure when its text has a digit or numeral and its value
    parsed; ours 'finds' it when one of our figures overlaps its span (values compared too)."""
    import regex

    digit = regex.compile(r"[\d零〇一二两三四五六七八九十百千]")
    by_i: dict[int, list[dict]] = {}
    for f in ours:
        by_i.setdefault(f["i"], []).append(f)
    jby_i: dict[int, list[dict]] = {}
    for f in jio:
        jby_i.setdefault(f["i"], []).append(f)

    def ov(f, g):
        return g["start"] < f["end"] and f["start"] < g["end"]

    def ctx(f):
        s = sentences[f["i"]]
        return s[max(0, f["start"] - 12): f["end"] + 8]

    not_figures, unparsed, real = [], [], []
    for f in jio:
        if not digit.search(f["text"]):
            not_figures.append(f)
        elif f.get("yuan") is None:
            unparsed.append(f)
        else:
            real.append(f)
    missed, value_diff, same = [], [], 0
    for f in real:
        os_ = [g for g in by_i.get(f["i"], []) if ov(f, g)]
        if not os_:
            missed.append(f)
        elif any(abs(g["yuan"] - f["yuan"]) <= 0.011 for g in os_):
            same += 1
        else:
            value_diff.append((f, os_))
    ours_only = [g for g in ours if not any(ov(f, g) and f.get("yuan") is not None and abs(f["yuan"] - g["yuan"]) <= 0.011
                                            for f in jby_i.get(g["i"], []))]
    rates_ = [g for g in ours if g["kind"] == "rate"]
    rate_jio = [g for g in rates_ if any(ov(f, g) for f in jby_i.get(g["i"], []))]

    def ex(fs, n=8):
        return [{"text": f["text"], "value_yuan": f.get("yuan"), "context": ctx(f)} for f in fs[:n]]

    return {
        "jionlp_figures": len(real), "ours_found_of_jionlp": same + len(value_diff),
        "ours_missed_of_jionlp": len(missed), "ours_missed_examples": ex(missed),
        "same_value": same,
        "value_differs": len(value_diff),
        "value_differs_examples": [{"jionlp": f["text"], "jionlp_yuan": f["yuan"],
                                    "ours": [(g["text"], g["yuan"], g["unit"]) for g in gs], "context": ctx(f)}
                                   for f, gs in value_diff[:8]],
        "jionlp_not_figures": len(not_figures), "jionlp_not_figures_examples": ex(not_figures, 5),
        "jionlp_unparsed": len(unparsed), "jionlp_unparsed_examples": ex(unparsed, 5),
        "ours_only": len(ours_only), "ours_only_examples": ex(ours_only),
        "ours_rates": len(rates_), "ours_rates_jionlp_overlaps": len(rate_jio),
        "ours_rates_examples": ex(rates_, 5),
    }


# ------------------------------------------------------------------ report

def verdicts(res: dict) -> dict:
    """Issue 15's targets: {name: {value, target, met}}; `met` is None when not measured."""
    v = {}

    def put(name, value, target, ok):
        v[name] = {"value": value, "target": target, "met": ok}
    t = res.get("tika", {})
    if t:
        c1 = t["cli_1_worker"]
        put("tika_docs_per_cpu_s_1_worker", c1["docs_per_cpu_s"],
            f"≥ 60 docs per CPU-second: `budgetlens run --workers 1` on {t['documents']} Tika dumps, writes + report "
            f"(wall: {c1['docs_per_s']} docs/s)", c1["docs_per_cpu_s"] >= 60)
        cw = t.get("cli_1_worker_distinct_amounts")
        if cw:
            put("tika_distinct_amounts_docs_per_cpu_s_1_worker", cw["docs_per_cpu_s"],
                f"informative: the same, on {t['documents']} dumps whose tables' amounts do not recur from document "
                "to document (the corpus above repeats a table in ~1 of 2 documents, flattering caches keyed by "
                "text)", None)
        ceil = t.get("cli_2_vs_1_cpu_ceiling")
        put("workers_2_vs_1", t["cli_2_vs_1"],
            "≥ 1.7×: wall time of `run --workers 1` / `--workers 2`, side by side"
            + (f" (CPU-bound ceiling on 2 idle cores: {ceil}×)" if ceil else ""), t["cli_2_vs_1"] >= 1.7)
        same = t.get("cli_1_vs_2_same_rows")
        if same:
            put("workers_2_same_rows_as_1", "identical" if same["identical"] else "DIFFERENT",
                "the same documents, facts, table_cells and flags with 2 workers as with 1", same["identical"])
    p = res.get("pdf", {})
    if p.get("note"):  # no real PDFs on this machine
        for k in ("pdf_vs_pdftotext_layout", "pdf_single_peak_rss_mb"):
            put(k, "not measured", p["note"], None)
    if p.get("ours"):
        scope = f"{p['files']} real PDFs" + ("" if p["files"] == p["of"] else f" of {p['of']}")
        if p.get("vs_pdftotext_cpu_1_worker") is not None:
            put("pdf_vs_pdftotext_layout", p["vs_pdftotext_cpu_1_worker"],
                f"≤ 5×: CPU of `budgetlens run --workers 1` end to end / `pdftotext -layout`, {scope} "
                f"(wall: {p['vs_pdftotext_wall_1_worker']}× with 1 worker, {p['vs_pdftotext_wall_2_workers']}× with 2)",
                p["vs_pdftotext_cpu_1_worker"] <= 5)
        else:
            put("pdf_vs_pdftotext_layout", "not measured", f"≤ 5× — {p['pdftotext_layout']['missing']}", None)
        big = p["single_document_runs"][0]
        put("pdf_single_peak_rss_mb", p["single_peak_rss_mb"],
            f"≤ 200 MB: peak RSS of `budgetlens run` on one PDF (max of {len(p['single_document_runs'])}; "
            f"{big['file'][:4]}: {big['maxrss_mb']} MB)", p["single_peak_rss_mb"] <= 200)
    mem = res.get("memory", {})
    if mem:
        lo, hi = mem["compared"]
        put("rss_ratio_10x_documents", mem["ratio"], f"≤ 1.3×: peak RSS of `run --workers 1`, {hi} documents / {lo}",
            mem["ratio"] <= 1.3)
    d = res.get("dask", {})
    if d.get("prefect_dask_2_vs_run_workers_2"):
        put("prefect_dask_2_vs_run_workers_2", d["prefect_dask_2_vs_run_workers_2"],
            "informative: Prefect + Dask (2 workers) time / `run --workers 2` time, same documents", None)
        put("prefect_dask_same_rows", "identical" if d["same_rows"]["identical"] else "DIFFERENT",
            "Prefect + Dask stores the same rows as `--workers 2`", d["same_rows"]["identical"])
    m = res.get("money", {})
    if m.get("speedup"):
        put("money_vs_jionlp", m["speedup"], "informative: JioNLP extract_money time / ours, same sentences", None)
    return v


def _met(x) -> str:
    return "yes" if x is True else "**no**" if x is False else "—"


def targets_md(res: dict) -> list[str]:
    L = ["| target | measured | goal | met |", "|---|---|---|---|"]
    for k, v in res["verdicts"].items():
        L.append(f"| {k} | {v['value']} | {v['target']} | {_met(v['met'])} |")
    return L


def _profile_md(t: dict) -> list[str]:
    if not t.get("profile_1_worker"):
        return []
    L = ["", "cProfile of run_job, 1 worker, warm (top functions by cumulative time):", "", "```",
         *t["profile_1_worker"], "```"]
    if t.get("profile_1_worker_tottime"):
        L += ["", "… and by own time:", "", "```", *t["profile_1_worker_tottime"], "```"]
    L.append(f"\nRaw stats: `{t['profile_stats_file']}` (`python -m pstats`).")
    return L


def _tika_md(t: dict, res: dict) -> list[str]:
    L = ["", f"## Tika dumps ({t['documents']} documents of the {res['corpus']['documents']}-document corpus, "
             f"{t['bytes'] / 1e6:.1f} MB)", "",
         "| run | docs/s (wall) | docs per CPU-s | wall s | CPU s (tree) | peak RSS MB (largest process) | tree peak MB |",
         "|---|---|---|---|---|---|---|"]
    for name, key, secs in (("`budgetlens run --workers 1`", "cli_1_worker", "wall_s"),
                            ("`budgetlens run --workers 2`", "cli_2_workers", "wall_s"),
                            ("run_job in-process, 1 worker", "inprocess_1_worker", "seconds"),
                            ("run_job in-process, pool of 2 (engine.workers)", "inprocess_pool_2_workers", "seconds")):
        r = t.get(key)
        if not r:
            continue
        L.append(f"| {name} | {r['docs_per_s']} | {r.get('docs_per_cpu_s', '')} | {r[secs]} | "
                 f"{r.get('cpu_s')} ({r.get('tree_cpu_s')}) | {r['maxrss_mb']} | {r.get('tree_peak_mb')} |")
    same = t.get("cli_1_vs_2_same_rows", {})
    L.append(f"\n`--workers 2` vs `--workers 1`: **{t['cli_2_vs_1']}×** wall (ceiling from the CPU both spent: "
             f"{t.get('cli_2_vs_1_cpu_ceiling')}×); stored rows "
             f"{'identical' if same.get('identical') else 'DIFFERENT: ' + '; '.join(same.get('differences', []))}.")
    L += _profile_md(t)
    s1, s2 = t["stages_1_worker"], t.get("stages_2_workers")
    L += ["", f"Per stage ({s1['documents']} documents; {s1['facts']} facts, {s1['cells']} cells, {s1['flags']} flags):", "",
          "| stage | 1 worker s | ms/doc | share | docs/s | MB/s |" + (" 2 workers docs/s |" if s2 else ""),
          "|---|---|---|---|---|---|" + ("---|" if s2 else "")]
    for k, v in s1["stages"].items():
        L.append(f"| {k} | {v['seconds']} | {v['ms_per_doc']} | {v['share']:.0%} | {v['docs_per_s']} | {v['mb_per_s']} |"
                 + (f" {s2['stages'][k]['docs_per_s']} |" if s2 else ""))
    return L


def _dask_md(d: dict) -> list[str]:
    L = ["", f"## Prefect + Dask on 2 workers vs `run --workers 2` ({d['documents']} documents)", "", d["note"] + ".", "",
         "| runner | workers | docs/s | run_job s | set-up outside the clock | peak RSS MB (tree) |", "|---|---|---|---|---|---|"]
    for key, name, w in (("plain_1", "dask.distributed LocalCluster (no Prefect)", 1),
                         ("plain_2", "dask.distributed LocalCluster (no Prefect)", 2),
                         ("prefect_1", "Prefect flow + DaskTaskRunner", 1), ("prefect_2", "Prefect flow + DaskTaskRunner", 2),
                         ("run_workers_2", "run_job + engine.workers pool (`--workers 2`)", 2)):
        r = d.get(key)
        if r:
            setup = f"Prefect server {r['prefect_server_start_s']} s" if r.get("prefect_server_start_s") else ""
            L.append(f"| {name} | {w} | {r['docs_per_s']} | {r['seconds']} | {setup} | {r.get('tree_peak_mb')} |")
    L.append(f"\nPrefect + Dask takes **{d['prefect_dask_2_vs_run_workers_2']}×** the time of `--workers 2`; stored rows "
             f"{'identical' if d['same_rows']['identical'] else 'DIFFERENT: ' + '; '.join(d['same_rows']['differences'])}."
             + (f" Plain Dask 2 vs 1 worker: {d['plain_speedup']}×." if d.get("plain_speedup") else ""))
    return L


def _pdf_md(p: dict) -> list[str]:
    o, pt, pl = p["ours"], p["pdftotext_layout"], p["pdfplumber"]
    c1, c2 = p["cli_1_worker"], p["cli_2_workers"]
    n = p["files"]
    of = "" if n == p["of"] else f" of {p['of']}"
    L = ["", f"## Real PDFs ({n} files{of}, {o['pages']} pages, "
             f"{o['tables']} tables found by our reader)", "",
         "The same files through each tool (CPU seconds are load-proof; wall seconds are not):", "",
         "| tool | what it does | CPU s | wall s | × pdftotext (CPU) | peak RSS MB |", "|---|---|---|---|---|---|"]
    ptc = pt.get("cpu_s")
    if ptc:
        L.append(f"| `pdftotext -layout` {pt['version']} | lays out the text | {ptc} | {pt['wall_s']} | 1 | |")
    else:
        L.append(f"| `pdftotext -layout` | {pt['missing']} | | | | |")
    L += [f"| pdfplumber | `extract_text` + `extract_tables` every page ({pl['tables']} tables) | {pl['cpu_s']} | "
          f"{pl['seconds']} | {_ratio(pl['cpu_s'], ptc) or '—'} | {pl['maxrss_mb']} |",
          f"| budgetlens reader (readers.pdf) | text blocks + tables ({o['tables']} tables) | {o['reader_cpu_s']} | "
          f"{o['reader_s']} | {_ratio(o['reader_cpu_s'], ptc) or '—'} | {o['maxrss_mb']} (with the pipeline) |",
          f"| `budgetlens run --workers 1` | end to end: read, build, extract, reconcile, store, report | {c1['cpu_s']} | "
          f"{c1['wall_s']} | **{_ratio(c1['cpu_s'], ptc) or '—'}** | {c1['maxrss_mb']} |",
          f"| `budgetlens run --workers 2` | the same, 2 worker processes | ({c2.get('tree_cpu_s')}) | {c2['wall_s']} | "
          f"wall {p.get('vs_pdftotext_wall_2_workers') or '—'}× | {c2.get('tree_peak_mb')} (tree) |", "",
          f"Our reader takes {p['reader_vs_pdfplumber_cpu']}× pdfplumber's CPU; the whole run "
          f"{p['run_vs_pdfplumber_cpu']}× pdfplumber's reading alone.", "",
          "| what | value |", "|---|---|",
          f"| read + build + extract + reconcile s/doc (in-process, one process for all) | {o['pipeline_s_per_doc']} "
          f"(max {o['max_pipeline_s']}; first document {o['first_doc_pipeline_s']} incl. one-time loads; the others "
          f"{o['warm_pipeline_s_per_doc']}) |"]
    if p.get("inprocess_1_worker"):
        L.append(f"| run_job in-process 1 worker / pool of 2: s/file | {p['inprocess_1_worker']['s_per_file']} / "
                 f"{p['inprocess_pool_2_workers']['s_per_file']} |")
    L.append("| single-document `budgetlens run`: peak RSS MB | "
             + "; ".join(f"{s['file'][:4]} {s['maxrss_mb']} ({s['wall_s']} s wall)" for s in p["single_document_runs"]) + " |")
    return L


def _money_md(m: dict) -> list[str]:
    L = ["", f"## Amounts vs JioNLP `extract_money` ({m['sentences']} sentences with money, {m['source']})", ""]
    if m.get("jionlp", {}).get("error"):
        return L + [f"JioNLP: {m['jionlp']['error']}"]
    c = m["comparison"]
    L += ["| extractor | sentences/s | figures |", "|---|---|---|",
          f"| extractors.numbers.find_quantities | {m['ours']['sentences_per_s']} | {m['ours']['figures']} ({m['ours']['rates']} rates) |",
          f"| JioNLP {m['jionlp']['version']} extract_money | {m['jionlp']['sentences_per_s']} | {m['jionlp']['figures']} |",
          "", f"Ours is **{m['speedup']}×** faster. Of JioNLP's {c['jionlp_figures']} parsed figures ours finds "
          f"{c['ours_found_of_jionlp']} (misses {c['ours_missed_of_jionlp']}; same value {c['same_value']}, "
          f"value differs {c['value_differs']}). JioNLP also returned {c['jionlp_not_figures']} bare units "
          f"(`万元` alone, read as 10,000 元) and {c['jionlp_unparsed']} figures it could not parse "
          f"(e.g. `{c['jionlp_unparsed_examples'][0]['text'] if c['jionlp_unparsed_examples'] else '-'}`); "
          f"ours found {c['ours_only']} figures JioNLP did not (same value). Rates (万元/人 …): ours {c['ours_rates']}, "
          f"JioNLP overlaps {c['ours_rates_jionlp_overlaps']} of them as plain amounts (dropping the per-unit)."]
    if c.get("ours_missed_examples"):
        L += ["", "What ours misses of JioNLP's figures (first examples): "
              + "; ".join(f"`{e['text']}` in “{e['context']}”" for e in c["ours_missed_examples"][:5])]
    if m.get("rate_probe"):
        L += ["", "Rate probes (hand-written; what each returns):", "", "| sentence | ours | JioNLP |", "|---|---|---|"]
        for r in m["rate_probe"]:
            L.append(f"| {r['sentence']} | {'; '.join(f'{a} ({b}, {c})' for a, b, c, _ in r['ours']) or '-'} | "
                     f"{'; '.join(f'{a} = {b} 元' for a, b in r['jionlp']) or '-'} |")
    return L


def _memory_md(mem: dict) -> list[str]:
    L = ["", "## Memory in N (`budgetlens run --workers 1`)", "", "| documents | peak RSS MB | wall s | docs per CPU-s |",
         "|---|---|---|---|"]
    for k, v in mem.items():
        if k.isdigit():
            L.append(f"| {k} | {v['maxrss_mb']} | {v['wall_s']} | {v.get('docs_per_cpu_s')} |")
    L.append(f"\nratio {mem['compared'][1]} / {mem['compared'][0]}: **{mem['ratio']}×**")
    return L


def _prefect_md(pr: dict) -> list[str]:
    return ["", f"## Prefect orchestration overhead ({pr['documents']} documents, {pr['batches']} batch tasks)", "",
            "| what | seconds |", "|---|---|",
            f"| `import prefect` + flows | {pr['import_prefect_s']} |",
            f"| temporary API server start + first (empty) flow run | {pr['server_start_plus_first_flow_s']} |",
            f"| a further empty flow run | {pr['empty_flow_call_s']} |",
            f"| run_job without the flow | {pr['local_s']} |",
            f"| run_job with the flow (server already up) | {pr['prefect_s']} |",
            f"| overhead of the flow | {pr['overhead_s']} |",
            f"| overhead per batch task | {pr['overhead_per_task_s']} |"]


def markdown(res: dict) -> str:
    mc = res["machine"]
    L = [f"# budgetlens benchmark ({res['mode']}) — {mc['date']}", "",
         f"Machine: {mc['cores']} cores ({mc.get('cpu', mc['processor'])}), {mc.get('mem_gb', '?')} GB, "
         f"Python {mc['python']}, {mc['platform']}, git {mc.get('git', '?')}, load average at start "
         f"{mc.get('loadavg_at_start')} / end {mc.get('loadavg_at_end')} (above {mc['cores']}, other processes share "
         f"the cores: wall figures and the 2-worker ratios are not evidence). "
         f"Command: `{res['command']}` ({res['total_s']:.0f} s).", "", "## Targets (issue 15)", "", *targets_md(res)]
    if res.get("tika"):
        L += _tika_md(res["tika"], res)
    if res.get("memory"):
        L += _memory_md(res["memory"])
    if res.get("dask"):
        L += _dask_md(res["dask"])
    if res.get("prefect"):
        L += _prefect_md(res["prefect"])
    p = res.get("pdf")
    if p and p.get("ours"):
        L += _pdf_md(p)
    if res.get("money"):
        L += _money_md(res["money"])
    if res.get("notes"):
        L += ["", "## Notes", ""] + [f"- {n}" for n in res["notes"]]
    return "\n".join(L) + "\n"


def update_readme(res: dict, md_path: Path) -> bool:
    """Replace the block between the README's bench markers with this run's targets."""
    text = README.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    mc = res["machine"]
    block = [README_START,
             f"Latest reference run: `{res['command']}`, {mc['date']}, git {mc.get('git', '?')}, load average "
             f"{mc.get('loadavg_at_start')} at start ({res['total_s']:.0f} s). Full tables and the profile: "
             f"`{md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}`.", "", *targets_md(res), README_END]
    a, b = text.index(README_START), text.index(README_END) + len(README_END)
    README.write_text(text[:a] + "\n".join(block) + text[b:], encoding="utf-8")
    return True


PACKAGES = ("budgetlens", "extractors", "gazetteers", "pipelines")


def compile_bytecode() -> None:
    """The project's bytecode written before anything is timed, as an installed package has
    it: an editable install under PYTHONDONTWRITEBYTECODE (set on this machine) would otherwise
    compile every module in every measured run (about 0.25 CPU-s of a run's start-up)."""
    import compileall
    for pkg in PACKAGES:
        compileall.compile_dir(str(ROOT / pkg), quiet=2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="every section on fewer documents (100 Tika dumps, memory 30 vs 300, 4 real PDFs): ~3 min "
                           "on a quiet machine; writes results/quick.*")
    mode.add_argument("--full", action="store_true",
                      help="everything on every document: 2,000-document configurations, single runs on every PDF, "
                           "Prefect+Dask on 1 and 2 workers, an 8,000-document memory point")
    ap.add_argument("--docs", type=int, default=None, help="Tika corpus size (default 2000; 100 with --quick)")
    ap.add_argument("--sample", type=int, default=None,
                    help="documents for the per-configuration runs (default 200 = benchmarks/.cache/corpus-200-7; 100 with --quick)")
    ap.add_argument("--pdfs", type=int, default=None, help="real PDFs to use (default all; 4 with --quick)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", default="", help="comma list of sections: tika,memory,dask,prefect,pdf,money")
    ap.add_argument("--out", default=str(RESULTS), help="folder for the results (default benchmarks/results)")
    ap.add_argument("--readme", action="store_true", help="write this run's targets table into README's Performance section")
    args = ap.parse_args(argv)
    args.mode = "quick" if args.quick else "full" if args.full else "default"
    args.p = PROFILES[args.mode]
    args.docs = args.docs or args.p["docs"]
    args.sample = min(args.docs, args.sample or args.p["sample"])
    args.pdfs = args.p["pdfs"] if args.pdfs is None else args.pdfs
    args.memory_sizes = sorted(set(args.p["memory"]))
    args.prefect_docs = args.sample
    args.out_dir = Path(args.out).resolve()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, args.only.split(",")))
    unknown = only - {"tika", "memory", "dask", "prefect", "pdf", "money"}
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")

    def want(s: str) -> bool:
        return s in only if only else (s != "prefect" or args.p["prefect"])
    t0 = time.perf_counter()
    res: dict = {"machine": machine(), "mode": args.mode, "targets": TARGETS, "notes": [],
                 "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])}
    compile_bytecode()
    corpus.build(args.docs, args.seed)
    folder = corpus.build(args.sample, args.seed)  # the first `sample` documents of the same plan
    files = corpus.files(folder)
    res["corpus"] = {"documents": args.docs, "sample": len(files), "sample_bytes": corpus.size_bytes(files),
                     "seed": args.seed, "folder": str(folder.relative_to(ROOT)), "real_pdfs": len(corpus.real_pdfs())}
    failed = []
    for name, fn in (("tika", lambda: section_tika(folder, files, args, res)),
                     ("memory", lambda: section_memory(args, res)),
                     ("dask", lambda: section_dask(folder, files, args, res)),
                     ("prefect", lambda: section_prefect(args, res)),
                     ("pdf", lambda: section_pdf(args, res)),
                     ("money", lambda: section_money(args, res))):
        if not want(name):
            continue
        s0 = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # one failed section must not lose the others
            log(f"{name} failed: {exc}")
            res["notes"].append(f"section {name} failed: {str(exc)[-600:]}")
            res.pop(name, None)
            failed.append(name)
        res.setdefault("section_s", {})[name] = round(time.perf_counter() - s0, 1)
    res["total_s"] = round(time.perf_counter() - t0, 1)
    res["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    res["verdicts"] = verdicts(res)
    stem = "quick" if args.quick else "latest"
    (args.out_dir / f"{stem}.json.tmp").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out_dir / f"{stem}.json.tmp").replace(args.out_dir / f"{stem}.json")
    md = markdown(res)
    (args.out_dir / f"{stem}.md").write_text(md, encoding="utf-8")
    print(md)
    if args.readme and not args.quick and update_readme(res, args.out_dir / f"{stem}.md"):
        log("README's Performance section updated with this run's targets")
    # last on the terminal: the targets, met or not
    print(f"\nTargets ({args.mode} run, git {res['machine'].get('git')}, load average "
          f"{res['machine']['loadavg_at_start']} → {res['machine']['loadavg_at_end']}; "
          f"full tables: {args.out_dir / (stem + '.md')}):\n")
    print("\n".join(targets_md(res)))
    if failed:
        print(f"\nFAILED sections: {', '.join(failed)} (see Notes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
