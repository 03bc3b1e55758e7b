"""indicator rules on seed 002 (the four planted findings) and their corrected twins."""
import pytest
from conftest import SEED_002
from rules_helpers import mutated

from budgetlens.reconcile import indicator


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


SD08 = "SD08_烟台市人民政府办公室2026年部门预算.pdf"


def _sd08(real2_dir, old=None, new=None):
    from budgetlens.document.build import build_document
    from budgetlens.readers import read_blocks
    fmt, blocks = read_blocks(real2_dir / SD08)
    if old is not None:
        b = next(b for b in blocks if b.kind == "table" and any(old in c for r in b.rows for c in r))
        b.rows = [[c.replace(old, new) for c in r] for r in b.rows]
    return build_document(blocks, SD08, fmt)


def test_cost_ceiling_compared_with_its_own_projects_budget_sd08(real2_dir):
    """SD08 pp.41-47: a performance table continued over pages, one project per page, each
    stating 年度预算资金总额：X.  Each 总成本 ceiling is compared with its own project's budget,
    never with another project of a like name: p.47 ≤100 with its own 100.00 is silent (it was
    paired with 驻外机构工作保障经费 94.01); p.44 ≤91 against its own 94.01 (91.00 is only the
    财政拨款 part) stays a warning (ledger: debatable)."""
    def cost(doc):
        return sorted(f.values for f in indicator.check(doc, []) if f.rule == "indicator.cost_ceiling_vs_budget")
    assert cost(_sd08(real2_dir)) == [[91.0, 94.01]]
    # p.41: the Beijing office's ceiling ≤159.96 against its own 159.96, one figure changed
    assert cost(_sd08(real2_dir, "≤159.96万元", "≤149.96万元")) == [[91.0, 94.01], [149.96, 159.96]]


def test_part_of_total_cost_and_zero_budget_sd03(real2_dir):
    """SD03 p.104: `项目总成本中常规家庭补贴成本 ≤1590万元` is a part of the 1600.00 project's
    cost, not its total; pp.105/107: 年度预算资金总额 0.00 (funded from elsewhere) with a cost
    ceiling: nothing established, silent."""
    from budgetlens.document.build import build_document
    from budgetlens.readers import read_blocks
    name = "SD03_烟台市住房和城乡建设局2026年部门预算.pdf"
    if not (real2_dir / name).exists():
        pytest.skip(name)
    fmt, blocks = read_blocks(real2_dir / name)
    assert "indicator.cost_ceiling_vs_budget" not in rules(build_document(blocks, name, fmt))


# A 项目支出绩效目标表 holding many projects, one row per target (BJ06 预算12表, 表.pdf p.24:
# 客户满意度 is ≥90% in one project and ≥95% in another; real rows, project ids shortened).
_HEADER = ["项目名称", "项目总额", "财政资金", "其他资金", "绩效目标", "一级指标", "二级指标", "三级指标",
           "绩效指标性质", "本年绩效指标值", "绩效度量单位"]


def _targets_table(rows):
    from budgetlens.document.model import Row, Table
    cells = [_HEADER] + rows
    return Table("x:t12", "预算12表项目支出绩效目标表", "performance_targets", "万元", _HEADER, [],
                 [Row(i, c) for i, c in enumerate(cells)])


def _conflicts(rows):
    inds = indicator.table_indicators(_targets_table(rows))
    return [f for f in indicator._conflicting_targets(inds)]


def test_targets_of_different_projects_are_not_compared():
    rows = [["633-医保信息系统运维", "120.5", "120.5", "", "保障系统运行", "满意度指标", "服务对象满意度指标", "客户满意度", "≥", "90", "%"],
            ["", "", "", "", "保障系统运行", "效益指标", "社会效益指标", "系统可用率", "≥", "99", "%"],
            ["701-医保经办服务", "80", "80", "", "提升经办服务", "满意度指标", "服务对象满意度指标", "客户满意度", "≥", "95", "%"]]
    assert _conflicts(rows) == []


def test_one_project_with_two_targets_for_one_indicator_is_flagged():
    rows = [["633-医保信息系统运维", "120.5", "120.5", "", "保障系统运行", "满意度指标", "服务对象满意度指标", "客户满意度", "≥", "90", "%"],
            ["", "", "", "", "保障系统运行", "满意度指标", "服务对象满意度指标", "客户满意度", "≥", "95", "%"]]
    flags = _conflicts(rows)
    assert [f.values for f in flags] == [[90.0, 95.0]]
