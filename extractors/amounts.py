"""Money amounts: `机关运行经费共计安排32.88万元`, `三十五万元`, `1.2亿元`, `0万元`, `1,234.50元`.

An amount is a money figure (元 / 万元 / 亿元 / 千元, extractors/numbers.py) that is not a
rate (`0.05万元/人`, see rates.py), not the change of a comparison (comparisons.py), not an
indicator target (indicators.py) and not a category threshold (`单价50万元以上的设备`).
`value` is the number as stated, `unit` the unit as stated, `value_wan` the amount in 万元;
`约` / `近` / `左右` set comparator `≈`; `qualifier` keeps budget words stripped from the
subject (年初预算, 支出决算, 预算数 …).  Percentages (`占42.30%`) become `percent` facts
and other quantities `count` facts with the same subject logic (extractors/subjects.py).

Corpus: extractors/corpus/amounts.yaml.
"""
from __future__ import annotations

from .facts import Fact
from .numbers import Quantity


def amount_fact(q: Quantity, **kw) -> Fact:
    return Fact(kind="amount", subject=None, value=q.value, unit=q.unit, value_wan=q.value_wan,
                comparator="≈" if q.approx else None, raw=q.raw, **kw)


def percent_fact(q: Quantity, **kw) -> Fact:
    return Fact(kind="percent", subject=None, value=q.value, unit=q.unit,
                comparator="≈" if q.approx else None, raw=q.raw, **kw)


def count_fact(q: Quantity, kind: str = "count", **kw) -> Fact:
    return Fact(kind=kind, subject=None, value=q.value, unit=q.unit, per=q.per,
                comparator="≈" if q.approx else None, raw=q.raw, **kw)
