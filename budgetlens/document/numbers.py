"""The one number-and-unit parser: a written number (Arabic, with or without thousands
separators, or Chinese numerals through cn2an) → a value, a table cell → a value, and a
money unit → its factor to 万元.

Units and numeral characters are data (gazetteers/patterns/amounts.yaml: `money_units`
gives every money unit's factor to 万元, 千元 included).  It sits in the document layer
because the document model needs it for cells; extractors/numbers.py finds the figures of
running text on top of it, and every rule converts through `to_wan` / `wan_factor`.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from typing import Optional

import regex

from budgetlens.gazetteers.patterns import alternation, load

P = load("amounts")
MONEY = {str(k): float(v) for k, v in P["money_units"].items()}  # money unit → factor to 万元
MONEY_ALIAS = {str(k): str(v) for k, v in P["money_unit_alias"].items()}  # 万 → 万元 (after digits only)
PERCENT = {str(k): str(v) for k, v in P["percent_units"].items()}
COUNT = {str(k): str(v) for k, v in P["count_units"].items()}
PER = {str(k): str(v) for k, v in P["per_units"].items()}
NUMERALS = P["numerals"]
DECIMAL_POINT = P["decimal_point"]
CN_NUMBER = f"[{regex.escape(NUMERALS)}]+(?:{regex.escape(DECIMAL_POINT)}[{regex.escape(NUMERALS)}]+)?"
_CN_RE = regex.compile(CN_NUMBER)
_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")

# a table cell: an Arabic number, possibly negative or in brackets (a negative in accounts)
_CELL_RE = re.compile(r"^[（(]?\s*[-−]?\s*\d+(?:\.\d+)?\s*[）)]?$")
DASHES = {"-", "—", "－", "--", "——", "/", "", "…"}


# a unit word standing alone (an indicator's 单位 cell) or after a number: money (and a
# money rate, 元/人), percentages and counts, all spelled in the gazetteer
_MONEY_WORDS = alternation([u for u in MONEY if u not in MONEY_ALIAS])
UNIT = (rf"(?:{_MONEY_WORDS})(?:[/／](?:{alternation(PER)}))+|{_MONEY_WORDS}|{alternation(PERCENT)}"
        rf"|{alternation(COUNT)}")
_UNIT_RE = regex.compile(UNIT)
_NUMBER_WITH_UNIT = regex.compile(rf"\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{UNIT})?\s*")


def parse_number(s: str) -> Optional[float]:
    """A number as written in text: '1,234.50' → 1234.5; '三十五' → 35.0; '一千二百' → 1200.0;
    None when not a number."""
    if s is None:
        return None
    t = str(s).strip().replace(",", "").replace("，", "")
    if not t:
        return None
    t = t.translate(_FULLWIDTH)
    try:
        return float(t)
    except ValueError:
        pass
    if not _CN_RE.fullmatch(t):
        return None
    try:
        small = _SMALL_VALUES.get(t)
        return float(small if small is not None else _cn2an().cn2an(t, "smart"))
    except ImportError:  # a broken install is an error, not a numeral to read another way
        raise
    except Exception:  # cn2an raises ValueError and friends on numerals it refuses (七亿一千 without the 零)
        return _cn_positional(t)


# The numerals of headings, ordinals and most figures in words are below 100.  They are read
# and written from this table, as cn2an writes them (`十`, `十一`, `二十`); cn2an, whose import
# costs about a tenth of a second, is imported only for the others.
_ONES = "零一二三四五六七八九"
_SMALL_NUMERALS = [_ONES[n] if n < 10 else
                   (_ONES[n // 10] if n >= 20 else "") + "十" + (_ONES[n % 10] if n % 10 else "")
                   for n in range(100)]
_SMALL_VALUES = {t: n for n, t in enumerate(_SMALL_NUMERALS)}


if importlib.util.find_spec("cn2an") is None:  # a missing install fails here, not at the first numeral
    raise ModuleNotFoundError("No module named 'cn2an' (pip install cn2an)", name="cn2an")


def _cn2an():
    import cn2an
    return cn2an


def cn_to_int(t: str, mode: str = "smart") -> int:
    """Chinese numerals → int, as `cn2an.cn2an(t, mode)` reads them (raises ValueError where
    cn2an does); below 100 from the table, without importing cn2an."""
    n = _SMALL_VALUES.get(t)
    return n if n is not None else int(_cn2an().cn2an(t, mode))


def int_to_cn(n: int) -> str:
    """int → Chinese numerals, as `cn2an.an2cn(n)` writes them."""
    return _SMALL_NUMERALS[n] if 0 <= n < 100 else _cn2an().an2cn(n)


@functools.lru_cache(maxsize=100_000)
def cell_value(cell: str) -> Optional[float]:
    """A table cell as a number, or None (empty, a dash, text, a percentage).  A cell holds
    an Arabic figure only: `（12.50）` and `-12.50` are negative.  Memoised: the same cell
    texts recur across row labels, table checks and cell rows."""
    if cell is None:
        return None
    s = cell.strip().replace(",", "").replace(" ", "")
    if s.isascii():  # the common cells: digits, with one point between digits
        whole, point, frac = s.partition(".")
        if whole.isdigit() and (frac.isdigit() if point else True):
            return float(s)
    if s in DASHES or not _CELL_RE.match(s):
        return None
    neg = s.startswith(("(", "（")) and s.endswith((")", "）"))
    v = parse_number(s.strip("()（）").replace("−", "-"))
    if v is None:
        return None
    return -v if neg else v


_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2} | \
    {c: i + 1 for i, c in enumerate("壹贰叁肆伍陆柒捌玖")}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10 ** 4, "亿": 10 ** 8}


def _cn_positional(t: str) -> Optional[float]:
    """Positional reading of numerals cn2an refuses (七亿一千 without the 零)."""
    whole, _, frac = t.partition(DECIMAL_POINT)
    total = section = num = 0
    for c in whole:
        if c in _CN_DIGITS:
            num = _CN_DIGITS[c]
        elif c in _CN_SMALL:
            section += (num or 1) * _CN_SMALL[c]
            num = 0
        elif c in _CN_BIG:
            if _CN_BIG[c] == 10 ** 8:
                total = (total + section + num) * 10 ** 8
                section = 0
            else:
                section = (section + num) * 10 ** 4
            num = 0
        else:
            return None
    value = float(total + section + num)
    if frac:
        if any(c not in _CN_DIGITS for c in frac):
            return None
        value += float("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    return value


def number_with_unit(s: str) -> Optional[tuple[float, str]]:
    """A text that is one figure: `95%` → (95.0, '%'), `300万元` → (300.0, '万元'), `12` →
    (12.0, ''); None otherwise.  The unit is returned as written (`％` as `%`)."""
    m = _NUMBER_WITH_UNIT.fullmatch(s or "")
    if not m:
        return None
    return float(m.group("num")), (m.group("unit") or "").replace("％", "%")


def is_unit(s: str) -> bool:
    """`s` is a unit word of the gazetteer (万元, %, 人次, 元/人 …)."""
    return bool(s) and _UNIT_RE.fullmatch(s.strip()) is not None


def to_chinese(n: float) -> str:
    """Number → Chinese numerals (cn2an), the inverse of parse_number."""
    if isinstance(n, int):
        return int_to_cn(n)
    return _cn2an().an2cn(str(n) if isinstance(n, float) else n, "low")


def is_money_unit(unit: Optional[str]) -> bool:
    return unit in MONEY


def wan_factor(unit: Optional[str], default: Optional[str] = None) -> Optional[float]:
    """The factor from `unit` to 万元 (元 → 0.0001, 千元 → 0.1); a table without a stated
    unit is read in `default` when given; None when the unit is not money."""
    u = (unit or "").strip() or default
    return MONEY.get(u) if u else None


def to_wan(value: Optional[float], unit: Optional[str], default: Optional[str] = None) -> Optional[float]:
    """A money figure in `unit` (元 / 千元 / 万元 / 亿元) → 万元; None if not money."""
    k = wan_factor(unit, default)
    if value is None or k is None:
        return None
    return round(value * k, 10)


def from_wan(value_wan: float, unit: str) -> float:
    return value_wan / MONEY[unit]
