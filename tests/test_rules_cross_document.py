"""cross_document.check_corpus on small frames: last year's own figure, 部门 vs its 单位."""
import pandas as pd

from budgetlens.reconcile import check_corpus


def _frames(last_value=90.0, unit_total=50.0):
    docs = pd.DataFrame([
        {"doc_id": "a", "source": "a.txt", "department": "某局", "region": "R", "year": 2024, "doc_kind": "budget", "scope": "department", "status": "ok"},
        {"doc_id": "b", "source": "b.txt", "department": "某局", "region": "R", "year": 2023, "doc_kind": "budget", "scope": "department", "status": "ok"},
        {"doc_id": "c", "source": "c.txt", "department": "某局直属中心", "region": "R", "year": 2024, "doc_kind": "budget", "scope": "unit", "status": "ok"},
    ])
    s = "2024年机关运行经费95.17万元，与上年相比增加5.17万元。"
    facts = pd.DataFrame([
        {"doc_id": "a", "kind": "amount", "subject": "机关运行经费", "term": "机关运行经费", "value": 95.17, "unit": "万元", "value_wan": 95.17, "year": 2024, "origin": "narrative", "sentence": s, "start": 10, "end": 18},
        {"doc_id": "a", "kind": "comparison", "subject": "机关运行经费", "term": "机关运行经费", "value": 5.17, "unit": "万元", "value_wan": 5.17, "year": 2024, "base_year": 2023, "direction": "increase", "origin": "narrative", "sentence": s, "start": 25, "end": 33},
        {"doc_id": "b", "kind": "amount", "subject": "机关运行经费", "term": "机关运行经费", "value": last_value, "unit": "万元", "value_wan": last_value, "year": 2023, "origin": "narrative", "sentence": "机关运行经费…", "start": 5, "end": 9, "source": "b.txt"},
        {"doc_id": "a", "kind": "amount", "subject": "支出预算", "term": "本年支出合计", "value": 100.0, "unit": "万元", "value_wan": 100.0, "year": 2024, "origin": "narrative", "sentence": "支出预算100万元。", "start": 1, "end": 5},
        {"doc_id": "c", "kind": "amount", "subject": "支出预算", "term": "本年支出合计", "value": unit_total, "unit": "万元", "value_wan": unit_total, "year": 2024, "origin": "narrative", "sentence": "支出预算…", "start": 1, "end": 5},
    ])
    return docs, facts


def test_consistent_corpus_does_not_flag():
    assert check_corpus(*_frames()) == []


def test_last_year_figure_disagrees():
    fl = check_corpus(*_frames(last_value=92.0))
    assert [f.rule for f in fl] == ["last_year.comparison"] and 92.0 in fl[0].values and 90.0 in fl[0].values


def test_department_below_its_units():
    fl = check_corpus(*_frames(unit_total=120.0))
    assert [f.rule for f in fl] == ["department_below_units"] and fl[0].values[:2] == [100.0, 120.0]
