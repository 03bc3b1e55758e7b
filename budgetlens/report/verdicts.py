"""The verdict part of the report (issue 13): per document, "N of M figures verified against
the tables", and the figures nothing could check, so that a reviewer knows what was not
checked.  Data first (`verdict_summary`), then a small HTML fragment the report template
shows (`verdict_html`)."""
from __future__ import annotations

from html import escape

import pandas as pd


def verdict_summary(docs: pd.DataFrame, facts: pd.DataFrame, limit: int = 50) -> list[dict]:
    """One entry per document with figures: counts and its unverifiable figures (subject,
    value, unit, sentence), in document order."""
    if facts is None or facts.empty or "verdict" not in facts.columns:
        return []
    figs = facts[facts["verdict"].notna()]
    out = []
    names = {}
    if docs is not None and not docs.empty:
        names = {r.doc_id: (r.department or r.source) for r in docs.itertuples()}
    for doc_id, g in figs.groupby("doc_id", sort=False):
        v = g["verdict"].value_counts()
        unver = g[g["verdict"] == "unverifiable"].sort_values("start")
        out.append({
            "doc_id": doc_id, "name": names.get(doc_id, g["source"].iloc[0]), "source": g["source"].iloc[0],
            "figures": len(g), "verified": int(v.get("verified", 0)),
            "contradicted": int(v.get("contradicted", 0)), "unverifiable": int(v.get("unverifiable", 0)),
            "unverified_items": [
                {"subject": r.subject, "value": r.value, "unit": r.unit, "sentence": r.sentence}
                for r in unver.head(limit).itertuples()
            ],
            "more": max(0, len(unver) - limit),
        })
    return out


def _fmt(v) -> str:
    try:
        return f"{float(v):,.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return ""


def verdict_html(summary: list[dict]) -> str:
    """The fragment: a line per document and, folded, its unverifiable figures."""
    if not summary:
        return ""
    parts = ['<section class="verdicts"><h2>核对情况 / Figures checked against the tables</h2>']
    for d in summary:
        parts.append(
            f'<details><summary>{escape(str(d["name"]))}：{d["figures"]} 个数字中 {d["verified"]} 个与表格核对一致'
            f'，{d["contradicted"]} 个有标记，{d["unverifiable"]} 个无法核对'
            f' ({d["verified"]} of {d["figures"]} figures verified against the tables)</summary><ul>')
        for it in d["unverified_items"]:
            parts.append(f'<li>{escape(str(it["subject"] or ""))} {_fmt(it["value"])}{escape(str(it["unit"] or ""))}'
                         f' — <q>{escape(str(it["sentence"] or "")[:160])}</q></li>')
        if d["more"]:
            parts.append(f'<li>…另有 {d["more"]} 个</li>')
        parts.append("</ul></details>")
    parts.append("</section>")
    return "\n".join(parts)
