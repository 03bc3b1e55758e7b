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


# ---------------------------------------------------------------- write_seq

def _seqs(store: Store) -> dict:
    """{table: {doc_id: set of write_seq}} and the documents rows' own."""
    return {t: {d: set(s) for d, s in store.con.execute(
        f'SELECT doc_id, list(DISTINCT write_seq) FROM "{t}" GROUP BY doc_id').fetchall()}
        for t in ("documents", "facts", "table_cells", "flags")}


def test_every_row_of_a_document_carries_the_write_that_stored_it(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.write(_frames("a", "a.txt", 2), "r1")
        store.write(_frames("b", "b.txt", 2), "r1")
        store.replace_family_flags("cross_document", ["a", "b"], [{"doc_id": "a", "source": "a.txt", "rule": "x"},
                                                                  {"doc_id": "b", "source": "b.txt", "rule": "y"}], "r1")
        s = _seqs(store)
        (sa,), (sb,) = s["documents"]["a"], s["documents"]["b"]
        assert sa is not None and sb == sa + 1
        assert all(s[t]["a"] == {sa} for t in s) and all(s[t]["b"] == {sb} for t in s)
        store.write(_frames("a", "a.txt", 1), "r2")
        assert _seqs(store)["facts"]["a"] == {sb + 1}
    with Store(tmp_path / "s.duckdb") as store:  # counting goes on where it stopped
        store.write(_frames("c", "c.txt", 1), "r3")
        assert _seqs(store)["documents"]["c"] == {sb + 2}
        # the contract's columns and snapshots do not show it
        assert "write_seq" not in store.table("facts").columns
        store.export_parquet(tmp_path)
    import pandas as pd
    assert "write_seq" not in pd.read_parquet(tmp_path / "facts.parquet").columns


def test_a_store_written_before_write_seq_is_replaced_by_a_full_read(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.write(_frames("a", "a.txt", 2), "r1")
        store.replace_family_flags("cross_document", ["a"], [{"doc_id": "a", "source": "a.txt", "rule": "x"}], "r1")
        for t in ("documents", "facts", "table_cells", "flags"):
            store.con.execute(f'ALTER TABLE "{t}" DROP COLUMN write_seq')
    with Store(path) as store:  # the column comes back empty
        assert _seqs(store)["facts"] == {"a": {None}}
        store.write(_frames("a", "a.txt", 3), "r2")
        store.write(_frames("a2", "a.txt", 1), "r2")  # and by source
        assert _counts(store) == {"documents": {"a2": 1}, "facts": {"a2": 1}, "table_cells": {"a2": 1}}
        assert store.con.execute("SELECT count(*) FROM flags").fetchone()[0] == 0


class _Profiled:
    """store.con, keeping DuckDB's profile of each DELETE (what it scanned)."""

    def __init__(self, con, folder):
        self.con, self.folder, self.deletes = con, folder, []
        con.execute("PRAGMA enable_profiling='json'")
        con.execute(f"PRAGMA profiling_output='{folder / 'p.json'}'")

    def execute(self, sql, *args):
        import json
        got = self.con.execute(sql, *args)
        if sql.startswith("DELETE FROM"):
            self.deletes.append((sql.split('"')[1], json.loads((self.folder / "p.json").read_text())["query"]))
        return got

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_replacing_a_document_reads_only_the_row_groups_of_its_write(tmp_path):
    """A store of 4 writes of 100,000 facts each (DuckDB row groups hold 122,880 rows): the
    DELETE that replaces the first write's document reads at most the two row groups that
    write's rows lie in, not all of them."""
    with Store(tmp_path / "s.duckdb") as store:
        for i in range(4):
            store.write(_frames(f"d{i}", f"d{i}.txt", 100_000), "r1")
        store.con = _Profiled(store.con, tmp_path)
        store.write(_frames("d0", "d0.txt", 1), "r2")
        facts = dict(store.con.deletes)["facts"]
        assert facts["total_row_groups_to_scan"] >= 4
        assert 1 <= facts["total_row_groups_scanned"] <= 2
        store.con = store.con.con
        assert _counts(store)["facts"] == {"d0": 1, "d1": 100_000, "d2": 100_000, "d3": 100_000}


def test_a_store_without_write_seq_reads_and_exports_read_only(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        store.write(_frames("a", "a.txt", 2), "r1")
        for t in ("documents", "facts", "table_cells", "flags"):
            store.con.execute(f'ALTER TABLE "{t}" DROP COLUMN write_seq')
    with Store(path, read_only=True) as store:  # not migrated: it cannot write
        assert len(store.table("facts")) == 2
        store.export_parquet(tmp_path / "out")
    import pandas as pd
    assert len(pd.read_parquet(tmp_path / "out" / "facts.parquet")) == 2


def test_a_first_write_of_data_frames_counts_its_write(tmp_path):
    """The pandas way (values cast by DuckDB) as the Store's first write: finding the last
    write_seq must not leave a result open, which DuckDB's `register` refuses."""
    import pandas as pd
    frames = {k: pd.DataFrame(v) for k, v in _frames("a", "a.txt", 2).items()}
    with Store(tmp_path / "s.duckdb") as store:
        store.write(frames, "r1")
        store.write({k: pd.DataFrame(v) for k, v in _frames("a", "a.txt", 3).items()}, "r1")
        assert _counts(store)["facts"] == {"a": 3}
        assert _seqs(store)["facts"]["a"] == {2}
