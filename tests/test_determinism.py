"""The same input stores the same rows whatever Python's string hashing (PYTHONHASHSEED):
no output may depend on the iteration order of a set or of a dict keyed by hash order.
Two runs of `budgetlens run` in fresh processes with different seeds, rows compared."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from test_workers import TABLES, corpus, outputs

ROOT = Path(__file__).resolve().parents[1]


def _run(src: Path, out: Path, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-m", "budgetlens.pipelines.cli", "run", str(src), "--out", str(out), "--quiet",
                    "--workers", "1"], env=env, check=True, cwd=ROOT, capture_output=True)


def test_same_rows_under_two_hash_seeds(tmp_path):
    src = corpus(tmp_path / "in")
    _run(src, tmp_path / "h1", "1")
    _run(src, tmp_path / "h2", "2")
    a, b = outputs(tmp_path / "h1"), outputs(tmp_path / "h2")
    assert len(a["facts"]) > 0 and len(a["flags"]) > 0 and len(a["table_cells"]) > 0
    for t in TABLES:
        pd.testing.assert_frame_equal(a[t], b[t], obj=t)
