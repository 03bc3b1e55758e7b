"""Tika text dumps: cells, rows, continuation lines, bookmarks, page numbers, encodings."""
import pytest

from budgetlens.readers.blocks import ReadError
from budgetlens.readers.textio import decode_text
from budgetlens.readers.tika import parse_tika_text

DUMP = (
    "[bookmark: _Toc_1]部门预算收支总表\n"
    "\t202秦皇岛市海港区信访局\n\t预算年度：2024\n\t单位：万元\n\n"
    "\t序号\n\t项目\n\t预算数\n\n"
    "\t1\n\t本年收入合计\n\t492.10\n\n"
    "\t2\n\t申请资金100万元，明细如下：\n1、涉密文件1万元。\n2、中心环境修缮费3万元。\n\n"
    "\n\n18\n19\n"
    "[bookmark: _Toc_2]一、部门职责及机构设置情况\n"
)


def test_rows_cells_and_continuations():
    blocks = parse_tika_text(DUMP)
    kinds = [b.kind for b in blocks]
    assert kinds == ["para", "table", "para"]
    assert blocks[0].text == "部门预算收支总表"  # bookmark stripped
    rows = blocks[1].rows
    assert rows[0] == ["202秦皇岛市海港区信访局", "预算年度：2024", "单位：万元"]
    assert rows[2] == ["1", "本年收入合计", "492.10"]
    # a cell continuing on lines without a TAB belongs to the cell above
    assert rows[3][1] == "申请资金100万元，明细如下：\n1、涉密文件1万元。\n2、中心环境修缮费3万元。"
    # stray page numbers between tables are not content
    assert all(b.text not in ("18", "19") for b in blocks if b.kind == "para")


def test_chapter_heading_right_after_a_cell_ends_the_table():
    blocks = parse_tika_text("\t资产总额\n\t129.00\n 七、国有资产信息\n正文。\n")
    assert [b.kind for b in blocks] == ["table", "para", "para"]
    assert blocks[1].text == "七、国有资产信息"


@pytest.mark.parametrize("enc", ["utf-8", "gb18030", "gbk", "utf-16", "utf-8-sig"])
def test_encodings(enc):
    text = "廊坊市信访局2022年单位预算信息公开情况说明\n\t合计\n\t2115.46\n"
    got, _ = decode_text(text.encode(enc))
    assert got.lstrip("\ufeff") == text


def test_empty_and_binary_rejected():
    with pytest.raises(ReadError, match="empty"):
        decode_text(b"  \n")
    with pytest.raises(ReadError):
        decode_text(bytes(range(256)) * 20)
