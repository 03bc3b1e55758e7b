"""Precision of the narrative facts on the real PDFs (../shared/real, read in place): the junk
found when reviewing them must not come back — one-character or clause-word subjects (开 for
6个房间, 采购 for 采购金额, 较上一度, 小于上, 占, 降幅), anniversaries and ordinals read as counts,
budget comparisons read as indicator targets because a page-wide heading mentions 绩效目标."""
import pytest
from conftest import build

JUNK_SUBJECTS = {"开", "采购", "较上一度", "小于上", "支出", "局", "相", "占", "预算的", "降幅", "增幅", "累",
                 "研究室和", "现有", "确定"}


@pytest.fixture(scope="module")
def real_facts(real_dir):
    from budgetlens.extractors.narrative import extract_facts

    out = {}
    for p in sorted(real_dir.glob("*.pdf")):
        out[p.name[:4]] = [f for f in extract_facts(build(p)) if f.origin == "narrative"]
    return out


def test_no_junk_subjects(real_facts):
    bad = [(k, f.kind, f.subject, f.value, f.sentence[:40]) for k, fs in real_facts.items() for f in fs
           if f.subject is not None and (len(f.subject) < 2 or f.subject in JUNK_SUBJECTS)]
    assert not bad, bad


def test_no_anniversaries_or_ordinals_as_counts(real_facts):
    bad = [(k, f.raw, f.sentence[:40]) for k, fs in real_facts.items() for f in fs
           if f.kind == "count" and f.raw and any(w in f.sentence[f.sentence.find(f.raw):][:len(f.raw) + 1]
                                                   for w in ("周年",))]
    assert not bad, bad


def test_budget_comparisons_are_not_targets(real_facts):
    # SH08's 当年预算执行数…比…增加P% sit under a heading 八、绩效目标 that covers the pages
    bad = [(k, f.subject, f.value) for k, fs in real_facts.items() for f in fs
           if f.kind == "indicator" and (f.path or "执行数" in (f.sentence or ""))]
    assert not bad, bad


def test_every_comparison_has_a_base_year(real_facts):
    missing = [(k, f.subject, f.sentence[:50]) for k, fs in real_facts.items() for f in fs
               if f.kind == "comparison" and f.base_year is None]
    assert not missing, missing


def test_measure_word_counts_take_the_noun_after(real_facts):
    subjects = {f.subject for f in real_facts.get("JS01", []) if f.kind == "count"}
    if not subjects:
        pytest.skip("JS01 not in ../shared/real")
    assert {"专门委员会", "工作委员会", "处室"} <= subjects
