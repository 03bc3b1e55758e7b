"""`cross_document`: rules that need other documents of the same run (or the store).

    check_corpus(documents, facts, cells=None) -> list[Flag]

Pure function over DataFrames with the contract's columns (documents: doc_id, source,
department, region, year, doc_kind, scope, status; facts: doc_id, kind, subject, value,
unit, value_wan, year, base_year, direction, origin, sentence, start, end, amount_from,
amount_to, code, term if present).

- `与上年相比…`: a comparison in year Y's disclosure whose base year is Y − 1 and whose
  current amount is stated (amount_to, or the amount fact just before it in the same
  sentence) implies last year's figure (current ∓ change, or current / (1 ± p%)); when the
  same department's Y − 1 disclosure of the same kind is in the corpus and states that
  subject (same 功能分类 code or term), the two must agree.
- a 部门 disclosure whose 本年收入/支出 total is below the sum of the same year's 单位
  disclosures of that department (same region, department name contained in theirs).
"""
from __future__ import annotations

import re
from typing import Optional

import pandas as pd

from budgetlens import gazetteers
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

FAMILY = "cross_document"
OTHER_BASE = re.compile(gazetteers.load("rules/comparison")["cross_document_other_base"])
PERCENT_SLACK = float(gazetteers.load("rules/comparison").get("percent_slack_pp", 0.05))
TOTAL_TERMS = tuple(gazetteers.load("rules/cross_document")["total_terms"])
WAN = say("cross_document.wan")
DIRECTION_WORDS = {1: say("cross_document.increase"), -1: say("cross_document.decrease"),
                   0: say("cross_document.flat")}


def _key(row) -> Optional[tuple]:
    return _key_of(row.get("code"), row.get("term"))


def _key_of(code, term) -> Optional[tuple]:
    if isinstance(code, str) and code[:1] == "2" and len(code) in (3, 5, 7):
        return ("code", code)
    if isinstance(term, str) and term:
        return ("term", term)
    return None


def _amounts(facts: pd.DataFrame) -> pd.DataFrame:
    a = facts[(facts["kind"] == "amount") & (facts["origin"] == "narrative") & facts["value_wan"].notna()].copy()
    a["key"] = [_key_of(code, term) for code, term in zip(a["code"], a["term"])]  # no row dicts: only two columns
    return a[a["key"].notna()]


def check_corpus(documents: pd.DataFrame, facts: pd.DataFrame, cells: pd.DataFrame | None = None) -> list[Flag]:
    if documents is None or facts is None or documents.empty or facts.empty:
        return []
    docs = documents[documents.get("status", "ok").fillna("ok") == "ok"] if "status" in documents else documents
    for c in ("code", "term", "amount_to", "base_year"):
        if c not in facts.columns:
            facts = facts.assign(**{c: None})
    # rows read back from a store carry NaN for missing values; the rules test `is None`
    facts = facts.astype(object).where(facts.notna(), None)
    docs = docs.astype(object).where(docs.notna(), None)
    amounts = _amounts(facts)  # once for both rules
    flags = _last_year(docs, facts, amounts) + _units_vs_department(docs, facts, amounts)
    return flags


def _norm_dept(s) -> str:
    return re.sub(r"\s+", "", str(s or ""))


def _last_year(docs: pd.DataFrame, facts: pd.DataFrame, amounts: Optional[pd.DataFrame] = None) -> list[Flag]:
    out = []
    amounts = _amounts(facts) if amounts is None else amounts
    info = docs.set_index("doc_id").to_dict("index")
    # documents, amounts and narrative facts indexed once (per-document scans were
    # quadratic in the corpus); the first document of a key is the one a scan found first
    by_profile: dict = {}
    for k, e in info.items():
        by_profile.setdefault((e.get("year"), _norm_dept(e.get("department")), e.get("doc_kind"),
                               e.get("scope") or ""), k)
    amounts_of = dict(tuple(amounts.groupby("doc_id", sort=False))) if len(amounts) else {}
    narrative = facts[facts["origin"] == "narrative"]
    narrative_of = dict(tuple(narrative.groupby("doc_id", sort=False))) if len(narrative) else {}
    for doc_id, d in info.items():
        prev = by_profile.get(((d.get("year") or 0) - 1, _norm_dept(d.get("department")), d.get("doc_kind"),
                               d.get("scope") or ""))
        if prev is None:
            continue
        last = amounts_of.get(prev, amounts.iloc[:0])
        last = last[(last["year"].isna()) | (last["year"] == d["year"] - 1)]
        last_by_key = {}
        for r in last.to_dict("records"):
            last_by_key.setdefault(r["key"], r)
        mine = narrative_of.get(doc_id)
        if mine is None:
            continue
        mine = mine.sort_values("start")
        recs = mine.to_dict("records")
        for i, c in enumerate(recs):
            if c["kind"] != "comparison" or c.get("base_year") != d["year"] - 1 or c.get("value") is None:
                continue
            if c.get("direction") not in ("increase", "decrease", "flat"):
                continue
            # the current amount: stated in the comparison, or the amount just before it
            cur_fact = next((g for g in reversed(recs[:i]) if g["kind"] == "amount" and g.get("sentence") == c.get("sentence")
                             and _key(g)), None)
            if cur_fact is None:
                continue
            cur = c.get("amount_to") if c.get("amount_to") is not None else cur_fact["value_wan"]
            key = _key(cur_fact)
            old = last_by_key.get(key)
            if old is None:
                continue
            if OTHER_BASE.search(str(c.get("sentence") or "")):
                continue  # compared with last year's execution / final account, not its budget
            sign = {"increase": 1, "decrease": -1, "flat": 0}[c["direction"]]
            cur_fig = tol.figure(cur, None, unit=WAN)
            if (c.get("unit") or WAN) == "%":
                p = tol.figure(c["value"], c.get("raw"), unit="%")
                p = tol.Figure(p.value, p.half + PERCENT_SLACK)  # rates are often cut, not rounded
                corners = [cc / (1 + sign * pp / 100.0) for cc in (cur_fig.low, cur_fig.high)
                           for pp in (p.low, p.high) if (1 + sign * pp / 100.0) > 0]
                if not corners:
                    continue
                lo, hi = min(corners), max(corners)
                implied = (lo + hi) / 2
                implied_fig = tol.Figure(implied, (hi - lo) / 2)
            else:
                implied_fig = cur_fig - tol.figure(c["value"], c.get("raw"), unit=WAN).scaled(sign)
                implied = implied_fig.value
            stated_old = tol.figure(old["value_wan"], None, unit=WAN)
            if tol.agree(stated_old, implied_fig):
                continue
            out.append(Flag(
                FAMILY, "last_year.comparison", "warning",
                say("last_year.comparison", subject=key[1], direction=DIRECTION_WORDS[sign], change=fmt(c["value"]),
                    unit=c.get("unit") or WAN, implied=fmt(round(implied, 2)), last=fmt(old["value_wan"])),
                values=[c["value"], round(implied, 4), old["value_wan"]], stated=round(implied, 4), expected=old["value_wan"],
                difference=round(implied - old["value_wan"], 6),
                evidence=[quote(c.get("sentence")), quote(old.get("sentence")) + say("cross_document.source", source=old.get("source"))],
                source=str(d.get("source") or ""), doc_id=doc_id, start=c.get("start"), end=c.get("end"),
                sentence=c.get("sentence"), key=f"lastyear:{c.get('start')}",
            ))
    return out


def _total(amounts: pd.DataFrame, doc_id: str, totals_of: Optional[dict] = None) -> Optional[dict]:
    if totals_of is not None:  # the total amounts grouped by document (see _units_vs_department)
        a = totals_of.get(doc_id)
        if a is None:
            return None
    else:
        a = amounts[(amounts["doc_id"] == doc_id) & amounts["key"].isin([("term", t) for t in TOTAL_TERMS])]
    return a.sort_values("start").to_dict("records")[0] if len(a) else None


def _units_vs_department(docs: pd.DataFrame, facts: pd.DataFrame, amounts: Optional[pd.DataFrame] = None) -> list[Flag]:
    out = []
    amounts = _amounts(facts) if amounts is None else amounts
    recs = docs.to_dict("records")
    units_of: dict = {}  # unit disclosures by (year, kind, region), in document order
    for u in recs:
        if u.get("scope") == "unit":
            units_of.setdefault((u.get("year"), u.get("doc_kind"), u.get("region") or ""), []).append(u)
    totals = amounts[amounts["key"].isin([("term", t) for t in TOTAL_TERMS])]
    totals_of = dict(tuple(totals.groupby("doc_id", sort=False))) if len(totals) else {}
    for d in recs:
        if d.get("scope") != "department":
            continue
        name = _norm_dept(d.get("department"))
        units = [u for u in units_of.get((d.get("year"), d.get("doc_kind"), d.get("region") or ""), [])
                 if u["doc_id"] != d["doc_id"] and name and name in _norm_dept(u.get("department"))]
        if not units:
            continue
        dt = _total(amounts, d["doc_id"], totals_of)
        uts = [(u, _total(amounts, u["doc_id"], totals_of)) for u in units]
        uts = [(u, t) for u, t in uts if t is not None]
        if dt is None or not uts:
            continue
        s = sum(t["value_wan"] for _u, t in uts)
        if tol.at_least(tol.figure(dt["value_wan"], None, unit=WAN),
                        tol.total(tol.figure(t["value_wan"], None, unit=WAN) for _u, t in uts)):
            continue
        out.append(Flag(
            FAMILY, "department_below_units", "error",
            say("department_below_units", department=fmt(dt["value_wan"]), units=fmt(round(s, 2))),
            values=[dt["value_wan"], round(s, 4)] + [t["value_wan"] for _u, t in uts],
            stated=dt["value_wan"], expected=round(s, 4), difference=round(dt["value_wan"] - s, 6),
            evidence=[quote(dt.get("sentence"))] + [quote(t.get("sentence")) + say("cross_document.source", source=u.get("source"))
                                                for u, t in uts],
            source=str(d.get("source") or ""), doc_id=d["doc_id"], start=dt.get("start"), end=dt.get("end"),
            sentence=dt.get("sentence"), key=f"units:{d['doc_id']}",
        ))
    return out
