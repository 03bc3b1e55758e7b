"""The document model built from the two seed documents."""
import pytest

from budgetlens.document.tables import numeric_cells
from budgetlens.readers.normalize import normalize_text

NINE_000 = [
    "income_expenditure_summary", "income_summary", "expenditure_summary",
    "fiscal_income_expenditure_summary", "general_budget_expenditure", "basic_expenditure_economic",
    "gov_fund_expenditure", "state_capital_expenditure", "sangong",
]


def test_metadata(doc000, doc002):
    assert (doc000.department, doc000.region, doc000.year, doc000.doc_kind, doc000.scope) == (
        "秦皇岛市海港区信访局", "秦皇岛市海港区", 2024, "budget", "department")
    assert (doc002.department, doc002.region, doc002.year, doc002.doc_kind, doc002.scope) == (
        "廊坊市信访局", "廊坊市", 2022, "budget", "unit")


def test_nine_budget_tables_of_seed_000(doc000):
    types = [t.table_type for t in doc000.tables]
    for key in NINE_000:
        assert types.count(key) == 1, key
    for t in doc000.tables:
        if t.table_type in NINE_000:
            assert t.unit == "万元"


def cell(doc, table_type, label, column, code=None):
    from budgetlens.document.tables import row_label_for

    t = doc.tables_of(table_type)[0]
    got = []
    for r, j, v in numeric_cells(t):
        if row_label_for(t, r, j) == label and t.columns[j].endswith(column) and (code is None or r.code == code):
            got.append(v)
    assert len(got) == 1, (table_type, label, column, got)
    return got[0]


def test_concrete_cells_seed_000(doc000):
    assert cell(doc000, "basic_expenditure_economic", "办公费", "公用经费", "30201") == 5.25
    assert cell(doc000, "income_expenditure_summary", "本年收入合计", "预算数") == 492.10
    assert cell(doc000, "expenditure_summary", "信访业务", "项目支出", "2014004") == 110.00
    assert cell(doc000, "sangong", "二、公务用车购置及运维费", "合计") == 4.51
    assert cell(doc000, "income_summary", "住房公积金", "财政拨款收入", "2210201") == 27.23


def test_codes_and_row_numbers_are_not_values(doc000):
    t = doc000.tables_of("expenditure_summary")[0]
    values = [v for _r, _j, v in numeric_cells(t)]
    assert 2014001 not in values and 201 not in values
    assert all(v < 1000 for v in values)


def test_declared_empty_tables(doc000):
    gf = doc000.tables_of("gov_fund_expenditure")[0]
    assert gf.empty and gf.empty_note.startswith("注：无政府基金预算")
    gp = doc000.tables_of("government_procurement")[0]
    assert gp.empty and "空表列示" in gp.empty_note


def test_seed_002_indicator_procurement_and_asset_tables(doc002):
    types = [t.table_type for t in doc002.tables]
    assert types.count("performance_targets") == 8
    assert "overall_performance_targets" in types
    proc = doc002.tables_of("government_procurement")[0]
    assert not proc.empty and proc.unit == "万元"
    assets = doc002.tables_of("fixed_assets")[0]
    assert any(v == 2840.29 for _r, _j, v in numeric_cells(assets))


def test_sections_tree(doc000, doc002):
    top = [s.heading for s in doc002.sections]
    assert top[:4] == ["一、单位职责及机构设置情况", "二、单位预算安排的总体情况", "三、机关运行经费安排情况",
                       "四、财政拨款“三公”经费预算情况及增减变化原因"]
    sub = [c.heading for c in doc002.sections[1].children]
    assert sub == ["1、收入说明", "2、支出说明", "3、比上年增减情况"]
    part = doc000.sections[0]
    assert part.heading.startswith("第一部分")
    assert "三、机关运行经费安排情况" in [c.heading for c in part.children]


def test_sentences_have_offsets_and_sections(doc000, doc002):
    for doc in (doc000, doc002):
        for s in doc.sentences:
            assert doc.text[s.start:s.end] == s.text
    s = next(s for s in doc000.sentences if s.text.startswith("机关运行经费共计安排32.88万元"))
    assert s.text == "机关运行经费共计安排32.88万元，主要用于单位日常办公运转所需支出。"
    assert s.section.endswith("三、机关运行经费安排情况")
    s2 = next(s for s in doc002.sentences if "较2020年预算减少595.70万元" in s.text)
    assert s2.text.endswith("主要为人员经费支出；")
    assert s2.section.endswith("3、比上年增减情况")


def test_table_cell_text_is_split_into_sentences(doc000):
    s = next(s for s in doc000.sentences if "0.05万元/人" in s.text)
    assert s.table_id is not None
    assert s.text == "2、住宿费37.5万元，约合750人，0.05万元/人。"


@pytest.mark.parametrize("raw,norm", [
    ("３２．８８万元", "32.88万元"), ("增长１０％", "增长10%"), ("31,214,205.80元", "31214205.80元"),
    ("a\u00a0b", "a b"), ("共计，1，2项", "共计，1，2项"),
])
def test_normalisation(raw, norm):
    assert normalize_text(raw) == norm
