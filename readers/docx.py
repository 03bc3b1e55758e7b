"""Word .docx via python-docx: paragraphs and tables in document order, merged cells
resolved onto the table grid."""
from __future__ import annotations

import zipfile
from pathlib import Path

from .document import Block, ReadError

MAX_UNCOMPRESSED = 200 * 1024 * 1024


def read_docx(path: str | Path) -> list[Block]:
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            if total > MAX_UNCOMPRESSED:
                raise ReadError(f"document expands to {total >> 20} MB, over the {MAX_UNCOMPRESSED >> 20} MB limit")
            if "word/document.xml" not in zf.namelist():
                raise ReadError("not a Word document: the package has no word/document.xml")
    except zipfile.BadZipFile:
        raise ReadError("corrupt .docx: not a valid ZIP package") from None
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
    return blocks
