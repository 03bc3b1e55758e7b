"""Planted inconsistencies: seed 000/002 with one narrative figure or one table cell changed
(string replace on the dump), run read → extract → reconcile, and expect exactly one new
error/warning that names the changed value; the unmodified seeds stay clean of new flags."""
import pytest
from conftest import SEED_000, SEED_002, build

from budgetlens.extractors.narrative import extract_facts
from budgetlens.reconcile import check_document


def _serious(doc):
    return [f for f in check_document(doc, extract_facts(doc)) if f.severity in ("error", "warning")]


def _sig(f):
    return (f.rule, tuple(round(v, 4) for v in f.values))


def _new(doc, seed):
    return [f for f in _serious(doc) if _sig(f) not in _base(seed)]


def _names(f, v):
    vals = list(f.values) + [x for x in (f.stated, f.expected) if x is not None]
    return any(abs(x - v) < 0.006 for x in vals) or any(str(v) in e for e in f.evidence)


_BASE = {}


def _base(seed):
    if seed not in _BASE:
        _BASE[seed] = {_sig(f) for f in _serious(build(seed))}
    return _BASE[seed]


def _mutate(tmp_path, seed, old, new, after=None):
    text = seed.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    assert old in text[start:], old
    p = tmp_path / seed.name
    p.write_text(text[:start] + text[start:].replace(old, new, 1), encoding="utf-8")
    return build(p)


# (seed, old, new, after, changed value, family expected) — narrative figures: exactly one new flag
NARRATIVE = [
    (SEED_000, "安排32.88万元", "安排33.88万元", None, 33.88, "narrative_vs_table"),
    (SEED_000, "办公费\t5.25万元", "办公费\t6.25万元", None, 6.25, "narrative_vs_table"),
    (SEED_000, "邮电费4.38万元", "邮电费4.83万元", None, 4.83, "narrative_vs_table"),
    (SEED_000, "其他交通费用5.04万元", "其他交通费用5.40万元", None, 5.40, "narrative_vs_table"),
    (SEED_000, "预算安排4.76万元", "预算安排4.67万元", None, 4.67, "narrative_vs_table"),
    (SEED_000, "公务接待费0.25万元。", "公务接待费0.52万元。", None, 0.52, "narrative_vs_table"),
    (SEED_000, "固定资产金额为124.39万元", "固定资产金额为142.39万元", None, 142.39, "narrative_vs_table"),
    (SEED_002, "政府采购预算789.83万元", "政府采购预算798.83万元", None, 798.83, "narrative_vs_table"),
    (SEED_002, "固定资产金额为2840.29万元", "固定资产金额为2480.29万元", None, 2480.29, "narrative_vs_table"),
    (SEED_002, "一般公共预算收入2115.46万元", "一般公共预算收入2151.46万元", None, 2151.46, "narrative.arithmetic"),
    (SEED_002, "其中基本支出881.31万元", "其中基本支出891.31万元", None, 891.31, None),
    # a total whose list names all its parts (基本支出 + 项目支出): short of them is an error too
    (SEED_002, "2022年支出预算2115.46万元", "2022年支出预算2125.46万元", None, 2125.46, "narrative.arithmetic"),
    (SEED_000, "公务用车购置及运维费4.51万元（", "公务用车购置及运维费4.61万元（", None, 4.61, None),
    (SEED_002, "公务接待费0.5万元。与2021年", "公务接待费0.6万元。与2021年", None, 0.6, None),
    (SEED_002, "基本支出增加104.62万元", "基本支出增加114.62万元", None, 114.62, "comparison"),
    (SEED_002, "较2020年预算减少595.70万元", "较2021年预算减少559.70万元", None, 559.70, "comparison"),
]

# table cells: at least one new flag names the changed value, every new one is linked or names it
TABLE = [
    (SEED_000, "\t124.39\n", "\t142.39\n", "部门固定资产占用情况表\n", 142.39),
    (SEED_000, "\t5.25\n", "\t6.25\n", "部门预算一般公共预算财政拨款基本支出表", 6.25),
    (SEED_000, "\t27.23\n", "\t72.23\n", "部门预算一般公共预算财政拨款支出表", 72.23),
]


@pytest.mark.parametrize("seed,old,new,after,value,family", NARRATIVE,
                         ids=[f"{s.name[:3]}:{n}" for s, o, n, *_ in NARRATIVE])
def test_planted_narrative_figure_is_one_flag(tmp_path, seed, old, new, after, value, family):
    new_flags = _new(_mutate(tmp_path, seed, old, new, after), seed)
    assert len(new_flags) == 1, [(f.rule, f.message) for f in new_flags]
    assert _names(new_flags[0], value), new_flags[0].message
    if family:
        assert new_flags[0].family == family, new_flags[0].rule


@pytest.mark.parametrize("seed,old,new,after,value", TABLE, ids=[f"{s.name[:3]}:{n.strip()}" for s, o, n, *_ in TABLE])
def test_planted_table_cell_is_found(tmp_path, seed, old, new, after, value):
    new_flags = _new(_mutate(tmp_path, seed, old, new, after), seed)
    assert new_flags and any(_names(f, value) for f in new_flags), [(f.rule, f.message) for f in new_flags]
    assert len(new_flags) <= 3, [(f.rule, f.message) for f in new_flags]


def test_change_rate_vs_amounts(tmp_path):
    """`A万元，与上年相比增加C万元，增长P%`: P against C / (A − C)."""
    ok = "机关运行经费共计安排95.17万元，与上年相比增加5.17万元，增长5.74%"
    doc = _mutate(tmp_path, SEED_002, "机关运行经费共计安排95.17万元", ok)
    assert not _new(doc, SEED_002)
    doc = _mutate(tmp_path, SEED_002, "机关运行经费共计安排95.17万元", ok.replace("5.74%", "7.54%"))
    fl = _new(doc, SEED_002)
    assert len(fl) == 1 and fl[0].stated == 7.54


def test_item_stated_twice(tmp_path):
    """`住房公积金（项）A万元 … 预算安排B万元` with A ≠ B (seed 000 with a 功能分类 paragraph)."""
    para = "住房保障支出（类）住房改革支出（款）住房公积金（项）27.23万元，主要用于住房公积金。2024年预算安排27.23万元。"
    doc = _mutate(tmp_path, SEED_000, "十、名词解释", para + "\n十、名词解释")
    assert not _new(doc, SEED_000)
    doc = _mutate(tmp_path, SEED_000, "十、名词解释", para.replace("预算安排27.23", "预算安排27.32") + "\n十、名词解释")
    fl = _new(doc, SEED_000)
    assert len(fl) == 1 and _names(fl[0], 27.32), [(f.rule, f.message) for f in fl]


def test_functional_item_amount(tmp_path):
    """A 功能分类 item explained in the narrative: its amount against the table row."""
    para = "社会保障和就业支出（类）行政事业单位养老支出（款）行政单位离退休（项）14.35万元，主要用于离退休人员支出。"
    doc = _mutate(tmp_path, SEED_000, "十、名词解释", para + "\n十、名词解释")
    assert not _new(doc, SEED_000)
    doc = _mutate(tmp_path, SEED_000, "十、名词解释", para.replace("14.35", "15.35") + "\n十、名词解释")
    fl = _new(doc, SEED_000)
    assert len(fl) == 1 and fl[0].rule == "functional.amount_vs_table" and _names(fl[0], 15.35), [f.message for f in fl]
    assert any("2080501" in e and "14.35" in e for e in fl[0].evidence)
