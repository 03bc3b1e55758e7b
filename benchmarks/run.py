"""`make bench` / `python -m benchmarks.run [--docs N] [--quick] [--full]`.

Writes benchmarks/results/latest.json and latest.md.  Every measurement runs in a fresh
child process (benchmarks.worker or the `budgetlens` command), so each peak RSS is that
run's own.  See README "Performance"."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import corpus
from .measure import PY, ROOT, bench_env, machine, run_child, worker

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
JIONLP_VENV = HERE / ".venv-jionlp"
BIN = Path(PY).parent / "budgetlens"

# issue 15's targets
TARGETS = {"tika_docs_per_s_1core": 60, "workers_2_vs_1": 1.7, "pdf_vs_pdftotext_layout": 5,
           "pdf_single_peak_rss_mb": 200, "rss_ratio_2000_vs_200": 1.3}


def log(msg: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="bl-bench-"))


def cli_run(paths: list[str], extra: list[str] | None = None, workers: int = 1) -> dict:
    out = _tmp()
    try:
        r = run_child([str(BIN), "run", *paths, "--out", str(out / "o"), "--quiet", "--workers", str(workers),
                       *(extra or [])])
        if r["rc"] != 0:
            raise RuntimeError(f"budgetlens run failed: {r['stderr'][-2000:]}")
        return {k: r[k] for k in ("wall_s", "maxrss_mb", "tree_peak_mb")} | {"summary": r["stdout"].strip().splitlines()[-2:]}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def e2e(paths: list[str], runner: str = "sequential", workers: int = 1, batch_size: int = 25, **kw) -> dict:
    out = _tmp()
    try:
        r = worker("e2e", {"paths": paths, "out": str(out / "o"), "runner": runner, "workers": workers,
                           "batch_size": batch_size}, **kw)
        return {"wall_s": r["wall_s"], "maxrss_mb": r["maxrss_mb"], "tree_peak_mb": r["tree_peak_mb"], **r["result"]}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def rates(n_docs: int, nbytes: int, seconds: float) -> dict:
    return {"docs_per_s": round(n_docs / seconds, 1) if seconds else None,
            "mb_per_s": round(nbytes / 1e6 / seconds, 2) if seconds else None}


# ------------------------------------------------------------------ sections

def section_tika(folder: Path, files: list[Path], args, res: dict):
    n, nbytes = len(files), corpus.size_bytes(files)
    paths = [str(folder)]
    t = res["tika"] = {"documents": n, "bytes": nbytes}
    log(f"Tika e2e: budgetlens run on {n} documents (--workers 1, then --workers 2)")
    c = cli_run(paths)
    t["cli_1_worker"] = c | rates(n, nbytes, c["wall_s"])
    c2 = cli_run(paths, workers=2)
    t["cli_2_workers"] = c2 | rates(n, nbytes, c2["wall_s"])
    t["cli_2_vs_1"] = round(c["wall_s"] / c2["wall_s"], 2)
    log("Tika e2e: in-process run_job, 1 worker")
    s = e2e(paths)
    t["inprocess_1_worker"] = s | rates(n, nbytes, s["seconds"])
    log("Tika e2e: in-process run_job, process pool of 2")
    p = e2e(paths, "pool", 2)
    t["inprocess_pool_2_workers"] = p | rates(n, nbytes, p["seconds"])
    log("Tika per stage, 1 worker (with a cProfile of the in-process run)")
    st = worker("stages", {"paths": paths})
    t["profile_1_worker"] = worker("profile", {"paths": paths, "out": str(_tmp() / "o")})["result"]["top"]
    t["stages_1_worker"] = stage_table(st["result"]) | {"maxrss_mb": st["maxrss_mb"]}
    log("Tika per stage, 2 workers (two processes on halves of the corpus)")
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
                            **rates(r["documents"], r["bytes"], v)}
    out["stages"]["total"] = {"seconds": round(total, 3), "share": 1.0, **rates(r["documents"], r["bytes"], total)}
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
    for n in args.memory_sizes:
        folder = corpus.build(n, args.seed)
        log(f"memory: budgetlens run on {n} documents")
        c = cli_run([str(folder)])
        m[str(n)] = c | {"documents": n} | rates(n, 0, c["wall_s"])
    sizes = sorted(args.memory_sizes)
    lo, hi = m[str(sizes[0])]["maxrss_mb"], m[str(sizes[-1])]["maxrss_mb"]
    m["ratio"] = round(hi / lo, 2)
    m["compared"] = [sizes[0], sizes[-1]]


def section_dask(folder: Path, files: list[Path], args, res: dict):
    n, nbytes = len(files), corpus.size_bytes(files)
    d = res["dask"] = {"documents": n, "note": (
        "`budgetlens run` has no --runner option (the pipelines colleague's `--runner dask` is on "
        "`budgetlens process`, which reads a crawler raw store); measured here: run_job with plain "
        "dask.distributed LocalCluster (processes, 1 thread each) as the batch mapper"
        + ("; and the project's Prefect run_flow with pipelines.flows.make_task_runner('dask')" if args.full else "")
        + "; the process pool figure is in tika.inprocess_pool_2_workers")}
    for w in (1, 2):
        log(f"dask: run_job on a LocalCluster of {w} worker(s), {n} documents")
        r = e2e([str(folder)], "dask", w)
        d[f"plain_{w}"] = r | rates(n, nbytes, r["seconds"])
    d["plain_speedup"] = round(d["plain_1"]["seconds"] / d["plain_2"]["seconds"], 2)
    for w in ((1, 2) if args.full else (2,)):
        if True:
            log(f"dask: Prefect run_flow on DaskTaskRunner({w}), {n} documents")
            pre = Path(tempfile.mkdtemp(prefix="bl-prefect-home-"))
            try:
                r = e2e([str(folder)], "prefect-dask", w, env=bench_env(
                    PREFECT_HOME=pre, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120))
            finally:
                shutil.rmtree(pre, ignore_errors=True)
            d[f"prefect_{w}"] = r | rates(n, nbytes, r["seconds"])
    if "prefect_1" in d:
        d["prefect_speedup"] = round(d["prefect_1"]["seconds"] / d["prefect_2"]["seconds"], 2)
    log(f"dask: run_job with --workers 2 (engine.workers pool), {n} documents, beside Prefect + Dask")
    r = e2e([str(folder)], "pool", 2)
    d["run_workers_2"] = r | rates(n, nbytes, r["seconds"])
    d["prefect_dask_2_vs_run_workers_2"] = round(d["prefect_2"]["seconds"] / r["seconds"], 2)


def section_prefect(args, res: dict):
    n = args.prefect_docs
    folder = corpus.build(n, args.seed)
    home = Path(tempfile.mkdtemp(prefix="bl-prefect-home-"))
    out = _tmp()
    log(f"prefect: the same {n} documents with and without the flow (temporary server in {home})")
    try:
        r = worker("prefect", {"paths": [str(folder)], "out": str(out), "batch_size": 25},
                   env=bench_env(PREFECT_HOME=home, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120),
                   timeout=900)
        res["prefect"] = r["result"] | {"maxrss_mb": r["maxrss_mb"], "tree_peak_mb": r["tree_peak_mb"],
                                        "wall_s": r["wall_s"]}
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


def section_pdf(args, res: dict):
    pdfs = corpus.real_pdfs()
    p = res["pdf"] = {"files": len(pdfs)}
    if not pdfs:
        p["note"] = "../shared/real is absent: PDF measurements skipped"
        return
    nbytes = corpus.size_bytes(pdfs)
    log(f"pdf: ours, per document ({len(pdfs)} real PDFs)")
    r = worker("pdf_ours", {"paths": [str(x) for x in pdfs]})
    docs = r["result"]["docs"]
    tot_read = sum(d["read_s"] for d in docs)
    tot_pipe = sum(d["pipeline_s"] for d in docs)
    p["ours"] = {"per_doc": docs, "maxrss_mb": r["maxrss_mb"],
                 "reader_s_per_doc": round(tot_read / len(docs), 4),
                 "pipeline_s_per_doc": round(tot_pipe / len(docs), 4),
                 "max_pipeline_s": max(d["pipeline_s"] for d in docs),
                 "first_doc_pipeline_s": docs[0]["pipeline_s"],
                 "warm_pipeline_s_per_doc": round(sum(d["pipeline_s"] for d in docs[1:]) / max(len(docs) - 1, 1), 4),
                 "warm_reader_s_per_doc": round(sum(d["read_s"] for d in docs[1:]) / max(len(docs) - 1, 1), 4),
                 "tables": sum(d["tables"] for d in docs), "pages": sum(d["pages"] or 0 for d in docs)}
    log("pdf: pdftotext -layout on every real PDF, then budgetlens run on them (1 worker, 2 workers)")
    have_pdftotext = shutil.which("pdftotext") is not None  # Debian's poppler-utils
    t0 = time.perf_counter()
    for x in pdfs if have_pdftotext else ():
        run_child(["pdftotext", "-layout", str(x), "-"])
    pt = p["pdftotext_layout_s"] = round(time.perf_counter() - t0, 3) if have_pdftotext else None
    c = cli_run([str(x) for x in pdfs])
    p["cli_1_worker"] = c | rates(len(pdfs), nbytes, c["wall_s"]) | {"s_per_file": round(c["wall_s"] / len(pdfs), 3)}
    c2 = cli_run([str(x) for x in pdfs], workers=2)
    p["cli_2_workers"] = c2 | rates(len(pdfs), nbytes, c2["wall_s"]) | {"s_per_file": round(c2["wall_s"] / len(pdfs), 3)}
    p["vs_pdftotext_1_worker"] = round(c["wall_s"] / pt, 2) if pt else None
    p["vs_pdftotext_2_workers"] = round(c2["wall_s"] / pt, 2) if pt else None
    s = e2e([str(x) for x in pdfs], batch_size=2)
    p["inprocess_1_worker"] = s | rates(len(pdfs), nbytes, s["seconds"]) | {
        "s_per_file": round(s["seconds"] / len(pdfs), 3)}
    s2 = e2e([str(x) for x in pdfs], "pool", 2, batch_size=2)
    p["inprocess_pool_2_workers"] = s2 | rates(len(pdfs), nbytes, s2["seconds"]) | {
        "s_per_file": round(s2["seconds"] / len(pdfs), 3)}
    single = pdfs if args.full else sorted(pdfs, key=lambda x: -x.stat().st_size)[:3]
    log(f"pdf: single-document budgetlens run on {len(single)} PDFs (peak RSS)")
    singles = []
    for x in single:
        c = cli_run([str(x)])
        singles.append({"file": x.name, "bytes": x.stat().st_size, "wall_s": c["wall_s"], "maxrss_mb": c["maxrss_mb"]})
    p["single_document_runs"] = singles
    p["single_peak_rss_mb"] = max(s["maxrss_mb"] for s in singles)
    plumb = pdfs if args.full else sorted(pdfs, key=lambda x: x.name)[:: max(1, len(pdfs) // args.plumber_docs)][:args.plumber_docs]
    log(f"pdf: pdfplumber extract_text + extract_tables on {len(plumb)} PDFs")
    r = worker("pdf_plumber", {"paths": [str(x) for x in plumb]})
    pl = r["result"]["docs"]
    by_name = {d["file"]: d for d in docs}
    p["pdfplumber"] = {"per_doc": pl, "maxrss_mb": r["maxrss_mb"],
                       "s_per_doc": round(sum(d["seconds"] for d in pl) / len(pl), 3),
                       "tables": sum(d["tables"] for d in pl),
                       "ours_tables_same_docs": sum(by_name[d["file"]]["tables"] for d in pl),
                       "ours_reader_s_per_doc_same_docs": round(sum(by_name[d["file"]]["read_s"] for d in pl) / len(pl), 4)}
    p["pdfplumber"]["reader_speedup"] = round(p["pdfplumber"]["s_per_doc"] / p["pdfplumber"]["ours_reader_s_per_doc_same_docs"], 1)


def section_money(args, res: dict):
    m = res["money"] = {}
    sent = _tmp() / "sentences.json"
    paths = [str(p) for p in sorted(corpus.SAMPLES.glob("*.txt"))] + [str(p) for p in corpus.real_pdfs()]
    log("money: collecting sentences with money figures (samples + real PDFs)")
    worker("money_sentences", {"paths": paths, "out": str(sent)})
    ours = worker("money_ours", {"sentences": str(sent), "repeat": 20})["result"]
    sentences = json.loads(sent.read_text(encoding="utf-8"))
    m["sentences"] = len(sentences)
    m["ours"] = {"seconds": ours["seconds"], "sentences_per_s": round(len(sentences) / ours["seconds"]),
                 "figures": len(ours["found"]), "rates": sum(1 for f in ours["found"] if f["kind"] == "rate")}
    py = JIONLP_VENV / "bin" / "python"
    if not py.exists():
        log("money: creating benchmarks/.venv-jionlp and installing jionlp (once)")
        run_child([sys.executable.replace("/.venv/bin/python", "/.venv/bin/python"), "-c", "pass"])
        ok = _install_jionlp()
        if not ok:
            m["jionlp"] = {"error": "jionlp could not be installed into benchmarks/.venv-jionlp"}
            return
    log("money: JioNLP extract_money in its own environment")
    r = run_child([str(py), str(HERE / "jionlp_worker.py"), str(sent), "20"], env=bench_env(PYTHONPATH=""))
    if r["rc"] != 0 or not r["result"]:
        m["jionlp"] = {"error": f"jionlp worker failed: {r['stderr'][-800:]}"}
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


def _install_jionlp() -> bool:
    import subprocess

    py311 = shutil.which("python3.11") or sys.executable
    if subprocess.run([py311, "-m", "venv", str(JIONLP_VENV)]).returncode != 0:
        return False
    return subprocess.run([str(JIONLP_VENV / "bin" / "pip"), "install", "-q", "jionlp"]).returncode == 0


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
    v = {}

    def put(name, value, target, ok):
        v[name] = {"value": value, "target": target, "met": ok}
    t = res.get("tika", {})
    if t:
        put("tika_docs_per_s_1core", t["cli_1_worker"]["docs_per_s"],
            "≥ 60 docs/s (budgetlens run --workers 1, process wall time, writes + report)",
            t["cli_1_worker"]["docs_per_s"] >= 60)
        put("workers_2_vs_1", t["cli_2_vs_1"], "≥ 1.7× (budgetlens run --workers 2 vs --workers 1, side by side)",
            t["cli_2_vs_1"] >= 1.7)
    p = res.get("pdf", {})
    if p.get("ours"):
        if p.get("pdftotext_layout_s"):
            best = min(p["vs_pdftotext_1_worker"], p["vs_pdftotext_2_workers"])
            put("pdf_vs_pdftotext_layout", best, "≤ 5× pdftotext -layout on the same PDFs (budgetlens run end to end)",
                best <= 5)
        put("pdf_single_peak_rss_mb", p["single_peak_rss_mb"], "≤ 200 MB (budgetlens run on one PDF)",
            p["single_peak_rss_mb"] <= 200)
    d = res.get("dask", {})
    if d.get("prefect_dask_2_vs_run_workers_2"):
        put("prefect_dask_2_vs_run_workers_2", d["prefect_dask_2_vs_run_workers_2"],
            "Prefect + Dask (2 workers) time / run --workers 2 time (informative)", True)
    mem = res.get("memory", {})
    if mem:
        put("rss_ratio_2000_vs_200", mem["ratio"], f"≤ 1.3× (peak RSS {mem['compared'][1]} docs vs {mem['compared'][0]})",
            mem["ratio"] <= 1.3)
    return v


def _profile_md(t: dict) -> list[str]:
    if not t.get("profile_1_worker"):
        return []
    return ["", "cProfile of run_job, 1 worker (top functions by cumulative time):", "", "```",
            *t["profile_1_worker"], "```"]


def markdown(res: dict) -> str:
    mc = res["machine"]
    L = [f"# budgetlens benchmark — {mc['date']}", "",
         f"Machine: {mc['cores']} cores ({mc.get('cpu', mc['processor'])}), {mc.get('mem_gb', '?')} GB, "
         f"Python {mc['python']}, {mc['platform']}, git {mc.get('git', '?')}, load average at start "
         f"{mc.get('loadavg_at_start')} / end {mc.get('loadavg_at_end')} (other processes share the cores). "
         f"Command: `{res['command']}` ({res['total_s']:.0f} s).", "",
         "## Targets", "", "| target | measured | goal | met |", "|---|---|---|---|"]
    for k, v in res["verdicts"].items():
        L.append(f"| {k} | {v['value']} | {v['target']} | {'yes' if v['met'] else '**no**'} |")
    t = res.get("tika")
    if t:
        L += ["", f"## Tika dumps ({t['documents']} documents of the {res['corpus']['documents']}-document corpus, {t['bytes'] / 1e6:.1f} MB)", "",
              "| run | docs/s | MB/s | wall s | peak RSS MB (largest process) | tree peak MB |", "|---|---|---|---|---|---|"]
        for name, key, secs in (("`budgetlens run --workers 1` (process wall time)", "cli_1_worker", "wall_s"),
                                ("`budgetlens run --workers 2` (process wall time)", "cli_2_workers", "wall_s"),
                                ("run_job in-process, 1 worker", "inprocess_1_worker", "seconds"),
                                ("run_job in-process, process pool of 2", "inprocess_pool_2_workers", "seconds")):
            r = t[key]
            L.append(f"| {name} | {r['docs_per_s']} | {r['mb_per_s']} | {r[secs]} | {r['maxrss_mb']} | {r.get('tree_peak_mb')} |")
        L.append(f"\n`--workers 2` vs `--workers 1`: **{t['cli_2_vs_1']}×**")
        L += _profile_md(t)
        s1, s2 = t["stages_1_worker"], t["stages_2_workers"]
        L += ["", f"Per stage ({s1['documents']} documents; {s1['facts']} facts, {s1['cells']} cells, {s1['flags']} flags; "
              f"extractors.narrative {'present' if s1['extract_available'] else 'absent'}, reconcile "
              f"{'present' if s1['reconcile_available'] else 'absent'}):", "",
              "| stage | 1 worker s | share | docs/s | MB/s | 2 workers docs/s |", "|---|---|---|---|---|---|"]
        for k, v in s1["stages"].items():
            L.append(f"| {k} | {v['seconds']} | {v['share']:.0%} | {v['docs_per_s']} | {v['mb_per_s']} | "
                     f"{s2['stages'][k]['docs_per_s']} |")
    mem = res.get("memory")
    if mem:
        L += ["", "## Memory in N (`budgetlens run`, 1 worker)", "", "| documents | peak RSS MB | wall s |", "|---|---|---|"]
        for k, v in mem.items():
            if k.isdigit():
                L.append(f"| {k} | {v['maxrss_mb']} | {v['wall_s']} |")
        L.append(f"\nratio {mem['compared'][1]} / {mem['compared'][0]}: **{mem['ratio']}×**")
    d = res.get("dask")
    if d:
        L += ["", "## Two workers vs one", "", d["note"] + ".", "", "| runner | workers | docs/s | s | speed-up |", "|---|---|---|---|---|"]
        L.append(f"| dask.distributed LocalCluster | 1 | {d['plain_1']['docs_per_s']} | {d['plain_1']['seconds']} | |")
        L.append(f"| dask.distributed LocalCluster | 2 | {d['plain_2']['docs_per_s']} | {d['plain_2']['seconds']} | {d['plain_speedup']}× |")
        if "prefect_1" in d:
            L.append(f"| Prefect + DaskTaskRunner | 1 | {d['prefect_1']['docs_per_s']} | {d['prefect_1']['seconds']} | |")
            L.append(f"| Prefect + DaskTaskRunner | 2 | {d['prefect_2']['docs_per_s']} | {d['prefect_2']['seconds']} | {d['prefect_speedup']}× |")
        elif "prefect_2" in d:
            L.append(f"| Prefect + DaskTaskRunner | 2 | {d['prefect_2']['docs_per_s']} | {d['prefect_2']['seconds']} | |")
        if "run_workers_2" in d:
            L.append(f"| run_job --workers 2 (engine.workers) | 2 | {d['run_workers_2']['docs_per_s']} | "
                     f"{d['run_workers_2']['seconds']} | Prefect+Dask takes {d['prefect_dask_2_vs_run_workers_2']}× its time |")
        if t:
            sp = round(t["inprocess_1_worker"]["seconds"] / t["inprocess_pool_2_workers"]["seconds"], 2)
            L.append(f"| ProcessPoolExecutor (bounded) | 2 | {t['inprocess_pool_2_workers']['docs_per_s']} | "
                     f"{t['inprocess_pool_2_workers']['seconds']} | {sp}× vs in-process 1 |")
    pr = res.get("prefect")
    if pr:
        L += ["", f"## Prefect orchestration overhead ({pr['documents']} documents, {pr['batches']} batch tasks)", "",
              "| what | seconds |", "|---|---|",
              f"| `import prefect` + flows | {pr['import_prefect_s']} |",
              f"| temporary API server start + first (empty) flow run | {pr['server_start_plus_first_flow_s']} |",
              f"| a further empty flow run | {pr['empty_flow_call_s']} |",
              f"| run_job without the flow | {pr['local_s']} |",
              f"| run_job with the flow (server already up) | {pr['prefect_s']} |",
              f"| overhead of the flow | {pr['overhead_s']} |",
              f"| overhead per batch task | {pr['overhead_per_task_s']} |"]
    p = res.get("pdf")
    if p and p.get("ours"):
        o = p["ours"]
        L += ["", f"## Real PDFs ({p['files']} files, {o['pages']} pages, {o['tables']} tables found)", "",
              "| what | value |", "|---|---|",
              f"| our reader (readers.pdf) s/doc | {o['reader_s_per_doc']} |",
              f"| read + build + extract + reconcile s/doc (in-process, 1 process for all) | {o['pipeline_s_per_doc']} (max {o['max_pipeline_s']}; first document {o['first_doc_pipeline_s']} incl. one-time loads; the others {o['warm_pipeline_s_per_doc']}) |",
              f"| `pdftotext -layout` on every file, s | {p['pdftotext_layout_s']} |",
              f"| `budgetlens run --workers 1` / `--workers 2` on all files, s | {p['cli_1_worker']['wall_s']} / {p['cli_2_workers']['wall_s']} |",
              f"| … as a multiple of pdftotext -layout | {p['vs_pdftotext_1_worker']}× / {p['vs_pdftotext_2_workers']}× |",
              f"| `budgetlens run` on all files, 1 worker: s/file (incl. start-up, pairing, writes, report) | {p['cli_1_worker']['s_per_file']} |",
              f"| run_job in-process 1 worker / pool of 2: s/file | {p['inprocess_1_worker']['s_per_file']} / {p['inprocess_pool_2_workers']['s_per_file']} |",
              f"| single-document `budgetlens run`: peak RSS MB (max of {len(p['single_document_runs'])}) | {p['single_peak_rss_mb']} |"]
        pl = p["pdfplumber"]
        L += ["", f"PDF reading vs pdfplumber ({len(pl['per_doc'])} documents, `extract_text` + `extract_tables` every page):", "",
              "| library | s/doc | tables |", "|---|---|---|",
              f"| readers.pdf (pypdfium2 geometry) | {pl['ours_reader_s_per_doc_same_docs']} | {pl['ours_tables_same_docs']} |",
              f"| pdfplumber | {pl['s_per_doc']} | {pl['tables']} |",
              f"\nour reader is {pl['reader_speedup']}× faster on these documents."]
    m = res.get("money")
    if m:
        L += ["", f"## Amount extraction vs JioNLP ({m['sentences']} sentences with money, samples + real PDFs)", ""]
        if m.get("jionlp", {}).get("error"):
            L.append(f"JioNLP: {m['jionlp']['error']}")
        else:
            c = m["comparison"]
            L += ["| extractor | sentences/s | figures |", "|---|---|---|",
                  f"| extractors.numbers.find_quantities | {m['ours']['sentences_per_s']} | {m['ours']['figures']} ({m['ours']['rates']} rates) |",
                  f"| JioNLP {m['jionlp']['version']} extract_money | {m['jionlp']['sentences_per_s']} | {m['jionlp']['figures']} |",
                  "", f"Speed-up: **{m['speedup']}×**. Of JioNLP's {c['jionlp_figures']} parsed figures ours finds "
                  f"{c['ours_found_of_jionlp']} (misses {c['ours_missed_of_jionlp']}; same value {c['same_value']}, "
                  f"value differs {c['value_differs']}). JioNLP also returned {c['jionlp_not_figures']} bare units "
                  f"(`万元` alone, read as 10,000 元) and {c['jionlp_unparsed']} figures it could not parse "
                  f"(e.g. `{c['jionlp_unparsed_examples'][0]['text'] if c['jionlp_unparsed_examples'] else '-'}`); "
                  f"ours found {c['ours_only']} figures JioNLP did not (same value). Rates (万元/人 …): ours {c['ours_rates']}, "
                  f"JioNLP overlaps {c['ours_rates_jionlp_overlaps']} of them as plain amounts (dropping the per-unit)."]
            if m.get("rate_probe"):
                L += ["", "Rate probes (hand-written; what each returns):", "", "| sentence | ours | JioNLP |", "|---|---|---|"]
                for r in m["rate_probe"]:
                    L.append(f"| {r['sentence']} | {'; '.join(f'{a} ({b}, {c})' for a, b, c, _ in r['ours']) or '-'} | "
                             f"{'; '.join(f'{a} = {b} 元' for a, b in r['jionlp']) or '-'} |")
    if res.get("notes"):
        L += ["", "## Notes", ""] + [f"- {n}" for n in res["notes"]]
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    ap.add_argument("--docs", type=int, default=None, help="Tika corpus size (default 2000; 200 with --quick)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sample", type=int, default=None,
                    help="documents for the per-configuration runs (e2e, stages, workers); default 300, all with --full")
    ap.add_argument("--quick", action="store_true", help="small corpus, fewer comparison documents, no Dask")
    ap.add_argument("--full", action="store_true",
                    help="everything: pdfplumber and single-document runs on every real PDF, Prefect+Dask, 8000-doc memory point")
    ap.add_argument("--only", default="", help="comma list of sections: tika,memory,dask,prefect,pdf,money")
    ap.add_argument("--out", default=str(RESULTS), help="folder for latest.json / latest.md")
    args = ap.parse_args(argv)
    args.docs = args.docs or (200 if args.quick else 2000)
    args.sample = min(args.docs, args.sample or (args.docs if args.full else 300))
    args.memory_sizes = sorted(({100, args.docs} if args.quick else {200, args.docs}) | ({8000} if args.full else set()))
    args.prefect_docs = 100 if args.quick else 200
    args.plumber_docs = 3 if args.quick else 6
    only = set(filter(None, args.only.split(",")))
    want = lambda s: (not only or s in only) and not (s == "dask" and args.quick and not only)  # noqa: E731
    t0 = time.perf_counter()
    res: dict = {"machine": machine(), "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:]),
                 "targets": TARGETS, "notes": []}
    corpus.build(args.docs, args.seed)
    folder = corpus.build(args.sample, args.seed)  # the first `sample` documents of the same plan
    files = corpus.files(folder)
    res["corpus"] = {"documents": args.docs, "sample": len(files), "sample_bytes": corpus.size_bytes(files),
                     "seed": args.seed, "folder": str(folder.relative_to(ROOT)), "real_pdfs": len(corpus.real_pdfs())}
    for name, fn in (("tika", lambda: section_tika(folder, files, args, res)),
                     ("memory", lambda: section_memory(args, res)),
                     ("dask", lambda: section_dask(folder, files, args, res)),
                     ("prefect", lambda: section_prefect(args, res)),
                     ("pdf", lambda: section_pdf(args, res)),
                     ("money", lambda: section_money(args, res))):
        if not want(name):
            continue
        try:
            fn()
        except Exception as exc:  # one failed section must not lose the others
            log(f"{name} failed: {exc}")
            res["notes"].append(f"section {name} failed: {str(exc)[-600:]}")
            res.pop(name, None)
    res["total_s"] = round(time.perf_counter() - t0, 1)
    res["machine"]["loadavg_at_end"] = [round(x, 2) for x in __import__("os").getloadavg()]
    res["verdicts"] = verdicts(res)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json.tmp").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "latest.json.tmp").replace(out / "latest.json")
    (out / "latest.md").write_text(markdown(res), encoding="utf-8")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
