"""What the review app reads and writes.  The store is opened read-only for every read,
and read-write only to append a decision to `reviews` (after the journal has it), each
time for as short as possible, so a scheduled run can still take the store in between."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Optional

import pandas as pd

from budgetlens.report.html import _list, split_evidence
from budgetlens.report.reviewed import decisions, fingerprint
from budgetlens.store import reviews as review_store
from budgetlens.store.duck import WRITE_SEQ, StoreLocked, _connect

STORE_FILE = "budgetlens.duckdb"
FLAG_FILTERS = ("severity", "family", "department", "year", "decision")


def resolve_store(path: str | Path) -> Path:
    """DIR (a `--out` folder or a store folder) or the .duckdb file itself."""
    p = Path(path)
    if p.is_dir():
        p = p / STORE_FILE
    if not p.is_file():
        raise FileNotFoundError(f"no budgetlens store at {p} (run `budgetlens run ... --out DIR` first)")
    return p


class StoreBusy(RuntimeError):
    """A run is writing the store; reading waits for it."""


def _json_list(x) -> list:
    if x is None:
        return []
    try:
        if pd.isna(x):
            return []
    except (TypeError, ValueError):
        pass
    try:
        v = json.loads(x) if isinstance(x, str) else list(x)
    except (TypeError, ValueError):
        return []
    return v if isinstance(v, list) else []


class ReviewStore:
    def __init__(self, path: str | Path, reviewer: str = ""):
        self.path = resolve_store(path)
        self.reviewer = reviewer
        self._lock = threading.Lock()  # one connection at a time in this process

    def _read(self, fn):
        with self._lock:
            try:
                con = _connect(self.path, True, 5.0, None)
            except StoreLocked as exc:
                raise StoreBusy(str(exc)) from None
            try:
                return fn(con)
            finally:
                con.close()

    # -- reads -----------------------------------------------------------------------
    def flags(self, **filters) -> pd.DataFrame:
        """Flags with their document's department/year/source and their decision;
        `decision` defaults to hiding dismissed flags ("all" shows every one)."""
        def load(con):
            flags = con.execute(
                "SELECT f.*, d.department, d.year, d.doc_kind, d.scope, d.format, d.title AS doc_title "
                "FROM flags f JOIN documents d USING (doc_id)").df()
            return flags, review_store.table(con, self.path)

        flags, reviews = self._read(load)
        flags = flags.drop_duplicates("flag_id")
        flags = decisions(flags, reviews)
        decision = filters.get("decision") or "undismissed"
        if decision == "undismissed":
            flags = flags[flags["decision"] != "dismissed"]
        elif decision != "all":
            flags = flags[flags["decision"] == decision]
        for key in ("severity", "family", "department"):
            if filters.get(key):
                flags = flags[flags[key].astype(str) == str(filters[key])]
        if filters.get("year"):
            flags = flags[flags["year"].astype("Int64").astype(str) == str(filters["year"])]
        rank = {"error": 0, "warning": 1, "info": 2}
        return flags.assign(_r=flags["severity"].map(rank).fillna(3)).sort_values(
            ["_r", "department", "year", "family", "flag_id"], na_position="last").drop(columns="_r")

    def flag(self, flag_id: str) -> Optional[dict]:
        flags = self.flags(decision="all")
        hit = flags[flags["flag_id"] == flag_id]
        return None if hit.empty else hit.iloc[0].to_dict()

    def history(self, flag_id: str) -> list[dict]:
        reviews = self._read(lambda con: review_store.table(con, self.path))
        return reviews[reviews["flag_id"] == flag_id].to_dict("records")

    def documents(self) -> pd.DataFrame:
        return self._read(lambda con: con.execute("SELECT * FROM documents").df().drop(columns=[WRITE_SEQ], errors="ignore"))

    def facets(self) -> dict:
        f = self.flags(decision="all")
        return {
            "severity": [s for s in ("error", "warning", "info") if s in set(f["severity"])],
            "family": sorted(f["family"].dropna().unique()),
            "department": sorted(f["department"].dropna().astype(str).unique()),
            "year": sorted({str(int(y)) for y in f["year"].dropna()}),
            "decision": ["undismissed", "open", "confirmed", "dismissed", "all"],
        }

    # -- writes ----------------------------------------------------------------------
    def review(self, flag_id: str, decision: str, note: str = "", reviewer: str = "") -> dict:
        flag = self.flag(flag_id)
        if flag is None:
            raise KeyError(flag_id)
        rec = review_store.new_review(flag_id, decision, note, reviewer or self.reviewer,
                                      fingerprint(flag), flag.get("doc_id") or "")
        with self._lock:
            review_store.append_journal(review_store.journal_path(self.path), rec)
            try:
                con = _connect(self.path, False, 10.0, None)
            except StoreLocked:
                rec["stored"] = False  # in the journal; the next run (or open) imports it
                return rec
            try:
                review_store.insert(con, [rec])
                con.execute("CHECKPOINT")
            finally:
                con.close()
        rec["stored"] = True
        return rec


def evidence_items(flag: dict) -> list[dict]:
    """Each evidence line with where it is printed: text, kind (sentence / cell), page,
    file, bbox."""
    evidence = [str(e) for e in _list(flag.get("evidence"))]
    pages = _list(flag.get("evidence_pages"))
    files = _list(flag.get("evidence_files"))
    boxes = _json_list(flag.get("evidence_bboxes"))
    out = []
    for i, ev in enumerate(evidence):
        page = pages[i] if i < len(pages) else None
        try:
            page = int(page) if page is not None and not pd.isna(page) else None
        except (TypeError, ValueError):
            page = None
        out.append({
            "index": i, "text": ev, "kind": "cell" if split_evidence([ev])[1] else "sentence",
            "page": page, "file": files[i] if i < len(files) else None,
            "bbox": boxes[i] if i < len(boxes) else None,
        })
    return out
