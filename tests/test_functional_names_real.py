"""A 功能分类 path whose 款 is misnamed (SH02: 住房保障支出（款） for 22102 住房改革支出) is one
name warning naming the level and the table's row with the same amount — not an amount error
against the parent 类's total."""
import pytest

from budgetlens.engine.process import process_group


@pytest.mark.real
def test_misnamed_kuan_is_named_not_compared_with_the_lei_total(real_dir):
    r = process_group([real_dir / "SH02_上海市普陀区规划和自然资源局2024年度部门决算.pdf"])
    flags = [f for f in r.flags if f["rule"].startswith("functional.")]
    housing = [f for f in flags if "住房公积金（项）" in f["message"]]
    assert len(housing) == 1
    f = housing[0]
    assert f["rule"] == "functional.name_vs_table" and "22102“住房改革支出”" in f["message"]
    assert any("2210201 住房公积金" in e and "289.59" in e for e in f["evidence"])
    # no flag sets 289.59 against the 类 221 total 461.08
    assert not any(461.08 in (f["values"] or []) for f in flags)
