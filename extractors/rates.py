"""Rates: `0.05万元/人`, `≤550元/日`, `≤0.79元/平米/天`, `每人每月0.22万元`, `伙食补0.01万元/天`.

A money figure with a per-unit — written after it (`/人`, `/平米/天`, `/人·天`) or before it
with 每 (`每人每月`) — is a `rate` fact: `value` as stated, `unit` = "<money unit>/<per>"
(万元/人, 元/平方米/天, 万元/人/月), `per` = the per-unit chain (人, 平方米/天, 人/月), and
`value_wan` = the rate in 万元 per unit.  Its subject is the clause before it, or — when
that is empty (`住宿费37.5万元，约合750人，0.05万元/人`) — the subject of the figure it
details (住宿费).  Inside an enumerated list, the rate is a `detail` of the line's item
(see itemisations.py) so that quantity × rate (× duration) can be checked.

Corpus: extractors/corpus/rates.yaml.
"""
from __future__ import annotations

from .facts import Fact
from .numbers import Quantity


def rate_fact(q: Quantity, **kw) -> Fact:
    return Fact(kind="rate", subject=None, value=q.value, unit=q.unit, value_wan=q.value_wan,
                per=q.per, comparator="≈" if q.approx else None, raw=q.raw, **kw)
