"""The verdict part of the report (issue 13): per document, "N of M figures verified against
the tables", and the figures nothing could check, so that a reviewer knows what was not
checked (templates/verdicts.html.j2 shows it).  Data only: the template does the markup.

The summary is built from plain rows in one pass (`summarise`); rows that come ordered by
document are summarised as they arrive, so only the listed figures are kept in memory."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Optional

import numpy as np

from .values import missing

if TYPE_CHECKING:
    import pandas as pd

FACT_COLUMNS = ["doc_id", "subject", "value", "unit", "sentence", "start", "page", "verdict", "checked_against"]
LIMIT = 60  # unverifiable figures listed per document (the rest counted)
SENTENCE_CHARS = 200  # of a listed figure's sentence


def facts_query() -> str:
    """The store query the report needs (only figures with a verdict)."""
    cols = ", ".join(f'"{c}"' for c in FACT_COLUMNS)
    return f"SELECT {cols} FROM facts WHERE verdict IS NOT NULL"


def ordered_facts_query() -> str:
    """`facts_query` with the columns `summarise` reads, in the order they are stored (a
    document's rows in that order); a missing value is NaN as in a pandas frame."""
    cols = ", ".join(f'"{c}"' if c != "value" else "coalesce(\"value\", 'NaN'::DOUBLE) AS \"value\""
                     for c in ["doc_id", "verdict", "subject", "value", "unit", "sentence", "start", "page"])
    return f"SELECT {cols} FROM facts WHERE verdict IS NOT NULL"


def verdict_summary(facts: pd.DataFrame | None, limit: int = LIMIT) -> dict:
    """doc_id → {figures, verified, contradicted, unverifiable, line, unverified: [...], more}."""
    if facts is None or facts.empty or "verdict" not in facts.columns:
        return {}
    cols = [c for c in ("doc_id", "verdict", "subject", "value", "unit", "sentence", "start", "page")
            if c in facts.columns]
    return summarise((dict(zip(cols, r)) for r in zip(*(facts[c].tolist() for c in cols))), limit,
                     by_start="start" in facts.columns)


def summarise(rows: Iterable[dict], limit: int = LIMIT, *, ordered: bool = False, by_start: bool = True,
              only: Optional[set] = None) -> dict:
    """`verdict_summary` of rows (dicts with doc_id, verdict, subject, value, unit, sentence,
    start, page).  `ordered`: the rows of a document come together (each document is
    summarised when the next begins).  `only`: the documents to summarise."""
    out: dict = {}
    acc: dict = {}  # doc_id -> [figures, verified, contradicted, unverifiable rows]
    current = None
    for r in rows:
        v = r.get("verdict")
        if _missing(v):
            continue
        d = r["doc_id"]
        if only is not None and d not in only:
            continue
        if ordered and d != current:
            if current is not None and current in acc:
                out[current] = _one(*acc.pop(current), limit, by_start)
            current = d
        a = acc.get(d)
        if a is None:
            a = acc[d] = [0, 0, 0, []]
        a[0] += 1
        if v == "verified":
            a[1] += 1
        elif v == "contradicted":
            a[2] += 1
        elif v == "unverifiable":
            a[3].append((_s(r.get("subject")), _num(r.get("value")), _s(r.get("unit")),
                         _s(r.get("sentence"))[:SENTENCE_CHARS], _page(r.get("page")), r.get("start")))
    for d, a in acc.items():
        out[d] = _one(*a, limit, by_start)
    return out


def _one(n: int, ok: int, bad: int, unver: list, limit: int, by_start: bool) -> dict:
    if by_start:
        unver = [unver[i] for i in _argsort_starts([u[5] for u in unver])]
    items = [{"subject": s, "value": v, "unit": u, "sentence": t, "page": p} for s, v, u, t, p, _ in unver[:limit]]
    return {
        "figures": n, "verified": ok, "contradicted": bad, "unverifiable": n - ok - bad,
        "line": f"{ok} of {n} figures verified against the tables"
                + (f", {bad} contradicted" if bad else "") + f", {n - ok - bad} not checked",
        "unverified": items, "more": max(0, len(unver) - limit),
    }


def _argsort_starts(starts: list) -> list[int]:
    """The order pandas' `sort_values("start")` gives (its default quicksort on the int32
    column, missing values last), so that the listed figures are the same."""
    if len(starts) < 2:
        return list(range(len(starts)))
    present = [i for i, s in enumerate(starts) if not _missing(s)]
    missing = [i for i, s in enumerate(starts) if _missing(s)]
    order = np.asarray([starts[i] for i in present], dtype=np.int32).argsort(kind="quicksort")
    return [present[k] for k in order] + missing


_missing = missing


def _s(x) -> str:
    return "" if x is None or (isinstance(x, float) and x != x) else str(x)


def _num(x) -> str:
    try:
        return f"{float(x):,.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return ""


def _page(x):
    try:
        return None if missing(x) else int(x)
    except (TypeError, ValueError):
        return None
