"""A missing dependency fails loudly: no silent fallback that turns it into a run that
looks fine (issue 11: with cn2an missing, seed 000 came back `status = ok` with 0 facts)."""
from __future__ import annotations

import ast
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


def _swallowed_import_errors(tree: ast.AST) -> list[int]:
    """Lines of `except ImportError` handlers that do not raise (a fallback, not an error)."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        names = {t.id for t in types if isinstance(t, ast.Name)}
        if names & {"ImportError", "ModuleNotFoundError"} and \
                not any(isinstance(n, ast.Raise) for stmt in node.body for n in ast.walk(stmt)):
            out.append(node.lineno)
    return out


def test_no_import_error_is_swallowed_in_the_package():
    """No `except ImportError` that goes on without the module: an optional extra may catch
    it only to raise an error that says how to install it."""
    offenders = []
    for folder in ("budgetlens", "extractors", "gazetteers", "pipelines"):
        for p in (ROOT / folder).rglob("*.py"):
            for line in _swallowed_import_errors(ast.parse(p.read_text(encoding="utf-8"))):
                offenders.append(f"{p.relative_to(ROOT)}:{line}")
    assert offenders == []


def test_the_check_sees_a_fallback():
    fallback = ast.parse("try:\n    import x\nexcept ImportError:\n    x = None\n")
    loud = ast.parse("try:\n    import x\nexcept ImportError as e:\n    raise RuntimeError('pip install x') from e\n")
    assert _swallowed_import_errors(fallback) == [3] and _swallowed_import_errors(loud) == []
