"""Table types from evidence: the title, the header and the rows, scored.

A title alias (gazetteers/tables/*.yaml) is strong evidence; a table number (`预算05表`,
`公开表3`) is none.  Without an alias, the header (因公出国（境）费 → 三公; 基本支出/项目支出;
fund columns), the rows (功能分类 2xx vs 经济分类 3xx codes or names, projects, a two-sided
收入 | 支出 layout) and the title's words add up per type (gazetteers/table_evidence.yaml).
Below the threshold the type is `unknown`, and no rule uses the table for an error or a
warning.  Scores and evidence stay on the table for notebooks.
"""
from __future__ import annotations

import functools
import re
from itertools import chain, compress
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Table
from budgetlens.document.tables import _raw_cell_kind, is_code

E = gazetteers.load("table_evidence")
TITLE_NUMBER = re.compile(E["title_number"])
SIGNALS = {k: [(w, (re.compile(p) if w != "rows" else p), float(x)) for w, p, x in v]
           for k, v in E["signals"].items()}


# every signal in scoring order: (key, where, pattern, weight)
_FLAT_SIGNALS = [(key, where, pat, w) for key, sigs in SIGNALS.items() for where, pat, w in sigs]
_SPACES = re.compile(r"[\s　]")
_CODE_PREFIX = re.compile(r"^\d{3,7}[-\s]*")


def _title(t: Table) -> str:
    return _clean_title(t.title or "")


@functools.lru_cache(maxsize=20_000)
def _clean_title(title: str) -> str:
    return TITLE_NUMBER.sub("", gazetteers.normalise_title(title))


@functools.lru_cache(maxsize=20_000)
def _profile_label(label: str) -> str:
    """A row label without spaces and a leading code (`2010101 行政运行` → `行政运行`)."""
    return _CODE_PREFIX.sub("", _SPACES.sub("", label))


@functools.lru_cache(maxsize=20_000)
def _match_type(title: str) -> Optional[str]:
    return gazetteers.match_table_type(title)


@functools.lru_cache(maxsize=20_000)
def _title_hits(title: str) -> tuple:
    """Per signal of _FLAT_SIGNALS: does the title carry it (title signals only)."""
    return tuple(where == "title" and pat.search(title) is not None for _k, where, pat, _w in _FLAT_SIGNALS)


@functools.lru_cache(maxsize=20_000)
def _header_hits(labels: tuple) -> tuple:
    """Per signal of _FLAT_SIGNALS: does a header label carry it (header signals only)."""
    return tuple(where == "header" and any(pat.search(s) for s in labels)
                 for _k, where, pat, _w in _FLAT_SIGNALS)


def row_profile(t: Table) -> set[str]:
    """functional / economic / projects / two_sided, from the rows and the column tree."""
    out: set[str] = set()
    rows = t.rows[: E["rows_seen"]]
    func = gazetteers.functional_name_index()
    econ = gazetteers.economic_name_index()
    n_func = n_econ = n_named = n_numeric_rows = 0
    for r, kinds in zip(rows, _row_kinds(t)):
        # a figure that is no code (what _raw_cell_kind calls a number)
        if "number" not in kinds:
            continue
        n_numeric_rows += 1
        code = r.code or next((c.strip() for c in r.cells[:4] if is_code(c)), None)
        label = _profile_label(r.label or "")
        if code:
            if code[0] == "2":
                n_func += 1
            elif code[0] in "35":
                n_econ += 1
            continue
        if label in func:
            n_func += 1
        elif label in econ:
            n_econ += 1
        elif label and not r.is_total:
            n_named += 1
    if n_numeric_rows:
        if n_func >= 2 and n_func >= 0.5 * n_numeric_rows:
            out.add("functional")
        if n_econ >= 2 and n_econ >= 0.5 * n_numeric_rows:
            out.add("economic")
        if n_named >= 2 and n_named >= 0.6 * n_numeric_rows and n_func + n_econ <= 1:
            out.add("projects")
    if two_sided(t):
        out.add("two_sided")
    return out


_TEXTY = frozenset([None, "text"])  # the kinds of a cell without a value: text, a dash or nothing


def _row_kinds(t: Table) -> list:
    """Each data row's cell kinds (_raw_cell_kind): structure_table's, else computed."""
    kinds = t.__dict__.get("_kinds")
    if kinds is None or len(kinds) != len(t.rows):
        kinds = [list(map(_raw_cell_kind, r.cells)) for r in t.rows]
    return kinds


def two_sided(t: Table) -> bool:
    """A 收入 | 支出 layout: exactly two panels, each label columns then amount columns."""
    runs: list[str] = []
    for c in t.column_info:
        k = "L" if c.relation in ("label", "code") else ("" if c.relation == "index" else "A")
        if k and (not runs or runs[-1] != k):
            runs.append(k)
    return runs == ["L", "A", "L", "A"]


def score(t: Table) -> tuple[dict, list[str]]:
    """(type → score, evidence lines) for one table."""
    title = _title(t)
    labels = [seg for c in t.column_info for seg in c.path]
    # the texts of the rows seen: cells that are no figure (a code or a number has a value)
    texty = _TEXTY.__contains__
    text = " ".join(chain(labels, *(filter(None, compress(r.cells, map(texty, kinds)))
                                    for r, kinds in zip(t.rows[: E["rows_seen"]], _row_kinds(t)))))
    profile = row_profile(t)
    scores: dict = {}
    evidence: list[str] = []
    alias = _match_type(title) if title else None
    if alias:
        scores[alias] = float(E["title_alias"])
        evidence.append(f"{alias}: title alias in “{title}” +{E['title_alias']}")
    # the signals that hit, in scoring order: title and header signals memoised by text
    hits = list(_static_hits(title, tuple(labels)) + _text_hits(text))
    for i in _ROWS:
        if _FLAT_SIGNALS[i][2] in profile:
            hits.append(i)
    hits.sort()
    for i in hits:
        key, _where, _pat, w = _FLAT_SIGNALS[i]
        scores[key] = scores.get(key, 0.0) + w
        evidence.append(_EVIDENCE[i])
    return scores, evidence


# each signal's evidence line
_EVIDENCE = [f"{key}: {where} {getattr(pat, 'pattern', pat)} {w:+g}" for key, where, pat, w in _FLAT_SIGNALS]
# the signals scored on each table's rows (the others are memoised per title, header and text)
_ROWS = [i for i, (_k, where, _p, _w) in enumerate(_FLAT_SIGNALS) if where not in ("title", "header", "text")]


@functools.lru_cache(maxsize=2_000)
def _text_hits(text: str) -> tuple:
    """The indices of the text signals of _FLAT_SIGNALS that hit (row texts recur: labels)."""
    return tuple(i for i, (_k, where, pat, _w) in enumerate(_FLAT_SIGNALS) if where == "text" and pat.search(text))


@functools.lru_cache(maxsize=20_000)
def _static_hits(title: str, labels: tuple) -> tuple:
    """The indices of the title and header signals of _FLAT_SIGNALS that hit."""
    title_hits, header_hits = _title_hits(title), _header_hits(labels)
    return tuple(i for i, (_k, where, _p, _w) in enumerate(_FLAT_SIGNALS)
                 if (title_hits[i] if where == "title" else header_hits[i] if where == "header" else False))


def assign_type(t: Table, prev: Optional[Table] = None) -> None:
    """Score the table; a table its title alias already typed keeps that type, another gets
    the best-scoring type when the evidence is strong enough.  `prev`: the table before it
    in the document; a table without a title alias on the same or the next page may be
    its continuation (a long table split over pages), which adds to that type's score."""
    scores, evidence = score(t)
    if prev is not None and prev.table_type != "unknown" and t.table_type == "unknown" and \
            t.page and prev.page and 0 <= t.page - prev.page <= 1 and prev.table_type in scores:
        scores[prev.table_type] += E["continuation"]
        evidence.append(f"{prev.table_type}: continues the table before {E['continuation']:+g}")
    t.type_scores = {k: v for k, v in sorted(scores.items(), key=lambda kv: -kv[1]) if v}
    t.type_evidence = evidence
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if t.table_type != "unknown":
        own = scores.get(t.table_type, 0.0)
        if ranked and ranked[0][0] != t.table_type and own < E["threshold"] and \
                ranked[0][1] >= E["threshold"] and ranked[0][1] - own >= E["margin"]:
            t.type_evidence.append(f"type {ranked[0][0]}: score {ranked[0][1]:g} overrules the title's "
                                   f"{t.table_type} ({own:g})")
            t.table_type = ranked[0][0]
        return
    if not ranked:
        return
    best, s = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    if s >= E["threshold"] and s - runner >= E["margin"]:
        t.table_type = best
        t.type_evidence.append(f"type {best}: score {s:g} (next {runner:g})")
