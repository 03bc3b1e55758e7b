"""Planted structural defects in real2 PDFs (read in place, skipped when ../shared/real2 is
absent): one paragraph or heading of a real document changed must give exactly one new
error/warning, from the rule that should see it — a breakdown paragraph that no longer adds up
to the total of the paragraph before it, a skipped heading number, purchases equal to the
holdings, a residual definition given to a named item, a 元 figure written as 万元.  The
unchanged document is the clean example (its flags are the baseline)."""
from __future__ import annotations

import pytest
from test_rules_real2_mutations import GZ05, ZJ01, ZJ04, planted_flag

JS01 = "JS01_苏州市交通运输局2026年部门预算.pdf"

# (document, fragment as printed, fragment changed, a value or word the flag must name, rule)
CASES = [
    (ZJ04, "人员支出212605.27万元", "人员支出212705.27万元", 515413.35, "list.sum_vs_total"),
    (ZJ01, "人员支出73924.43万元", "人员支出73824.43万元", 665864.37, "list.sum_vs_total"),
    (ZJ04, "（四）关于湖州市卫生健康委员会2026年财政拨款收支预算情况的总体说明",
     "（六）关于湖州市卫生健康委员会2026年财政拨款收支预算情况的总体说明", 6.0, "section_numbering.gap"),
    (ZJ04, "通用设备2台（套），单位价值100万元以上专用设备44台", "通用设备75台（套），单位价值100万元以上专用设备302台",
     302.0, "assets.plan_equals_holdings"),
    (JS01, "(款)其他公路水路运输支出(项)：反映除上述", "(款)公路养护(项)：反映除上述", "公路养护",
     "glossary.residual_definition"),
    (GZ05, "固定资产金额27273.35万元", "固定资产金额272733500.00万元", 272733500.0, "amount.unit_magnitude"),
]


@pytest.mark.real
@pytest.mark.parametrize("name,old,new,value,rule", CASES)
def test_planted_structural_defect_in_a_real2_pdf(name, old, new, value, rule):
    f = planted_flag(name, old, new, rule)
    if isinstance(value, str):
        assert value in f.message, f.message
    else:
        assert any(abs(v - value) < 0.006 for v in f.values + [f.stated or 0]), (f.values, f.message)
