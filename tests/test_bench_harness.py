"""The benchmark harness (benchmarks/): its verdicts, its report when a tool is missing, and
its measurements of a child process.  Fast: no benchmark is run here."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from benchmarks import corpus, run
from benchmarks.measure import run_child


def _res(**sections) -> dict:
    return {"machine": {"date": "2026-12-01", "cores": 2, "processor": "x", "python": "3.11", "platform": "linux",
                        "git": "abc1234", "loadavg_at_start": [0.1], "loadavg_at_end": [0.2]},
            "mode": "quick", "command": "python -m benchmarks.run --quick", "total_s": 1.0,
            "corpus": {"documents": 100}, "notes": [], **sections}


def _tika(cpu1: float, wall1: float, wall2: float, identical: bool = True) -> dict:
    c1 = {"wall_s": wall1, "cpu_s": cpu1, "tree_cpu_s": cpu1, "maxrss_mb": 300.0, "tree_peak_mb": 300.0}
    c2 = {"wall_s": wall2, "cpu_s": 0.5, "tree_cpu_s": 2 * cpu1, "maxrss_mb": 290.0, "tree_peak_mb": 700.0}
    stage = {"seconds": 1.0, "share": 1.0, "ms_per_doc": 10.0, "docs_per_s": 100.0, "mb_per_s": 1.0}
    return {"documents": 100, "bytes": 3_000_000,
            "cli_1_worker": c1 | run.rates(100, 3_000_000, wall1, cpu1),
            "cli_2_workers": c2 | run.rates(100, 3_000_000, wall2),
            "cli_2_vs_1": run._ratio(wall1, wall2), "cli_2_vs_1_cpu_ceiling": 1.0,
            "cli_1_vs_2_same_rows": {"identical": identical, "differences": [] if identical else ["flags: 1 row"]},
            "inprocess_1_worker": c1 | {"seconds": wall1} | run.rates(100, 1, wall1, cpu1),
            "inprocess_pool_2_workers": c2 | {"seconds": wall2} | run.rates(100, 1, wall2),
            "stages_1_worker": {"documents": 100, "facts": 1, "cells": 1, "flags": 1, "stages": {"total": stage}}}


def _pdf(pdftotext: dict) -> dict:
    cli = {"wall_s": 10.0, "cpu_s": 8.0, "tree_cpu_s": 9.0, "maxrss_mb": 250.0, "tree_peak_mb": 500.0, "s_per_file": 2.5}
    p = {"files": 4, "of": 26, "names": [], "pdftotext_layout": pdftotext,
         "ours": {"per_doc": [], "maxrss_mb": 200.0, "reader_s": 1.0, "reader_cpu_s": 1.0, "reader_s_per_doc": 0.25,
                  "pipeline_s_per_doc": 1.0, "max_pipeline_s": 2.0, "first_doc_pipeline_s": 2.0,
                  "warm_pipeline_s_per_doc": 0.5, "tables": 10, "pages": 40},
         "cli_1_worker": cli, "cli_2_workers": cli,
         "single_document_runs": [{"file": "JS07_x.pdf", "wall_s": 3.0, "cpu_s": 3.0, "maxrss_mb": 180.0}],
         "single_peak_rss_mb": 180.0,
         "pdfplumber": {"per_doc": [], "maxrss_mb": 100.0, "seconds": 8.0, "cpu_s": 6.0, "s_per_doc": 2.0, "tables": 12},
         "reader_vs_pdfplumber_cpu": 0.17, "run_vs_pdfplumber_cpu": 1.33}
    if "cpu_s" in pdftotext:
        p |= {"vs_pdftotext_cpu_1_worker": run._ratio(8.0, pdftotext["cpu_s"]),
              "vs_pdftotext_wall_1_worker": run._ratio(10.0, pdftotext["wall_s"]),
              "vs_pdftotext_wall_2_workers": run._ratio(10.0, pdftotext["wall_s"])}
    return p


def test_verdicts_judge_each_target_against_its_goal():
    res = _res(tika=_tika(cpu1=1.0, wall1=2.0, wall2=1.0),
               pdf=_pdf({"wall_s": 1.0, "cpu_s": 4.0, "version": "22"}),
               memory={"200": {"maxrss_mb": 100.0}, "2000": {"maxrss_mb": 140.0}, "ratio": 1.4, "compared": [200, 2000]})
    v = run.verdicts(res)
    assert v["tika_docs_per_cpu_s_1_worker"]["value"] == 100.0 and v["tika_docs_per_cpu_s_1_worker"]["met"] is True
    assert v["workers_2_vs_1"]["value"] == 2.0 and v["workers_2_vs_1"]["met"] is True
    assert v["workers_2_same_rows_as_1"]["met"] is True
    assert v["pdf_vs_pdftotext_layout"]["value"] == 2.0 and v["pdf_vs_pdftotext_layout"]["met"] is True
    assert v["pdf_single_peak_rss_mb"]["met"] is True
    assert v["rss_ratio_10x_documents"]["met"] is False

    slow = run.verdicts(_res(tika=_tika(cpu1=4.0, wall1=4.0, wall2=3.0, identical=False)))
    assert slow["tika_docs_per_cpu_s_1_worker"]["met"] is False  # 25 docs per CPU-second
    assert slow["workers_2_vs_1"]["met"] is False  # 1.33×
    assert slow["workers_2_same_rows_as_1"]["met"] is False


def test_missing_pdftotext_is_reported_not_measured(monkeypatch, tmp_path):
    monkeypatch.setattr(run.shutil, "which", lambda name: None)
    pt = run._pdftotext([tmp_path / "a.pdf"])
    assert "not installed" in pt["missing"]
    res = _res(pdf=_pdf(pt))
    res["verdicts"] = run.verdicts(res)
    v = res["verdicts"]["pdf_vs_pdftotext_layout"]
    assert v["value"] == "not measured" and v["met"] is None and "poppler-utils" in v["target"]
    md = run.markdown(res)
    assert "pdftotext is not installed" in md
    assert "| pdf_vs_pdftotext_layout | not measured |" in md


def test_absent_real_pdfs_are_reported_not_measured():
    res = _res(pdf={"files": 0, "of": 0, "names": [], "note": "../shared/real is absent: PDF measurements skipped"})
    v = run.verdicts(res)
    assert v["pdf_vs_pdftotext_layout"]["value"] == "not measured" and v["pdf_vs_pdftotext_layout"]["met"] is None
    assert v["pdf_single_peak_rss_mb"]["met"] is None and "absent" in v["pdf_single_peak_rss_mb"]["target"]
    res["verdicts"] = v
    assert "| pdf_single_peak_rss_mb | not measured |" in run.markdown(res)


def test_readme_block_is_replaced_between_the_markers(monkeypatch, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n## Performance\n{run.README_START}\nold\n{run.README_END}\nafter\n", encoding="utf-8")
    monkeypatch.setattr(run, "README", readme)
    res = _res(tika=_tika(cpu1=1.0, wall1=2.0, wall2=1.0))
    res["verdicts"] = run.verdicts(res)
    assert run.update_readme(res, tmp_path / "latest.md")
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("after\n")
    assert "git abc1234" in text and "| tika_docs_per_cpu_s_1_worker | 100.0 |" in text
    readme.write_text("no markers\n", encoding="utf-8")
    assert not run.update_readme(res, tmp_path / "latest.md")


def test_the_readme_has_the_markers():
    text = run.README.read_text(encoding="utf-8")
    assert text.index(run.README_START) < text.index(run.README_END)


def test_run_child_measures_cpu_and_memory_of_the_child():
    busy = "import time\nx = b\"x\" * (60 * 2**20)\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    r = run_child([sys.executable, "-c", busy + "print('RESULT {\"ok\": 1}')"])
    assert r["rc"] == 0 and r["result"] == {"ok": 1}
    assert r["cpu_s"] >= 0.3
    assert r["maxrss_mb"] >= 60
    assert r["wall_s"] >= 0.3


def test_run_child_reports_the_childs_peak_not_the_harness():
    """Linux keeps the peak RSS across exec: a child forked straight from a harness holding
    300 MB reported >= 300 MB.  run_child's launcher makes it the command's own."""
    held = bytearray(300 * 2**20)
    held[::4096] = b"\x01" * len(held[::4096])  # touched: resident
    r = run_child([sys.executable, "-c", "x = b'x' * (20 * 2**20)"])
    assert r["rc"] == 0
    assert 20 <= r["maxrss_mb"] < 150, r["maxrss_mb"]
    del held


def test_corpus_plan_is_distinct_and_a_prefix_of_larger_plans():
    small, big = corpus.plan(50, 7), corpus.plan(300, 7)
    assert len(set(big)) == 300
    assert big[:50] == small
    assert corpus.plan(50, 8) != small


def test_the_distinct_amounts_corpus_repeats_no_amounts_from_document_to_document(tmp_path):
    """corpus-200-7's 9 factors make a table recur in ~1 of 2 documents; the distinct-amounts
    corpus's factors (one per document of 200) give each document amounts of its own."""
    ks = [k for _s, _r, _dy, k in corpus.plan(200, 7, corpus.WIDE_FACTORS)]
    assert len(set(ks)) > 100  # 121: a sample and a factor seldom both recur
    assert len({k for _s, _r, _dy, k in corpus.plan(200, 7)}) <= 9
    folder = corpus.build(20, 7, cache=tmp_path, distinct_amounts=True)
    assert folder.name == "corpus-distinct-20-7" and len(corpus.files(folder)) == 20
    amounts = [set(re.findall(r"\d+\.\d\d(?=\n)", f.read_text(encoding="utf-8"))) for f in corpus.files(folder)]
    shared = [len(a & b) / max(1, min(len(a), len(b))) for i, a in enumerate(amounts) for b in amounts[i + 1:]]
    assert max(shared) < 0.5  # no two documents share most of their amounts


def test_the_distinct_amounts_figure_is_informative():
    tika = _tika(cpu1=1.0, wall1=2.0, wall2=1.0)
    tika["cli_1_worker_distinct_amounts"] = {"wall_s": 3.0, "cpu_s": 2.0} | run.rates(100, 3_000_000, 3.0, 2.0)
    v = run.verdicts(_res(tika=tika))["tika_distinct_amounts_docs_per_cpu_s_1_worker"]
    assert v["value"] == 50.0 and v["met"] is None


@pytest.mark.skipif(not corpus.real_pdfs(), reason="../shared/real is absent")
def test_quick_pdf_subset_is_spread_over_the_names():
    class A:
        pdfs = 4
    picked = run.pick_pdfs(A)
    assert len(picked) == 4 and len({p.name[:2] for p in picked}) >= 2  # not just the first four of one city
    assert all(isinstance(p, Path) and p.exists() for p in picked)
