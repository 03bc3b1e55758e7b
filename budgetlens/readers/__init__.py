"""Readers: one function per format, each turning a file into `Block`s.

`read_blocks(path)` picks the reader from the file's magic bytes first and its
extension second, so a `.pdf` that is really HTML is not read as a PDF.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import tempfile
import time
from collections import OrderedDict
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from budgetlens.limits import current, too_big

from .blocks import Block, ReadError  # noqa: F401  (the readers' output types)
from .docx import read_docx
from .html import read_html
from .package import open_package
from .tika import read_tika_text
from .xlsx import read_xlsx

TEXT_EXT = {".txt", ".text"}
SUPPORTED = {".txt", ".text", ".docx", ".pdf", ".xlsx", ".xls", ".html", ".htm"}

# Spill (files read to pair them, kept on disk for their documents): reads that took less
# CPU than this are read again (a Tika dump: ~3 ms to parse, ~2 ms to pickle and load);
# at most this many bytes per process; never below this much free disk (or 10 %).
SPILL_MIN_SECONDS = 0.01
SPILL_MAX_BYTES = 4 << 30
SPILL_RESERVE = 2 << 30


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


class Spill:
    """Blocks of files read to pair them, kept on disk for the document's own read, in
    whichever process it happens: a folder of pickles, one per file, each taken (and
    deleted) once.  Loading a PDF's blocks costs ~1/300 of laying the PDF out again, so
    only reads that took at least `min_seconds` are kept (a Tika dump is as quick to
    parse as to load); at most `max_bytes` per process, and nothing while the disk has
    less than SPILL_RESERVE free.  A file changed since (size, mtime) is read again.

    The folder is its owner's (engine.run makes one per run in the output folder and
    removes it); any process may put and take."""

    def __init__(self, folder: str | Path, max_bytes: Optional[int] = None, min_seconds: Optional[float] = None):
        self.folder = Path(folder)
        self.max_bytes = SPILL_MAX_BYTES if max_bytes is None else max_bytes
        self.min_seconds = SPILL_MIN_SECONDS if min_seconds is None else min_seconds

    def _file(self, path: str | Path) -> Path:
        name = hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()
        return self.folder / f"{name}.pickle"

    def read(self, path: str | Path) -> list[Block]:
        """The blocks of `path` (read_blocks), kept for `take` when they were costly to read."""
        t0 = time.process_time()
        fmt, blocks, key, _n = _read(Path(path))
        self.put(path, key, fmt, blocks, time.process_time() - t0)
        return blocks

    def put(self, path: str | Path, key: tuple, fmt: str, blocks: list[Block], seconds: float) -> bool:
        """Keep the blocks of `path` read in `seconds`; False when not kept (cheap to read
        again, over the budget, the disk nearly full or not writable)."""
        if seconds < self.min_seconds or _SPILLED.get(self.folder, 0) >= self.max_bytes:
            return False
        try:
            usage = shutil.disk_usage(self.folder)
            if usage.free < max(SPILL_RESERVE, usage.total // 10):
                return False
            data = pickle.dumps((key, fmt, blocks), protocol=pickle.HIGHEST_PROTOCOL)
            target = self._file(path)
            tmp = target.with_name(f"{target.name}.{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except (OSError, pickle.PicklingError, RecursionError):
            return False
        _SPILLED[self.folder] = _SPILLED.get(self.folder, 0) + len(data)
        return True

    def take(self, path: str | Path) -> Optional[tuple[str, list[Block]]]:
        """(format, blocks) kept for `path`, given once; None when not kept or the file has
        changed since."""
        f = self._file(path)
        try:
            data = f.read_bytes()
            f.unlink()
            key, fmt, blocks = pickle.loads(data)
            st = os.stat(path)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            return None
        return (fmt, blocks) if (st.st_size, st.st_mtime_ns) == key else None

    def clear(self) -> None:
        """Nothing: the folder is removed by its owner (`spill_folder`)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


# Bytes each process has written to each spill folder (Spill.max_bytes is per process).
_SPILLED: dict[Path, int] = {}


@contextmanager
def spill_folder(parent: Path) -> Iterator[Path]:
    """A new folder for a Spill in `parent` (removed after, with what was not taken); a
    run's output folder, so that it is on a disk the run may write.  Named like the other
    temporaries of a run (`.<name>.tmp-<pid>`), so that one left by a killed run is
    removed by the next (store.duck.remove_stale_temporaries)."""
    for stale in Path(parent).glob(".read-ahead.tmp-*-*"):  # a killed run's
        pid = stale.name.split("-")[-2]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f".read-ahead.tmp-{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        _SPILLED.pop(folder, None)
        shutil.rmtree(folder, ignore_errors=True)


class ReadAhead:
    """Files read before their document is read (pairing reads each file to profile it),
    kept in this process so that the document's own read takes them instead of parsing
    the file a second time.

    Bounded: at most `max_chars` characters of text are kept (a Tika dump's blocks take
    ~13 bytes a character); reading past that drops the files read first, or, with a
    `spill`, keeps them on disk when they were costly to read (a PDF).  Pairing reads
    the files last to first, so what stays is the first files: the first to be processed,
    each taken (and so let go) by its document.  A file changed since (size, mtime) is
    read again."""

    def __init__(self, max_chars: int, spill: Optional[Spill] = None):
        self.max_chars = max_chars
        self.spill = spill
        self.chars = 0
        self._kept: OrderedDict[str, tuple[tuple, str, list[Block], int, float]] = OrderedDict()

    def read(self, path: str | Path) -> list[Block]:
        """The blocks of `path` (read_blocks), kept for `take`."""
        t0 = time.process_time()
        fmt, blocks, key, n = _read(Path(path))
        seconds = time.process_time() - t0
        self._drop(str(path))
        if n <= self.max_chars:
            while self._kept and self.chars + n > self.max_chars:
                first = next(iter(self._kept))
                self._spill(first, self._drop(first))
            self._kept[str(path)] = (key, fmt, blocks, n, seconds)
            self.chars += n
        else:
            self._spill(str(path), (key, fmt, blocks, n, seconds))
        return blocks

    def _spill(self, path: str, kept: tuple) -> None:
        if self.spill is not None:
            key, fmt, blocks, _n, seconds = kept
            self.spill.put(path, key, fmt, blocks, seconds)

    def take(self, path: str | Path) -> Optional[tuple[str, list[Block]]]:
        """(format, blocks) read ahead for `path`, given once; None when not kept or the
        file has changed since."""
        got = self._drop(str(path))
        if got is None:
            return self.spill.take(path) if self.spill is not None else None
        key, fmt, blocks, _n, _s = got
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


_AHEAD: Optional[ReadAhead | Spill] = None


@contextmanager
def reading_ahead(ahead: Optional[ReadAhead | Spill]) -> Iterator[None]:
    """Let `read_blocks_once` in this process take from `ahead`; what is left is let go."""
    global _AHEAD
    _AHEAD = ahead
    try:
        yield
    finally:
        _AHEAD = None
        if ahead is not None:
            ahead.clear()


def taking_spill(folder: str, fn: Callable[[Any], Any], batch: Any) -> Any:
    """`fn(batch)`, each document's read taking what pairing kept in the spill `folder`
    (what a worker runs: `functools.partial(taking_spill, folder, fn)` pickles)."""
    with reading_ahead(Spill(folder)):
        return fn(batch)


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
