"""Checks across documents (last year's disclosure of the same department, a 部门 and its
单位), run once after a run's batches over the documents of this run and the store's
earlier documents of the same departments.

The facts are read chunk by chunk (reconcile.cross_document.check_chunks): one group of
related documents after another, so that what this step holds does not grow with the
store, only with the largest group of related documents."""
from __future__ import annotations

from budgetlens.reconcile.cross_document import CHUNK_FACTS, check_chunks

FAMILY = "cross_document"
DOC_COLS = ["doc_id", "source", "department", "region", "year", "doc_kind", "scope", "status"]
# what the rules read of a fact (the narrative amounts and comparisons)
FACT_COLS = ["doc_id", "source", "kind", "code", "term", "value", "unit", "value_wan", "year", "base_year",
             "direction", "origin", "amount_to", "sentence", "start", "end", "raw"]
FACTS_WANTED = "kind IN ('amount', 'comparison') AND origin = 'narrative'"


def cross_document_flags(store, doc_ids: list[str], budget: int = CHUNK_FACTS) -> int:
    """Recompute the cross-document flags of every document related to `doc_ids` (same
    department, any year) and store them; returns how many were written."""
    if not doc_ids:
        return 0
    con = store.con
    docs = _dicts(con.execute(
        f"SELECT {_cols(DOC_COLS)} FROM documents WHERE status = 'ok' AND department IN "
        "(SELECT department FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))) ORDER BY rowid",
        [list(doc_ids)]))
    if not docs:
        return 0
    ids = [d["doc_id"] for d in docs]
    sizes = dict(con.execute(
        f"SELECT doc_id, count(*) FROM facts WHERE {FACTS_WANTED} AND doc_id IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY doc_id", [ids]).fetchall())

    def facts_of(chunk: list[str]) -> list[dict]:
        return _dicts(con.execute(
            f"SELECT {_cols(FACT_COLS)} FROM facts WHERE {FACTS_WANTED} AND doc_id IN (SELECT unnest(?::VARCHAR[])) "
            "ORDER BY rowid", [chunk]))

    flags = check_chunks(docs, facts_of, sizes, budget)
    src = {d["doc_id"]: d["source"] for d in docs}
    where = _places(con, flags)
    rows = []
    for f in flags:
        f.source = f.source or src.get(f.doc_id, "")
        row = f.as_row()
        page, file, bbox = where.get((f.doc_id, f.start), None) or where.get((f.doc_id, f.end), (None, None, None))
        row.update(page=page, file=file, bbox=bbox)
        rows.append(row)
    store.replace_family_flags(FAMILY, ids, rows)
    return len(rows)


def _places(con, flags: list) -> dict:
    """(doc_id, offset) -> page, file, bbox of the fact's sentence: of the facts at a flagged
    offset, in the order they are stored, the first one there gives the place, as a scan of
    every fact would."""
    where: dict = {}
    if not flags:
        return where
    want_ids = [str(f.doc_id) for f in flags for _ in (0, 1)]
    want_offs = [x for f in flags for x in (f.start, f.end)]
    for d, a, b, page, file, bbox in con.execute(
            'SELECT doc_id, "start", "end", page, file, bbox FROM facts f WHERE page IS NOT NULL '
            "AND EXISTS (SELECT 1 FROM (SELECT unnest(?::VARCHAR[]) AS doc_id, unnest(?::BIGINT[]) AS off) w "
            'WHERE w.doc_id = f.doc_id AND (w.off = f."start" OR w.off = f."end")) ORDER BY f.rowid',
            [want_ids, want_offs]).fetchall():
        where.setdefault((d, a), (page, file, bbox))
        where.setdefault((d, b), (page, file, bbox))
    return where


def _cols(names: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in names)


def _dicts(cur, chunk: int = 20000) -> list[dict]:
    """A query's rows as dicts, each distinct text stored once (a document's facts repeat
    its source and their sentences)."""
    names = [c[0] for c in cur.description]
    out: list[dict] = []
    texts: dict = {}
    while True:
        rows = cur.fetchmany(chunk)
        if not rows:
            break
        for row in rows:
            out.append({n: texts.setdefault(v, v) if isinstance(v, str) else v for n, v in zip(names, row)})
    return out
