"""Which reviewer's decision applies to which flag (decisions are stored by
`budgetlens.store.reviews`; the report and the review app read them through this).

A decision applies to a flag while the flag is the one the reviewer saw: same `flag_id`
(stable across runs: a hash of the document's content, the rule and what the rule found)
and same `fingerprint` (its values and its evidence).  When the figures change, the flag
is open again, and `changed` says a decision was taken on other figures.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Optional

from .values import missing

if TYPE_CHECKING:
    import pandas as pd


def _list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    try:
        return list(x)
    except TypeError:
        return []


def _float(x) -> Optional[float]:
    try:
        if missing(x):
            return None
    except (TypeError, ValueError):
        return None
    return round(float(x), 6)


def fingerprint(flag, *, stored: bool = False) -> str:
    """What the reviewer judged: the rule, the figures and the evidence as quoted (not
    pages or run ids, which may move without the finding changing).  `stored`: `flag` is a
    row as the store gives it (lists as lists), where a NULL among the values counts as NaN,
    as the masked element of the store's DataFrame does."""
    get = flag.get if hasattr(flag, "get") else (lambda k, d=None: getattr(flag, k, d))
    basis = [
        get("rule"),
        [_float(v) if not (stored and v is None) else float("nan") for v in _list(get("values"))],
        _float(get("stated")), _float(get("expected")),
        [str(e) for e in _list(get("evidence"))],
    ]
    return hashlib.sha1(json.dumps(basis, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]



def decide(flags: list[dict], reviews: list[dict]) -> None:
    """`decisions` of the store's flag rows (`fingerprint(stored=True)`) and reviews (rows of
    `store.reviews.table_rows`, a missing text NaN as in the frame), set on each row."""
    latest = {r["flag_id"]: r for r in reviews}
    for f in flags:
        fp = f["fingerprint"] = fingerprint(f, stored=True)
        r = latest.get(f.get("flag_id"))
        # a missing fingerprint is NaN: truthy, equal to nothing (as in the frame)
        if r is not None and (not r["fingerprint"] or r["fingerprint"] == fp):
            f.update(decision=r["decision"], note=r["note"], reviewer=r["reviewer"], decided_at=r["decided_at"],
                     changed=False)
        else:
            f.update(decision="open", note=None, reviewer=None, decided_at=None, changed=r is not None)


def decisions(flags: pd.DataFrame, reviews: Optional[pd.DataFrame]) -> pd.DataFrame:
    """`flags` with `decision` (open / confirmed / dismissed), `note`, `reviewer`,
    `decided_at`, `fingerprint` and `changed` (a decision was taken on other figures:
    the flag is open again)."""
    import pandas as pd

    flags = flags.copy()
    if reviews is None:
        reviews = pd.DataFrame(columns=["flag_id", "decision", "note", "reviewer", "decided_at", "fingerprint"])
    flags["fingerprint"] = [fingerprint(r) for r in flags.to_dict("records")] if len(flags) else []
    latest = reviews.drop_duplicates("flag_id", keep="last").set_index("flag_id") if len(reviews) else None
    dec, note, who, when, changed = [], [], [], [], []
    for fid, fp in zip(flags.get("flag_id", []), flags["fingerprint"]):
        r = latest.loc[fid] if latest is not None and fid in latest.index else None
        if r is not None and (not r["fingerprint"] or r["fingerprint"] == fp):
            dec.append(r["decision"]), note.append(r["note"]), who.append(r["reviewer"]), when.append(r["decided_at"])
            changed.append(False)
        else:
            dec.append("open"), note.append(None), who.append(None), when.append(None)
            changed.append(r is not None)
    flags["decision"], flags["note"], flags["reviewer"], flags["decided_at"], flags["changed"] = dec, note, who, when, changed
    return flags
