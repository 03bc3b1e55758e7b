"""Pages and boxes on real PDFs (read in place; skipped without ../shared): every cell
carries its page and a box whose text, read back from the PDF with pypdfium2, is the cell;
sentences' boxes hold their sentence; a narrative + tables pair names each file."""
from __future__ import annotations

import random
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import SHARED

REAL2 = SHARED / "real2"
pytestmark = pytest.mark.real


def _pdfs(folder, prefix):
    return sorted(folder.glob(prefix + "*.pdf")) if folder.is_dir() else []


def text_in(path: Path, page: int, box, pad=1.0) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        p = pdf[page - 1]
        assert p.get_rotation() == 0  # the documents below are upright
        left, bottom, _right, top = p.get_mediabox()
        h = top - bottom
        x0, t, x1, b = box
        tp = p.get_textpage()
        try:
            return tp.get_text_bounded(left=left + x0 - pad, bottom=bottom + h - b - pad,
                                       right=left + x1 + pad, top=bottom + h - t + pad)
        finally:
            tp.close()
    finally:
        pdf.close()


def squash(s: str) -> str:
    return "".join(s.split()).replace(",", "").replace("，", "")


@pytest.mark.parametrize("prefix", ["SH02_", "JS07_"])
def test_cells_and_sentences_carry_pages_and_boxes(prefix):
    from budgetlens.engine.process import process_group

    paths = _pdfs(SHARED / "real", prefix)
    if not paths:
        pytest.skip("../shared/real is not available")
    res = process_group(paths, keep_doc=True)
    assert res.document["status"] == "ok"
    cells = res.cells
    assert cells and all(c["page"] and c["bbox"] and c["file"] == str(paths[0].resolve()) for c in cells)
    n_pages = res.document["pages"]
    assert all(1 <= c["page"] <= n_pages for c in cells)
    # the box of a cell holds the cell's text (a sample of 60 cells)
    rng = random.Random(7)
    for c in rng.sample(cells, min(60, len(cells))):
        got = squash(text_in(paths[0], c["page"], c["bbox"]))
        assert squash(c["raw"]) in got, (c["table_id"], c["row"], c["column"], c["raw"], got, c["page"])
    # narrative sentences: page and box; the box holds the sentence's first characters
    doc = res.doc
    narrative = [s for s in doc.sentences if s.table_id is None and len(s.text) >= 12]
    assert narrative and all(s.page and s.bbox for s in narrative)
    for s in rng.sample(narrative, min(30, len(narrative))):
        got = squash(text_in(paths[0], s.page, s.bbox))
        assert squash(s.text)[:4] in got or squash(s.text)[-4:] in got, (s.text, got, s.page)
    # flags: error/warning carry a page; facts of the narrative too
    serious = [f for f in res.flags if f["severity"] in ("error", "warning")]
    assert all(f["page"] for f in serious)
    assert all(f["page"] for f in res.facts)


def test_two_file_publication_names_each_file():
    from budgetlens.engine.process import process_group

    pair = _pdfs(REAL2, "BJ03_")
    if len(pair) != 2:
        pytest.skip("../shared/real2 is not available")
    narrative = next(p for p in pair if p.stem.endswith("说明"))
    tables = next(p for p in pair if p.stem.endswith("表"))
    res = process_group([narrative, tables], keep_doc=True)
    assert res.document["status"] == "ok"
    files = {c["file"] for c in res.cells}
    assert str(tables.resolve()) in files
    fact_files = {f["file"] for f in res.facts if f["origin"] == "narrative"}
    assert str(narrative.resolve()) in fact_files
    import re

    checked = 0
    for f in res.facts:
        nums = re.findall(r"\d+(?:\.\d+)?", squash(f["raw"] or ""))
        if f["file"] == str(narrative.resolve()) and f["bbox"] and nums:
            got = squash(text_in(narrative, f["page"], f["bbox"]))
            # the figure is printed in its box (a figure written across a page break: one of them)
            assert any(n in got for n in nums), (f["raw"], got, f["page"])
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("prefix", ["JS04_", "SH02_"])
def test_evidence_picture_outlines_the_cell(prefix):
    """The box drawn on the rendered page (pypdfium2) holds ink: the cell's figure, on
    upright and on rotated (landscape) pages alike."""
    from budgetlens.engine.process import process_group
    from budgetlens.review.picture import render_region

    paths = _pdfs(SHARED / "real", prefix)
    if not paths:
        pytest.skip("../shared/real is not available")
    res = process_group(paths)
    cells = [c for c in res.cells if c["value"] and abs(c["value"]) >= 100]
    rng = random.Random(3)
    for c in rng.sample(cells, min(8, len(cells))):
        img, rects = render_region(Path(c["file"]), c["page"], [{"bbox": c["bbox"], "kind": "cell"}])
        x0, y0, x1, y1 = (int(v) for v in rects[0])
        inside = img.crop((x0 + 6, y0 + 6, x1 - 6, y1 - 6)).convert("L")
        assert inside.getextrema()[0] < 100, (c["raw"], c["page"])  # dark pixels: the printed figure
