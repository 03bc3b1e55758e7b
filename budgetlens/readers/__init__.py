"""Readers: one function per format, each turning a file into `Block`s.

`read_blocks(path)` picks the reader from the file's magic bytes first and its
extension second, so a `.pdf` that is really HTML is not read as a PDF.
"""
from __future__ import annotations

import os
import re
from collections import OrderedDict
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Iterator, Optional

from budgetlens.limits import current, too_big

from .blocks import Block, ReadError  # noqa: F401  (the readers' output types)
from .docx import read_docx
from .html import read_html
from .package import open_package
from .tika import read_tika_text
from .xlsx import read_xlsx

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


_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
# elements a parser closes implicitly or that hold no children: never counted as depth,
# so sloppy pages with thousands of unclosed <p> or <td> are not mistaken for deep ones
_FLAT = {b"p", b"li", b"td", b"th", b"tr", b"option", b"dt", b"dd", b"br", b"img", b"hr", b"meta", b"link",
         b"input", b"col", b"area", b"base", b"wbr", b"source", b"embed", b"param", b"track", b"tbody",
         b"thead", b"tfoot", b"colgroup"}


def html_depth(data: bytes, stop_at: int) -> int:
    """How deep the elements of an HTML page nest (an estimate from the tags, stopping
    once over `stop_at`).  Tree builders recurse over the nesting; a page 100,000
    elements deep makes them crawl for minutes and then fail."""
    depth = best = 0
    for m in _TAG.finditer(data):
        name = m.group(2).lower()
        if name in _FLAT or m.group(3):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > best:
                best = depth
                if best > stop_at:
                    break
    return best


def read_blocks(path: str | Path) -> tuple[str, list[Block]]:
    """(format, blocks) for one file.  Raises ReadError with a reason people understand.

    The limits of `engine.limits` are enforced here for every format: the file size
    before anything is read, a ZIP package's expanded size before it is parsed, PDF pages,
    and the number of tables and characters of what was read."""
    fmt, blocks, _key, _n = _read(Path(path))
    return fmt, blocks


def _read(path: Path) -> tuple[str, list[Block], tuple, int]:
    """read_blocks, with the file's (size, mtime) when read and its count of characters."""
    lim = current()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ReadError("file not found") from None
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from None
    if not path.is_file():
        raise ReadError("not a regular file")
    if st.st_size == 0:
        raise ReadError("empty file")
    if st.st_size > lim.max_file_bytes:
        raise ReadError(too_big("file", st.st_size, lim.max_file_mb, "max_file_mb"))
    try:
        fmt = sniff_format(path)
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from None
    if fmt in ("txt", "html") and st.st_size > lim.max_text_file_bytes:
        raise ReadError(too_big(f"{fmt} file", st.st_size, lim.max_text_file_mb, "max_text_file_mb"))
    blocks = _dispatch(path, fmt, lim)
    n_tables = sum(1 for b in blocks if b.kind == "table")
    if n_tables > lim.max_tables:
        raise ReadError(too_big("table count", n_tables, lim.max_tables, "max_tables", unit=""))
    n_chars = 0
    for b in blocks:
        n_chars += len(b.text) if b.kind == "para" else sum(map(len, chain.from_iterable(b.rows)))
        if n_chars > lim.max_text_chars:
            raise ReadError(f"text longer than the limit of {lim.max_text_chars} characters "
                            f"(raise with --max-text-chars)")
    return fmt, blocks, (st.st_size, st.st_mtime_ns), n_chars


class ReadAhead:
    """Files read before their document is read (pairing reads each file to profile it),
    kept in this process so that the document's own read takes them instead of parsing
    the file a second time.

    Bounded: at most `max_chars` characters of text are kept (a Tika dump's blocks take
    ~13 bytes a character); reading past that drops the files read first.  Pairing reads
    the files last to first, so what stays is the first files: the first to be processed,
    each taken (and so let go) by its document.  A file changed since (size, mtime) is
    read again."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.chars = 0
        self._kept: OrderedDict[str, tuple[tuple, str, list[Block], int]] = OrderedDict()

    def read(self, path: str | Path) -> list[Block]:
        """The blocks of `path` (read_blocks), kept for `take`."""
        fmt, blocks, key, n = _read(Path(path))
        if n <= self.max_chars:
            self._drop(str(path))
            while self._kept and self.chars + n > self.max_chars:
                self._drop(next(iter(self._kept)))
            self._kept[str(path)] = (key, fmt, blocks, n)
            self.chars += n
        return blocks

    def take(self, path: str | Path) -> Optional[tuple[str, list[Block]]]:
        """(format, blocks) read ahead for `path`, given once; None when not kept or the
        file has changed since."""
        got = self._drop(str(path))
        if got is None:
            return None
        key, fmt, blocks, _n = got
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (fmt, blocks) if (st.st_size, st.st_mtime_ns) == key else None

    def clear(self) -> None:
        self._kept.clear()
        self.chars = 0

    def _drop(self, key: str):
        got = self._kept.pop(key, None)
        if got is not None:
            self.chars -= got[3]
        return got


_AHEAD: Optional[ReadAhead] = None


@contextmanager
def reading_ahead(ahead: Optional[ReadAhead]) -> Iterator[None]:
    """Let `read_blocks_once` in this process take from `ahead`; what is left is let go."""
    global _AHEAD
    _AHEAD = ahead
    try:
        yield
    finally:
        _AHEAD = None
        if ahead is not None:
            ahead.clear()


def read_blocks_once(path: str | Path) -> tuple[str, list[Block]]:
    """read_blocks, or the blocks already read for `path` (`reading_ahead`)."""
    got = _AHEAD.take(path) if _AHEAD is not None else None
    return got if got is not None else read_blocks(path)


def _dispatch(path: Path, fmt: str, lim) -> list[Block]:
    ext = path.suffix.lower()
    if fmt == "txt":
        return read_tika_text(path, max_bytes=lim.max_text_file_bytes)
    if fmt == "docx":
        return read_docx(path)
    if fmt == "pdf":
        from .pdf import read_pdf  # pypdfium2 and the layout code, imported at the first PDF
        return read_pdf(path, max_pages=lim.max_pages)
    if fmt in ("xlsx", "xls"):
        if fmt == "xlsx":
            open_package(path, ".xlsx", lim.max_unzipped_bytes).close()

        return read_xlsx(path)
    if fmt == "html":
        depth = html_depth(path.read_bytes(), lim.max_html_depth)
        if depth > lim.max_html_depth:
            raise ReadError(f"HTML nested more than {lim.max_html_depth} elements deep "
                            f"(raise with --max-html-depth)")
        if ext == ".pdf":
            raise ReadError("not a PDF: the file is an HTML page (a portal error page saved as .pdf?)")

        return read_html(path)
    if ext == ".pdf":
        raise ReadError("not a PDF: the file does not start with %PDF")
    if ext == ".docx":
        raise ReadError("not a .docx: the file is not a ZIP package")
    if ext in (".xlsx",):
        raise ReadError("not an .xlsx: the file is not a ZIP package")
    if ext == ".doc" or fmt == "ole":
        raise ReadError("unsupported format: legacy Word .doc (convert through Tika or to .docx)")
    raise ReadError(f"unsupported format: {ext or 'no extension'}")
