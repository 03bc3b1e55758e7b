"""`--workers 2` stores the same rows and flags as `--workers 1`: the bundled samples and a
few synthetic disclosures (seed heads, one with a narrative figure changed so that the
narrative disagrees with its table), through the pool (forkserver, warm workers) and
through the in-process loop."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
from badinput.generate import sample_text

from budgetlens.engine import workers as workers_mod
from budgetlens.engine.run import run_job, sequential, use_workers

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("documents", "facts", "table_cells", "flags")
VOLATILE = ("read_seconds", "process_seconds")


def corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for p in sorted((ROOT / "samples").iterdir()):
        shutil.copy(p, folder / p.name)
    for i in range(4):
        text = "\n".join(sample_text(i % 2).split("\n")[:300])
        if i == 3:  # a narrative total that its table does not give
            text = re.sub(r"(支出预算)(\d+\.\d\d)(万元)", lambda m: m.group(1) + "9" + m.group(2) + m.group(3), text, count=1)
        (folder / f"synthetic_{i}.txt").write_text(text + f"\n\n附注：第{i}号样本。\n", encoding="utf-8")
    return folder


def outputs(out: Path) -> dict[str, pd.DataFrame]:
    res = {}
    for t in TABLES:
        df = pd.read_parquet(out / f"{t}.parquet")
        df = df.drop(columns=[c for c in df.columns if c in VOLATILE or c == "run_id"])
        res[t] = df.astype(str).sort_values(list(df.columns)).reset_index(drop=True)
    return res


def test_two_workers_store_what_one_stores(tmp_path):
    src = corpus(tmp_path / "in")
    one = run_job([str(src)], tmp_path / "w1", batch_size=2, quiet=True, write_report=False, workers=1)
    two = run_job([str(src)], tmp_path / "w2", batch_size=2, quiet=True, write_report=False, workers=2)
    assert one.documents == two.documents == 6
    assert (one.facts, one.flags, one.errors) == (two.facts, two.flags, two.errors)
    a, b = outputs(tmp_path / "w1"), outputs(tmp_path / "w2")
    assert len(a["flags"]) > 0 and len(a["facts"]) > 0 and len(a["table_cells"]) > 0
    for t in TABLES:
        pd.testing.assert_frame_equal(a[t], b[t], obj=t)


def test_pool_only_when_it_can_pay():
    lim = None
    assert use_workers(sequential, 1, 25, 1000, lim) == (sequential, 25)
    assert use_workers(sequential, 2, 25, 3, lim) == (sequential, 25)  # too few documents
    custom = lambda bs: iter(())  # noqa: E731 - a caller's own mapper is kept
    assert use_workers(custom, 2, 25, 1000, lim) == (custom, 25)
    m, size = use_workers(sequential, 2, 25, 20, lim)
    assert m is not sequential and size == 25  # the batch size stays the caller's


def test_cores_is_positive():
    assert workers_mod.cores() >= 1
