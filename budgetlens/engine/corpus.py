"""Checks across documents (last year's disclosure of the same department, a 部门 and its
单位), run once after a run's batches over the documents of this run and the store's
earlier documents of the same departments."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

from budgetlens.reconcile import check_corpus

FAMILY = "cross_document"
FACT_COLS = ["doc_id", "source", "kind", "subject", "term", "code", "value", "unit", "value_wan", "year",
             "base_year", "direction", "origin", "role", "amount_from", "amount_to", "sentence", "start", "end",
             "section", "comparator", "qualifier", "parent", "group", "raw"]


def cross_document_flags(store, doc_ids: list[str]) -> int:
    """Recompute the cross-document flags of every document related to `doc_ids` (same
    department, any year) and store them; returns how many were written."""
    if not doc_ids:
        return 0
    con = store.con
    con.register("_run_ids", pd.DataFrame({"doc_id": list(doc_ids)}))
    docs = con.execute(
        "SELECT * FROM documents WHERE status = 'ok' AND department IN "
        "(SELECT department FROM documents WHERE doc_id IN (SELECT doc_id FROM _run_ids))").df()
    con.unregister("_run_ids")
    if docs.empty:
        return 0
    con.register("_docs", docs[["doc_id"]])
    cols = ", ".join(f'"{c}"' for c in FACT_COLS)
    facts = _frame(con, f"SELECT {cols} FROM facts WHERE doc_id IN (SELECT doc_id FROM _docs) "
                        "AND kind IN ('amount', 'comparison')")
    con.unregister("_docs")
    flags = check_corpus(docs, facts)
    del facts
    src = dict(zip(docs["doc_id"], docs["source"]))
    where = {}  # (doc_id, offset) -> page, file, bbox of the fact's sentence
    if flags:
        # only the facts at a flagged offset, in the order they are stored: the first one
        # there gives the place, as a scan of every fact would
        want = pa.table({"doc_id": pa.array([str(f.doc_id) for f in flags for _ in (0, 1)], pa.string()),
                         "off": pa.array([x for f in flags for x in (f.start, f.end)], pa.int64())})
        con.register("_want", want)
        con.register("_docs", docs[["doc_id"]])
        for d, a, b, page, file, bbox in con.execute(
                'SELECT doc_id, "start", "end", page, file, bbox FROM facts f WHERE page IS NOT NULL '
                'AND doc_id IN (SELECT doc_id FROM _docs) AND EXISTS (SELECT 1 FROM _want w WHERE '
                'w.doc_id = f.doc_id AND (w.off = f."start" OR w.off = f."end")) ORDER BY f.rowid').fetchall():
            where.setdefault((d, a), (page, file, bbox))
            where.setdefault((d, b), (page, file, bbox))
        con.unregister("_docs")
        con.unregister("_want")
    rows = []
    for f in flags:
        f.source = f.source or src.get(f.doc_id, "")
        row = f.as_row()
        page, file, bbox = where.get((f.doc_id, f.start), None) or where.get((f.doc_id, f.end), (None, None, None))
        row.update(page=page, file=file, bbox=bbox)
        rows.append(row)
    store.replace_family_flags(FAMILY, list(docs["doc_id"]), pd.DataFrame(rows))
    return len(rows)


def _frame(con, sql: str, chunk: int = 20000) -> pd.DataFrame:
    """A query's rows as a frame of Python objects (what the checks work on), each distinct
    text stored once: a document's facts repeat its source and their sentences, and one
    string per row made the frame grow to hundreds of MB on large runs."""
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    columns: list[list] = [[] for _ in names]
    texts: dict = {}
    while True:
        rows = cur.fetchmany(chunk)
        if not rows:
            break
        for row in rows:
            for col, v in zip(columns, row):
                col.append(texts.setdefault(v, v) if isinstance(v, str) else v)
    return pd.DataFrame({n: pd.Series(col, dtype=object) for n, col in zip(names, columns)}, columns=names)
