"""completeness (seed 002 publishes none of the standard tables) and text rules."""
from conftest import SEED_000
from reconcile import completeness, text
from reconcile.tolerance import agree, figure, total
from rules_helpers import mutated


def test_seed000_complete(doc000):
    assert [f for f in completeness.check(doc000, []) if f.severity != "info"] == []


def test_seed002_missing_tables(doc002):
    fl = [f for f in completeness.check(doc002, []) if f.rule == "required_tables.missing"]
    assert fl and fl[0].severity == "warning" and fl[0].values == [9.0]


def test_text_clean_seed(doc000, doc002):
    assert text.check(doc000, []) == [] and text.check(doc002, []) == []


def test_template_residue(tmp_path):
    # wording as in JS03 (江苏省人大常委会2019): `与上年相比增加（减少）0万元`
    doc = mutated(tmp_path, SEED_000, "与2023年相比较没有变化", "与上年相比增加（减少）0万元")
    assert any(f.rule == "template_residue" for f in text.check(doc, []))


def test_missing_number(tmp_path):
    # as in JS03: `2019年政府性基金支出预算支出 万元。`
    doc = mutated(tmp_path, SEED_000, "机关运行经费共计安排32.88万元", "机关运行经费共计安排 万元")
    assert any(f.rule == "missing_number" for f in text.check(doc, []))


def test_tolerance_intervals():
    assert agree(total([5.25, 6.99, 4.38]), figure(16.62, "16.62", unit="万元"))
    assert not agree(total([5.25, 6.99]), figure(12.26, "12.26", unit="万元"))
    assert agree(figure(12, "约12", unit="万元"), figure(11.904, unit="万元"))
    assert not agree(figure(12, "12", unit="万元"), figure(11.904, unit="万元"))
    assert agree(figure(10, "10", unit="%"), figure(10.4, "10.4", unit="%"))
