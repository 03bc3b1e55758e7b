"""Reconciliation: every inconsistency between narrative and tables, and within each.

`check_document(doc, facts)` runs one module per flag family (see ../shared/contract.md)
and merges what they found: one root cause → one flag (duplicates dropped, flags citing
the same figure linked through `related`).  `check_corpus` runs the rules that need
other documents (last year's disclosure, a 部门's 单位) after a run.
"""
from __future__ import annotations

import logging
from typing import Iterable

from budgetlens.document.model import Document
from budgetlens.reconcile import (
    assets,
    breakdowns,
    comparison,
    completeness,
    cross_document,
    decomposition,
    glossary,
    indicator,
    magnitude,
    memo,
    narrative_arithmetic,
    narrative_vs_table,
    numbering,
    projects,
    shares,
    table_arithmetic,
    text,
    two_sided,
)
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import SAME_ROOT

log = logging.getLogger(__name__)

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# The rules, registered here and nowhere else: each module's `check(doc, facts)` returns its
# flags (the families are listed in README.md), in this order; the corpus rules run after a
# run over every document of it and the store's related ones.
DOCUMENT_RULES = (table_arithmetic, two_sided, narrative_vs_table, magnitude, projects, narrative_arithmetic, breakdowns, assets, decomposition, shares,
                  comparison, indicator, completeness, numbering, glossary, text)
CORPUS_RULES = (cross_document,)


def check_document(doc: Document, facts: list | None = None) -> list[Flag]:
    facts = list(facts or [])
    memo.fresh(doc)  # what the rules (and then the verdicts) work out once per document
    found: list[Flag] = []
    for mod in DOCUMENT_RULES:
        try:
            found.extend(mod.check(doc, facts))
        except Exception:  # one broken rule must not hide the others' findings
            log.exception("rule module %s failed on %s", mod.__name__, doc.source)
    for f in found:
        f.doc_id = f.doc_id or doc.doc_id
        f.source = f.source or doc.source
    return merge(found)


def merge(flags: Iterable[Flag]) -> list[Flag]:
    """Drop exact duplicates; when several flags quote the same narrative figure (same
    span) or the same cells, keep the most severe as the root and demote the others to
    `info`, linked to it."""
    seen: dict[str, Flag] = {}
    for f in flags:
        seen.setdefault(f.flag_id, f)
    out = sorted(seen.values(), key=lambda f: SEVERITY_RANK.get(f.severity, 3))
    roots: dict[tuple, Flag] = {}
    for f in out:
        keys = []
        if f.start is not None and f.family not in ("text", "completeness"):
            keys.append(("span", f.start))
        root = next((roots[k] for k in keys if k in roots), None)
        if root is not None and root is not f and f.severity != "info":
            f.related.append(root.flag_id)
            root.related.append(f.flag_id)
            f.severity = "info"
            f.message = f.message + SAME_ROOT
            continue
        for k in keys:
            roots.setdefault(k, f)
    # a list that does not add up because one item disagrees with its table: the table
    # comparison names the wrong item, the list flag is the same root cause
    precise = [f for f in out if f.family == "narrative_vs_table" and f.sentence and f.severity != "info"]
    for f in out:
        if f.rule != "list.sum_vs_total" or f.severity == "info":
            continue
        for p in precise:
            if p.start is not None and p.start in spans_of(f):  # the table contradicts the total or an item
                f.severity = "info"
                f.related.append(p.flag_id)
                p.related.append(f.flag_id)
                break
    # nested lists (`总额A，其中：B…；B包括：…`): a wrong B breaks both sums by the same gap
    lists = [f for f in out if f.rule in ("list.sum_vs_total", "list.parts_vs_total") and f.severity != "info"
             and f.difference is not None]
    for i, f in enumerate(lists):
        for g in lists[:i]:
            if g.severity != "info" and abs(abs(f.difference) - abs(g.difference)) < 1e-6 and \
                    (any(abs(x - y) < 1e-6 for x in f.values for y in g.values) or spans_of(f) & spans_of(g)):
                loser = f if SEVERITY_RANK.get(f.severity, 3) >= SEVERITY_RANK.get(g.severity, 3) else g
                winner = g if loser is f else f
                loser.severity = "info"
                loser.message += SAME_ROOT
                loser.related.append(winner.flag_id)
                winner.related.append(loser.flag_id)
                break
    # an item stated twice, or a change computed from a figure, where the table already
    # says which figure is wrong: the narrative_vs_table flag is the root
    by_start = {p.start: p for p in precise if p.start is not None}
    for f in out:
        if f.severity == "info" or f.family == "narrative_vs_table":
            continue
        root = None
        if f.rule in ("amount.stated_twice", "list.parts_vs_total"):
            root = next((by_start[s] for s in cited_spans(f) if s in by_start), None)
        elif f.rule == "share.vs_amounts":
            # `基本支出115.58万元，占34.30%` where the table says 105.58: the amount is wrong, not the share
            root = next((by_start[s] for s in cited_spans(f)[:1] if s in by_start), None)
        elif f.family == "comparison" and f.sentence:
            root = next((p for p in precise if p.sentence and p.sentence.strip() == f.sentence.strip()
                         and p.stated is not None and any(abs(p.stated - v) < 1e-6 for v in f.values)), None)
            # a rate of an amount stated in another sentence: the amount's own table flag is the root
            root = root or next((by_start[int(c[5:])] for c in f.cells if c.startswith("span:")
                                 and int(c[5:]) in by_start), None)
        if root is not None:
            f.severity = "info"
            f.message = f.message + SAME_ROOT
            f.related.append(root.flag_id)
            root.related.append(f.flag_id)
    return out


def cited_spans(f: Flag) -> list[int]:
    """The narrative figures a flag cites besides its own, in order (its `span:` cells)."""
    return [int(c[5:]) for c in f.cells if c.startswith("span:")]


def spans_of(f: Flag) -> set[int]:
    """Every narrative figure a flag rests on: its own (`start`) and those it cites.  Two
    flags resting on one figure are linked through these keys, never through their text."""
    return set(cited_spans(f)) | ({f.start} if f.start is not None else set())


def check_corpus(documents, facts, cells=None) -> list[Flag]:
    """Rules across documents (reconcile/cross_document.py) over the run's DataFrames."""
    out: list[Flag] = []
    for mod in CORPUS_RULES:
        out.extend(mod.check_corpus(documents, facts, cells))
    return out


__all__ = ["check_document", "check_corpus", "merge", "Flag", "DOCUMENT_RULES", "CORPUS_RULES"]
