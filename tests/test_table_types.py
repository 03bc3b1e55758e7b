"""Table types from evidence (title, header, rows), on real examples and small synthetic ones."""
import pathlib

import pytest
import yaml

from budgetlens import gazetteers
from budgetlens.document.table_types import assign_type, score
from budgetlens.document.tables import structure_table

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "budgetlens" / "document" / "corpus" / "table_types.yaml"
EXAMPLES = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["examples"]


def typed(title, rows):
    ttype = gazetteers.match_table_type(title) or "unknown"
    t = structure_table(rows, table_id="c:t1", title=title, table_type=ttype, grid=True)
    assign_type(t)
    return t


@pytest.mark.parametrize("ex", EXAMPLES, ids=[f"{e['file'][:4]}-p{e['page']}" for e in EXAMPLES])
def test_real_table_type(ex):
    t = typed(ex["title"], [list(r) for r in ex["headers"]] + [list(r) for r in ex["rows"]])
    assert t.table_type == ex["type"], t.type_evidence


def test_a_table_number_is_no_evidence():
    rows = [["项目", "金额"], ["甲", "1.00"], ["乙", "2.00"]]
    assert typed("预算05表", rows).table_type == "unknown"
    assert typed("公开表3", rows).table_type == "unknown"


def test_header_and_rows_type_an_untitled_table():
    rows = [["合计", "因公出国（境）费", "公务用车购置及运行维护费", "公务接待费"], ["10.00", "2.00", "5.00", "3.00"]]
    t = typed("", rows)
    assert t.table_type == "sangong"
    assert t.type_scores["sangong"] >= 4 and any("因公出国" in e for e in t.type_evidence)


def test_two_sided_layout_is_a_summary():
    rows = [["收入", "收入", "支出", "支出"], ["项目", "预算数", "项目", "预算数"],
            ["一、一般公共预算拨款收入", "10.00", "一、一般公共服务支出", "10.00"],
            ["本年收入合计", "10.00", "本年支出合计", "10.00"]]
    t = typed("收支总体情况表", rows)
    assert t.table_type == "income_expenditure_summary"
    t2 = typed("财政拨款收支总体情况表", rows)
    assert t2.table_type == "fiscal_income_expenditure_summary"


def test_weak_evidence_stays_unknown():
    rows = [["项目", "金额"], ["基本支出", "1.00"], ["其他", "2.00"]]
    t = typed("情况表", rows)
    scores, _ = score(t)
    assert t.table_type == "unknown" and max(scores.values(), default=0) < 4
