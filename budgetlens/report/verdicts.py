"""The verdict part of the report (issue 13): per document, "N of M figures verified against
the tables", and the figures nothing could check, so that a reviewer knows what was not
checked (templates/verdicts.html.j2 shows it).  Data only: the template does the markup."""
from __future__ import annotations

import pandas as pd

FACT_COLUMNS = ["doc_id", "subject", "value", "unit", "sentence", "start", "page", "verdict", "checked_against"]
LIMIT = 60  # unverifiable figures listed per document (the rest counted)


def facts_query() -> str:
    """The store query the report needs (only figures with a verdict)."""
    cols = ", ".join(f'"{c}"' for c in FACT_COLUMNS)
    return f"SELECT {cols} FROM facts WHERE verdict IS NOT NULL"


def verdict_summary(facts: pd.DataFrame | None, limit: int = LIMIT) -> dict:
    """doc_id → {figures, verified, contradicted, unverifiable, line, unverified: [...], more}."""
    if facts is None or facts.empty or "verdict" not in facts.columns:
        return {}
    figs = facts[facts["verdict"].notna()]
    out = {}
    for doc_id, g in figs.groupby("doc_id", sort=False):
        v = g["verdict"].value_counts()
        n, ok, bad = len(g), int(v.get("verified", 0)), int(v.get("contradicted", 0))
        unver = g[g["verdict"] == "unverifiable"]
        if "start" in unver.columns:
            unver = unver.sort_values("start")
        items = [{"subject": _s(r.get("subject")), "value": _num(r.get("value")), "unit": _s(r.get("unit")),
                  "sentence": _s(r.get("sentence"))[:200], "page": _page(r.get("page"))}
                 for _, r in unver.head(limit).iterrows()]
        out[doc_id] = {
            "figures": n, "verified": ok, "contradicted": bad, "unverifiable": n - ok - bad,
            "line": f"{ok} of {n} figures verified against the tables"
                    + (f", {bad} contradicted" if bad else "") + f", {n - ok - bad} not checked",
            "unverified": items, "more": max(0, len(unver) - limit),
        }
    return out


def _s(x) -> str:
    return "" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x)


def _num(x) -> str:
    try:
        return f"{float(x):,.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return ""


def _page(x):
    try:
        return None if x is None or pd.isna(x) else int(x)
    except (TypeError, ValueError):
        return None
