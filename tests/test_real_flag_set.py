"""The whole set of error/warning flags on the real PDFs equals the reviewed set: a new flag
is a false alarm until a person has read it against the PDF, a missing one a lost finding."""
from pathlib import Path

import pytest
import yaml

from budgetlens.engine.run import run_job

REVIEWED = yaml.safe_load((Path(__file__).parent / "real_flags_reviewed.yaml").read_text(encoding="utf-8"))


def _key(file, rule, values):
    return (file, rule, tuple(round(float(v), 2) for v in (values or [])[:3]))


@pytest.mark.real
def test_real_pdf_flags_are_exactly_the_reviewed_ones(real_dir, tmp_path):
    import duckdb

    run_job([str(real_dir)], tmp_path / "out", quiet=True, write_report=False)
    con = duckdb.connect(str(tmp_path / "out" / "budgetlens.duckdb"), read_only=True)
    rows = con.execute("select source, rule, \"values\", message from flags "
                       "where severity in ('error', 'warning')").fetchall()
    con.close()
    got = {}
    for source, rule, values, message in rows:
        got[_key(Path(source).name[:4], rule, values)] = message
    want = {_key(f["file"], f["rule"], f["values"]): f["message"] for f in REVIEWED["flags"]}
    new = {k: v for k, v in got.items() if k not in want}
    lost = {k: v for k, v in want.items() if k not in got}
    assert not new, f"flags nobody has reviewed (read them against the PDF, then list them): {new}"
    assert not lost, f"reviewed true findings no longer raised: {lost}"
    assert REVIEWED["counts"]["true"] == len(REVIEWED["flags"])
