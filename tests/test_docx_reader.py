""".docx via python-docx: paragraphs and tables in order, merged cells on the grid.
The document is built here from seed 000's own content (its 三公 table and narrative)."""
import docx
import pytest

from budgetlens.document.build import build_document
from budgetlens.document.tables import numeric_cells, row_label_for
from budgetlens.readers import read_blocks
from budgetlens.readers.blocks import ReadError


@pytest.fixture
def seed_like_docx(tmp_path):
    d = docx.Document()
    d.add_paragraph("秦皇岛市海港区信访局2024年部门预算信息公开情况说明")
    d.add_paragraph("部门预算财政拨款“三公”经费支出表")
    t = d.add_table(rows=5, cols=4)
    t.cell(0, 0).text = "202秦皇岛市海港区信访局"
    t.cell(0, 0).merge(t.cell(0, 2))  # a caption spanning three columns
    t.cell(0, 3).text = "单位：万元"
    t.cell(1, 0).text = "项目"
    t.cell(1, 1).text = "资金性质"
    t.cell(1, 1).merge(t.cell(1, 3))
    t.cell(1, 0).merge(t.cell(2, 0))  # 项目 spans two header rows
    t.cell(2, 1).text = "合计"
    t.cell(2, 2).text = "一般公共预算财政拨款"
    t.cell(2, 3).text = "政府性基金预算拨款"
    for i, (label, v) in enumerate([("“三公”经费小计", "4.76"), ("二、公务用车购置及运维费", "4.51")], start=3):
        t.cell(i, 0).text = label
        t.cell(i, 1).text = v
        t.cell(i, 2).text = v
    d.add_paragraph("四、财政拨款“三公”经费预算情况及增减变化原因")
    d.add_paragraph("2024年，我部门财政拨款“三公”经费预算安排4.76万元，其中：因公出国（境）费0万元。")
    path = tmp_path / "seed.docx"
    d.save(path)
    return path


def test_docx_paragraphs_tables_and_merged_cells(seed_like_docx):
    fmt, blocks = read_blocks(seed_like_docx)
    assert fmt == "docx"
    assert [b.kind for b in blocks] == ["para", "para", "table", "para", "para"]
    doc = build_document(blocks, str(seed_like_docx), fmt)
    assert (doc.department, doc.year) == ("秦皇岛市海港区信访局", 2024)
    t = doc.tables[0]
    assert t.table_type == "sangong" and t.unit == "万元"
    assert t.columns[1] == "资金性质/合计" and t.columns[2] == "资金性质/一般公共预算财政拨款"
    got = {(row_label_for(t, r, j), t.columns[j]): v for r, j, v in numeric_cells(t)}
    assert got[("二、公务用车购置及运维费", "资金性质/合计")] == 4.51
    assert any(s.text.startswith("2024年，我部门财政拨款“三公”经费预算安排4.76万元") for s in doc.sentences)


def test_corrupt_docx(tmp_path):
    p = tmp_path / "bad.docx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ReadError, match="corrupt"):
        read_blocks(p)
