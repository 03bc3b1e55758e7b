"""report.html in headless Chromium: it loads, its script runs, it shows every flag of the
store, and a screenshot is written under the test's tmp dir."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import SAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args, timeout=90):
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def extra_flags(doc_id, source):
    """Two flags with a quoted sentence and a cited cell, whatever the rules find today."""
    base = {"source": source, "doc_id": doc_id, "values": [492.1, 492.0], "related": [], "cells": [],
            "start": None, "end": None}
    return [
        {**base, "flag_id": "test-flag-1", "family": "narrative_vs_table", "rule": "test.total_vs_table",
         "severity": "error", "message": "收入总额与表不符。", "stated": 492.0, "expected": 492.1, "difference": -0.1,
         "sentence": "2024年收入预算492万元。",
         "evidence": ["2024年收入预算492万元。", "部门预算收支总表 / 一、一般公共预算拨款收入 / 预算数 = 492.10"]},
        {**base, "flag_id": "test-flag-2", "family": "text", "rule": "test.punctuation", "severity": "info",
         "message": "标点重复。", "stated": None, "expected": None, "difference": None, "sentence": None,
         "evidence": ["单位职责：：研究提出全市信访工作思路。"]},
    ]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)")
def test_report_in_headless_chromium(tmp_path):
    import pandas as pd

    from budgetlens.engine.run import run_job
    from budgetlens.report import write_report
    from budgetlens.store import Store

    out = tmp_path / "out"
    run_job([str(SAMPLES)], out, quiet=True, write_report=False)
    with Store(out / "budgetlens.duckdb") as store:
        doc = store.table("documents").iloc[0]
        store.con.register("_f", pd.DataFrame(extra_flags(doc["doc_id"], doc["source"])))
        cols = ", ".join(f'"{c}"' for c in ["source", "doc_id", "flag_id", "family", "rule", "severity", "message",
                                            "values", "stated", "expected", "difference", "evidence", "sentence"])
        store.con.execute(f"INSERT INTO flags ({cols}) SELECT {cols} FROM _f")
        expected = store.con.execute("SELECT count(*) FROM flags").fetchone()[0]
        n_docs = len(store.table("documents"))
        report = write_report(store, out / "report.html")
    html = report.read_text(encoding="utf-8")
    assert "http://" not in html.split("<body>", 1)[0] and "<script src" not in html  # self-contained

    res = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    shown = re.search(r"id=\"flags-shown\">(\d+)<", dom)
    assert shown and int(shown.group(1)) == expected  # computed by the page's script from the rendered flags
    assert len(re.findall(r"<div class=\"flag sev-", dom)) == expected
    assert len(re.findall(r"<section class=\"doc\"", dom)) == n_docs
    assert "<mark class=\"fig\">492</mark>" in dom  # the stated figure highlighted in its sentence
    assert "<td>部门预算收支总表</td>" in dom  # the cited cell beside it
    assert "<svg" in dom and "flags by family" in dom and "flags by department" in dom

    shot = tmp_path / "report.png"
    res = chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", report.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 10_000
