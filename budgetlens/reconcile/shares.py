"""`narrative.arithmetic` — a share stated beside an itemised amount (`基本支出6522.75万元，
占48.76%`) against the amount and the total of its list (`本年支出预算合计13377.11万元，其中：…`).

The share is checked with the interval arithmetic of `tolerance`: both amounts stand for
±0.005万元, the percentage for half its last written digit plus the slack comparison.yaml
allows for shares computed from 元 figures and cut rather than rounded."""
from __future__ import annotations

import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

FAMILY = "narrative.arithmetic"
SLACK = float(gazetteers.load("rules/comparison").get("percent_slack_pp", 0.05))
COMPLETION_BASE = re.compile(gazetteers.load("rules/comparison")["completion_base"])
BASE_WORDS = re.compile(gazetteers.load("rules/comparison")["completion_base_words"])
WAN = say("shares.wan")


def check(doc: Document, facts) -> list:
    listed = _list_shares(doc, facts)
    done = {f.start for f in listed}
    return listed + [f for f in _stated_base_shares(doc, facts, done)] + _completion_rates(doc, facts)


def _percent_fits(part: "tol.Figure", whole: "tol.Figure", p) -> bool:
    """Does the stated percentage (its written precision plus SLACK) meet part / whole, both
    taken as the intervals their rounding allows?"""
    lo, hi = 100 * max(part.low, 0) / whole.high, 100 * part.high / whole.low
    pf = tol.figure(p.value, p.raw, unit="%")
    return pf.low - SLACK <= hi and lo <= pf.high + SLACK


def _rate_flag(family: str, rule: str, p, expected: float, amounts: list, what: str, evidence: list,
               key: str) -> Flag:
    """A stated percentage its amounts do not give: an error from 1 point off, else a warning."""
    gap = round(p.value - expected, 2)
    return Flag(
        family, rule, "error" if abs(gap) >= 1 else "warning", say("shares.rate_stated", what=what, stated=fmt(p.value)),
        values=amounts + [p.value], stated=p.value, expected=expected, difference=gap, evidence=evidence,
        start=p.start, end=p.end, sentence=p.sentence, key=key,
    )


def _share_should_be(a, t, expected: float) -> str:
    return say("shares.vs_amounts", part=a.subject, part_value=fmt(a.value), part_unit=a.unit or WAN,
               whole=t.subject, whole_value=fmt(t.value), whole_unit=t.unit or WAN, expected=expected)


def _completion_rates(doc: Document, facts) -> list:
    """`全年预算为52.00万元，支出决算为51.32万元，完成全年预算数的98.69%`: the rate against the two
    amounts of the sentence's budget-vs-final comparison."""
    out = []
    comps = [f for f in facts if f.kind == "comparison" and f.qualifier == "budget_vs_final"
             and f.amount_from and f.amount_to is not None and f.sentence]
    for p in facts:
        if p.kind != "percent" or p.value is None or not p.qualifier or not COMPLETION_BASE.search(p.qualifier):
            continue
        if p.sentence and len(set(BASE_WORDS.findall(p.sentence))) > 1:
            continue  # 年初预算 and 全年预算 both stated: which one the rate is of is the writer's
        # the budget-vs-final pair of the same subject, nearest before the rate
        c = next((c for c in sorted(comps, key=lambda c: -(c.start or 0))
                  if c.sentence == p.sentence and c.subject == p.subject and c.start is not None
                  and p.start is not None and c.start < p.start), None)
        if c is None:
            continue
        budget, final = tol.figure(c.amount_from, None, unit=WAN), tol.figure(c.amount_to, None, unit=WAN)
        if budget.low <= 0:
            continue
        if _percent_fits(final, budget, p):
            continue
        expected = round(100 * c.amount_to / c.amount_from, 2)
        out.append(_rate_flag(
            "comparison", "comparison.completion_rate", p, expected, [c.amount_from, c.amount_to],
            say("shares.completion", final=fmt(c.amount_to), budget=fmt(c.amount_from), expected=expected),
            [quote(p.sentence)],
            f"completion:{p.start}"))
    return out


SHARE = gazetteers.load("rules/comparison")["share_base"]


def _names_total(qualifier: str, total_subject: Optional[str]) -> bool:
    """`占本年支出预算` names the list's total `支出预算`: the qualifier is the total's subject
    with only a share word and a scope-neutral prefix (本年, 全年 …) around it."""
    if not total_subject:
        return False
    q = qualifier
    for w in SHARE["share_words"]:
        q = q.removeprefix(w)
    for w in SHARE["tail_words"]:
        q = q.removesuffix(w)
    if not q.endswith(total_subject):
        return False
    return q[:-len(total_subject)] in SHARE["neutral_prefixes"]


def _base_name(qualifier: str) -> Optional[str]:
    """`占本年支出预算` → `支出预算` (None when the base carries a scope word of its own)."""
    q = qualifier
    for w in SHARE["share_words"]:
        q = q.removeprefix(w)
    for w in SHARE["tail_words"]:
        q = q.removesuffix(w)
    for w in sorted(SHARE["neutral_prefixes"], key=len, reverse=True):
        if w and q.startswith(w):
            q = q[len(w):]
            break
    return q or None


def _stated_base_shares(doc: Document, facts, done: set) -> list:
    """A share whose whole is stated before it outside a list the extractor grouped:
    `2026年支出预算97851.51万元…。（一）基本支出。基本支出预算46714.52万元，占本年支出预算48.17%`
    (the base named: the nearest earlier amount of that subject, within `share_base.window`
    characters) and `…收入预算665964.37万元，…。\n其中：一般公共预算拨款收入414883.38万元，占62.3%`
    (a sentence opening with a nested-list marker: the last current-year amount before it)."""
    ordered = sorted((f for f in facts if f.start is not None and f.origin == "narrative"), key=lambda f: f.start)
    bases = {(c.sentence, c.amount_from) for c in ordered if c.kind == "comparison" and c.amount_from is not None}
    current = [g for g in ordered if g.kind == "amount" and g.value_wan and g.value_wan > 0
               and (not g.year or not doc.year or g.year == doc.year) and (g.sentence, g.value) not in bases]
    out = []
    for i, p in enumerate(ordered):
        if p.kind != "percent" or (p.unit or "%") != "%" or p.value is None or p.start in done or not p.sentence:
            continue
        a = next((g for g in reversed(ordered[:i]) if g.kind in ("amount", "percent", "comparison")
                  and g.sentence == p.sentence), None)
        if a is None or a.kind != "amount" or a.value_wan is None or getattr(a, "group", None):
            continue
        gap = doc.text[a.end:p.start] if a.end is not None else ""
        if len(gap) > 12 or any(ch in gap for ch in SHARE["clause_ends"]):
            continue
        earlier = [g for g in current if g.start < a.start and a.start - g.start <= int(SHARE["window"])
                   and g.sentence != p.sentence]
        t = None
        if p.qualifier:
            name = _base_name(p.qualifier)
            cands = [g for g in earlier if name and g.subject == name]
            t = cands[-1] if cands else None
        elif p.sentence.lstrip().startswith(tuple(SHARE["opening_markers"])):
            t = earlier[-1] if earlier else None
        if t is None or t.value_wan <= a.value_wan:
            continue
        amt, tot = tol.figure(a.value_wan, None, unit=WAN), tol.figure(t.value_wan, None, unit=WAN)
        if _percent_fits(amt, tot, p):
            continue
        expected = round(100 * a.value_wan / t.value_wan, 2)
        out.append(_rate_flag(
            FAMILY, "share.vs_amounts", p, expected, [a.value, t.value],
            _share_should_be(a, t, expected), [quote(t.sentence), quote(p.sentence)], f"share:{p.start}"))
    return out


def _list_shares(doc: Document, facts) -> list:
    totals = {f.total_group: f for f in facts
              if f.kind == "amount" and getattr(f, "total_group", None) and f.value_wan}
    if not totals:
        return []
    ordered = sorted((f for f in facts if f.start is not None and f.origin == "narrative"), key=lambda f: f.start)
    out = []
    for i, p in enumerate(ordered):
        if p.kind != "percent" or (p.unit or "%") != "%" or p.value is None:
            continue
        a = next((g for g in reversed(ordered[:i]) if g.sentence == p.sentence and g.kind == "amount"), None)
        if a is None or a.value_wan is None or not getattr(a, "group", None):
            continue
        t = totals.get(a.group)
        if t is None or t is a or t.value_wan <= 0:
            continue
        if p.qualifier and not _names_total(p.qualifier, t.subject):
            continue  # an explicit base (`占本年支出合计的…`) is not necessarily the list's total
        amt, tot = tol.figure(a.value_wan, None, unit=WAN), tol.figure(t.value_wan, None, unit=WAN)
        if tot.low <= 0:
            continue
        if _percent_fits(amt, tot, p):
            continue
        expected = round(100 * a.value_wan / t.value_wan, 2)
        out.append(_rate_flag(
            FAMILY, "share.vs_amounts", p, expected, [a.value, t.value],
            _share_should_be(a, t, expected), [quote(p.sentence)] + ([quote(t.sentence)] if t.sentence != p.sentence else []),
            f"share:{p.start}"))
        out[-1].cells = [f"span:{a.start}", f"span:{t.start}"]  # the amount first: a wrong amount is the root
    return out
