"""`comparison`: year-over-year statements.

- a base year other than year − 1 without a stated reason (`2022年预算…较2020年预算减少`);
- the stated change (amount or %) against the two amounts when both are stated or found
  (facts with amount_from / amount_to);
- the direction word against the numbers, `持平`/`没有变化` with a change;
- component changes that do not add up to the total change (facts of one group).
"""
from __future__ import annotations

import bisect
from typing import Optional

import regex

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.extractors.numbers import find_quantities
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say
from budgetlens.reconcile.text import context_free, year_confirmed

FAMILY = "comparison"
V = gazetteers.load("rules/comparison")
BASE_RE = regex.compile(V["base_year_pattern"])
REASONS = [regex.compile(p) for p in V["base_year_reasons"]]
# percentages are often computed from unrounded (元) figures or cut, not rounded: a stated
# rate is accepted this many percentage points beyond what its two-decimal inputs allow
SLACK = float(V.get("percent_slack_pp", 0.05))
MSG = V["messages"]
WAN = say("comparison.wan")


def check(doc: Document, facts=None) -> list[Flag]:
    flags = _base_year(doc)
    flags += _fact_arithmetic(doc, facts or [])
    flags += _part_changes(doc, facts or [])
    return flags


SIGN = {"increase": 1, "decrease": -1, "flat": 0}


def _part_changes(doc: Document, facts: list) -> list[Flag]:
    """The change of a total (三公经费) against the signed changes of its parts, each stated in a
    sentence of its own — a total called an increase while its parts fell is caught here."""
    comps = [f for f in facts if f.kind == "comparison" and getattr(f, "origin", "narrative") == "narrative"
             and (f.unit or WAN) == WAN and f.value is not None and f.direction in SIGN
             and f.qualifier != "budget_vs_final" and f.start is not None]
    top = lambda f: (f.section or "").split(" > ")[0]
    flags = []
    for spec in V.get("part_changes", []):
        for t in [f for f in comps if f.term == spec["total"]]:
            same = [f for f in comps if f.base_year == t.base_year and top(f) == top(t)]
            if len({(f.value, f.direction) for f in same if f.term == spec["total"]}) != 1:
                continue  # the total's change stated twice differently (or items read as the total)
            parts = []
            for term in spec["parts"]:
                got = {(f.value, f.direction): f for f in same if f.term == term}
                signed = {round(SIGN[d] * v, 6) for v, d in got}
                if len(signed) != 1:
                    break
                parts.append((term, next(iter(got.values())), signed.pop()))
            else:
                total = tol.figure(t.value, t.raw or str(t.value), unit=WAN).scaled(SIGN[t.direction])
                s = tol.Figure(0.0, 0.0)
                for _term, _f, v in parts:
                    s = s + tol.figure(abs(v), str(abs(v)), unit=WAN).scaled(1 if v > 0 else -1 if v < 0 else 0)
                if tol.agree(s, total):
                    continue
                word = lambda v: WORD[_direction_of(v, 0.0)]
                txt = "；".join(f"{term}{'+' if v > 0 else '−' if v < 0 else '±'}{fmt(abs(v))}" for term, _f, v in parts)
                flags.append(Flag(
                    FAMILY, "comparison.components_vs_total", "error",
                    MSG["parts_change"].format(total=spec["total"], total_word=WORD[t.direction], total_change=fmt(t.value),
                                               parts=txt, sum_word=word(s.value), sum_change=fmt(abs(s.value))),
                    values=[t.value, round(abs(s.value), 6)], stated=t.value, expected=round(abs(s.value), 6),
                    difference=round(abs(total.value) - abs(s.value), 6),
                    evidence=list(dict.fromkeys([quote(t.sentence)] + [quote(f.sentence) for _t, f, _v in parts])),
                    start=t.start, end=t.end, sentence=t.sentence, key=f"parts_change:{t.start}"))
            break  # one total per spec and base
    return flags


def _narrative_sentences(doc: Document):
    """(the narrative sentence before, the sentence) for each narrative sentence that may
    hold a base-year comparison."""
    narrative = [s for s in doc.sentences if not s.table_id]
    keep = _may_hold_base(narrative)
    for k, s in enumerate(narrative):
        if keep is None or k in keep:
            yield (narrative[k - 1] if k else None), s


# the base-year pattern depends on the matched text alone: a sentence holds a match only if
# a match of the sentences joined overlaps it (one at its start, or one begun before it
# that covers that start)
_BASE_FREE = context_free(V["base_year_pattern"])


def _may_hold_base(narrative: list) -> Optional[set]:
    """Indices of the sentences a match of BASE_RE over the sentences joined overlaps; None
    (every sentence) unless the pattern is context-free."""
    if not _BASE_FREE:
        return None
    starts = []
    at = 0
    for s in narrative:
        starts.append(at)
        at += len(s.text) + 1
    keep: set = set()
    for m in BASE_RE.finditer("\n".join(s.text for s in narrative)):
        k = bisect.bisect_right(starts, m.start()) - 1
        while k < len(narrative) and starts[k] < m.end():
            keep.add(k)
            k += 1
    return keep


def _base_year(doc: Document) -> list[Flag]:
    if not doc.year:
        return []
    flags = []
    seen_years = set()
    confirmed = year_confirmed(doc)
    for prev, s in _narrative_sentences(doc):
        found = list(BASE_RE.finditer(s.text))  # first: most sentences name no base year
        if not found or not any(q.is_money for q in find_quantities(s.text)):
            continue
        for m in found:
            base = int(m.group("year"))
            same = base == doc.year and doc.doc_kind != "final_account" and confirmed
            if not same and (base >= doc.year - 1 or base < doc.year - 5):
                continue  # a final account compares its 决算 with the same year's 预算
            context = (prev.text if prev else "") + s.text
            if any(p.search(context) for p in REASONS):
                continue
            if base in seen_years:
                continue  # one flag per base year: the same choice repeated is one cause
            seen_years.add(base)
            kind = say("comparison.kind_final") if doc.doc_kind == "final_account" else say("comparison.kind_budget")
            if same:
                flags.append(Flag(
                    FAMILY, "comparison.base_year_same", "warning",
                    MSG["base_year_same"].format(year=doc.year, kind=kind, quote=m.group(0), prev=doc.year - 1),
                    values=[float(base)], stated=float(base), expected=float(doc.year - 1), difference=1.0,
                    evidence=[quote(s.text)], start=s.start + m.start(), end=s.start + m.end(), sentence=s.text,
                    key=f"base_year:{base}",
                ))
                continue
            flags.append(Flag(
                FAMILY, "comparison.base_year", "warning",
                say("comparison.base_year", year=doc.year, kind=kind, base=base, quote=m.group(0), prev=doc.year - 1),
                values=[float(base)], stated=float(base), expected=float(doc.year - 1),
                difference=float(base - (doc.year - 1)), evidence=[quote(s.text)],
                start=s.start + m.start(), end=s.start + m.end(), sentence=s.text,
                key=f"base_year:{base}",
            ))
    return flags


def _direction_of(change: float, half: float) -> str:
    if abs(change) <= half:
        return "flat"
    return "increase" if change > 0 else "decrease"


WORD = {d: say(f"comparison.{d}") for d in ("increase", "decrease", "flat")}
RATE_WORD = {d: say(f"comparison.rate_{d}") for d in ("increase", "decrease")}


def _fact_arithmetic(doc: Document, facts: list) -> list[Flag]:
    """Comparisons whose own figures are stated (amount_from → amount_to, change)."""
    flags = []
    facts = [f for f in facts if getattr(f, "origin", "narrative") == "narrative"]
    for i, f in enumerate(facts):
        if getattr(f, "kind", None) != "comparison":
            continue
        a0, a1 = getattr(f, "amount_from", None), getattr(f, "amount_to", None)
        unit = f.unit or WAN
        if a0 is None or a1 is None:
            if unit == "%":
                g = _percent_from_change(doc, facts, i)
                if g:
                    flags.append(g)
            continue
        fa0, fa1 = tol.figure(a0, str(a0), unit=WAN), tol.figure(a1, str(a1), unit=WAN)
        change = fa1 - fa0
        actual_dir = _direction_of(change.value, change.half)
        stated_dir = f.direction
        ev = [quote(f.sentence)]
        contradicted = {
            "increase": change.high <= 0,  # no value the figures allow is an increase
            "decrease": change.low >= 0,
            "flat": abs(change.value) > change.half,
        }.get(stated_dir, False)
        if contradicted:
            flags.append(Flag(
                FAMILY, "comparison.direction", "error",
                say("comparison.direction", subject=f.subject, old=fmt(a0), new=fmt(a1), actual=WORD[actual_dir],
                    stated=WORD.get(stated_dir, stated_dir)),
                values=[a0, a1] + ([f.value] if f.value is not None else []), stated=f.value,
                expected=round(abs(change.value), 6), evidence=ev, start=f.start, end=f.end, sentence=f.sentence,
                key=f"dir:{f.start}",
            ))
            continue
        if f.value is None or stated_dir == "flat":
            continue
        if unit == "%":
            lo, hi = tol.percent_interval(fa1, fa0)
            if not a0:
                continue
            stated = tol.figure(f.value, f.raw or str(f.value), unit="%")
            lo, hi = sorted((abs(lo), abs(hi))) if lo * hi > 0 else (0.0, max(abs(lo), abs(hi)))
            if stated.high < lo - SLACK or stated.low > hi + SLACK:
                exp = abs(tol.percent_change(a1, a0))
                flags.append(Flag(
                    FAMILY, "comparison.change_percent", "error",
                    say("comparison.change_percent", subject=f.subject, old=fmt(a0), new=fmt(a1), expected=exp,
                        stated=fmt(f.value)),
                    values=[f.value, a0, a1], stated=f.value, expected=round(exp, 4),
                    difference=round(f.value - exp, 4), evidence=ev, start=f.start, end=f.end,
                    sentence=f.sentence, key=f"pct:{f.start}",
                ))
            continue
        stated = tol.figure(f.value, f.raw or str(f.value), unit=unit)
        if not tol.agree(stated, tol.Figure(abs(change.value), change.half)):
            flags.append(Flag(
                FAMILY, "comparison.change_amount", "error",
                say("comparison.change_amount", subject=f.subject, old=fmt(a0), new=fmt(a1),
                    expected=fmt(abs(change.value)), stated=fmt(f.value), unit=unit),
                values=[f.value, a0, a1], stated=f.value, expected=round(abs(change.value), 6),
                difference=round(f.value - abs(change.value), 6), evidence=ev, start=f.start, end=f.end,
                sentence=f.sentence, key=f"chg:{f.start}",
            ))
    return flags


def _percent_from_change(doc: Document, facts: list, i: int) -> Optional[Flag]:
    """`A万元，比上年增加C万元，增长P%`: P against C / (A − C) (or C / (A + C) for a decrease).
    The current amount is the money comparison's amount_to, or the amount stated just
    before it in the same sentence."""
    p = facts[i]
    if p.value is None or p.direction not in ("increase", "decrease") or p.start is None:
        return None
    sent = doc.sentence_at(p.start)
    if sent is None:
        return None
    money = None
    for g in reversed(facts[:i]):
        if g.start is None or g.start < sent.start:
            break
        if g.kind == "comparison":
            # the rate of the change right before it (`减少C万元，下降P%`), not of an earlier one
            # with other comparisons in between (`下降1.9%，主要是…收入较上年执行数下降45.9%`)
            if (g.unit or WAN) != "%" and g.end is not None and _adjacent(doc.text[g.end:p.start]):
                money = g
            break
    if money is None or money.value is None or money.direction != p.direction or money.base_year != p.base_year:
        return None
    cur = money.amount_to
    if money.amount_from is not None and cur is not None:
        a1, a0 = tol.figure(cur, str(cur), unit=WAN), tol.figure(money.amount_from, str(money.amount_from), unit=WAN)
        change = a1 - a0
        if a0.low <= 0 or (p.direction == "increase" and change.high <= 0) or \
                (p.direction == "decrease" and change.low >= 0):
            return None  # the direction is contradicted: comparison.direction says so, once
        return _rate_flag(doc, p, sent, a1, a0, cur, money)
    if cur is None:
        prev = [g for g in facts if g.kind == "amount" and g.start is not None and sent.start <= g.start < money.start
                and g.value_wan is not None and (g.unit or WAN) == (money.unit or WAN)
                and (not g.year or not doc.year or g.year == doc.year)]
        if not prev and money.subject and money.start - sent.start <= OPENING_MAX:
            # `…支出943.8万元，主要用于…。与上年相比减少634万元，减少40.18%。`: a sentence that opens
            # with the comparison is about the amount of the same subject in the sentence before
            before = doc.sentence_at(sent.start - 1) if sent.start > 0 else None
            if before is not None and not _paragraph_break(doc, before.end, sent.start):
                prev = [g for g in facts if g.kind == "amount" and g.start is not None
                        and before.start <= g.start < before.end and g.subject == money.subject
                        and g.value_wan is not None and (g.unit or WAN) == (money.unit or WAN)
                        and (not g.year or not doc.year or g.year == doc.year)]
        if len(prev) != 1:
            return None
        cur = prev[0].value
        cur_start = prev[0].start
    else:
        cur_start = None
    a1 = tol.figure(cur, str(cur), unit=WAN)
    c = tol.figure(money.value, money.raw or str(money.value), unit=money.unit or WAN)
    a0 = a1 - c if p.direction == "increase" else a1 + c
    if a0.low <= 0:
        return None
    flag = _rate_flag(doc, p, sent, a1, a0, cur, money)
    if flag is not None and cur_start is not None:
        flag.cells = [f"span:{cur_start}"]  # the amount the rate is of (a table may say it is wrong)
    return flag


OPENING_MAX = int(V.get("opening_comparison_max_chars", 8))


def _paragraph_break(doc: Document, a: int, b: int) -> bool:
    return any(a <= p0 <= b for p0, _p1 in doc.paragraphs)


def _adjacent(gap: str) -> bool:
    """Only punctuation / filler between a money change and its rate."""
    return len(gap) <= 4 and not any(ch.isdigit() for ch in gap)


def _rate_flag(doc: Document, p, sent, a1: "tol.Figure", a0: "tol.Figure", cur: float, money) -> Optional[Flag]:
    lo, hi = tol.percent_interval(a1, a0)
    lo, hi = sorted((abs(lo), abs(hi))) if lo * hi > 0 else (0.0, max(abs(lo), abs(hi)))
    stated = tol.figure(p.value, p.raw or str(p.value), unit="%")
    if stated.high >= lo - SLACK and stated.low <= hi + SLACK:
        return None
    exp = abs(tol.percent_change(a1.value, a0.value))
    return Flag(
        FAMILY, "comparison.change_percent", "error",
        say("comparison.change_rate", current=fmt(cur), direction=WORD[p.direction], change=fmt(money.value),
            last=fmt(a0.value), rate_word=RATE_WORD[p.direction], expected=exp, stated=fmt(p.value)),
        values=[p.value, cur, money.value], stated=p.value, expected=round(exp, 4),
        difference=round(p.value - exp, 4), evidence=[quote(sent.text)], start=p.start, end=p.end,
        sentence=sent.text, key=f"pct:{p.start}",
    )
