"""Year-over-year comparisons and budget-vs-final statements.

A comparison is a direction word (增加 / 减少 / 持平 / 没有变化 …, gazetteers/patterns/
comparisons.yaml) with the change that follows it (`减少595.70万元`, `增长10.06%`), or a flat
word after an explicit base (`与2023年相比较没有变化`, `比2024年预算持平`).  The base comes
from the intro before it in the same sentence: `与2021年相比`, `较2020年预算`, `同比2021年`,
`较上年` (relative years resolve against the document year: 上年 = year − 1).  A comparison
without an intro of its own (`其中：基本支出增加104.62万元`, the `增长10.06%` after an amount
change) inherits the base of the previous comparison of the same paragraph; with nothing to
inherit base_year stays null.

Also: `本年数小于上年预算数40.05万元` (a comparative word before the base: 小于/低于 → decrease,
大于/高于 → increase), a change naming what changed (`增加综合管理费209万元` → subject 综合管理费,
base inherited), `降幅0.66%` / `增幅…`.

Fact conventions (kind `comparison`): `value` = size of the change (≥ 0, 0 for flat),
`unit` 万元/元/% as stated, `direction` increase/decrease/flat, `base_year`,
`amount_to` / `amount_from` = the current and the base amounts when the same sentence
states them (Shanghai: `2025年当年预算执行数为A万元，2026年预算安排B万元，比2025年预算执行数增加P%`
→ amount_from A, amount_to B, value P, unit %).  Template residue such as `下降（增长）27.78%`
keeps the first word and `qualifier` = "residue:下降（增长）".

Final accounts: `年初预算为A万元，支出决算为B万元，…决算数小于预算数` → a comparison with
`qualifier` = "budget_vs_final", amount_from A, amount_to B, value |B − A|, base_year = the
account year, direction from the stated words (null when none is written; the only pair of a
paragraph takes the words written after its parts).  A budget figure pairs with one final
figure; the subject is the amount's, else the 功能分类 path stated before in the paragraph.

Corpus: extractors/corpus/comparisons.yaml.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

import regex

from budgetlens.gazetteers.patterns import alternation, load

from .numbers import Quantity

C = load("comparisons")
DIRECTIONS = {w: d for d, ws in C["directions"].items() for w in ws}
WEAK = set(C["weak_directions"])
RELATIVE = {str(k): int(v) for k, v in C["relative_years"].items()}
PER_PREFIX = load("amounts")["per_prefix"]
BETWEEN = "".join(C.get("between_chars", []))
TO_WORDS = tuple(C.get("to_words", []))
FROM_WORDS = tuple(C.get("from_words", []))
BASE_TAIL = "".join(C.get("base_amount_tail", []))

_INTRO_RE = regex.compile(
    rf"(?P<intro>{alternation(C['intro'])})\s*"
    rf"(?P<base>(?P<year>\d{{4}})\s*年(?:度)?|(?P<rel>{alternation(RELATIVE)}))"
    rf"(?P<kind>{alternation(C['base_kinds'])})?"
    rf"(?:\s*(?P<close>{alternation(C['intro_close'])}))?"
)
_DIR_RE = regex.compile(alternation(DIRECTIONS))
COMPARATIVES = {str(k): str(v) for k, v in C["comparatives"].items()}
_COMPARATIVE_RE = regex.compile(
    rf"(?P<word>{alternation(COMPARATIVES)})\s*"
    rf"(?P<base>(?P<year>\d{{4}})\s*年(?:度)?|(?P<rel>{alternation(RELATIVE)}))"
    rf"(?P<kind>{alternation(C['base_kinds'])})?"
)
_RESIDUE = regex.compile(rf"\s*[（(](?P<alt>{alternation(DIRECTIONS)})[）)]")
_SENT_END = set("。；;！？!?\n")
NAMED_MAX = int(C.get("named_change_max", 12))
_NAMED_GAP = regex.compile(r"[\p{Han}（）()“”]{2,}")

BVF = C["budget_vs_final"]
_BUDGET_RE = regex.compile(alternation(BVF["budget"]))
_FINAL_RE = regex.compile(alternation(BVF["final"]))
_BVF_WORDS = {w: d for d, ws in BVF["words"].items() for w in ws}
_BVF_WORDS_RE = regex.compile(alternation(_BVF_WORDS))


@dataclass
class Intro:
    start: int
    end: int
    base_year: Optional[int]
    base_text: str
    kind: Optional[str]


@dataclass
class Comparison:
    start: int  # the direction word (or the intro when it starts the expression)
    end: int
    dir_start: int
    direction: str
    base_year: Optional[int]
    quantity: Optional[Quantity]
    intro: Optional[Intro] = None
    subject_span: Optional[tuple[int, int]] = None  # between the intro and the direction word
    qualifier: Optional[str] = None
    inherited: bool = False
    # the old amount when the sentence states it (`比2025年年初预算数69043.50万元增加…`,
    # `由2025年177万元增加至237万元`); `target`: the quantity is the new amount, not the change
    base_quantity: Optional[Quantity] = None
    target: bool = False


def _base_year(m: regex.Match, year: Optional[int]) -> Optional[int]:
    """The year of a base written as `2021年` or as `上年` (relative to the document year)."""
    if m.group("year"):
        return int(m.group("year"))
    off = RELATIVE.get(m.group("rel"))
    return (year + off) if (year is not None and off is not None) else None


def intros(text: str, year: Optional[int]) -> list[Intro]:
    return [Intro(m.start(), m.end(), _base_year(m, year), m.group("base"), m.group("kind"))
            for m in _INTRO_RE.finditer(text)]


def _sentence_start(text: str, pos: int) -> int:
    i = pos
    while i > 0 and text[i - 1] not in _SENT_END:
        i -= 1
    return i


def find_comparisons(text: str, quantities: list[Quantity], year: Optional[int]) -> list[Comparison]:
    by_start = {q.start: q for q in quantities}
    out = _direction_comparisons(text, quantities, by_start, intros(text, year))
    _add_comparatives(text, by_start, year, out)
    out.sort(key=lambda c: c.start)
    _inherit_bases(out)
    return out


def _direction_comparisons(text: str, quantities: list[Quantity], by_start: dict[int, Quantity],
                           ins: list[Intro]) -> list[Comparison]:
    out: list[Comparison] = []
    last_end = -1
    for m in _DIR_RE.finditer(text):
        if m.start() < last_end:
            continue
        if text[max(0, m.start() - len(PER_PREFIX)):m.start()] == PER_PREFIX:
            continue  # 每下降1%扣… is a scoring rule, not a change
        c = _direction_comparison(text, m, quantities, by_start, ins, out[-1] if out else None)
        if c is not None:
            out.append(c)
            last_end = c.end
    return out


def _direction_comparison(text: str, m: regex.Match, quantities: list[Quantity],
                          by_start: dict[int, Quantity], ins: list[Intro],
                          prev: Optional[Comparison]) -> Optional[Comparison]:
    """The comparison made by the direction word `m`, or None when it states no change."""
    w = m.group()
    direction = DIRECTIONS[w]
    j, qualifier = _after_residue(text, m)
    q = _change_after(text, j, by_start)
    target = q is not None and q.kind == "money" and any(tw in text[j:q.start] for tw in TO_WORDS)
    named = None
    if q is None and w not in WEAK and direction != "flat":
        q, named = _named_change(text, j, quantities)
    sent0 = _sentence_start(text, m.start())
    intro = _intro_before(text, ins, sent0, m.start())
    if q is None:
        # without a change only a flat word right after an explicit base says anything
        if w in WEAK or direction != "flat" or intro is None or m.start() - intro.end > 16:
            return None
        if prev is not None and prev.intro is intro and prev.direction == "flat":
            return None  # 持平，无增减变化: one statement
    if target:
        base_q = _from_amount(text, sent0, m.start(), quantities)
    elif intro is not None:
        base_q = _base_in_intro(text, intro, m.start(), quantities)
    else:
        base_q = None
    subject_span = named
    if intro is not None and named is None and base_q is None:
        subject_span = _subject_between(text, intro.end, m.start())
    return Comparison(
        start=intro.start if intro is not None else m.start(), end=q.end if q is not None else j,
        dir_start=m.start(), direction=direction, base_year=intro.base_year if intro else None,
        quantity=q, intro=intro, subject_span=subject_span, qualifier=qualifier, base_quantity=base_q,
        target=target)


def _after_residue(text: str, m: regex.Match) -> tuple[int, Optional[str]]:
    """Where the change may start after the direction word `m`, and the qualifier: template
    residue (`下降（增长）27.78%`) keeps the first word, the change follows the bracket."""
    r = _RESIDUE.match(text, m.end())
    if r is None:
        return m.end(), None
    return r.end(), "residue:" + text[m.start():r.end()].strip()


def _change_after(text: str, j: int, by_start: dict[int, Quantity]) -> Optional[Quantity]:
    # the change must follow directly (a few filler characters allowed)
    k = j
    while k < len(text) and k - j <= 2 and (text[k].isspace() or text[k] in BETWEEN):
        k += 1
    q = by_start.get(k)
    if q is None:
        q = by_start.get(j)
    return q if q is not None and q.kind in ("money", "percent") else None


def _named_change(text: str, j: int, quantities: list[Quantity]) -> tuple[Optional[Quantity], Optional[tuple[int, int]]]:
    """增加综合管理费209万元: the direction word, what changed, the change."""
    for q in quantities:
        if j < q.start <= j + NAMED_MAX and q.kind in ("money", "percent") \
                and _NAMED_GAP.fullmatch(text, j, q.start):
            return q, (j, q.start)
    return None, None


def _intro_before(text: str, ins: list[Intro], sent0: int, pos: int) -> Optional[Intro]:
    """The intro of the direction word at `pos`: nearest before it, same sentence, no other
    direction word in between, at most one comma."""
    for it in reversed(ins):
        if it.end > pos or it.start < sent0:
            continue
        gap = text[it.end:pos]
        if gap.count("，") + gap.count(",") > 1 or _DIR_RE.search(gap):
            return None
        return it
    return None


def _subject_between(text: str, a: int, b: int) -> Optional[tuple[int, int]]:
    """The text between the intro (ending at `a`) and the direction word (at `b`) names what
    is compared (`与上年相比，基本支出增加…`)."""
    gap = text[a:b].lstrip("，, ")
    return (b - len(gap), b) if gap.strip() else None


def _add_comparatives(text: str, by_start: dict[int, Quantity], year: Optional[int],
                      out: list[Comparison]) -> None:
    """本年数小于上年预算数40.05万元: the comparative word, the base, the change.  Appended to
    `out` unless a comparison there already covers the word or took the change."""
    for m in _COMPARATIVE_RE.finditer(text):
        q = by_start.get(m.end())
        if q is None or q.kind not in ("money", "percent"):
            continue
        if any(c.start <= m.start() < c.end or (c.quantity is q) for c in out):
            continue
        by = _base_year(m, year)
        it = Intro(m.start("base"), m.end(), by, m.group("base"), m.group("kind"))
        out.append(Comparison(start=m.start(), end=q.end, dir_start=m.start(),
                              direction=COMPARATIVES[m.group("word")], base_year=by, quantity=q, intro=it))


def _inherit_bases(out: list[Comparison]) -> None:
    """Comparisons without an intro inherit the base of the previous one (same text unit);
    before the first intro there is nothing to inherit."""
    prev = None
    for c in out:
        if c.intro is None and prev is not None:
            c.base_year = prev.base_year
            c.inherited = True
        if c.intro is not None or prev is not None:
            prev = c


def _base_in_intro(text: str, intro: Intro, dir_start: int, quantities: list[Quantity]) -> Optional[Quantity]:
    """`比2025年年初预算数69043.50万元增加`: the money figure filling the gap between the intro
    and the direction word is the base amount."""
    for q in quantities:
        if q.kind != "money" or not (intro.end <= q.start and q.end <= dir_start):
            continue
        if text[intro.end:q.start].strip(" （(") or text[q.end:dir_start].strip(" ）)" + BASE_TAIL):
            continue
        return q
    return None


def _from_amount(text: str, sent0: int, dir_start: int, quantities: list[Quantity]) -> Optional[Quantity]:
    """`由2025年177万元增加至237万元`: the money figure opened by a from-word before the
    direction word, in the same clause."""
    for q in reversed(quantities):
        if q.kind != "money" or q.end > dir_start or q.start < sent0:
            continue
        if len(text[q.end:dir_start].strip()) > 2:
            return None
        head = text[max(sent0, q.start - 10):q.start]
        k = max(head.rfind(w) for w in FROM_WORDS) if FROM_WORDS else -1
        if k < 0 or any(ch in head[k:] for ch in "，,。；;"):
            return None
        return q
    return None


@dataclass
class BudgetFinal:
    budget: Quantity
    final: Quantity
    direction: Optional[str]
    words: Optional[str]


def budget_vs_final(text: str, quantities: list[Quantity]) -> list[BudgetFinal]:
    """`年初预算为A万元，支出决算为B万元` pairs, with the direction stated after them."""
    money = [q for q in quantities if q.kind == "money"]
    out = []
    used: set[int] = set()  # a budget figure pairs with one final figure
    for i, qb in enumerate(money):
        left = text[max(0, qb.start - 8):qb.start]
        fm = None
        for fm in _FINAL_RE.finditer(left):  # noqa: B007  (the last match is wanted)
            pass
        if fm is None or _BUDGET_RE.search(left[fm.start():]):
            continue
        qa = None
        for cand in reversed(money[:i]):
            if _SENT_END & set(text[cand.end:qb.start]):
                break
            l2 = text[max(0, cand.start - 8):cand.start]
            if _BUDGET_RE.search(l2):
                qa = cand if id(cand) not in used else None
                break
        if qa is None:
            continue
        used.add(id(qa))
        nxt = money[i + 1].start if i + 1 < len(money) else len(text)
        wm = _BVF_WORDS_RE.search(text, qb.end, nxt if nxt > qb.end else len(text))
        out.append(BudgetFinal(qa, qb, _BVF_WORDS[wm.group()] if wm else None, wm.group() if wm else None))
    if len(out) == 1 and out[0].direction is None:
        # “三公”经费…年初预算为2.85万元，支出决算为0.39万元，其中：…。…决算数小于预算数的主要原因: the
        # only pair of the paragraph takes the words written after its parts
        wm = _BVF_WORDS_RE.search(text, out[0].final.end)
        if wm:
            out[0].direction, out[0].words = _BVF_WORDS[wm.group()], wm.group()
    return out


@functools.lru_cache(maxsize=None)
def direction_words() -> dict[str, str]:
    return dict(DIRECTIONS)
