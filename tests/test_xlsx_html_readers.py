"""readers/xlsx.py and readers/html.py on small files built here from the real SH08
(上海市普陀区万里街道 2023) “三公”经费和机关运行经费预算表 and SH12 财务收支预算总表."""
from __future__ import annotations

import pytest

from budgetlens.readers.blocks import ReadError

SANGONG_TITLE = "2023年部门“三公”经费和机关运行经费预算表"


def test_xlsx_sheet_with_merged_header(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from budgetlens.readers.xlsx import read_xlsx

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "三公经费"
    ws.append([SANGONG_TITLE])
    ws.merge_cells("A1:G1")
    ws.append(["编制部门：上海市普陀区人民政府万里街道办事处", None, None, None, None, None, "单位:万元"])
    ws.append(["2023年“三公”经费预算数", None, None, None, None, None, "2023年机关运行经费预算数"])
    ws.merge_cells("A3:F3")
    ws.merge_cells("G3:G5")
    ws.append(["合计", "因公出国(境)费", "公务接待费", "公务用车购置及运行费", None, None])
    ws.merge_cells("D4:F4")
    for c in "ABC":
        ws.merge_cells(f"{c}4:{c}5")
    ws.append([None, None, None, "小计", "购置费", "运行费"])
    ws.append([22.91, 0, 1.35, 21.56, 0, 21.56, 786.09])
    path = tmp_path / "sangong.xlsx"
    wb.save(path)

    blocks = read_xlsx(path)
    paras = [b.text for b in blocks if b.kind == "para"]
    assert paras[0] == "三公经费"
    assert SANGONG_TITLE in paras
    assert "单位:万元" in paras
    table = next(b for b in blocks if b.kind == "table")
    assert table.grid
    assert table.rows[0] == ["2023年“三公”经费预算数"] * 6 + ["2023年机关运行经费预算数"]
    assert table.rows[1][3:6] == ["公务用车购置及运行费"] * 3
    assert table.rows[2][0] == "合计"  # rowspan repeated down
    assert table.rows[2][3:6] == ["小计", "购置费", "运行费"]
    assert table.rows[-1] == ["22.91", "0", "1.35", "21.56", "0", "21.56", "786.09"]


def test_xls_read_with_xlrd(tmp_path):
    pytest.importorskip("xlrd")
    xlwt = pytest.importorskip("xlwt", reason="xlwt is needed to write a .xls fixture")
    from budgetlens.readers.xlsx import read_xlsx

    wb = xlwt.Workbook()
    ws = wb.add_sheet("收支总表")
    ws.write_merge(0, 0, 0, 3, "2025年部门财务收支预算总表")
    rows = [["项目", "预算数", "项目", "预算数"], ["一、财政拨款收入", 31214205.8, "一、一般公共服务支出", 22186440.8]]
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    path = tmp_path / "t.xls"
    wb.save(str(path))
    blocks = read_xlsx(path)
    table = next(b for b in blocks if b.kind == "table")
    assert table.rows[1] == ["一、财政拨款收入", "31214205.8", "一、一般公共服务支出", "22186440.8"]


def test_not_a_spreadsheet(tmp_path):
    from budgetlens.readers.xlsx import read_xlsx

    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ReadError, match="not a spreadsheet"):
        read_xlsx(path)


def test_corrupt_xlsx(tmp_path):
    from budgetlens.readers.xlsx import read_xlsx

    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(ReadError, match="cannot open"):
        read_xlsx(path)


HTML = """<!doctype html><html><head><title>上海市普陀区财政局2025年部门预算</title>
<script>var x = "不是正文";</script><style>p{}</style></head><body>
<nav>首页 | 信息公开</nav>
<h2>2025年部门预算编制说明</h2>
<p>2025年，上海市普陀区财政局收入预算3,121.42万元，其中：财政拨款收入3,121.42万元，
<span>比2024年预算增加</span><span>107.62万元</span>；事业收入0万元。</p>
<p>2025年部门财务收支预算总表</p>
<p>编制部门：上海市普陀区财政局</p><p>单位：元</p>
<table border="1">
<tr><th colspan="2">本年收入</th><th colspan="2">本年支出</th></tr>
<tr><td>项目</td><td>预算数</td><td>项目</td><td>预算数</td></tr>
<tr><td>一、财政拨款收入</td><td>31,214,205.80</td><td>一、一般公共服务支出</td><td>22,186,440.80</td></tr>
<tr><td rowspan="2">1.一般公共预算资金</td><td rowspan="2">31,214,205.80</td><td>二、社会保障和就业支出</td><td>3,508,644.00</td></tr>
<tr><td>三、卫生健康支出</td><td>782,164.00</td></tr>
<tr><td>收入总计</td><td>31,214,205.80</td><td>支出总计</td><td>31,214,205.80</td></tr>
</table>
<p>注：本表反映部门年度总体收支预算情况。</p>
</body></html>"""


def test_html_paragraphs_and_table(tmp_path):
    pytest.importorskip("bs4")
    from budgetlens.readers.html import read_html

    path = tmp_path / "budget.html"
    path.write_text(HTML, encoding="utf-8")
    blocks = read_html(path)
    paras = [b.text for b in blocks if b.kind == "para"]
    assert "2025年部门预算编制说明" in paras
    assert (
        "2025年，上海市普陀区财政局收入预算3,121.42万元，其中：财政拨款收入3,121.42万元，比2024年预算增加107.62万元；事业收入0万元。"
        in paras
    )
    assert not any("不是正文" in p for p in paras)
    i = next(i for i, b in enumerate(blocks) if b.kind == "table")
    assert [b.text for b in blocks[i - 3 : i]] == ["2025年部门财务收支预算总表", "编制部门：上海市普陀区财政局", "单位：元"]
    rows = blocks[i].rows
    assert blocks[i].grid
    assert rows[0] == ["本年收入", "本年收入", "本年支出", "本年支出"]
    assert rows[3] == ["1.一般公共预算资金", "31,214,205.80", "二、社会保障和就业支出", "3,508,644.00"]
    assert rows[4] == ["1.一般公共预算资金", "", "三、卫生健康支出", "782,164.00"]  # number kept once
    assert blocks[i + 1].text == "注：本表反映部门年度总体收支预算情况。"


def test_empty_html(tmp_path):
    from budgetlens.readers.html import read_html

    path = tmp_path / "e.html"
    path.write_text("   ", encoding="utf-8")
    with pytest.raises(ReadError):
        read_html(path)
