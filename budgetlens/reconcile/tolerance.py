"""The one tolerance function every rule uses: a figure becomes an interval from how it
was written (Arelle's calculation check, not float equality).

- 万元 (and 千元) amounts: budget tables state them to two decimals, and narratives drop
  trailing zeros (`3万元` is `3.00`), so a 万元 figure is ± 0.005 unless written with more
  decimals (then ± half its last digit).
- 元 amounts: ± half of the last written digit (an integer → ± 0.5 元); compared in 元.
- 亿元 and plain counts: ± half of the last written digit.
- percentages: ± half of the last written digit (`10%` ± 0.5 pp, `10.25%` ± 0.005 pp).
- `约`, `左右`, `近`, `超过`, `多` widen the interval to at least 5 % of the value.
- a sum of n figures carries the sum of their half-widths (n × 0.005 for n 万元 figures).
- a 万元 figure taken from a 元 table may be cut rather than rounded (`read_from_yuan`).

Two statements agree when their intervals overlap.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Optional, Union

APPROX_RELATIVE = 0.05  # `约` / `左右`: how loose a rounded-by-eye figure may be
APPROX_WORDS = ("约", "左右", "近", "超过", "多", "余", "大约", "大概", "上下")


@dataclass(frozen=True)
class Figure:
    value: float
    half: float  # half-width of the interval the written figure stands for

    @property
    def low(self) -> float:
        return self.value - self.half

    @property
    def high(self) -> float:
        return self.value + self.half

    def __add__(self, other: "Figure") -> "Figure":
        o = as_figure(other)
        return Figure(self.value + o.value, self.half + o.half)

    def __sub__(self, other: "Figure") -> "Figure":
        o = as_figure(other)
        return Figure(self.value - o.value, self.half + o.half)

    def scaled(self, k: float) -> "Figure":
        return Figure(self.value * k, self.half * abs(k))


Num = Union[Figure, float, int]


_DIGITS = re.compile(r"\d[\d,]*(?:\.(\d+))?")


def decimals_of(raw: Optional[str]) -> Optional[int]:
    """Number of decimals as written (`12.30` → 2, `100` → 0), None when unknown."""
    if raw is None:
        return None
    return _decimals(str(raw))


@functools.lru_cache(maxsize=50_000)
def _decimals(raw: str) -> Optional[int]:
    m = _DIGITS.search(raw)
    if not m:
        return None
    return len(m.group(1)) if m.group(1) else 0


def figure(value: float, raw: Optional[str] = None, unit: Optional[str] = None,
           approx: bool = False, decimals: Optional[int] = None) -> Figure:
    """The interval a written figure stands for.  `raw` is the figure as written (digits,
    possibly with its context: an approximation word in it widens the interval)."""
    d = decimals if decimals is not None else decimals_of(raw)
    unit = (unit or "").strip()
    if unit in ("万元", "千元", "万元/人", "万元/天") or unit.startswith("万元"):
        d = max(d if d is not None else 2, 2)
    half = 0.5 * 10 ** (-(d if d is not None else 2))
    if approx or (raw and any(w in str(raw) for w in APPROX_WORDS)):
        half = max(half, abs(value) * APPROX_RELATIVE)
    return Figure(float(value), half)


def as_figure(x: Num) -> Figure:
    """A bare number is taken as a 2-decimal 万元 table figure (the common case)."""
    if isinstance(x, Figure):
        return x
    return figure(float(x), unit="万元")


def total(parts: Iterable[Num]) -> Figure:
    value = half = 0.0  # added in order, as Figure.__add__ would
    for p in parts:
        o = p if isinstance(p, Figure) else as_figure(p)
        value += o.value
        half += o.half
    return Figure(value, half)


def agree(a: Num, b: Num) -> bool:
    """True when the two figures can be the same number given how they were written."""
    fa, fb = as_figure(a), as_figure(b)
    return abs(fa.value - fb.value) <= fa.half + fb.half + 1e-9


def at_least(a: Num, b: Num) -> bool:
    """a ≥ b is possible given how both were written (a 部门 total against the sum of its
    单位: n rounded parts carry n half-widths)."""
    fa, fb = as_figure(a), as_figure(b)
    return fa.value + fa.half + fb.half + 1e-9 >= fb.value


def read_from_yuan(stated: Figure, whole_wan: bool = False) -> Figure:
    """A 万元 figure a narrative took from a 元 table: rounded or cut to two decimals (a cut
    figure lies up to one last digit off: ± 0.01), or to whole 万元 when written without
    decimals (± 0.5).  Compare it with `agree`, which adds the cell's own half-width."""
    return Figure(stated.value, max(stated.half, 0.5 if whole_wan else 0.01))


def close(a: float, b: float, relative: float) -> bool:
    """Within `relative` of b.  Not a rounding question: whether two different figures are
    near enough to be meant as the same thing (a cost ceiling a few % off its budget)."""
    return abs(a - b) <= relative * max(abs(b), 1e-9)


def gap(a: Num, b: Num) -> float:
    return round(as_figure(a).value - as_figure(b).value, 6)


def percent_change(new: float, old: float) -> Optional[float]:
    if not old:
        return None
    return (new - old) / abs(old) * 100.0


def percent_interval(new: Figure, old: Figure) -> tuple[float, float]:
    """The range of (new − old) / old × 100 over the two intervals."""
    cands = []
    for n in (new.low, new.high):
        for o in (old.low, old.high):
            if o:
                cands.append((n - o) / abs(o) * 100.0)
    if not cands:
        return (float("-inf"), float("inf"))
    return (min(cands), max(cands))
