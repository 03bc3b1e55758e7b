"""How the store writes a batch: earlier rows of a document are replaced (by doc_id and by
source), although a batch of documents the store does not hold deletes nothing."""
from __future__ import annotations

from budgetlens.store import Store


def _frames(doc_id: str, source: str, n_facts: int) -> dict:
    return {"documents": [{"doc_id": doc_id, "source": source, "status": "ok", "sources": [source]}],
            "facts": [{"doc_id": doc_id, "source": source, "kind": "amount", "value": float(i), "start": i}
                      for i in range(n_facts)],
            "table_cells": [{"doc_id": doc_id, "source": source, "row": 0, "column": 1, "value": 1.5}],
            "flags": []}


def _counts(store: Store) -> dict:
    return {t: dict(store.con.execute(f'SELECT doc_id, count(*) FROM "{t}" GROUP BY doc_id').fetchall())
            for t in ("documents", "facts", "table_cells")}


def test_a_document_written_again_by_the_same_store_replaces_its_rows(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.write(_frames("a", "a.txt", 3), "r1")
        store.write(_frames("b", "b.txt", 2), "r1")
        store.write(_frames("a", "a.txt", 5), "r1")  # same id
        store.write(_frames("b2", "b.txt", 1), "r1")  # same source, new id (an edited file)
        assert _counts(store) == {"documents": {"a": 1, "b2": 1}, "facts": {"a": 5, "b2": 1},
                                  "table_cells": {"a": 1, "b2": 1}}


def test_rows_stored_before_the_store_was_opened_are_replaced_even_without_their_document(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.write(_frames("a", "a.txt", 2), "r1")
        # an orphan (integrity() reports them): facts of a document whose row is gone
        store.con.execute("DELETE FROM documents WHERE doc_id = 'a'")
    with Store(path) as store:
        store.write(_frames("c", "c.txt", 1), "r2")  # the stored ids are read here
        store.write(_frames("a", "a.txt", 1), "r2")
        assert _counts(store)["facts"] == {"a": 1, "c": 1}


def test_flags_written_apart_are_replaced_with_their_document(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.write(_frames("a", "a.txt", 1), "r1")
        store.replace_family_flags("cross_document", ["z"], [{"doc_id": "z", "source": "z.txt", "rule": "x"}], "r1")
        store.write(_frames("z", "z.txt", 1), "r1")
        assert store.con.execute("SELECT count(*) FROM flags").fetchone()[0] == 0


def test_a_value_the_store_refuses_is_that_documents_error_not_a_storage_failure(tmp_path):
    """A lone surrogate in a text (what a broken text layer can give) aborts DuckDB's
    transaction: the batch is retried document by document, that document becomes an error
    row and the other is stored; the run goes on (before, cleaning up inside the aborted
    transaction raised, which read as a failure of the machine and stopped the run)."""
    from budgetlens.engine.process import DocResult
    from budgetlens.engine.run import _store_batch, batch_rows

    def result(doc_id: str, sentence: str) -> DocResult:
        fr = _frames(doc_id, f"{doc_id}.txt", 2)
        fr["facts"][0]["sentence"] = sentence
        return DocResult(fr["documents"][0], facts=fr["facts"], cells=fr["table_cells"])

    results = [result("a", "bad \udcff text"), result("b", "fine")]
    with Store(tmp_path / "s.duckdb") as store:
        _store_batch(store, batch_rows(results, results), results, results, "r1", None)
        docs = {d: (s, e) for d, s, e in store.con.execute("SELECT doc_id, status, error FROM documents").fetchall()}
        assert docs["b"] == ("ok", None)
        assert docs["a"][0] == "error" and "refused by the store" in docs["a"][1]
        assert _counts(store)["facts"] == {"b": 2}
