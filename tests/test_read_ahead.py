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


# ---------------------------------------------------------------- Spill: kept on disk

def _spill(tmp_path, **kw) -> readers.Spill:
    folder = tmp_path / "spill"
    folder.mkdir(exist_ok=True)
    return readers.Spill(folder, **kw)


def test_spill_gives_a_costly_read_once(tmp_path):
    a, b = _samples(tmp_path)
    spill = _spill(tmp_path, min_seconds=0)
    blocks = spill.read(a)
    assert len(list(spill.folder.iterdir())) == 1
    fmt, got = spill.take(a)
    assert (fmt, got) == readers.read_blocks(a) and got == blocks
    assert spill.take(a) is None and spill.take(b) is None  # given once; b never read
    assert list(spill.folder.iterdir()) == []  # taken is deleted


def test_spill_reads_a_cheap_file_again(tmp_path):
    a, _b = _samples(tmp_path)
    spill = _spill(tmp_path, min_seconds=60)
    spill.read(a)
    assert spill.take(a) is None and list(spill.folder.iterdir()) == []


def test_spill_reads_a_changed_file_again(tmp_path):
    a, _b = _samples(tmp_path)
    spill = _spill(tmp_path, min_seconds=0)
    spill.read(a)
    a.write_text(a.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 10**9))
    assert spill.take(a) is None


def test_spill_bounded_per_process_and_by_free_disk(tmp_path, monkeypatch):
    a, b = _samples(tmp_path)
    spill = _spill(tmp_path, min_seconds=0, max_bytes=1)
    spill.read(a)
    spill.read(b)  # over the budget: not kept
    assert spill.take(a) is not None and spill.take(b) is None
    roomy = readers.Spill(tmp_path / "spill", min_seconds=0)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(readers.shutil, "disk_usage",
                        lambda p: usage._replace(free=readers.SPILL_RESERVE - 1, total=readers.SPILL_RESERVE))
    roomy.folder = tmp_path / "other"
    roomy.folder.mkdir()
    roomy.read(a)  # the disk is nearly full: not kept
    assert roomy.take(a) is None and list(roomy.folder.iterdir()) == []


def test_read_ahead_spills_what_memory_cannot_keep(tmp_path):
    files = _samples(tmp_path)
    one = readers.ReadAhead(max(_chars(f) for f in files), spill=_spill(tmp_path, min_seconds=0))
    runner.group_files(_NoMemory(), files, "fp", one)  # last to first: the second file is let go
    assert len(list(one.spill.folder.iterdir())) == 1
    assert one.take(files[1]) == readers.read_blocks(files[1])  # from disk
    assert one.take(files[0]) == readers.read_blocks(files[0])  # from memory
    assert list(one.spill.folder.iterdir()) == []


def _doc_rows(results) -> list[str]:
    return [repr({k: v for k, v in r.document.items() if k not in ("read_seconds", "process_seconds")})
            for r in results]


def test_what_a_worker_profiled_is_not_parsed_again(tmp_path, monkeypatch):
    """A pool worker reads and profiles files to pair them (runner.profile_files); the
    worker that processes their documents takes the blocks from the spill folder."""
    files = _samples(tmp_path)
    batch = [[str(f)] for f in files]
    expected = runner.process_packed(batch)
    folder = tmp_path / "spill"
    folder.mkdir()
    monkeypatch.setattr(readers, "SPILL_MIN_SECONDS", 0)
    profiles = runner.profile_files(str(folder), 10**9, [str(f) for f in files])
    assert [p for p, _pr in profiles] == [str(f) for f in files]
    assert {Path(p): pr for p, pr in profiles} == pairing.profiles(files)
    parsed = _counting(monkeypatch)
    got = readers.taking_spill(str(folder), runner.process_packed, batch)
    assert parsed == [] and list(folder.iterdir()) == []
    assert _doc_rows(got) == _doc_rows(expected)
    assert {k: v.num_rows for k, v in got.tables.items()} == {k: v.num_rows for k, v in expected.tables.items()}


def test_run_with_workers_leaves_no_spill_and_removes_a_killed_runs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):  # six distinct documents: enough for the pool of 2 to pair and process them
        for p in sorted((ROOT / "samples").iterdir()):
            (src / f"{i}_{p.name}").write_text(p.read_text(encoding="utf-8") + f"\n附注：第{i}份。\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".read-ahead.tmp-4242"  # a killed run's
    stale.mkdir()
    (stale / "x.pickle").write_bytes(b"x")
    summary = runner.run_job([str(src)], out, quiet=True, write_report=False, workers=2)
    assert summary.documents == 6 and summary.errors == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".read-ahead")]


def test_pairing_reads_here_while_cheap_and_hands_the_rest_to_the_workers(tmp_path, monkeypatch):
    """With workers, this process reads the files to pair them while what is left would take
    it less than POOL_PAYS_SECONDS at the rate so far (a pool costs more than 200 Tika dumps
    take); past that the workers read the rest.  The same profiles either way."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        for p in sorted((ROOT / "samples").iterdir()):
            (src / f"{i}_{p.name}").write_text(p.read_text(encoding="utf-8") + f"\n附注：第{i}份。\n", encoding="utf-8")
    files = sorted(src.iterdir())
    handed: list = []
    real = runner.profiles_by_tasks
    monkeypatch.setattr(runner, "profiles_by_tasks", lambda fs, chunk, m: handed.extend(fs) or real(fs, chunk, m))
    folder = tmp_path / "spill"
    folder.mkdir()
    profile_map = runner._profiling_pool(folder, 2, None)
    assert profile_map(files) == pairing.profiles(files) and handed == []  # cheap: all read here
    monkeypatch.setattr(runner, "POOL_PAYS_SECONDS", 0.0)
    assert runner._profiling_pool(folder, 2, None)(files) == pairing.profiles(files)
    assert handed == files[1:]  # after the first file, the workers
