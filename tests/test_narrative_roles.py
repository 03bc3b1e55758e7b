"""The roles a narrative figure's words give it, and a column label's, on the real examples
of budgetlens/reconcile/corpus/roles.yaml; and the fit between the two."""
from pathlib import Path

import pytest
import yaml

from budgetlens.document.model import Row, Table
from budgetlens.reconcile import roles as ro

CORPUS = yaml.safe_load((Path(ro.__file__).parent / "corpus" / "roles.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("ex", CORPUS["sentences"], ids=lambda e: f'{e["file"][:4]}p{e["page"]}:{e["subject"]}')
def test_sentence_roles(ex):
    got = ro.read_roles(subject=ex["subject"], clause=ex.get("clause", ""), lead=ex.get("lead", ""),
                        heading=ex.get("heading", ""), doc_kind=ex["doc_kind"], doc_year=ex["doc_year"])
    for k, v in ex["expect"].items():
        assert getattr(got, k) == v, (k, got)


@pytest.mark.parametrize("ex", CORPUS["columns"], ids=lambda e: f'{e["file"][:4]}p{e["page"]}')
def test_column_roles(ex):
    t = Table("d:t1", "表", "unknown", "万元", ["/".join(ex["path"])], [], [Row(0, ["1.00"], label="合计")])
    got = ro.cell_roles(t, t.rows[0], 0, ex.get("doc_year"))
    for k, v in ex["expect"].items():
        if k == "label":
            assert ro.column_label(t, 0) == v
        else:
            assert getattr(got, k) == v, (k, got)


def test_fit_grades():
    s = ro.Roles(year=2026, measure="budget", fund="general_public", part="personnel")
    assert ro.fit(s, ro.Roles(year=2026, measure="budget", fund="general_public", part="personnel")) == "strong"
    assert ro.fit(s, ro.Roles(year=2025)) is None  # last year's column
    assert ro.fit(s, ro.Roles(measure="execution")) is None  # 执行数 against a budget
    assert ro.fit(s, ro.Roles(fund="gov_fund")) is None
    assert ro.fit(s, ro.Roles(fund="fiscal", part="personnel")) == "weak"  # related funds: verify only
    assert ro.fit(s, ro.Roles(fund="general_public", part="public")) is None
    none = ro.Roles(year=2026, measure="budget")
    assert ro.fit(none, ro.Roles(fund="general_public")) == "weak"
    assert ro.fit(none, ro.Roles(fund="general_public"), one_fund=True) == "strong"
    assert ro.fit(none, ro.Roles(fund="all")) == "strong"
