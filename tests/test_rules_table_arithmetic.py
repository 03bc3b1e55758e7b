"""table.arithmetic on seed 000's tables: clean as published; one changed cell flags."""
from conftest import SEED_000
from rules_helpers import mutated

from budgetlens.reconcile import table_arithmetic


def test_seed000_tables_add_up(doc000):
    assert table_arithmetic.check(doc000, []) == []


def test_changed_item_breaks_subtotal_and_split(tmp_path):
    # 支出总表, 2014004 信访业务: 合计 110.00 → 111.00
    doc = mutated(tmp_path, SEED_000, "110.00", "111.00", after="部门预算支出总表")
    rules = {f.rule for f in table_arithmetic.check(doc, [])}
    assert "classification.subtotal" in rules
    assert "columns.split" in rules


def test_changed_total_breaks_same_total(tmp_path):
    # 收支总表 本年支出合计 492.10 → 482.10
    doc = mutated(tmp_path, SEED_000, "本年支出合计\n\t492.10", "本年支出合计\n\t482.10")
    fl = [f for f in table_arithmetic.check(doc, []) if f.rule == "summary_tables.same_total"]
    assert fl and 482.1 in fl[0].values


def test_economic_classification(tmp_path):
    # 基本支出表 30201 办公费 5.25 → 6.25 (301/302 = Σ its 款)
    doc = mutated(tmp_path, SEED_000, "5.25", "6.25", after="部门预算一般公共预算财政拨款基本支出表")
    assert any(f.rule == "classification.subtotal" for f in table_arithmetic.check(doc, []))
