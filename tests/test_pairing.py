"""readers/pairing.py: narrative-only + tables-only files of one department and year are one
disclosure; complete disclosures are never paired."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from budgetlens.readers import pairing
from budgetlens.readers.blocks import Block, ReadError
from budgetlens.readers.pairing import Profile, pair_profiles, pair_sources

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


def pair_names(narrative_name: str, tables_name: str) -> list[list[Path]]:
    """pair_profiles on one narrative-only and one tables-only file of one year, the name as
    both the document's and the file name's department."""
    n, t = Path("/crawl/n.pdf"), Path("/crawl/t.pdf")
    profs = {n: Profile(n, "narrative", 2019, narrative_name, narrative_name),
             t: Profile(t, "tables", 2019, tables_name, tables_name)}
    return pair_profiles([n, t], profs)


OTHER_UNITS = [  # alike by _similarity (≥ MIN_SCORE), but not one unit
    ("江苏省连云港市雨花台区第三中学", "江苏省连云港市雨花台区第五街道办事处"),  # 12/15 on the shared region
    ("江苏省连云港市雨花台区第三医院", "江苏省连云港市雨花台区第五街道办事处"),
    ("江苏省连云港市雨花台区委办公室", "江苏省连云港市雨花台区委宣传部"),
    ("中共江苏省连云港市雨花台区委办公室", "江苏省连云港市雨花台区委宣传部"),
    ("北京市东城区人民政府国有资产监督管理委员会", "北京市西城区人民政府国有资产监督管理委员会"),  # other district
    ("北京市人民政府国有资产监督管理委员会", "北京市东城区人民政府国有资产监督管理委员会"),  # city vs district
    ("东城区人民政府国有资产监督管理委员会", "北京市人民政府国有资产监督管理委员会"),
    ("南京市鼓楼区人民政府国有资产监督管理委员会", "福州市鼓楼区人民政府国有资产监督管理委员会"),  # other city
    ("昆山市人民政府国有资产监督管理办公室", "太仓市人民政府国有资产监督管理办公室"),  # cities not in the gazetteer
]
SAME_UNITS = [  # spelled differently, one unit
    ("江苏省委办公厅", "中共江苏省委办公厅"),
    ("江苏省人大常委会", "江苏省人大常委会办公厅"),  # JS03's file name + JS04
    ("省委办公厅", "江苏省委办公厅"),  # one name without a region
    ("第三中学", "江苏省连云港市雨花台区第三中学"),
    ("连云港市雨花台区第三中学", "江苏省连云港市雨花台区第三中学"),  # the province left out
    ("江苏连云港市雨花台区第三中学", "江苏省连云港市雨花台区第三中学"),  # its short form
    ("东城区人民政府国有资产监督管理委员会", "北京市东城区人民政府国有资产监督管理委员会"),
    ("江苏省昆山市财政局", "昆山市财政局"),  # a county-level city the gazetteer does not list
    ("北京经济技术开发区管理委员会", "北京市经济技术开发区管理委员会"),
    ("北京城市副中心工程建设管理办公室", "北京城市副中心工程建设管理办公室"),  # BJ08
    ("深圳市发展和改革委员会本级", "深圳市发展和改革委员会"),
    ("中共上海市普陀区委社会工作部", "上海市普陀区委社会工作部"),
    ("江苏省连云港市雨花台区人民政府办公室", "江苏省连云港市雨花台区人民政府办公厅"),  # remainders 6/7
]


@pytest.mark.parametrize("a, b", OTHER_UNITS)
def test_units_that_share_a_region_or_a_department_do_not_pair(a, b):
    assert pairing._similarity(a, b) >= pairing.MIN_SCORE  # paired on the whole names alone
    assert pair_names(a, b) == [[Path("/crawl/n.pdf")], [Path("/crawl/t.pdf")]]
    assert pair_names(b, a) == [[Path("/crawl/n.pdf")], [Path("/crawl/t.pdf")]]


@pytest.mark.parametrize("a, b", SAME_UNITS)
def test_one_unit_spelled_two_ways_pairs(a, b):
    assert pair_names(a, b) == [[Path("/crawl/n.pdf"), Path("/crawl/t.pdf")]]
    assert pair_names(b, a) == [[Path("/crawl/n.pdf"), Path("/crawl/t.pdf")]]


def test_region_split():
    split = pairing._region_split
    assert split("中共江苏省委办公厅") == split("江苏省委办公厅") == ("江苏省", "委办公厅")
    assert split("江苏省连云港市雨花台区第三中学") == ("江苏省连云港市雨花台区", "第三中学")
    assert split("连云港市雨花台区第三中学") == ("江苏省连云港市雨花台区", "第三中学")
    assert split("北京城市副中心工程建设管理办公室") == ("北京市", "城市副中心工程建设管理办公室")
    assert split("江苏省昆山市财政局") == ("江苏省昆山市", "财政局")
    assert split("省委办公厅") == (None, "省委办公厅") and split("") == (None, "")
    assert pairing._similarity("省委办公厅", "省政协办公厅") < pairing.MIN_SCORE  # 3/5: no region, and apart
    assert len(pair_names("省委办公厅", "省政协办公厅")) == 2


def test_partial_crawl_pairs_no_two_units(monkeypatch):
    """A crawl that lost 第三中学's tables and 第五街道办事处's narrative: the two survivors share
    江苏省连云港市雨花台区第 (12/15 of the shorter name) and were paired, so that every figure of
    the school's narrative was checked against the street office's tables.  They stay alone;
    the unit whose two files came (第三人民医院) still pairs."""
    school = "江苏省连云港市雨花台区第三中学"  # 中学 is no organisation ending: named by its file name
    office = "江苏省连云港市雨花台区第五街道办事处"
    hospital = "江苏省连云港市雨花台区第三人民医院"
    files = {
        f"{school}2017年部门预算.pdf": narrative(f"{school}2017年部门预算"),
        f"{office}2017年预算公开表.pdf": tables(office, 2017),
        f"{hospital}2017年部门预算.pdf": narrative(f"{hospital}2017年部门预算"),
        f"{hospital}2017年预算公开表.pdf": tables(hospital, 2017),
    }
    names = list(files)
    groups = pair_sources(names, read=lambda p: files[p.name])
    assert groups == [[Path(names[0])], [Path(names[1])], [Path(names[2]), Path(names[3])]]
    monkeypatch.setattr(pairing, "_same_unit", lambda a, b: True)  # the rule before: they pair
    assert [Path(names[0]), Path(names[1])] in pair_sources(names, read=lambda p: files[p.name])


def crawl(rng: random.Random) -> tuple[list[Path], dict[Path, Profile], dict[Path, str]]:
    """Narrative and tables profiles of a province's units (departments of its cities and
    districts, numbered schools, hospitals and street offices), the cover naming 委 bodies
    with 中共 in front; returns the unit of every file too."""
    regions = ["江苏省"] + [f"江苏省{c}" for c in ("南京市", "连云港市")] + [
        f"江苏省{c}{d}" for c in ("南京市", "连云港市") for d in ("鼓楼区", "雨花台区", "江宁区")]
    depts = ["委办公室", "人民政府办公室", "人大常委会办公室", "财政局", "教育局", "人民法院", "人民检察院"]
    places = ["中学", "小学", "实验学校", "人民医院", "中医院", "街道办事处"]
    names = [r + d for r in regions for d in depts] + [
        r + "第" + n + p for r in regions[1:] for n in "一二三四五" for p in places]
    files: list[Path] = []
    profs: dict[Path, Profile] = {}
    unit: dict[Path, str] = {}
    for k, name in enumerate(names):
        cover = "中共" + name if "委" in name else name
        for kind, dept in (("narrative", cover), ("tables", name)):
            p = Path(f"/crawl/{k:04d}_{kind}.pdf")
            files.append(p)
            profs[p] = Profile(p, kind, 2026, dept, name)
            unit[p] = name
    rng.shuffle(files)
    return files, profs, unit


@pytest.mark.parametrize("seed", range(3))
def test_partial_crawl_of_a_province(seed, monkeypatch):
    """A fifth of the units lost their tables file, another fifth their narrative: every pair
    is still one unit's two files, and every unit whose two files came pairs."""
    rng = random.Random(seed)
    files, profs, unit = crawl(rng)
    units = sorted(set(unit.values()))
    rng.shuffle(units)
    k = len(units) // 5
    lost = {(u, "tables") for u in units[:k]} | {(u, "narrative") for u in units[k: 2 * k]}
    kept = [p for p in files if (unit[p], profs[p].kind) not in lost]
    pairs = [g for g in pair_profiles(kept, profs) if len(g) == 2]
    assert all(unit[n] == unit[t] for n, t in pairs)
    assert len(pairs) == len(units) - 2 * k
    monkeypatch.setattr(pairing, "_same_unit", lambda a, b: True)  # the rule before pairs units apart
    assert any(unit[g[0]] != unit[g[1]] for g in pair_profiles(kept, profs) if len(g) == 2)


@pytest.mark.real
def test_real_jiangsu_pairs(real_dir):
    from budgetlens.readers.pdf import read_pdf

    groups = pair_sources(sorted(real_dir.glob("*.pdf")), read=read_pdf)
    pairs = sorted(tuple(p.name[:4] for p in g) for g in groups if len(g) == 2)
    assert pairs == [("JS03", "JS04"), ("JS08", "JS09"), ("JS10", "JS11"), ("JS12", "JS13"), ("JS14", "JS15"), ("JS16", "JS17"), ("JS18", "JS19")]
    assert sum(len(g) for g in groups) == 26
