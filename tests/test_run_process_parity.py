"""`budgetlens run` and `budgetlens crawl` + `process` are two front ends of one runner: JS05
(2017) and JS06 (2018) of ../shared/real served on a local portal, crawled and processed,
give exactly the flags `run` gives on the two files — the cross-document check
`last_year.comparison` included.  Reads ../shared/real in place; skipped when absent."""
from __future__ import annotations

import duckdb
import pytest
from conftest import REAL
from portal import Portal, write_config

NAMES = ["JS05_江苏省人民检察院2017年部门预算.pdf", "JS06_江苏省人民检察院2018年部门预算公开.pdf"]


class TwoYears(Portal):
    """A portal that publishes the two disclosures and nothing else."""

    def __init__(self, pdfs):
        super().__init__()
        self.real = pdfs
        self.files = {f"/files/real{i}.pdf": (p.read_bytes(), "application/pdf", "etag") for i, p in enumerate(pdfs, 1)}

    def pages(self):
        links = "".join(f'<li><a href="/files/real{i}.pdf">江苏省人民检察院{2016 + i}年部门预算</a></li>'
                        for i in range(1, len(self.real) + 1))
        return {"/yjsgk/index.html": f'<html><head><meta charset="utf-8"></head><body><ul>{links}</ul></body></html>'}


def _flags(con) -> set:
    df = con.execute("SELECT flag_id, doc_id, rule, severity, message, \"values\" FROM flags").df()
    return {(r.flag_id, r.doc_id, r.rule, r.severity, r.message, tuple(r["values"])) for _, r in df.iterrows()}


@pytest.mark.real
def test_crawl_and_process_give_the_flags_of_run(tmp_path):
    pdfs = [REAL / n for n in NAMES]
    if not all(p.is_file() for p in pdfs):
        pytest.skip("../shared/real is not available")
    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.crawler.inputs import process_raw
    from budgetlens.engine.run import run_job

    out = tmp_path / "run"
    run_job([str(p) for p in pdfs], out, quiet=True, write_report=False)
    by_run = _flags(duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True))

    portal = TwoYears(pdfs).start()
    (tmp_path / "portal").mkdir()
    try:
        config = load_config(write_config(tmp_path / "portal", portal))
        crawled = crawl(config)
    finally:
        portal.stop()
    assert crawled.new == 2
    summary = process_raw(config, write_report=False)
    assert summary.processed == 2 and summary.errors == 0
    by_process = _flags(duckdb.connect(str(config.store_path), read_only=True))

    assert by_process == by_run
    assert "last_year.comparison" in {f[2] for f in by_run}
    # and processing again (nothing new) keeps them
    again = process_raw(config, write_report=False)
    assert again.processed == 0 and again.skipped == 2
    assert _flags(duckdb.connect(str(config.store_path), read_only=True)) == by_run
    # and `process --workers 2` (engine.workers' pool, one document per batch) stores the same
    from budgetlens.crawler.inputs import process_inputs
    from budgetlens.engine.workers import pool_map

    pooled = process_raw(config, pool_map(process_inputs, 2), batch_size=1, force=True, write_report=False)
    assert pooled.processed == 2 and pooled.errors == 0
    assert _flags(duckdb.connect(str(config.store_path), read_only=True)) == by_run
