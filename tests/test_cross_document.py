"""cross_document: a statement about last year checked against last year's own disclosure,
run after the batches over the run's documents and the store's earlier ones."""
import shutil

import duckdb
import pytest

from budgetlens.engine.run import run_job


@pytest.mark.real
def test_last_year_statement_against_last_years_disclosure(real_dir, tmp_path):
    # JS06 (2018) says 财政拨款收入 rose by 3958.98万元 on a total that JS05 (2017) published as
    # 17981.68万元; JS06 itself elsewhere says 3959.28 (21940.96 - 3959.28 = 17981.68).
    out = tmp_path / "out"
    run_job([str(real_dir / "JS06_江苏省人民检察院2018年部门预算公开.pdf")], out, quiet=True, write_report=False)
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    assert con.execute("select count(*) from flags where family = 'cross_document'").fetchone()[0] == 0
    con.close()
    # last year's disclosure arrives in a later run: the store holds both, the check runs
    run_job([str(real_dir / "JS05_江苏省人民检察院2017年部门预算.pdf")], out, quiet=True, write_report=False)
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    rows = con.execute("select source, rule, severity, \"values\", evidence from flags "
                       "where family = 'cross_document'").fetchall()
    con.close()
    assert len(rows) == 1, rows
    source, rule, severity, values, evidence = rows[0]
    assert "JS06" in source and rule == "last_year.comparison" and severity == "warning"
    assert any(abs(v - 17981.68) < 0.006 for v in values) and any(abs(v - 3958.98) < 0.006 for v in values)
    assert any("3958.98" in e for e in evidence) and any("17981.68" in e for e in evidence)


def test_no_cross_document_flags_without_a_previous_year(tmp_path):
    from conftest import SAMPLES

    inp = tmp_path / "in"
    shutil.copytree(SAMPLES, inp)
    out = tmp_path / "out"
    run_job([str(inp)], out, quiet=True, write_report=False)
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    assert con.execute("select count(*) from flags where family = 'cross_document'").fetchone()[0] == 0
    con.close()
