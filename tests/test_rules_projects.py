"""project.budget_vs_table: a project's 预算数 in its performance-target table against the
amount its 资金用途 text states (seed 000, 重点时段信访维稳经费: 预算数 100.00 and
`拟申请资金100万元，明细如下：…`)."""
from conftest import SEED_000

from budgetlens.document.build import build_document
from budgetlens.extractors.narrative import extract_facts
from budgetlens.readers.tika import parse_tika_text
from budgetlens.reconcile import check_document


def flags(text):
    doc = build_document(parse_tika_text(text), "000.txt", "txt")
    return check_document(doc, extract_facts(doc))


def test_budget_cell_agreeing_with_its_text_is_silent():
    assert not [f for f in flags(SEED_000.read_text(encoding="utf-8")) if f.rule == "project.budget_vs_table"]


def test_changed_budget_cell_is_one_error_and_the_list_finding_stays():
    text = SEED_000.read_text(encoding="utf-8")
    assert "\t预算数\n\t100.00" in text
    got = flags(text.replace("\t预算数\n\t100.00", "\t预算数\n\t110.00", 1))
    proj = [f for f in got if f.rule == "project.budget_vs_table"]
    assert len(proj) == 1 and proj[0].severity == "error" and proj[0].values == [100.0, 110.0]
    assert any("预算数" in e and "110.00" in e for e in proj[0].evidence)
    assert any("拟申请资金100万元" in e for e in proj[0].evidence)
    # the seed's own finding (items add up to 115.84, not 100) is another root cause
    assert [f.severity for f in got if f.rule == "list.sum_vs_total"] == ["error"]
