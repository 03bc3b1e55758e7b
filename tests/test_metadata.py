"""Metadata patterns (gazetteers/document_meta.yaml) walked over their corpus of real
examples (gazetteers/corpus/document_meta.yaml, each with file and page), and the choice
of templates by their `match` blocks."""
from pathlib import Path

import pytest
import yaml

from budgetlens import gazetteers
from budgetlens.document.metadata import choose_template, file_witness, read_metadata
from budgetlens.document.model import Document, Table
from budgetlens.gazetteers.names import abbreviate, label_name, organisation_name, region_of, title_matches
from budgetlens.readers.blocks import Block

CORPUS = Path(gazetteers.__file__).resolve().parent / "corpus" / "document_meta.yaml"
EXAMPLES = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["examples"]


@pytest.mark.parametrize("ex", EXAMPLES, ids=[f"{e['pattern']}-{Path(e['file']).name[:14]}" for e in EXAMPLES])
def test_metadata_example(ex):
    assert ex["file"] and "page" in ex, "every example names its file and page"
    want = ex.get("expect") or {}
    p = ex["pattern"]
    if p in ("body_year", "year_body", "level"):
        got = next((m for m in title_matches(ex["text"]) if m.pattern == p), None)
        assert got is not None, ex["text"]
        read = {"dept": got.dept, "year": got.year, "kind": got.kind, "scope": got.scope, "region": got.region}
        assert {k: read[k] for k in want} == want
        first = next(iter(title_matches(ex["text"])))
        assert first.pattern == p, "the example is read by its own pattern first"
    elif p == "label":
        assert label_name(ex["text"]) == want["dept"]
    elif p == "reject":
        names = [m.dept for m in title_matches(ex["text"])] + [label_name(ex["text"]), organisation_name(ex["never"])]
        assert ex["never"] not in names
        assert not any(n and ex["never"] in n for n in names)
    elif p == "region":
        assert region_of(ex["text"]) == (want["region"], want["province"])
    elif p == "abbreviation":
        assert abbreviate(ex["text"]) == want["abbreviated"]
    elif p == "file":
        w = file_witness(ex["text"])
        assert w is not None and w.dept == want["dept"]
        assert (w.match.year, w.match.kind, w.match.scope) == (want["year"], want["kind"], want["scope"])
    else:
        raise AssertionError(f"unknown pattern {p}")


def test_every_pattern_has_an_example():
    meta = gazetteers.load("document_meta")
    have = {e["pattern"] for e in EXAMPLES}
    assert set(meta["title_patterns"]) | {"level", "label", "reject", "region", "abbreviation", "file"} <= have


def _paras(*lines, page=1, source="x.pdf"):
    return [Block("para", t, page=page, source=source) for t in lines]


def test_cover_wins_over_body_text_and_file_name():
    paras = _paras("2026年烟台市审计局部门预算") + _paras(
        "纳入烟台市审计局2026年部门预算编制范围的二级预算单位包括：", page=6)
    md = read_metadata(paras, ["/tmp/SD01_市审计局2025年部门预算.pdf"])
    assert (md.department, md.year, md.doc_kind, md.scope, md.origin) == ("烟台市审计局", 2026, "budget", "department", "cover")
    assert (md.region, md.province) == ("烟台市", "山东省")
    assert any("市审计局" in c for c in md.conflicts) and any("2025" in c for c in md.conflicts)


def test_label_on_a_level_cover_names_the_unit():
    md = read_metadata(_paras("上海市2026年市级单位预算", "预算单位：上海交通职业技术学院"), ["a.pdf"])
    assert (md.department, md.region, md.province, md.year, md.scope) == (
        "上海交通职业技术学院", "上海市（市级）", "上海市", 2026, "unit")


def test_fuller_form_printed_elsewhere():
    paras = _paras("江苏省委办公厅2017年度部门预算") + _paras("部门：中国共产党江苏省委员会办公厅 单位：万元", page=2, source="t.pdf")
    md = read_metadata(paras, ["n.pdf", "t.pdf"])
    assert md.department == "中共江苏省委办公厅"


def test_fuller_form_printed_across_spaces_and_lines():
    paras = _paras("江苏省委办公厅2017年度部门预算")
    text = "江苏省委办公厅2017年度部门预算\n中 共\n江苏省委\u3000办公厅是省委的工作机关。"
    assert read_metadata(paras, ["n.pdf"], text).department == "中共江苏省委办公厅"
    # the prefix printed, but not in front of the name; or the name past the text searched
    elsewhere = "中共中央有关规定。江苏省委办公厅是省委的工作机关。"
    assert read_metadata(paras, ["n.pdf"], elsewhere).department == "江苏省委办公厅"
    far = "中共中央有关规定" + "。" * 200_000 + "中共江苏省委办公厅"
    assert read_metadata(paras, ["n.pdf"], far).department == "江苏省委办公厅"


def _doc(region, province, year, kind="budget", scope="department", types=()):
    d = Document(doc_id="x", source="x.pdf", format="pdf", region=region, province=province, year=year,
                 doc_kind=kind, scope=scope)
    d.tables = [Table(table_id=f"t{i}", title="", table_type=t, unit="万元", columns=[], header_rows=[], rows=[])
                for i, t in enumerate(types)]
    return d


def test_templates_chosen_by_match_blocks():
    assert choose_template(_doc("苏州市", "江苏省", 2026)) == "jiangsu_city_budget"
    assert choose_template(_doc("江苏省", "江苏省", 2018)) == "jiangsu_budget"
    assert choose_template(_doc("上海市（市级）", "上海市", 2026, scope="unit")) == "shanghai_budget"
    assert choose_template(_doc("上海市普陀区", "上海市", 2024, kind="final_account")) == "shanghai_final_account"
    assert choose_template(_doc("深圳市", "广东省", 2026)) == "shenzhen_budget"
    assert choose_template(_doc("广州市", "广东省", 2026)) == "guangdong_city_budget"
    # a region no template names: the national layout only when its tables show it
    national = gazetteers.templates()["national_budget"]["required_tables"]
    assert choose_template(_doc("成都市", "四川省", 2026)) is None
    assert choose_template(_doc("成都市", "四川省", 2026, types=national[:6])) == "national_budget"
    assert choose_template(_doc("成都市", "四川省", 2026, types=national[:3])) is None


def test_unknown_template_is_info_only():
    from budgetlens.reconcile import completeness

    d = _doc("成都市", "四川省", 2026, types=["sangong"])
    flags = completeness.check(d, [])
    assert d.template is None and [f.rule for f in flags] == ["template.unknown"]
    assert flags[0].severity == "info" and "四川省成都市" in flags[0].message


def test_missing_table_that_may_be_an_untyped_one_is_info():
    """A required table the document may have under another name (a table typed unknown,
    with amounts) is not established missing: info, not warning."""
    from budgetlens.reconcile import completeness

    req = gazetteers.templates()["guangdong_city_budget"]["required_tables"]
    d = _doc("广州市", "广东省", 2026, types=req[1:])
    d.template = choose_template(d)
    warn = [f for f in completeness.check(d, []) if f.rule == "required_tables.missing"]
    assert d.template == "guangdong_city_budget" and [f.severity for f in warn] == ["warning"]
    d.tables.append(Table(table_id="u", title="收支总体情况表", table_type="unknown", unit="万元",
                          columns=[], header_rows=[], rows=[]))
    info = [f for f in completeness.check(d, []) if f.rule == "required_tables.missing"]
    assert [f.severity for f in info] == ["info"]
    # evidence against the missing type (a negative score only): its absence is established
    d.tables[-1].type_scores = {req[0]: -4.0}
    back = [f for f in completeness.check(d, []) if f.rule == "required_tables.missing"]
    assert [f.severity for f in back] == ["warning"]


def test_names_of_bodies_from_elsewhere():
    """Names and regions of bodies in none of the corpora (generalisation)."""
    names = {t: [m.dept for m in title_matches(t) if m.dept] for t in (
        "2026年中共烟台市委机构编制委员会办公室部门预算", "中共北京市委机构编制委员会办公室2026年度部门预算信息公开",
        "成都市武侯区教育局2025年部门决算", "2024年度昆山市财政局单位预算公开")}
    assert names == {
        "2026年中共烟台市委机构编制委员会办公室部门预算": ["中共烟台市委机构编制委员会办公室"],
        "中共北京市委机构编制委员会办公室2026年度部门预算信息公开": ["中共北京市委机构编制委员会办公室"],
        "成都市武侯区教育局2025年部门决算": ["成都市武侯区教育局"],
        "2024年度昆山市财政局单位预算公开": ["昆山市财政局"]}
    assert region_of("成都市武侯区教育局") == ("成都市武侯区", "四川省")
    assert region_of("昆山市财政局") == ("昆山市", None)
