"""`cross_document`: rules that need other documents of the same run (or the store).

    check_corpus(documents, facts, cells=None) -> list[Flag]

Pure function over rows with the contract's columns (documents: doc_id, source,
department, region, year, doc_kind, scope, status; facts: doc_id, kind, subject, value,
unit, value_wan, year, base_year, direction, origin, sentence, start, end, amount_from,
amount_to, code, term if present): sequences of dicts, or frames (anything with
`to_dict("records")`), whose missing values (None or NaN) count as None.

    related_chunks(documents, sizes, budget) -> list of lists of documents
    check_chunks(documents, facts_of, sizes, budget) -> list[Flag]

run the same rules chunk by chunk, each chunk holding every document a rule may compare
with one of its documents, so that only one chunk's facts are held at a time; the flags
are those of `check_corpus` over the whole corpus, in the same order.

- `与上年相比…`: a comparison in year Y's disclosure whose base year is Y − 1 and whose
  current amount is stated (amount_to, or the amount fact just before it in the same
  sentence) implies last year's figure (current ∓ change, or current / (1 ± p%)); when the
  same department's Y − 1 disclosure of the same kind is in the corpus and states that
  subject (same 功能分类 code or term), the two must agree.
- a 部门 disclosure whose 本年收入/支出 total is below the sum of the same year's 单位
  disclosures of that department (same region, department name contained in theirs).
"""
from __future__ import annotations

import math
import re
from typing import Callable, Iterable, Optional

import numpy as np

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


TOTAL_KEYS = frozenset(("term", t) for t in TOTAL_TERMS)
CHUNK_FACTS = 5000  # facts of one chunk of related documents (check_chunks), a few MB of rows


def _key(row) -> Optional[tuple]:
    return _key_of(row.get("code"), row.get("term"))


def _key_of(code, term) -> Optional[tuple]:
    if isinstance(code, str) and code[:1] == "2" and len(code) in (3, 5, 7):
        return ("code", code)
    if isinstance(term, str) and term:
        return ("term", term)
    return None


def _rows(data) -> list[dict]:
    """`data` as a list of dicts, missing values None (a frame's NaN too)."""
    if data is None:
        return []
    if hasattr(data, "to_dict"):  # a frame: its own test of what is missing
        return data.astype(object).where(data.notna(), None).to_dict("records")
    return [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in data]


def _ok(d: dict) -> bool:
    return d.get("status") is None or d.get("status") == "ok"


def _amounts(facts: list[dict]) -> list[tuple]:
    """(key, fact) of the narrative amounts with a figure and a subject key, in order."""
    out = []
    for f in facts:
        if f["kind"] == "amount" and f["origin"] == "narrative" and f["value_wan"] is not None:
            key = _key_of(f.get("code"), f.get("term"))
            if key is not None:
                out.append((key, f))
    return out


def _group(items: Iterable, doc_of: Callable) -> dict:
    out: dict = {}
    for x in items:
        d = doc_of(x)
        if d is not None:
            out.setdefault(d, []).append(x)
    return out


def _by_start(rows: list[dict]) -> list[dict]:
    """`rows` ordered by `start` as a frame's sort_values("start") orders them (its default
    quicksort, which is not stable: ties keep the order that sort gives them), missing last."""
    starts = [r["start"] for r in rows]
    have = [i for i, s in enumerate(starts) if s is not None]
    if len(have) > 1:
        order = np.array([starts[i] for i in have], dtype=object).argsort(kind="quicksort")
        have = [have[int(j)] for j in order]
    return [rows[i] for i in have] + [rows[i] for i, s in enumerate(starts) if s is None]


def check_corpus(documents, facts, cells=None) -> list[Flag]:
    docs, facts = _rows(documents), _rows(facts)
    if not docs or not facts:
        return []
    last, units = _check([d for d in docs if _ok(d)], facts)
    return last + units


def _check(docs: list[dict], facts: list[dict]) -> tuple[list[Flag], list[Flag]]:
    amounts = _amounts(facts)  # once for both rules
    return _last_year(docs, facts, amounts), _units_vs_department(docs, facts, amounts)


def check_chunks(documents, facts_of: Callable[[list[str]], object], sizes: Optional[dict] = None,
                 budget: int = CHUNK_FACTS) -> list[Flag]:
    """`check_corpus(documents, facts)` with the facts asked chunk by chunk: `facts_of(doc_ids)`
    gives the facts of those documents (at least the narrative amounts and comparisons);
    `sizes` (doc_id -> number of such facts) bounds a chunk to about `budget` facts."""
    docs = [d for d in _rows(documents) if _ok(d)]
    pos = {d["doc_id"]: i for i, d in enumerate(docs)}
    last: list[Flag] = []
    units: list[Flag] = []
    for chunk in related_chunks(docs, sizes, budget):
        facts = _rows(facts_of([d["doc_id"] for d in chunk]))
        if facts:
            a, b = _check(chunk, facts)
            last += a
            units += b
    # each rule's flags in the order of their documents, as over the whole corpus
    last.sort(key=lambda f: pos[f.doc_id])
    units.sort(key=lambda f: pos[f.doc_id])
    return last + units


def related_chunks(documents: list[dict], sizes: Optional[dict] = None, budget: int = CHUNK_FACTS) -> list[list[dict]]:
    """The documents in chunks of about `budget` facts (by `sizes`; one per document without
    it), each in the documents' order, such that the rules compare no document with one of
    another chunk: a group of related documents (same department name, for last year's
    disclosure; a 部门 and the 单位 whose name contains its own, for the units' sum) is
    never split, however large."""
    docs = [d for d in documents if _ok(d)]
    parent = list(range(len(docs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    names = [_norm_dept(d.get("department")) for d in docs]
    first_of_name: dict = {}
    units_of: dict = {}
    for i, d in enumerate(docs):
        union(i, first_of_name.setdefault(names[i], i))  # _last_year: the same department
        if d.get("scope") == "unit":
            units_of.setdefault((d.get("year"), d.get("doc_kind"), d.get("region") or ""), []).append(i)
    for i, d in enumerate(docs):  # _units_vs_department: a 部门 and its 单位
        if d.get("scope") == "department" and names[i]:
            for j in units_of.get((d.get("year"), d.get("doc_kind"), d.get("region") or ""), []):
                if names[i] in names[j]:
                    union(i, j)
    groups: dict = {}
    for i in range(len(docs)):
        groups.setdefault(find(i), []).append(i)
    chunks: list[list[int]] = []
    cur: list[int] = []
    n = 0
    for g in groups.values():  # by their first document
        w = sum(sizes.get(docs[i]["doc_id"], 0) for i in g) if sizes is not None else len(g)
        if cur and n + w > budget:
            chunks.append(sorted(cur))
            cur, n = [], 0
        cur += g
        n += w
    if cur:
        chunks.append(sorted(cur))
    return [[docs[i] for i in c] for c in chunks]


def _norm_dept(s) -> str:
    return re.sub(r"\s+", "", str(s or ""))


def _last_year(docs: list[dict], facts: list[dict], amounts: Optional[list[tuple]] = None) -> list[Flag]:
    out = []
    amounts = _amounts(facts) if amounts is None else amounts
    info = {d["doc_id"]: d for d in docs}
    # documents, amounts and narrative facts indexed once (per-document scans were
    # quadratic in the corpus); the first document of a key is the one a scan found first
    by_profile: dict = {}
    for k, e in info.items():
        by_profile.setdefault((e.get("year"), _norm_dept(e.get("department")), e.get("doc_kind"),
                               e.get("scope") or ""), k)
    amounts_of = _group(amounts, lambda kf: kf[1]["doc_id"])
    narrative_of = _group((f for f in facts if f["origin"] == "narrative"), lambda f: f["doc_id"])
    for doc_id, d in info.items():
        prev = by_profile.get(((d.get("year") or 0) - 1, _norm_dept(d.get("department")), d.get("doc_kind"),
                               d.get("scope") or ""))
        if prev is None:
            continue
        year_before = d["year"] - 1
        last_by_key: dict = {}
        for key, r in amounts_of.get(prev, []):
            if r["year"] is None or r["year"] == year_before:
                last_by_key.setdefault(key, r)
        mine = narrative_of.get(doc_id)
        if mine is None:
            continue
        recs = _by_start(mine)
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


def _total(totals_of: dict, doc_id: str) -> Optional[dict]:
    """The first (by start) total amount of `doc_id` (totals_of: its (key, fact) pairs)."""
    a = totals_of.get(doc_id)
    return _by_start([f for _k, f in a])[0] if a else None


def _units_vs_department(docs: list[dict], facts: list[dict], amounts: Optional[list[tuple]] = None) -> list[Flag]:
    out = []
    amounts = _amounts(facts) if amounts is None else amounts
    recs = docs
    units_of: dict = {}  # unit disclosures by (year, kind, region), in document order
    for u in recs:
        if u.get("scope") == "unit":
            units_of.setdefault((u.get("year"), u.get("doc_kind"), u.get("region") or ""), []).append(u)
    totals_of = _group((kf for kf in amounts if kf[0] in TOTAL_KEYS), lambda kf: kf[1]["doc_id"])
    for d in recs:
        if d.get("scope") != "department":
            continue
        name = _norm_dept(d.get("department"))
        units = [u for u in units_of.get((d.get("year"), d.get("doc_kind"), d.get("region") or ""), [])
                 if u["doc_id"] != d["doc_id"] and name and name in _norm_dept(u.get("department"))]
        if not units:
            continue
        dt = _total(totals_of, d["doc_id"])
        uts = [(u, _total(totals_of, u["doc_id"])) for u in units]
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
