"""indicator rules on seed 002 (the four planted findings) and their corrected twins."""
from conftest import SEED_002
from budgetlens.reconcile import indicator
from rules_helpers import mutated


def rules(doc):
    return {f.rule: f for f in indicator.check(doc, [])}


def test_seed002_findings(doc002):
    got = rules(doc002)
    assert got["indicator.conflicting_targets"].values == [80.0, 85.0]
    assert got["indicator.decrease_target_comparator"].values == [10.0]
    assert got["indicator.cost_ceiling_vs_budget"].values == [133.55, 135.0]
    assert got["indicator.rate_in_money"].values == [135.0]


def test_same_satisfaction_target_does_not_flag(tmp_path):
    doc = mutated(tmp_path, SEED_002, "满意度达到或超过80%", "满意度达到或超过85%")
    assert "indicator.conflicting_targets" not in rules(doc)


def test_decrease_floor_does_not_flag(tmp_path):
    doc = mutated(tmp_path, SEED_002, "\t≤\n\t10\n", "\t≥\n\t10\n", after="信访走访总量人次下降率")
    assert "indicator.decrease_target_comparator" not in rules(doc)


def test_cost_equal_to_procurement_does_not_flag(tmp_path):
    doc = mutated(tmp_path, SEED_002, "133.55", "135.00")
    assert "indicator.cost_ceiling_vs_budget" not in rules(doc)


def test_cost_ceiling_matching_budget_in_seed000(doc000, tmp_path):
    from conftest import SEED_000
    assert not indicator.check(doc000, [])
    doc = mutated(tmp_path, SEED_000, "≤100万元", "≤104万元")
    assert "indicator.cost_ceiling_vs_budget" in rules(doc)
