"""A file read to pair it is not parsed again for its document: `budgetlens run` with one
worker keeps what pairing read (readers.ReadAhead, bounded) and the document's read takes
it.  The documents and the groups are those of reading every file twice."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from budgetlens import readers
from budgetlens.engine import run as runner
from budgetlens.engine.process import read_group
from budgetlens.readers import pairing

ROOT = Path(__file__).resolve().parents[1]


def _samples(tmp_path) -> list[Path]:
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted((ROOT / "samples").iterdir()):
        shutil.copy(p, src / p.name)
    return sorted(src.iterdir())


def _counting(monkeypatch) -> list[Path]:
    """The files the readers parse, in order (readers._dispatch is every format's reader)."""
    parsed: list[Path] = []
    real = readers._dispatch
    monkeypatch.setattr(readers, "_dispatch", lambda path, fmt, lim: parsed.append(path) or real(path, fmt, lim))
    return parsed


def test_take_gives_the_blocks_once(tmp_path):
    a, b = _samples(tmp_path)
    ahead = readers.ReadAhead(10**7)
    blocks = ahead.read(a)
    assert blocks == readers.read_blocks(a)[1]
    assert ahead.chars > 0
    fmt, got = ahead.take(a)
    assert got is blocks and fmt == readers.read_blocks(a)[0]
    assert ahead.take(a) is None and ahead.take(b) is None  # given once; b never read
    assert ahead.chars == 0


def test_a_changed_file_is_read_again(tmp_path):
    a, _b = _samples(tmp_path)
    ahead = readers.ReadAhead(10**7)
    ahead.read(a)
    a.write_text(a.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 10**9))
    assert ahead.take(a) is None


def test_bounded_the_first_read_go_first(tmp_path):
    a, b = _samples(tmp_path)
    n_a = readers.ReadAhead(10**7)
    n_a.read(a)
    n_b = readers.ReadAhead(10**7)
    n_b.read(b)
    ahead = readers.ReadAhead(max(n_a.chars, n_b.chars))  # room for one of them
    ahead.read(a)
    ahead.read(b)
    assert ahead.chars == n_b.chars <= ahead.max_chars
    assert ahead.take(a) is None and ahead.take(b) is not None
    too_small = readers.ReadAhead(min(n_a.chars, n_b.chars) - 1)
    assert too_small.read(a) == readers.read_blocks(a)[1] and too_small.chars == 0


def test_read_group_takes_what_was_read_ahead(tmp_path, monkeypatch):
    a, b = _samples(tmp_path)
    before = read_group([a])
    ahead = readers.ReadAhead(10**7)
    ahead.read(a)
    parsed = _counting(monkeypatch)
    with readers.reading_ahead(ahead):
        doc = read_group([a])
        read_group([b])
    assert parsed == [b]  # a was not parsed again
    doc.read_seconds = before.read_seconds = None
    assert repr(doc) == repr(before)  # (tables compare by identity)
    assert readers.read_blocks_once(a)[1] == readers.read_blocks(a)[1]  # outside: read as always


def test_pairing_keeps_the_first_files(tmp_path):
    files = _samples(tmp_path)
    ahead = readers.ReadAhead(10**7)
    assert runner.group_files(_NoMemory(), files, "fp", ahead) == pairing.pair_sources(files)
    assert all(ahead.take(f) is not None for f in files)
    # pairing reads them last to first: with room for one file, the first stays
    one = readers.ReadAhead(max(_chars(f) for f in files))
    runner.group_files(_NoMemory(), files, "fp", one)
    assert one.take(files[0]) is not None and one.take(files[1]) is None


def test_run_parses_each_file_once(tmp_path, monkeypatch):
    files = _samples(tmp_path)
    parsed = _counting(monkeypatch)
    out = tmp_path / "out"
    summary = runner.run_job([str(tmp_path / "in")], out, quiet=True, write_report=False, workers=1)
    assert summary.documents == 2 and summary.errors == 0
    assert sorted(parsed) == files


def _chars(path: Path) -> int:
    ahead = readers.ReadAhead(10**9)
    ahead.read(path)
    return ahead.chars


class _NoMemory:
    """A store that remembers no pairing profile."""

    def pairing_profiles(self, stats, fingerprint):
        return {}

    def remember_pairing(self, rows, fingerprint):
        pass
