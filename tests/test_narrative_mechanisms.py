"""The narrative mechanisms of narrative_vs_table on their real examples
(budgetlens/reconcile/corpus/narrative_vs_table.yaml)."""
from pathlib import Path

import pytest
import yaml

from budgetlens.reconcile import functional as fn
from budgetlens.reconcile import narrative_vs_table as nv
from budgetlens.reconcile.locate import name_key

CORPUS = yaml.safe_load((Path(nv.__file__).parent / "corpus" / "narrative_vs_table.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("ex", CORPUS["qualified"], ids=lambda e: e["words"])
def test_qualified_subject(ex):
    assert nv.qualified(ex["words"], ex["term"]) is ex["qualified"]


@pytest.mark.parametrize("ex", CORPUS["path_ends"], ids=lambda e: e["before"][-20:])
def test_functional_path_ends_at_the_figure(ex):
    got = bool(fn.segments(ex["before"])) and fn.path_ends_at(ex["before"], nv.V["name_fillers"] + nv.V["path_fillers"])
    assert got is ex["at_path"]


@pytest.mark.parametrize("ex", CORPUS["several_units"], ids=lambda e: e["text"][:20])
def test_several_units_named(ex):
    got = bool(nv._INSTITUTION.search(ex["text"]) or nv._SEVERAL.search(ex["text"]))
    assert got is ex["several"]


@pytest.mark.parametrize("ex", CORPUS["name_keys"], ids=lambda e: e["written"])
def test_written_name_and_label_share_a_key(ex):
    assert name_key(ex["written"]) == name_key(ex["label"]) != ""
