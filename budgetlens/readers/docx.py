"""Word .docx via python-docx: paragraphs and tables in document order, merged cells
resolved onto the table grid."""
from __future__ import annotations

from pathlib import Path

from budgetlens.limits import current, too_big

from .blocks import Block, ReadError
from .package import count_tag, open_package

TABLE_TAGS = (b"<w:tbl>", b"<w:tbl ")


def read_docx(path: str | Path) -> list[Block]:
    lim = current()
    with open_package(path, ".docx", lim.max_unzipped_bytes) as zf:
        if "word/document.xml" not in zf.namelist():
            raise ReadError("not a Word document: the package has no word/document.xml")
        # counted on the raw XML so a document of thousands of tables is refused
        # before python-docx builds an object for each of them
        n_tables = count_tag(zf, "word/document.xml", TABLE_TAGS)
        if n_tables > lim.max_tables:
            raise ReadError(too_big("table count", n_tables, lim.max_tables, "max_tables", unit=""))
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph

        d = docx.Document(str(path))
    except ReadError:
        raise
    except Exception as exc:  # python-docx raises many kinds on corrupt parts
        raise ReadError(f"corrupt .docx: {type(exc).__name__}: {exc}") from None
    blocks: list[Block] = []
    try:
        for child in d.element.body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                text = Paragraph(child, d).text
                for line in text.split("\n"):
                    if line.strip():
                        blocks.append(Block(kind="para", text=line.strip()))
            elif tag == "tbl":
                t = DocxTable(child, d)
                rows = []
                for r in t.rows:
                    # row.cells repeats a horizontally merged cell into each grid column and a
                    # vertically merged cell into each row it spans
                    rows.append([c.text.strip() for c in r.cells])
                blocks.append(Block(kind="table", rows=rows, grid=True))
    except Exception as exc:  # a part python-docx parsed but cannot walk
        raise ReadError(f"corrupt .docx: {type(exc).__name__}: {exc}") from None
    return blocks
