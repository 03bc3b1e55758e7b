"""Reviewed true flags on the real PDFs stay found; fixed false ones stay fixed.
Reads ../shared/real in place; skipped when absent."""
from pathlib import Path

import pytest

from conftest import REAL


def _doc(prefix):
    from engine.process import read_group

    files = sorted(REAL.glob(prefix + "_*.pdf"))
    if not files:
        pytest.skip("../shared/real is not available")
    return read_group(files)


def _check(doc):
    from reconcile import completeness, table_arithmetic, text
    from reconcile import narrative_arithmetic, indicator, comparison
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
