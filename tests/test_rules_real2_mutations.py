"""Planted errors across regions: one figure of a real2 document (ten cities' templates) changed
on its read blocks must give exactly one new error/warning, from the rule that should see it,
naming the changed value.  The documents are read in place (../shared/real2, skipped when
absent), each once; every case mutates a copy of its blocks and rebuilds the document.

Each case is a real sentence fragment (file + the figure changed) — the unchanged document is
the clean example, the mutated one the failing example."""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest
import regex as re

from budgetlens.document.build import build_document
from budgetlens.extractors.narrative import extract_facts
from budgetlens.readers import read_blocks
from budgetlens.readers.normalize import normalize_text
from budgetlens.reconcile import check_document

REAL2 = Path(__file__).resolve().parents[2] / "shared" / "real2"

BJ01 = "BJ01_北京市人民政府国有资产监督管理委员会2026年部门预算"
BJ02 = "BJ02_北京市发展和改革委员会2026年部门预算"
BJ04 = "BJ04_北京市审计局2026年部门预算"
BJ05 = "BJ05_北京市民政局2026年部门预算"
BJ06 = "BJ06_北京市医疗保障局2026年部门预算"
BJ07 = "BJ07_北京市退役军人事务局2026年部门预算"
BJ08 = "BJ08_北京城市副中心工程建设管理办公室2026年部门预算"
GZ02 = "GZ02_广州市商务局2026年部门预算.pdf"
GZ03 = "GZ03_中国共产党广州市委员会宣传部2026年部门预算.pdf"
GZ05 = "GZ05_广州市气象局2026年部门预算.pdf"
GZ06 = "GZ06_广州市科学技术局2026年部门预算.pdf"
GZ07 = "GZ07_广州市人民政府国有资产监督管理委员会2026年部门预算.pdf"
GZ08 = "GZ08_广州市工业和信息化局2026年部门预算.pdf"
GD01 = "GD01_珠海市政府投资交通市政项目工务中心2026年部门预算.pdf"
SM02 = "SM02_上海市数据局2026年单位预算.pdf"
SM07 = "SM07_上海市应急管理局执法总队2026年单位预算.pdf"
SD01 = "SD01_烟台市审计局2026年部门预算.pdf"
SD02 = "SD02_烟台市民政局2026年部门预算.pdf"
SD06 = "SD06_烟台市司法局2026年部门预算.pdf"
SD07 = "SD07_中共烟台市委宣传部2026年部门预算.pdf"
SD08 = "SD08_烟台市人民政府办公室2026年部门预算.pdf"
SZ04 = "SZ04_深圳市审计局2026年部门预算.pdf"
SZ05 = "SZ05_深圳市民政局（本级）2026年部门预算.pdf"
SZ06 = "SZ06_深圳市统计局（本级）2026年部门预算.pdf"
SZ08 = "SZ08_深圳市规划和自然资源局大鹏管理局2026年部门预算.pdf"
JS01 = "JS01_苏州市交通运输局2026年部门预算.pdf"
JS05 = "JS05_苏州市科学技术局2026年单位预算.pdf"
JS06 = "JS06_苏州市自然资源和规划局2026年部门预算.pdf"
JS07 = "JS07_苏州市自然资源和规划局2026年单位预算.pdf"
JS08 = "JS08_无锡市交通运输局（本级）2026年单位预算.pdf"
JS12 = "JS12_无锡市人力资源和社会保障局2026年部门预算.pdf"
JS14 = "JS14_无锡市商务局2026年部门预算.pdf"
ZJ01 = "ZJ01_杭州市交通运输局2026年部门预算.pdf"
ZJ02 = "ZJ02_杭州市公安局2026年部门预算.pdf"
ZJ03 = "ZJ03_湖州市交通运输局2026年部门预算.pdf"
ZJ04 = "ZJ04_湖州市卫生健康委员会2026年部门预算.pdf"

PCT = "comparison.change_percent"
AMT = "comparison.change_amount"
DIR = "comparison.direction"
PARTS = "comparison.components_vs_total"
SHARE = "share.vs_amounts"
SAME = "comparison.base_year_same"

# (document, fragment as printed, fragment with one figure changed, the planted value, rule)
CASES = [
    # 北京: `收入预算A万元，比2025年年初预算数B万元增加C万元，增长P%` (base amount in the intro)
    (BJ05, "增加2050.67万元，增长2.97%", "增加2050.67万元，增长3.97%", 3.97, PCT),
    (BJ05, "69043.50万元增加2050.67万元", "69043.50万元增加2060.67万元", 2060.67, AMT),
    (BJ04, "增加2466.43万元，增长8.12%", "增加2466.43万元，增长9.12%", 9.12, PCT),
    (BJ02, "比2025年年初预算数99024.2万元减少", "比2025年年初预算数96024.2万元减少", 96024.2, DIR),
    (BJ06, "115041.34万元减少4144.72万元", "115041.34万元减少4145.72万元", 4145.72, AMT),
    (BJ08, "减少57336.59万元，下降64.95%", "减少57336.59万元，下降66.95%", 66.95, PCT),
    (BJ07, "年初预算减少75.24万元，下降41.93%", "年初预算减少75.24万元，下降43.93%", 43.93, PCT),
    (BJ01, "20292.85万元减少464.27万元", "20292.85万元减少474.27万元", 474.27, AMT),
    # 广州: `A万元，比上年减少C万元，下降P%`
    (GZ06, "比上年减少65151.4万元，下降28.5%", "比上年减少65151.4万元，下降26.5%", 26.5, PCT),
    (GZ05, "比上年减少25.05万元，下降49%", "比上年减少25.05万元，下降59%", 59.0, PCT),
    (GZ08, "比上年减少3.4万元，下降4.6%", "比上年减少3.4万元，下降6.6%", 6.6, PCT),
    (GZ02, "比上年增加50万元，增长25%", "比上年增加50万元，增长35%", 35.0, PCT),
    (GZ03, "比上年增加38.9万元，增长28.3%", "比上年增加38.9万元，增长38.3%", 38.3, PCT),
    (GZ07, "比上年减少147.66万元，下降32.8%", "比上年减少147.66万元，下降42.8%", 42.8, PCT),
    # 珠海
    (GD01, "比上年增加6816.11万元，增长925.1%", "比上年增加6816.11万元，增长935.1%", 935.1, PCT),
    # 烟台: rates, and component changes against the total change
    (SD01, "比上年减少8.5万元，下降71.43%", "比上年减少8.5万元，下降61.43%", 61.43, PCT),
    (SD06, "比上年减少4.84万元，下降49.14%", "比上年减少4.84万元，下降59.14%", 59.14, PCT),
    (SD02, "基本支出增加222.75万元", "基本支出增加232.75万元", 232.75, PARTS),
    (SD07, "基本支出增加161.1万元", "基本支出增加171.1万元", 171.1, PARTS),
    (SD08, "基本支出增加200.53万元", "基本支出增加210.53万元", 210.53, PARTS),
    # 深圳: `较2025年年初预算减少C万元，下降P%`
    (SZ04, "减少176.45万元，下降1.6%", "减少176.45万元，下降2.6%", 2.6, PCT),
    (SZ05, "增加14309.95万元，增长102.4%", "增加14309.95万元，增长112.4%", 112.4, PCT),
    (SZ06, "减少0.52万元，下降0.07%", "减少0.52万元，下降0.17%", 0.17, PCT),
    (SZ08, "减少505.87万元，下降10.1%", "减少505.87万元，下降12.1%", 12.1, PCT),
    # 苏州 / 无锡: `（1）一般公共预算拨款收入A万元，与上年相比减少C万元，减少P%`
    (JS12, "减少14816.38万元，减少8.85%", "减少14816.38万元，减少9.85%", 9.85, PCT),
    (JS08, "增加99541.14万元，增长102.9%", "增加99541.14万元，增长112.9%", 112.9, PCT),
    (JS01, "减少8817.95万元，减少53.65%", "减少8817.95万元，减少55.65%", 55.65, PCT),
    (JS14, "减少122.25万元，减少0.7%", "减少122.25万元，减少1.7%", 1.7, PCT),
    (JS06, "减少3792.54万元，减少15.4%", "减少3792.54万元，减少17.4%", 17.4, PCT),
    # the comparison opening its own sentence, the amount in the sentence before
    (JS07, "主要用于土地出让业务支出。与上年相比减少634万元，减少40.18%", "主要用于土地出让业务支出。与上年相比减少634万元，减少42.18%",
     42.18, PCT),
    # 杭州 / 湖州: `比上年预算数增加C万元，增长P%`
    (ZJ03, "增加78.79万元，增长11.7%", "增加78.79万元，增长13.7%", 13.7, PCT),
    (ZJ01, "减少217.38万元，下降2.4%", "减少217.38万元，下降3.4%", 3.4, PCT),
    (ZJ02, "增加66.99万元，增长0.9%", "增加66.99万元，增长1.9%", 1.9, PCT),
    (ZJ04, "减少35.00万元，下降39.7%", "减少35.00万元，下降29.7%", 29.7, PCT),
    # 上海: a total's change against its parts' changes stated in their own sentences
    (SM02, "比2025年预算增加4.14万元", "比2025年预算增加5.14万元", 5.14, PARTS),
    (SM07, "“三公”经费预算数为43.50万元，比2025年预算增加18.00万元", "“三公”经费预算数为43.50万元，比2025年预算减少18.00万元",
     18.0, PARTS),
    # structure shares `占P%` against their amounts
    (ZJ03, "52244.36万元，占26.0%", "52244.36万元，占28.0%", 28.0, SHARE),
    (ZJ01, "414883.38万元，占62.3%", "414883.38万元，占64.3%", 64.3, SHARE),
    (ZJ04, "37018.75万元，占7.2%", "37018.75万元，占9.2%", 9.2, SHARE),
    # a year that does not fit the document: a heading, an as-of date of holdings
    (GZ05, "第三部分2026年部门预算情况说明", "第三部分2025年部门预算情况说明", 2025.0, "year.heading"),
    (GZ07, "截至2026年1月31日", "截至2026年12月31日", 2026.0, "year.as_of_date"),
    (SZ05, "截至2025年10月", "截至2023年10月", 2023.0, "year.as_of_date"),
    (ZJ04, "2026年度，该项目为保持血站的正常运转", "2025年度，该项目为保持血站的正常运转", 2025.0, "year.target"),
    # a base year equal to the budget's own year
    (BJ04, "比2025年财政拨款“三公”经费年初预算增加16.03万元", "比2026年财政拨款“三公”经费年初预算增加16.03万元",
     2026.0, SAME),
]


def _files(name: str) -> list[Path]:
    if name.endswith(".pdf"):
        return [REAL2 / name]
    return [REAL2 / f"{name}_说明.pdf", REAL2 / f"{name}_表.pdf"]  # a narrative + tables pair


@functools.lru_cache(maxsize=None)
def _read(name: str):
    fmt, blocks = None, []
    for p in _files(name):
        f, bs = read_blocks(p)
        fmt = fmt or f
        for b in bs:
            b.source = str(p)
            if b.kind == "para":
                b.text = normalize_text(b.text)
        blocks += bs
    return fmt, blocks


def serious(name: str, old: str | None = None, new: str | None = None):
    fmt, blocks = _read(name)
    blocks = copy.deepcopy(blocks)
    if old:
        b = next((b for b in blocks if b.kind == "para" and old in b.text), None)
        if b is not None:
            b.text = b.text.replace(old, new, 1)
        else:  # a table cell (a performance target)
            b, i, j = next((b, i, j) for b in blocks if b.kind == "table" for i, row in enumerate(b.rows)
                           for j, c in enumerate(row) if c and old in c)
            b.rows[i][j] = b.rows[i][j].replace(old, new, 1)
    doc = build_document(blocks, str(_files(name)[0]), fmt)
    return [f for f in check_document(doc, extract_facts(doc)) if f.severity in ("error", "warning")]


@functools.lru_cache(maxsize=None)
def _baseline(name: str) -> frozenset:
    return frozenset((f.rule, f.message) for f in serious(name))  # ids hash the content


def test_cases_span_regions():
    # the city: the first two characters of the body's name (中共烟台市委…, 中国共产党广州市…)
    cities = {re.sub(r"^(中国共产党|中共)", "", c[0].split("_", 1)[1])[:2] for c in CASES}
    assert len(CASES) >= 30 and len(cities) >= 6, (len(CASES), cities)


@pytest.mark.real
@pytest.mark.parametrize("name,old,new,value,rule", CASES)
def test_planted_figure_in_a_real2_pdf(name, old, new, value, rule):
    f = planted_flag(name, old, new, rule)
    assert any(abs(v - value) < 0.006 for v in f.values + [f.stated or 0]) or f"{value:g}" in f.message


def planted_flag(name: str, old: str, new: str, rule: str):
    """The one new error/warning flag `old` → `new` gives in document `name` (skipped when
    ../shared/real2 is absent); it must come from `rule`."""
    if not all(p.is_file() for p in _files(name)):
        pytest.skip("../shared/real2 is not available")
    got = [f for f in serious(name, old, new) if (f.rule, f.message) not in _baseline(name)]
    assert len(got) == 1, [(f.rule, f.message) for f in got]
    assert got[0].rule == rule, (got[0].rule, got[0].message)
    return got[0]
