"""notebooks/explore.ipynb executes on the sample data (nbclient), and stays paired with
its jupytext twin."""
from __future__ import annotations

import os

import pytest
from conftest import ROOT, SAMPLES

NB = ROOT / "notebooks" / "explore.ipynb"


def test_notebook_is_paired_with_py():
    import jupytext
    import nbformat

    ipynb = nbformat.read(NB, as_version=4)
    py = jupytext.read(ROOT / "notebooks" / "explore.py")
    src = lambda nb: [c.source.strip() for c in nb.cells]  # noqa: E731
    assert src(ipynb) == src(py), "run: jupytext --sync notebooks/explore.py"


@pytest.mark.slow  # starts a Jupyter kernel and runs the whole notebook
def test_notebook_executes_on_samples(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    from budgetlens.engine.run import run_job

    out = tmp_path / "out"
    run_job([str(SAMPLES)], out, quiet=True, write_report=False)
    monkeypatch.setenv("BUDGETLENS_STORE", str(out / "budgetlens.duckdb"))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend renders the plot
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NB, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for o in outputs)
    assert "errors" in text  # the departments table
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot
