"""comparison: base year other than year − 1 without a reason (seed 002)."""
from conftest import SEED_002
from rules_helpers import mutated

from budgetlens.reconcile import comparison


def test_seed002_base_year(doc002):
    fl = [f for f in comparison.check(doc002, []) if f.rule == "comparison.base_year"]
    assert len(fl) == 1 and fl[0].values == [2020.0]
    assert "较2020年预算减少" in fl[0].evidence[0]


def test_previous_year_does_not_flag(tmp_path):
    doc = mutated(tmp_path, SEED_002, "较2020年预算减少", "较2021年预算减少")
    assert not [f for f in comparison.check(doc, []) if f.rule == "comparison.base_year"]


def test_reason_given_does_not_flag(tmp_path):
    doc = mutated(tmp_path, SEED_002, "较2020年预算减少", "因2021年机构改革未编制预算，较2020年预算减少")
    assert not [f for f in comparison.check(doc, []) if f.rule == "comparison.base_year"]
