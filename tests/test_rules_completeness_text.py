"""completeness (seed 002 publishes none of the standard tables) and text rules."""
from conftest import SEED_000
from rules_helpers import mutated

from budgetlens.reconcile import completeness, text
from budgetlens.reconcile.tolerance import agree, figure, total


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


def test_sangong_part_vs_table(tmp_path):
    """narrative_vs_table: seed 000's 公务接待费 0.25 agrees with the 三公 table; 0.35 does not,
    and the 三公 list that no longer adds up is linked to it, not a second flag."""
    pytest = __import__("pytest")
    narrative = pytest.importorskip("budgetlens.extractors.narrative")
    from budgetlens.reconcile import check_document
    doc = mutated(tmp_path, SEED_000, "公务接待费0.25万元。与2023", "公务接待费0.35万元。与2023")
    flags = [f for f in check_document(doc, narrative.extract_facts(doc)) if f.severity != "info"]
    assert [f.rule for f in flags if f.family != "narrative.arithmetic" or f.rule != "list.sum_vs_total"]
    nvt = [f for f in flags if f.rule == "sangong.narrative_vs_table"]
    assert nvt and nvt[0].values == [0.35, 0.25]
    assert not [f for f in flags if f.rule == "list.sum_vs_total" and 4.76 in f.values]


def test_sangong_part_cut_from_yuan_cell(tmp_path):
    """A 三公 table in 万元 to six decimals is 元-precise (BJ05 p19: 公务接待费 1.355554; the
    说明 p7 writes 1.35): a narrative figure cut to two decimals agrees; one 0.01 off does not."""
    pytest = __import__("pytest")
    narrative = pytest.importorskip("budgetlens.extractors.narrative")
    from budgetlens.reconcile import check_document
    row = "三、公务接待费\n\t0.25\n\t0.25"
    assert row in SEED_000.read_text(encoding="utf-8")
    doc = mutated(tmp_path, SEED_000, row, "三、公务接待费\n\t0.255554\n\t0.255554")
    flags = [f for f in check_document(doc, narrative.extract_facts(doc)) if f.rule == "sangong.narrative_vs_table"]
    assert not [f for f in flags if 0.25 in f.values], flags
    doc = mutated(tmp_path, SEED_000, row, "三、公务接待费\n\t0.265554\n\t0.265554")
    flags = [f for f in check_document(doc, narrative.extract_facts(doc)) if f.rule == "sangong.narrative_vs_table"]
    assert [f for f in flags if 0.25 in f.values], flags
