"""readers/pairing.py: narrative-only + tables-only files of one department and year are one
disclosure; complete disclosures are never paired."""
from __future__ import annotations

from pathlib import Path

import pytest

from budgetlens.readers.blocks import Block, ReadError
from budgetlens.readers.pairing import pair_sources

PROSE = "江苏省委办公厅2017年度收入、支出预算总计20849.45万元，与上年相比收、支预算总计各增加1463.8万元，增长8.85%。" * 20


def narrative(title: str) -> list[Block]:
    return [Block("para", title, page=1), Block("para", "第一部分 部门概况", page=1), Block("para", PROSE, page=2)]


def tables(dept: str, year: int) -> list[Block]:
    out = []
    for name in ("收支预算总表", "收入预算总表", "支出预算总表", f"{year}年政府采购预算表"):
        out += [Block("para", name), Block("para", f"部门：{dept}"), Block("para", "单位：万元"), Block("table", rows=[["项目", "金额"], ["合计", "1.00"]], grid=True)]
    return out


def both(title: str) -> list[Block]:
    return narrative(title) + tables("x", 2017)


FILES = {
    "JS08_江苏省委办公厅2017年部门预算.pdf": narrative("江苏省委办公厅2017年部门预算"),
    "JS09_江苏省委办公厅2017年预算公开表格.pdf": tables("中国共产党江苏省委员会办公厅", 2017),
    "JS14_江苏省政协办公厅2017年度部门预算.pdf": narrative("江苏省政协办公厅2017年度部门预算"),
    "JS15_江苏省政协办公厅2017年度部门预算公开表.pdf": tables("江苏省政协办公厅", 2017),
    "JS10_江苏省委办公厅2018年度部门预算公开文件.pdf": narrative("江苏省委办公厅2018年度部门预算"),
    "JS11_江苏省委办公厅2018年度部门预算公开表.pdf": tables("中国共产党江苏省委员会办公厅", 2018),
    "JS01_江苏省人大常委会办公厅2017年度预算公开.pdf": both("江苏省人大常委会办公厅2017年度部门预算"),
    "JS05_江苏省人民检察院2017年部门预算.pdf": both("江苏省人民检察院2017年部门预算"),
}


def fake_read(path: Path) -> list[Block]:
    return FILES[path.name]


def test_pairs_by_department_and_year():
    groups = pair_sources(list(FILES), read=fake_read)
    names = [[p.name[:4] for p in g] for g in groups]
    assert ["JS08", "JS09"] in names
    assert ["JS14", "JS15"] in names
    assert ["JS10", "JS11"] in names
    assert ["JS01"] in names and ["JS05"] in names
    assert sorted(p for g in names for p in g) == sorted(n[:4] for n in FILES)  # every file once


def test_never_pairs_complete_disclosures():
    files = ["JS01_江苏省人大常委会办公厅2017年度预算公开.pdf", "JS05_江苏省人民检察院2017年部门预算.pdf"]
    assert pair_sources(files, read=fake_read) == [[Path(f)] for f in files]


def test_year_must_agree():
    files = ["JS08_江苏省委办公厅2017年部门预算.pdf", "JS11_江苏省委办公厅2018年度部门预算公开表.pdf"]
    assert len(pair_sources(files, read=fake_read)) == 2


def test_department_must_agree():
    files = ["JS08_江苏省委办公厅2017年部门预算.pdf", "JS15_江苏省政协办公厅2017年度部门预算公开表.pdf"]
    assert len(pair_sources(files, read=fake_read)) == 2


def test_content_wins_over_file_name():
    """Neutral file names: department and year come from the title and caption lines."""
    files = {"a.pdf": FILES["JS08_江苏省委办公厅2017年部门预算.pdf"], "b.pdf": FILES["JS09_江苏省委办公厅2017年预算公开表格.pdf"], "c.pdf": FILES["JS15_江苏省政协办公厅2017年度部门预算公开表.pdf"]}
    groups = pair_sources(list(files), read=lambda p: files[p.name])
    assert [Path("a.pdf"), Path("b.pdf")] in groups and [Path("c.pdf")] in groups


def test_unreadable_file_stays_alone():
    def read(p):
        if p.name == "bad.pdf":
            raise ReadError("truncated PDF")
        return FILES[p.name]

    files = ["bad.pdf", "JS08_江苏省委办公厅2017年部门预算.pdf", "JS09_江苏省委办公厅2017年预算公开表格.pdf"]
    groups = pair_sources(files, read=read)
    assert groups[0] == [Path("bad.pdf")] and len(groups) == 2


@pytest.mark.real
def test_real_jiangsu_pairs(real_dir):
    from budgetlens.readers.pdf import read_pdf

    groups = pair_sources(sorted(real_dir.glob("*.pdf")), read=read_pdf)
    pairs = sorted(tuple(p.name[:4] for p in g) for g in groups if len(g) == 2)
    assert pairs == [("JS03", "JS04"), ("JS08", "JS09"), ("JS10", "JS11"), ("JS12", "JS13"), ("JS14", "JS15"), ("JS16", "JS17"), ("JS18", "JS19")]
    assert sum(len(g) for g in groups) == 26
