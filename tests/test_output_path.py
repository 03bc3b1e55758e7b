"""The output side of a run: the writer's DuckDB threads, the store's column checks, and the
report's lookups of dict keys (report.html._Environment) giving what Jinja's own gives."""
from __future__ import annotations

import numpy as np
import pytest
from jinja2 import Environment

from budgetlens.report import html
from budgetlens.store import duck


def _threads(store: duck.Store) -> int:
    return int(store.con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def test_writer_runs_one_duckdb_thread_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("BUDGETLENS_DUCKDB_THREADS", raising=False)
    store = duck.Store(tmp_path / "a.duckdb")
    try:
        assert _threads(store) == 1
    finally:
        store.close()
    monkeypatch.setenv("BUDGETLENS_DUCKDB_THREADS", "2")
    store = duck.Store(tmp_path / "b.duckdb")
    try:
        assert _threads(store) == 2
    finally:
        store.close()


@pytest.mark.parametrize("values, sql_type", [
    ([1.0, None, "x"], "DOUBLE"),
    ([[1.0], "x"], "DOUBLE[]"),
    ([[1.0], ["x"]], "DOUBLE[]"),
    ([[1, 2.0]], "INTEGER[]"),
    ([True], "INTEGER"),
    ([2 ** 40], "INTEGER"),
])
def test_a_value_not_of_its_column_type_is_refused(values, sql_type):
    with pytest.raises(duck.COLUMN_ERRORS):
        duck._column(values, sql_type)


def test_columns_as_they_were():
    assert np.array_equal(duck._column([1, None, 2.7], "INTEGER"), [1.0, np.nan, 2.0], equal_nan=True)
    lists = duck._column([[1.0, 2], None, []], "DOUBLE[]")
    assert lists.dtype == object and list(lists) == [[1.0, 2], None, []]
    texts = duck._column(("a", None), "VARCHAR")
    assert texts.dtype == object and list(texts) == ["a", None]


def test_rows_become_columns_whether_or_not_every_row_has_every_key():
    """column_rows takes every row's values in one pass when each row has each key, and a
    value at a time when one lacks some (then None, NULL): the same columns either way."""
    types = {"doc_id": "VARCHAR", "value": "DOUBLE", "pages": "INTEGER[]"}
    full = [{"doc_id": "a", "value": 1.5, "pages": [1]}, {"doc_id": "b", "value": None, "pages": None}]
    cols = duck.column_rows("facts", full, types)
    assert list(cols) == list(types)
    assert list(cols["doc_id"]) == ["a", "b"] and list(cols["pages"]) == [[1], None]
    assert np.array_equal(cols["value"], [1.5, np.nan], equal_nan=True)
    lacking = [{"doc_id": "a", "value": 1.5, "pages": [1]}, {"doc_id": "b"}]
    again = duck.column_rows("facts", lacking, types)
    assert list(again) == list(cols)
    assert all(np.array_equal(again[c], cols[c], equal_nan=c == "value") for c in cols)
    one = duck.column_rows("facts", [{"doc_id": "a"}], {"doc_id": "VARCHAR"})
    assert list(one["doc_id"]) == ["a"]
    empty = duck.column_rows("facts", [], types)
    assert list(empty) == list(types) and all(len(v) == 0 for v in empty.values())
TEMPLATE = ("{{ d.name }}|{{ d.items is callable }}|{{ d.missing is undefined }}|{{ v.families }}|"
            "{{ v.complete is none }}|{{ v.nothing is undefined }}|{{ o.real }}")


def test_report_lookups_give_what_jinja_gives():
    def values():
        view = html._DocView({"name": "v"})
        view.complete = lambda: view.update(families=["f"])
        return {"d": {"name": "x", "items": "shadowed"}, "v": view, "o": 3}

    ours = html.ENV.from_string(TEMPLATE).render(**values())
    jinjas = Environment(autoescape=True).from_string(TEMPLATE).render(**values())
    assert ours == jinjas == "x|True|True|[&#39;f&#39;]|True|True|3"


def test_report_lists_a_documents_tables_in_document_order(tmp_path):
    """The report's per-table summary comes in document order (t2 before t11), not in the
    order a hash aggregate happens to give: the same store always gives the same report."""
    from conftest import SAMPLES

    from budgetlens.engine.run import run_job
    from budgetlens.report.html import table_summaries
    from budgetlens.store import Store

    run_job([SAMPLES], tmp_path / "out", quiet=True, workers=1)
    store = Store(tmp_path / "out" / "budgetlens.duckdb", read_only=True)
    try:
        rows = table_summaries(store.con)
    finally:
        store.close()
    by_doc: dict[str, list[int]] = {}
    for r in rows:
        by_doc.setdefault(r["doc_id"], []).append(int(r["table_id"].rsplit(":t", 1)[1]))
    assert by_doc and max(len(v) for v in by_doc.values()) >= 10
    for numbers in by_doc.values():
        assert numbers == sorted(numbers)
