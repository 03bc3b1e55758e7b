"""Verdicts for every narrative money figure (reconcile/verdict.py) on a seed, and the report's
"N of M figures verified" line with the unverifiable figures listed."""
import pandas as pd
from conftest import SEED_000, build

from budgetlens.extractors.narrative import extract_facts
from budgetlens.reconcile import check_document
from budgetlens.reconcile.verdict import counts, is_figure, verdicts
from budgetlens.report.html import render
from budgetlens.report.verdicts import verdict_summary


def test_every_narrative_money_figure_gets_a_verdict_and_known_ones_are_verified():
    doc = build(SEED_000)
    facts = extract_facts(doc)
    vs = verdicts(doc, facts, check_document(doc, facts))
    figs = [f for f in facts if is_figure(f)]
    assert figs and all(id(f) in vs for f in figs)
    by_value = {(f.value, vs[id(f)].verdict): vs[id(f)] for f in figs}
    # seed 000: 机关运行经费 32.88 is the 公用经费 of its 一般公共预算基本支出表 (p. of the dump)
    v = by_value.get((32.88, "verified"))
    assert v is not None and "32.88" in v.checked_against
    c = counts(vs.values())
    assert c["figures"] == len(figs) == c["verified"] + c["contradicted"] + c["unverifiable"]
    assert c["verified"] > c["figures"] / 2


def test_a_changed_figure_is_contradicted_not_verified(tmp_path):
    text = SEED_000.read_text(encoding="utf-8").replace("公务接待费0.25万元。", "公务接待费0.52万元。", 1)
    p = tmp_path / SEED_000.name
    p.write_text(text, encoding="utf-8")
    doc = build(p)
    facts = extract_facts(doc)
    vs = verdicts(doc, facts, check_document(doc, facts))
    got = [vs[id(f)].verdict for f in facts if is_figure(f) and f.value == 0.52]
    assert got and set(got) == {"contradicted"}


def test_report_shows_n_of_m_and_lists_the_unverifiable():
    facts = pd.DataFrame([
        {"doc_id": "d1", "subject": "基本支出", "value": 10.0, "unit": "万元", "sentence": "基本支出10万元。",
         "start": 5, "page": 3, "verdict": "verified", "checked_against": "表 / 合计 / 基本支出 = 10.00"},
        {"doc_id": "d1", "subject": "培训项目", "value": 2.5, "unit": "万元", "sentence": "培训项目2.5万元。",
         "start": 9, "page": 4, "verdict": "unverifiable", "checked_against": None},
    ])
    s = verdict_summary(facts)["d1"]
    assert (s["figures"], s["verified"], s["unverifiable"]) == (2, 1, 1)
    assert s["line"].startswith("1 of 2 figures verified")
    docs = pd.DataFrame([{"doc_id": "d1", "source": "x.pdf", "format": "pdf", "department": "某局", "year": 2026,
                          "doc_kind": "budget", "scope": "department", "status": "ok", "error": None}])
    flags = pd.DataFrame(columns=["doc_id", "severity", "family", "rule"])
    page = render(docs, flags, None, facts=facts)
    assert "1 of 2 figures verified against the tables" in page and "培训项目" in page
