"""Planted inconsistencies in real PDFs: one narrative figure changed (on the read blocks) must
give exactly one new error/warning naming the changed value, with the rule that should see it;
the unchanged documents' flags are the reviewed ones (test_real_flag_set.py)."""
import pytest

from budgetlens.document.build import build_document
from budgetlens.extractors.narrative import extract_facts
from budgetlens.readers import read_blocks
from budgetlens.readers.normalize import normalize_text
from budgetlens.reconcile import check_document

SH12 = "SH12_上海市普陀区财政局2025年部门预算.pdf"
JS07 = "JS07_江苏省人民检察院2019年度部门预算公开.pdf"
SH03 = "SH03_中共上海市普陀区委社会工作部2024年度部门决算.pdf"

CASES = [
    (SH12, "收入预算3121.42万元", "收入预算3131.42万元", 3131.42, "amount_vs_table"),
    (SH12, "经费预算数为0.95万元", "经费预算数为0.85万元", 0.85, "sangong.narrative_vs_table"),
    (SH12, "机关运行经费预算为229.43万元", "机关运行经费预算为239.43万元", 239.43, "amount_vs_table"),
    (SH12, "政府采购货物预算17.00万元", "政府采购货物预算27.00万元", 27.0, "list.sum_vs_total"),
    (SH12, "行政运行（项）”1623.18万元", "行政运行（项）”1633.18万元", 1633.18, "functional.amount_vs_table"),
    (JS07, "（一）人员经费13452.12万元", "（一）人员经费13462.12万元", 13462.12, "amount_vs_table"),
    (JS07, "基本支出15844.04万元，占65.56%", "基本支出15854.04万元，占65.56%", 15854.04, "amount_vs_table"),
    (JS07, "公务接待费预算支出101.26万元", "公务接待费预算支出111.26万元", 111.26, "amount.stated_twice"),
    (JS07, "机关运行经费预算支出2391.92万元", "机关运行经费预算支出2381.92万元", 2381.92, "amount_vs_table"),
    (JS07, "增加2228.78万元，增长10.15%", "增加2228.78万元，增长11.15%", 11.15, "comparison.change_percent"),
    (JS07, "项目支出预算数为4335.3万元", "项目支出预算数为4345.3万元", 4345.3, "amount_vs_table"),
    (SH03, "基本支出105.58万元，占34.30%", "基本支出115.58万元，占34.30%", 115.58, "amount_vs_table"),
    (SH03, "项目支出202.24万元，占65.70%", "项目支出202.24万元，占67.70%", 67.7, "share.vs_amounts"),
    (SH03, "其中：人员经费95.36万元", "其中：人员经费96.36万元", 96.36, "amount_vs_table"),
    (SH03, "卫生健康支出（类）2.71万元", "卫生健康支出（类）2.91万元", 2.91, "functional.amount_vs_table"),
    (SH03, "完成全年预算数的98.69%", "完成全年预算数的96.69%", 96.69, "comparison.completion_rate"),
    (SH03, "机关运行经费支出10.23万元", "机关运行经费支出11.23万元", 11.23, "amount_vs_table"),
]

_cache = {}


def serious(real_dir, name, old=None, new=None):
    fmt, blocks = read_blocks(real_dir / name)
    for b in blocks:
        if b.kind == "para":
            b.text = normalize_text(b.text)
    if old:
        b = next(b for b in blocks if b.kind == "para" and old in b.text)
        b.text = b.text.replace(old, new, 1)
    doc = build_document(blocks, name, fmt)
    return [f for f in check_document(doc, extract_facts(doc)) if f.severity in ("error", "warning")]


@pytest.mark.real
@pytest.mark.parametrize("name,old,new,value,rule", CASES)
def test_planted_figure_in_a_real_pdf(real_dir, name, old, new, value, rule):
    if name not in _cache:
        _cache[name] = {(f.rule, f.message) for f in serious(real_dir, name)}  # ids hash the content
    got = [f for f in serious(real_dir, name, old, new) if (f.rule, f.message) not in _cache[name]]
    assert len(got) == 1, [(f.rule, f.message) for f in got]
    f = got[0]
    assert f.rule == rule
    assert any(abs(v - value) < 0.006 for v in f.values + [f.stated or 0]) or f"{value:g}" in f.message
