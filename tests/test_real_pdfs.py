"""readers/pdf.py on the real disclosures in ../shared/real, read in place (never copied).

Cells and sentences below were read off the rendered PDF pages by a person, not taken
from the reader's output.  Skipped when ../shared/real is absent."""
from __future__ import annotations

import time
import unicodedata

import pytest

from budgetlens.gazetteers import match_table_type
from budgetlens.readers.pdf import read_pdf

pytestmark = pytest.mark.real


@pytest.fixture(scope="session")
def real_blocks(real_dir):
    out = {}
    for p in sorted(real_dir.glob("*.pdf")):
        t = time.perf_counter()
        out[p.name[:4]] = read_pdf(p)
        out[p.name[:4] + ":seconds"] = time.perf_counter() - t
    return out


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace(" ", "")


def tables_by_title(blocks) -> list[tuple[str, str, list[list[str]]]]:
    """(table_type, caption text, rows) per table: the caption is the paragraphs just before."""
    out = []
    for i, b in enumerate(blocks):
        if b.kind != "table":
            continue
        caps = []
        j = i - 1
        while j >= 0 and blocks[j].kind == "para" and len(caps) < 4:
            caps.insert(0, blocks[j].text)
            j -= 1
        ttype = next((match_table_type(c) for c in reversed(caps) if match_table_type(c)), None)
        out.append((ttype, " / ".join(caps), b.rows))
    return out


def table(blocks, ttype: str):
    found = [(c, r) for t, c, r in tables_by_title(blocks) if t == ttype]
    assert found, f"no {ttype} table"
    return found[0]


def row(rows, label: str) -> list[str]:
    for r in rows:
        if any(_norm(c) == _norm(label) for c in r):
            return r
    raise AssertionError(f"no row {label!r}")


# ---------------------------------------------------------------- Shanghai budget template


def test_shanghai_budget_summary_in_yuan(real_blocks):
    cap, rows = table(real_blocks["SH12"], "income_expenditure_summary")
    assert "单位：元" in cap and "财务收支预算总表" in cap
    assert row(rows, "一、财政拨款收入") == ["一、财政拨款收入", "31,214,205.80", "一、一般公共服务支出", "22,186,440.80"]
    assert row(rows, "收入总计") == ["收入总计", "31,214,205.80", "支出总计", "31,214,205.80"]


def test_shanghai_budget_expenditure_table_across_pages(real_blocks):
    cap, rows = table(real_blocks["SH12"], "expenditure_summary")
    assert row(rows, "行政运行") == ["201", "06", "01", "行政运行", "16,231,840.80", "16,093,326.00", "138,514.80"]
    assert row(rows, "购房补贴")[3:5] == ["购房补贴", "2,687,760.00"]  # on the second page
    assert rows[-1][:5] == ["合计"] * 4 + ["31,214,205.80"] and rows[-1][5:] == ["25,121,091.00", "6,093,114.80"]
    assert sum(1 for r in rows if r[0] == "类") == 1  # the repeated header is dropped


def test_shanghai_sangong_in_wan(real_blocks):
    cap, rows = table(real_blocks["SH08"], "sangong")
    assert "单位:万元" in cap
    assert rows[-1] == ["22.91", "0", "1.35", "21.56", "0", "21.56", "786.09"]
    assert rows[1][3:6] == ["公务用车购置及运行费"] * 3


def test_shanghai_every_budget_has_its_tables(real_blocks):
    for key in ("SH08", "SH09", "SH10", "SH12", "SH13"):
        types = {t: c for t, c, _ in tables_by_title(real_blocks[key])}
        for needed in ("income_expenditure_summary", "general_budget_expenditure", "basic_expenditure_economic", "sangong"):
            assert needed in types, (key, needed)
        assert "元" in types["income_expenditure_summary"]


# ---------------------------------------------------------------- Jiangsu budget template


def test_jiangsu_summary_rotated_pages(real_blocks):
    cap, rows = table(real_blocks["JS04"], "income_expenditure_summary")  # /Rotate 90 pages
    assert "单位：万元" in cap
    assert row(rows, "一、财政拨款")[:2] == ["一、财政拨款", "18,330.37"]
    assert row(rows, "一、基本支出")[-1] == "9,312.90"
    assert row(rows, "三、单位预留机动经费")[-1] == "2,557.89"
    assert row(rows, "八、社会保障和就业支出")[3] == "1,121.39"


def test_jiangsu_summary_over_three_pages_rows_rejoined(real_blocks):
    cap, rows = table(real_blocks["JS01"], "income_expenditure_summary")
    assert row(rows, "八、社会保障和就业支出")[3] == "1,608.51"  # the cell is split by the page end
    last = row(rows, "当年收入小计")
    assert last[1] == "13,649.07" and last[-1] == "13,649.07"
    assert row(rows, "收入合计")[-1] == "13,649.07"  # third page has fewer grid columns


def test_jiangsu_sangong_and_other_tables(real_blocks):
    cap, rows = table(real_blocks["JS19"], "sangong")
    assert rows[-1][:3] == ["2,224.43", "660.10", "106.00"]
    for key in ("JS01", "JS02", "JS04", "JS05", "JS06", "JS07", "JS09", "JS11", "JS13", "JS15", "JS17", "JS19"):
        types = [t for t, _, _ in tables_by_title(real_blocks[key])]
        for needed in ("income_expenditure_summary", "general_budget_expenditure", "basic_expenditure_economic", "sangong", "agency_operating", "government_procurement"):
            assert needed in types, (key, needed, types)
        assert len(types) == 12, (key, types)


# ---------------------------------------------------------------- final account template


def test_final_account_sangong(real_blocks):
    cap, rows = table(real_blocks["SH02"], "sangong")
    assert "单位：万元" in cap
    assert rows[-1][:2] == ["2.85", "0.39"] and rows[-1][-2:] == ["2.85", "0.39"]


def test_final_account_income_table_continued(real_blocks):
    cap, rows = table(real_blocks["SH02"], "income_summary")
    assert row(rows, "购房补贴")[:4] == ["2210203", "购房补贴", "171.49", "171.49"]
    assert row(rows, "合计")[2:4] == ["9746.50", "9746.50"]
    assert len({len(r) for r in rows}) == 1


def test_final_accounts_have_the_nine_tables(real_blocks):
    for key in ("SH02", "SH03"):
        types = [t for t, _, _ in tables_by_title(real_blocks[key])]
        for needed in (
            "income_expenditure_summary", "income_summary", "expenditure_summary", "fiscal_income_expenditure_summary",
            "general_budget_expenditure", "basic_expenditure_economic", "sangong", "gov_fund_expenditure", "state_capital_expenditure",
        ):
            assert needed in types, (key, needed)


# ---------------------------------------------------------------- narrative


SENTENCES = {
    "SH12": [
        "2025年，上海市普陀区财政局收入预算3,121.42万元，其中：财政拨款收入3,121.42万元，比2024年预算增加107.62万元；事业收入0万元；事业单位经营收入0万元；其他收入0万元。",
        "支出预算3,121.42万元，其中：财政拨款支出预算3,121.42万元，比2024年预算增加107.62万元。",
        "2025年“三公”经费预算数为0.95万元，与2024年预算持平。",
        "（二）公务车购置及运行费0万元，其中：公务用车购置费0万元，与2024年预算一致0万元，主要原因是本部门无公务用车；",
    ],
    "JS01": [
        "江苏省人大常委会办公厅2017年度财政拨款收、支总预算13649.07万元。",
        "与上年相比，财政拨款收、支总计各增加844.15万元，增长6.59%。",
        "财政拨款收入数、支出安排数与《部门收支预算总表》的财政拨款数对应一致。",
    ],
    "SH02": [
        "上海市普陀区规划和自然资源局2024年度收入支出总计9859.38万元。",
        "与2023年度相比，收入支出总计增加1062.85万元，增长12.08%。",
        "主要原因：项目支出增加，较上一度增加1133.95万元，主要由于上海市普陀区自然资源确权登记事务中心办公大楼装修等。",
    ],
    "JS05": [
        "2017年度收入、支出预算总计17996.68万元，与上年相比收、支预算总计各增加1463.8万元，增长8.85%。",
        "（1）一般公共预算收入预算17981.68万元，与上年相比增加1454.35万元，增长8.8%。",
    ],
    "JS08": [
        "日常公用经费支出预算根据省财政厅公布的商品和服务支出综合定额标准和核定的在职人员数、离退休人员数确定。",
        "在保障省委各项重点工作和机关正常运转的基础上，进一步控制和压缩一般性支出。",
    ],
    "SH03": [
        "中共上海市普陀区委社会工作部2024年度收入支出总计307.82万元。",
        "本年支出合计307.82万元，其中：基本支出105.58万元，占34.30%；项目支出202.24万元，占65.70%。",
    ],
    "SH13": [
        "财政拨款收入支出减少的主要原因是预计注册会计师考试人数、科次减少，项目经费减少等。",
        "支出预算17,192万元，其中：财政拨款支出预算17,192万元，比2024年预算减少990万元。",
    ],
    "JS16": [
        "此外，基本支出预算数为5,678.17万元。",
        "与上年相比增加1,050.79万元，增长983.52%。",
        "江苏省政协办公厅本年收入预算合计10,150.48万元，其中：",
    ],
    "JS03": [
        "江苏省人大常委会办公厅2019年财政拨款预算支出18330.37万元，占本年支出合计的100%。",
        "主要原因是相关运转类经费压减10%，增加综合管理费209万元用于办公用房租赁，增加外事经费200万元，增减相抵后增加123.67万元。",
    ],
}


@pytest.mark.parametrize("key,sentence", [(k, s) for k, ss in SENTENCES.items() for s in ss])
def test_sentences_whole(real_blocks, key, sentence):
    text = "\n".join(_norm(b.text) for b in real_blocks[key] if b.kind == "para")
    assert _norm(sentence) in text


def test_enough_sentences():
    assert sum(len(v) for v in SENTENCES.values()) >= 20 and len(SENTENCES) >= 8


def test_no_page_numbers_left(real_blocks):
    import regex

    pn = regex.compile(r"^[-—–─]*\s*\d{1,3}\s*[-—–─]*$")
    for key, blocks in real_blocks.items():
        if key.endswith(":seconds"):
            continue
        assert not [b.text for b in blocks if b.kind == "para" and pn.match(b.text)], key


def test_read_times_reported(real_blocks, capsys):
    times = {k[:4]: v for k, v in real_blocks.items() if k.endswith(":seconds")}
    with capsys.disabled():
        print(f"\nPDF read time: mean {sum(times.values()) / len(times):.3f} s, max {max(times.values()):.3f} s over {len(times)} files")
    assert len(times) == 26
