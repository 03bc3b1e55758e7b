"""The output rows of facts and table cells, built in one pass (engine/process.py
`fact_rows`, `cell_rows`), equal the rows built the plain way: `Fact.as_row()` +
`locate_fact` for every fact, one dict per numeric cell — same keys in the same order,
same values.  On the samples and, when ../shared/real is there, a PDF (pages and boxes)."""
from __future__ import annotations

import pytest
from conftest import REAL, SAMPLES

from budgetlens.document.numbers import wan_factor
from budgetlens.document.tables import numeric_cells, row_label_for
from budgetlens.engine import process as P
from budgetlens.extractors.facts import Fact
from budgetlens.extractors.narrative import extract_facts


def _plain_fact_rows(doc, facts, files):
    rows = []
    for f in facts:
        row = f.as_row()
        P.locate_fact(doc, row)
        row["file"] = files.get(row["file"], row["file"])
        rows.append(row)
    return rows


def _plain_cell_rows(doc, files):
    rows = []
    for t in doc.tables:
        k = wan_factor(t.unit)
        for r, j, v in numeric_cells(t):
            span = r.spans[j] if j < len(r.spans) else (None, None)
            box = r.boxes[j] if j < len(r.boxes) else None
            rows.append({
                "source": doc.source, "doc_id": doc.doc_id, "table_id": t.table_id,
                "table_type": t.table_type, "title": t.title, "row": r.index, "column": j,
                "row_code": r.code, "row_label": row_label_for(t, r, j),
                "column_label": t.columns[j] if j < len(t.columns) else "",
                "value": v, "unit": t.unit or None, "value_wan": None if k is None else round(v * k, 10),
                "raw": r.cells[j], "start": span[0], "end": span[1],
                "page": r.page, "file": files.get(r.file, r.file), "bbox": P._box(box) if box else None,
            })
    return rows


def _same(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x) == list(y)  # the same columns, in the same order
        assert x == y


def _docs():
    paths = sorted(SAMPLES.glob("*.txt"))
    pdf = REAL / "JS05_江苏省人民检察院2017年部门预算.pdf"
    if pdf.is_file():
        paths.append(pdf)
    return [P.read_group([p]) for p in paths]


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d.source.rsplit("/", 1)[-1][:12])
def test_rows_equal_the_plain_rows(doc):
    files = {f: P._abs_file(f) for f in doc.sources}
    _same(P.cell_rows(doc, files), _plain_cell_rows(doc, files))
    facts = extract_facts(doc)
    for f in facts:
        f.source, f.doc_id = doc.source, doc.doc_id
    assert facts
    _same(P.fact_rows(doc, facts, files), _plain_fact_rows(doc, facts, files))


def test_a_fact_row_drops_marks_and_reads_defaults():
    doc = _docs()[0]
    full = Fact(kind="comparison", subject="x", value=1.0, unit="万元", start=0, end=1, doc_id="d")
    full._pending = True  # a mark the extractor leaves: not a column
    bare = Fact.__new__(Fact)  # an instance lacking most fields reads the class defaults
    bare.__dict__.update(kind="amount", subject=None, value=None, unit=None, table_id="nope", row=3)
    facts = [full, bare]
    rows = P.fact_rows(doc, facts, {})
    _same(rows, _plain_fact_rows(doc, facts, {}))
    assert "_pending" not in rows[0] and rows[1]["origin"] == "narrative"
