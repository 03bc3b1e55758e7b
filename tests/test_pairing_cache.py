"""A re-run does not read its inputs again just to pair them: the pairing profile of each
file is remembered in the store by path, size, mtime and pipeline, and the groups built from
remembered profiles are the groups built from the files."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from budgetlens.engine import run as runner
from budgetlens.readers import pairing

ROOT = Path(__file__).resolve().parents[1]


def test_rerun_pairs_from_remembered_profiles(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted((ROOT / "samples").iterdir()):
        shutil.copy(p, src / p.name)
    out = tmp_path / "out"
    first = runner.run_job([str(src)], out, quiet=True, write_report=False, workers=1)
    assert first.documents == 2

    read = []
    real_profile = pairing.profile
    monkeypatch.setattr(pairing, "profile", lambda path, blocks: read.append(path) or real_profile(path, blocks))
    again = runner.run_job([str(src)], out, quiet=True, write_report=False, workers=1)
    assert again.skipped == 2 and read == []

    # an edited file (new mtime) is profiled again; the other is still remembered
    edited = sorted(src.iterdir())[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(edited, ns=(edited.stat().st_atime_ns, edited.stat().st_mtime_ns + 10**9))
    runner.run_job([str(src)], out, quiet=True, write_report=False, workers=1)
    assert read == [edited]


def test_groups_from_remembered_profiles_are_the_same(tmp_path):
    files = [Path(f"/x/{n}") for n in ("a2019年部门预算.txt", "b.txt", "a2019年预算公开表格.txt")]
    profs = {files[0]: pairing.Profile(files[0], "narrative", 2019, "某某局", "a"),
             files[1]: pairing.Profile(files[1], "both", 2019, "别的局", "b"),
             files[2]: pairing.Profile(files[2], "tables", 2019, "某某局", "a")}
    assert pairing.pair_profiles(files, profs) == [[files[0], files[2]], [files[1]]]
    # a file without a profile (unreadable) stays alone
    assert pairing.pair_profiles(files, {files[0]: profs[files[0]]}) == [[f] for f in files]
