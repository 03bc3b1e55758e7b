"""Reviewers' decisions on flags: the `reviews` table of the store and its journal.

A decision is a row (flag_id, decision, note, reviewer, decided_at, fingerprint, review_id),
never updated or deleted: the latest row of a flag is its decision, the rest is history.
Every decision is first appended to `reviews.jsonl` beside the store (one JSON object a
line, flushed to disk), then inserted into the table; `import_journal` puts back whatever
the table lacks, so a store rebuilt from its inputs (or one that was busy when the decision
was taken) never loses a decision.

Which decision applies to which flag (`flag_id` and `fingerprint`) is decided in
`budgetlens.report.reviewed`, beside the report that hides dismissed flags.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

DECISIONS = ("confirmed", "dismissed")
REVIEWS = {
    "review_id": "VARCHAR", "flag_id": "VARCHAR", "decision": "VARCHAR", "note": "VARCHAR",
    "reviewer": "VARCHAR", "decided_at": "VARCHAR", "fingerprint": "VARCHAR", "doc_id": "VARCHAR",
}
JOURNAL = "reviews.jsonl"


def journal_path(store_path: str | Path) -> Path:
    return Path(store_path).parent / JOURNAL


def create_table(con) -> None:
    body = ", ".join(f'"{c}" {t}' for c, t in REVIEWS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS reviews ({body})")


def new_review(flag_id: str, decision: str, note: str = "", reviewer: str = "",
               fingerprint: str = "", doc_id: str = "") -> dict:
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    # the id starts with the time in nanoseconds: two decisions within one second of
    # `decided_at` still sort in the order they were taken (the latest one applies)
    return {
        "review_id": f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}", "flag_id": str(flag_id), "decision": decision,
        "note": (note or "")[:4000], "reviewer": (reviewer or "")[:200],
        "decided_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fingerprint": fingerprint or "", "doc_id": doc_id or "",
    }


def append_journal(path: str | Path, review: dict) -> None:
    """One line, appended and flushed to disk before the decision counts as taken."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({c: review.get(c) for c in REVIEWS}, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_journal(path: str | Path) -> pd.DataFrame:
    """Every decision in the journal (a torn last line from a crash is skipped), a frame."""
    import pandas as pd

    return pd.DataFrame(journal_rows(path), columns=list(REVIEWS))


def journal_rows(path: str | Path) -> list[dict]:
    """Every decision in the journal (a torn last line from a crash is skipped)."""
    rows = []
    path = Path(path)
    if path.is_file():
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if isinstance(r, dict) and r.get("flag_id") and r.get("decision") in DECISIONS:
                    rows.append({c: r.get(c) for c in REVIEWS})
    return rows


def insert(con, reviews: Iterable[dict]) -> int:
    rows = list(reviews)
    if not rows:
        return 0
    create_table(con)
    con.register("_reviews", {c: np.fromiter((r.get(c) for r in rows), dtype=object, count=len(rows)) for c in REVIEWS})
    try:
        n = con.execute("SELECT count(*) FROM _reviews WHERE review_id NOT IN (SELECT review_id FROM reviews)").fetchone()[0]
        cols = ", ".join(f'"{c}"' for c in REVIEWS)
        con.execute(f"INSERT INTO reviews ({cols}) SELECT {cols} FROM _reviews "
                    "WHERE review_id NOT IN (SELECT review_id FROM reviews)")
    finally:
        con.unregister("_reviews")
    return int(n)


def import_journal(con, store_path: str | Path) -> int:
    """Insert the journal's decisions the store's `reviews` table lacks (by review_id);
    returns how many.  Run after a store rebuild, or any time: it never duplicates."""
    return insert(con, journal_rows(journal_path(store_path)))


def table(con, store_path: str | Path | None = None) -> pd.DataFrame:
    """All decisions: the table's, plus the journal's not yet in it (a decision taken
    while the store was busy), oldest first."""
    import pandas as pd

    try:
        have = con.execute("SELECT * FROM reviews").df()
    except Exception:  # no reviews table yet (a read-only store of an older version)
        have = pd.DataFrame(columns=list(REVIEWS))
    if store_path is not None:
        extra = read_journal(journal_path(store_path))
        if not extra.empty:
            extra = extra[~extra["review_id"].isin(have["review_id"])]
            have = pd.concat([have, extra], ignore_index=True) if len(have) else extra
    if have.empty:
        return pd.DataFrame(columns=list(REVIEWS))
    return have.sort_values(["decided_at", "review_id"], kind="stable").reset_index(drop=True)


def table_rows(con, store_path: str | Path | None = None) -> list[dict]:
    """`table` as row dicts, a missing text NaN as in the frame."""
    try:
        cur = con.execute("SELECT * FROM reviews")
        cols = [c[0] for c in cur.description]
        have = [dict(zip(cols, r)) for r in cur.fetchall()]
    except Exception:  # no reviews table yet (a read-only store of an older version)
        have = []
    if store_path is not None:
        ids = {r.get("review_id") for r in have}
        have += [r for r in journal_rows(journal_path(store_path)) if r.get("review_id") not in ids]
    nan = float("nan")
    rows = [{c: (nan if r.get(c) is None else r.get(c)) for c in (*REVIEWS, *(k for k in r if k not in REVIEWS))}
            for r in have]

    def key(r):
        return tuple(x for c in ("decided_at", "review_id") for x in (_na(r[c]), "" if _na(r[c]) else r[c]))
    return sorted(rows, key=key)


def _na(x) -> bool:
    return x is None or (isinstance(x, float) and x != x)
