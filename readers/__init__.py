"""Readers: one function per format, each turning a file into `Block`s.

`read_blocks(path)` picks the reader from the file's magic bytes first and its
extension second, so a `.pdf` that is really HTML is not read as a PDF.
"""
from __future__ import annotations

from pathlib import Path

from .document import Block, Document, ReadError  # noqa: F401

TEXT_EXT = {".txt", ".text"}
SUPPORTED = {".txt", ".text", ".docx", ".pdf", ".xlsx", ".xls", ".html", ".htm"}


def sniff_format(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(2048)
    ext = path.suffix.lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if ext == ".xlsx":
            return "xlsx"
        return "docx" if ext in (".docx", "") else ext.lstrip(".") or "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls" if ext == ".xls" else "ole"
    low = head.lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or (ext in (".html", ".htm") and b"<" in head):
        return "html"
    if ext in TEXT_EXT:
        return "txt"
    return ext.lstrip(".") or "unknown"


def read_blocks(path: str | Path) -> tuple[str, list[Block]]:
    """(format, blocks) for one file.  Raises ReadError with a reason people understand."""
    path = Path(path)
    if not path.exists():
        raise ReadError("file not found")
    if path.stat().st_size == 0:
        raise ReadError("empty file")
    fmt = sniff_format(path)
    ext = path.suffix.lower()
    if fmt == "txt":
        from .tika import read_tika_text

        return fmt, read_tika_text(path)
    if fmt == "docx":
        from .docx import read_docx

        return fmt, read_docx(path)
    if fmt == "pdf":
        if ext not in (".pdf", ""):
            pass
        from .pdf import read_pdf

        return fmt, read_pdf(path)
    if fmt in ("xlsx", "xls"):
        from .xlsx import read_xlsx

        return fmt, read_xlsx(path)
    if fmt == "html":
        if ext == ".pdf":
            raise ReadError("not a PDF: the file is an HTML page (a portal error page saved as .pdf?)")
        from .html import read_html

        return fmt, read_html(path)
    if ext == ".pdf":
        raise ReadError("not a PDF: the file does not start with %PDF")
    if ext == ".docx":
        raise ReadError("not a .docx: the file is not a ZIP package")
    if ext in (".xlsx",):
        raise ReadError("not an .xlsx: the file is not a ZIP package")
    if ext == ".doc" or fmt == "ole":
        raise ReadError("unsupported format: legacy Word .doc (convert through Tika or to .docx)")
    raise ReadError(f"unsupported format: {ext or 'no extension'}")
