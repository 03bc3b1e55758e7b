"""Figures in running text: a number (Arabic, with or without thousands separators, or
Chinese numerals) with its unit, read by the one parser of budgetlens/document/numbers.py
(values, units and the conversion to 万元) — this module only finds them in text.

Every other extractor starts from `find_quantities(text)`: it returns each figure with its
character span (offsets into `text`), value, unit (canonical spelling), kind
(`money` / `percent` / `count` / `rate`), `value_wan` (money; for a rate 万元 per unit),
`per` (a rate's unit: 人, 天, 平方米/天, 人/月 …), the approximation (约 / 左右 → ≈) and
whether the figure is a threshold (单价50万元以上) rather than an amount.

Unit words and numeral characters are data (gazetteers/patterns/amounts.yaml); this
module holds the regex structure.  Corpus: extractors/corpus/numbers.yaml.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

import regex

from budgetlens.document.numbers import COUNT, MONEY, MONEY_ALIAS, PER, PERCENT, P, parse_number, to_wan
from budgetlens.gazetteers.patterns import alternation

CN_SPLIT = set(P["cn_numeral_units"])
ORDINAL = set(P["ordinal_prefix"])
# an alias (万 for 万元) only after Arabic digits and never before another character
_ALIAS_RE = "|".join(rf"{regex.escape(a)}(?![\p{{Han}}/／])" for a in MONEY_ALIAS)
_UNIT_WORDS = alternation([u for u in list(MONEY) + list(PERCENT) + list(COUNT) if u not in MONEY_ALIAS])
_CN_MONEY = alternation([u for u in MONEY if u not in MONEY_ALIAS])

NUMERALS = P["numerals"]
APPROX_BEFORE = tuple(P["approx_before"])
APPROX_AFTER = tuple(P["approx_after"])
THRESHOLD_BEFORE = tuple(P["threshold_before"])
THRESHOLD_AFTER = tuple(P["threshold_after"])
THRESHOLD_NOUN = tuple(P["threshold_noun_after"])
_HAN1 = regex.compile(r"(?!的|，|。)\p{Han}")

_ARABIC = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN_LAZY = f"(?![{regex.escape(P['numeral_non_heads'])}])[{regex.escape(NUMERALS)}]+?(?:{regex.escape(P['decimal_point'])}[{regex.escape(NUMERALS)}]+?)?"
_PER_WORD = alternation(PER)
_PER_PREFIX = regex.escape(P["per_prefix"])
_PER_WORD_RE = regex.compile(_PER_WORD)
_PER_SPLIT = regex.compile(r"\s*[/／·•]\s*")

# One figure: optional per-prefix (每人每月), the number, the unit, optional "/per" chain.
# Chinese numerals only before a money unit (elsewhere 一/十 belong to ordinary words).
QUANTITY_RE = regex.compile(
    rf"(?P<pre>(?:{_PER_PREFIX}(?:{_PER_WORD}))+)?"
    rf"(?:(?<![\d.A-Za-z])(?P<num>{_ARABIC})\s*(?P<unit>{_UNIT_WORDS}|{_ALIAS_RE})"
    rf"|(?P<cn>{_CN_LAZY})(?P<cnunit>{_CN_MONEY}))"
    rf"(?P<per>(?:\s*[/／](?:{_PER_WORD}))+)?"
    rf"(?:[·•](?P<per2>{_PER_WORD}))?"
)
# (no ^: `match(text, pos)` anchors at pos, a ^ would only ever match at 0)
_NOT_AFTER = regex.compile(rf"(?:{alternation(P['not_figure_after'])})")


@dataclass
class Quantity:
    start: int
    end: int
    value: float
    unit: str  # canonical: 万元, 元, %, 人, 天, 万元/人, 元/平方米/天 …
    kind: str  # money | percent | count | rate
    value_wan: Optional[float] = None
    per: Optional[str] = None
    approx: bool = False
    threshold: bool = False
    raw: str = ""
    base_unit: str = ""  # the unit before any per: 万元, 元, 人 …

    @property
    def is_money(self) -> bool:
        return self.kind in ("money", "rate")


def _canon_per(chain: str) -> str:
    parts = [p for p in _PER_SPLIT.split(chain) if p]
    return "/".join(PER.get(p, p) for p in parts)


@functools.lru_cache(maxsize=4096)
def _find(text: str) -> tuple[Quantity, ...]:
    out = []
    for m in QUANTITY_RE.finditer(text):
        if m.group("num") is not None:
            num_s, unit_s = m.group("num"), m.group("unit")
        else:
            num_s, unit_s = m.group("cn"), m.group("cnunit")
            if not num_s:
                continue
            if unit_s in CN_SPLIT:
                # 一万二千元 is 12000 元, not 一万二 千元: the numeral takes the 千
                num_s, unit_s = num_s + unit_s[0], unit_s[1:]
        value = parse_number(num_s)
        if value is None:
            continue
        end = m.end()
        if unit_s in MONEY_ALIAS:
            unit_s = MONEY_ALIAS[unit_s]
        if unit_s not in MONEY and unit_s not in PERCENT:
            num_end = m.end("num") if m.group("num") is not None else m.end("cn")
            if _NOT_AFTER.match(text, end) or _NOT_AFTER.match(text, num_end):
                continue  # 70周年, 第10次会议
            if m.start() > 0 and text[m.start() - 1] in ORDINAL:
                continue  # 第3次: an ordinal, not a count
        per_parts = []
        if m.group("pre"):
            per_parts += [PER.get(w, w) for w in _PER_WORD_RE.findall(m.group("pre"))]
        if m.group("per"):
            per_parts.append(_canon_per(m.group("per")))
        if m.group("per2"):
            per_parts.append(PER.get(m.group("per2"), m.group("per2")))
        per = "/".join(per_parts) or None
        if unit_s in MONEY:
            base, kind, wan = unit_s, "money", to_wan(value, unit_s)
        elif unit_s in PERCENT:
            base, kind, wan = PERCENT[unit_s], "percent", None
            per = None
        else:
            base, kind, wan = COUNT[unit_s], "count", None
            if per:  # 3次/年: a frequency, keep it as a count with its per
                pass
        unit = base
        if per and kind == "money":
            kind, unit = "rate", f"{base}/{per}"
        elif per and kind == "count":
            unit = f"{base}/{per}"
        start = m.start()
        before = text[max(0, start - 4):start]
        approx = before.endswith(APPROX_BEFORE) or text.startswith(APPROX_AFTER, end)
        threshold = kind == "money" and (
            (any(text.startswith(w, end) for w in THRESHOLD_AFTER)
             and any(w in text[max(0, start - 6):start] for w in THRESHOLD_BEFORE))
            or any(text.startswith(w, end) and _HAN1.match(text, end + len(w)) for w in THRESHOLD_NOUN))
        out.append(Quantity(start, end, value, unit, kind, wan, per, approx, threshold,
                            text[start:end], base))
    return tuple(out)


def find_quantities(text: str) -> list[Quantity]:
    """Every figure with a unit in `text`, in order (see the module docstring)."""
    return list(_find(text))
