"""A missing dependency fails loudly: no silent fallback that turns it into a run that
looks fine (issue 11: with cn2an missing, seed 000 came back `status = ok` with 0 facts)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "000_3d763aca435f5d08.txt"

_BLOCK = """
import importlib.abc, sys
class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {mod!r} or name.startswith({mod!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _Missing())
from budgetlens.pipelines.cli import main
sys.exit(main(["run", {seed!r}, "--out", {out!r}, "--quiet", "--orchestrator", "local"]))
"""


def _run_without(mod: str, out: Path) -> subprocess.CompletedProcess:
    code = _BLOCK.format(mod=mod, seed=str(SEED), out=str(out))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_missing_cn2an_fails_the_run(tmp_path):
    r = _run_without("cn2an", tmp_path / "out")
    assert r.returncode != 0, r.stdout
    assert "cn2an" in r.stderr
    assert not (tmp_path / "out" / "documents.parquet").exists()


def test_the_same_run_with_cn2an_extracts_facts(tmp_path):
    """The control: the blocker itself does not break the run."""
    r = _run_without("a_module_nobody_imports", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    import pandas as pd

    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet")
    facts = pd.read_parquet(tmp_path / "out" / "facts.parquet")
    assert list(docs["status"]) == ["ok"] and len(facts) > 0


def test_no_import_error_is_swallowed_in_the_package():
    """No `except ImportError` that swallows anywhere in the package: an optional part that
    may be absent is an extra, imported where it is used, and its absence is an error (a
    handler may only re-raise with a message saying which extra to install)."""
    pat = re.compile(r"except\s*\(?[^:\n]*\b(?:ImportError|ModuleNotFoundError)\b")
    offenders = []
    for folder in ("budgetlens", "extractors", "gazetteers", "pipelines"):
        for p in (ROOT / folder).rglob("*.py"):
            lines = p.read_text(encoding="utf-8").splitlines()
            for i, line in enumerate(lines, 1):
                if pat.search(line) and not (i < len(lines) and lines[i].strip().startswith("raise ")):
                    offenders.append(f"{p.relative_to(ROOT)}:{i}: {line.strip()}")
    assert offenders == []
