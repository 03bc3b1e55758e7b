"""ZIP packages (.docx, .xlsx) are checked before any of their XML is parsed: a tiny
file can declare gigabytes of content (a zip bomb), and a parser would hold all of it in
memory.  Python's zipfile never inflates a part past its declared size, so checking the
declared sizes bounds what a reader can be made to hold."""
from __future__ import annotations

import zipfile
from pathlib import Path

from budgetlens.limits import MB

from .blocks import ReadError

MAX_PARTS = 20_000
_CHUNK = 1 << 20


def open_package(path: str | Path, kind: str, max_unzipped_bytes: int) -> zipfile.ZipFile:
    """The package, opened, after its part count and total expanded size are checked.
    `kind` names the format in reasons (".docx", ".xlsx")."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ReadError(f"corrupt {kind}: not a valid ZIP package") from None
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        infos = zf.infolist()
        if len(infos) > MAX_PARTS:
            raise ReadError(f"corrupt {kind}: the package has {len(infos)} parts")
        total = sum(i.file_size for i in infos)
        if total > max_unzipped_bytes:
            raise ReadError(f"{kind} expands to {total / MB:.0f} MB, over the {max_unzipped_bytes / MB:g} MB "
                            f"limit (a zip bomb?; raise with --max-unzipped-mb)")
    except BaseException:
        zf.close()
        raise
    return zf


def count_tag(zf: zipfile.ZipFile, part: str, tags: tuple[bytes, ...]) -> int:
    """Occurrences of `tags` in one part, read as a stream (memory: one chunk)."""
    n = 0
    tail = b""
    keep = max(len(t) for t in tags) - 1
    try:
        with zf.open(part) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf = tail + chunk
                n += sum(buf.count(t) for t in tags)
                # a tag cut by the chunk boundary is counted once, in the next buffer
                tail = buf[-keep:] if keep else b""
                n -= sum(tail.count(t) for t in tags)
        n += sum(tail.count(t) for t in tags)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ReadError(f"corrupt package part {part}: {exc}") from None
    except Exception as exc:  # zlib.error and friends
        raise ReadError(f"corrupt package part {part}: {type(exc).__name__}: {exc}") from None
    return n
