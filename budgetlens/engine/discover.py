"""Walk the inputs and group files that form one disclosure."""
from __future__ import annotations

import os
from pathlib import Path

from budgetlens.readers import SUPPORTED
from budgetlens.readers.pairing import pair_sources

SKIP_NAMES = {".DS_Store", "Thumbs.db"}


def discover(paths: list[str | Path], exclude: list[str | Path] = ()) -> list[Path]:
    """Every candidate file under `paths`, in a stable order, each once (symlink loops and
    the same file reached twice are skipped).  Unreadable folders are skipped, and so are
    folders in `exclude` met during a walk (a run's own output folder inside its input)."""
    seen: set[tuple[int, int]] = set()
    out: list[Path] = []
    skip_dirs: set[tuple[int, int]] = set()
    for e in exclude:
        try:
            st = Path(e).stat()
            skip_dirs.add((st.st_dev, st.st_ino))
        except OSError:
            pass

    def excluded(d: Path) -> bool:
        if not skip_dirs:
            return False
        try:
            st = d.stat()
        except OSError:
            return False
        return (st.st_dev, st.st_ino) in skip_dirs

    def add(p: Path):
        try:
            st = p.stat()
        except OSError:
            out.append(p)  # reported as an error by the reader
            return
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return
        seen.add(key)
        out.append(p)

    walked: set[tuple[int, int]] = set()  # folders entered: a symlink loop is entered once

    def enter(d: Path) -> bool:
        try:
            st = d.stat()
        except OSError:
            return False
        key = (st.st_dev, st.st_ino)
        if key in walked or key in skip_dirs:
            return False
        walked.add(key)
        return True

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            if not enter(p):
                continue
            # symlinked folders are followed (corpora are often assembled from links);
            # each real folder is walked once, so a link back to a parent ends there
            for root, dirs, files in os.walk(p, followlinks=True):
                dirs[:] = sorted(d for d in dirs if enter(Path(root) / d))
                for name in sorted(files):
                    if name in SKIP_NAMES or name.startswith("~$") or name.startswith("."):
                        continue
                    fp = Path(root) / name
                    if fp.suffix.lower() in SUPPORTED or fp.suffix.lower() in (".doc", ".pdf"):
                        add(fp)
        else:
            add(p)
    return out


def group_sources(files: list[Path]) -> list[list[Path]]:
    """Files that are one disclosure (narrative + tables published apart) in one group."""
    return pair_sources(files)


def unnamable(files: list[Path]) -> tuple[list[Path], list[str]]:
    """`files` split into those whose path is text and those whose path is not valid UTF-8
    (bytes a Linux file system allows; Python gives them as lone surrogates, which the store
    cannot hold as text), the latter named by their bytes escaped (`\\xff`)."""
    ok: list[Path] = []
    bad: list[str] = []
    for f in files:
        try:
            str(f).encode("utf-8")
            ok.append(f)
        except UnicodeEncodeError:
            bad.append(os.fsencode(f).decode("utf-8", "backslashreplace"))
    return ok, bad
