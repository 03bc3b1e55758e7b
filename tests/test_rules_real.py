"""Reviewed true flags on the real PDFs stay found; fixed false ones stay fixed.
Reads ../shared/real in place; skipped when absent."""

import pytest
from conftest import REAL


def _doc(prefix):
    from budgetlens.engine.process import read_group

    files = sorted(REAL.glob(prefix + "_*.pdf"))
    if not files:
        pytest.skip("../shared/real is not available")
    return read_group(files)


def _check(doc):
    from budgetlens.reconcile import comparison, completeness, indicator, narrative_arithmetic, table_arithmetic, text
    out = []
    for m in (table_arithmetic, narrative_arithmetic, comparison, indicator, completeness, text):
        out += m.check(doc, [])
    return [f for f in out if f.severity != "info"]


@pytest.mark.parametrize("prefix,rule,values", [
    ("JS03", "template_residue", []),
    ("JS03", "missing_number", []),
    ("JS06", "required_sections.missing", [1.0]),
])
def test_true_flags_kept(real_dir, prefix, rule, values):
    flags = [f for f in _check(_doc(prefix)) if f.rule == rule]
    assert flags and flags[0].values == values


@pytest.mark.parametrize("prefix", ["SH09", "SH13", "SH02", "JS07"])
def test_fixed_false_alarms_stay_fixed(real_dir, prefix):
    bad = [f for f in _check(_doc(prefix)) if f.family in ("table.arithmetic", "narrative.arithmetic", "comparison")]
    assert bad == [], [f.message for f in bad]


def _check_with_facts(doc):
    from budgetlens.extractors.narrative import extract_facts
    from budgetlens.reconcile import check_document
    return [f for f in check_document(doc, extract_facts(doc)) if f.severity != "info"]


@pytest.mark.parametrize("prefix,rule,values", [
    ("SH02", "amount_vs_table", [4896.98, 4884.1]),
    ("SH12", "functional.amount_vs_table", [887.36, 873617.0]),
    ("SH08", "functional.amount_vs_table", [441.25, 2206272.0]),
    ("SH09", "functional.amount_vs_table", [352.67, 3503499.0]),
    ("SH08", "comparison.change_percent", [314.82, 11.67, 45.41]),
    ("JS05", "amount_vs_table", [12323.46, 12323.48]),
    ("JS05", "comparison.change_percent", [129.97, 6032.55, 3401.59]),
    ("JS06", "comparison.change_percent", [0.06, 3666.0, 21.8]),
    ("SH10", "functional.name_vs_table", None),
])
def test_true_fact_flags_kept(real_dir, prefix, rule, values):
    flags = [f for f in _check_with_facts(_doc(prefix)) if f.rule == rule]
    assert flags
    if values is not None:
        assert any(f.values == values for f in flags), [f.values for f in flags]


@pytest.mark.parametrize("prefix", ["SH13", "SH03", "JS07"])
def test_fact_rules_fixed_false_alarms_stay_fixed(real_dir, prefix):
    import ledger  # findings read against the page and found true are not false alarms (JS07 p.26 项目支出 rate)
    true = {ledger.entry_key(f) for f in ledger.load()["flags"] if f["verdict"] == "true"}
    bad = [f for f in _check_with_facts(_doc(prefix)) if f.family in ("narrative_vs_table", "comparison", "narrative.arithmetic")
           and ledger.key("real", prefix, f.rule, f.values) not in true]
    assert bad == [], [f.message for f in bad]
