"""`narrative.arithmetic` — a share stated beside an itemised amount (`基本支出6522.75万元，
占48.76%`) against the amount and the total of its list (`本年支出预算合计13377.11万元，其中：…`).

The share is checked with the interval arithmetic of `tolerance`: both amounts stand for
±0.005万元, the percentage for half its last written digit plus the slack comparison.yaml
allows for shares computed from 元 figures and cut rather than rounded."""
from __future__ import annotations

import re

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag

FAMILY = "narrative.arithmetic"
SLACK = float(gazetteers.load("rules/comparison").get("percent_slack_pp", 0.05))
COMPLETION_BASE = re.compile(gazetteers.load("rules/comparison")["completion_base"])
BASE_WORDS = re.compile(gazetteers.load("rules/comparison")["completion_base_words"])


def check(doc: Document, facts) -> list:
    return _list_shares(doc, facts) + _completion_rates(doc, facts)


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
        family, rule, "error" if abs(gap) >= 1 else "warning", f"{what}，文中为{fmt(p.value)}%。",
        values=amounts + [p.value], stated=p.value, expected=expected, difference=gap, evidence=evidence,
        start=p.start, end=p.end, sentence=p.sentence, key=key,
    )


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
        budget, final = tol.figure(c.amount_from, None, unit="万元"), tol.figure(c.amount_to, None, unit="万元")
        if budget.low <= 0:
            continue
        if _percent_fits(final, budget, p):
            continue
        expected = round(100 * c.amount_to / c.amount_from, 2)
        out.append(_rate_flag(
            "comparison", "comparison.completion_rate", p, expected, [c.amount_from, c.amount_to],
            f"支出决算{fmt(c.amount_to)}万元为预算{fmt(c.amount_from)}万元的{expected:.2f}%", [quote(p.sentence)],
            f"completion:{p.start}"))
    return out


def _list_shares(doc: Document, facts) -> list:
    totals = {f.total_group: f for f in facts
              if f.kind == "amount" and getattr(f, "total_group", None) and f.value_wan}
    if not totals:
        return []
    ordered = sorted((f for f in facts if f.start is not None and f.origin == "narrative"), key=lambda f: f.start)
    out = []
    for i, p in enumerate(ordered):
        if p.kind != "percent" or (p.unit or "%") != "%" or p.value is None or p.qualifier:
            continue  # an explicit base (`占本年支出合计的…`) is not necessarily the list's total
        a = next((g for g in reversed(ordered[:i]) if g.sentence == p.sentence and g.kind == "amount"), None)
        if a is None or a.value_wan is None or not getattr(a, "group", None):
            continue
        t = totals.get(a.group)
        if t is None or t is a or t.value_wan <= 0:
            continue
        amt, tot = tol.figure(a.value_wan, None, unit="万元"), tol.figure(t.value_wan, None, unit="万元")
        if tot.low <= 0:
            continue
        if _percent_fits(amt, tot, p):
            continue
        expected = round(100 * a.value_wan / t.value_wan, 2)
        out.append(_rate_flag(
            FAMILY, "share.vs_amounts", p, expected, [a.value, t.value],
            f"“{a.subject}”{fmt(a.value)}{a.unit or '万元'}占“{t.subject}”{fmt(t.value)}{t.unit or '万元'}的比例应为"
            f"{expected:.2f}%", [quote(p.sentence)] + ([quote(t.sentence)] if t.sentence != p.sentence else []),
            f"share:{p.start}"))
        out[-1].cells = [f"span:{a.start}", f"span:{t.start}"]  # the amount first: a wrong amount is the root
    return out
