"""narrative.arithmetic (and the list-shaped comparison rule): the real-sentence corpus
in reconcile/corpus/lists.yaml, and seed 000's 重点时段信访维稳经费 list."""
from pathlib import Path

import pytest
import yaml

from conftest import SEED_000, build
from budgetlens.reconcile import narrative_arithmetic as na

CORPUS = yaml.safe_load((Path(na.__file__).parent / "corpus" / "lists.yaml").read_text(encoding="utf-8"))["examples"]


def _rules(text: str) -> set:
    out = set()
    for lst in na.find_lists(text, 0):
        f = na._check_changes(None, lst) if lst.change is not None else na._check_list(_Doc(), lst)
        if f:
            out.add(f.rule.split("comparison.")[-1] if f.family == "comparison" else f.rule)
            out.add(f.rule)
        for it in lst.items:
            g = na._check_product(it, lst)
            if g:
                out.add(g.rule)
    return out


class _Doc:
    def sentence_at(self, offset):
        return None


@pytest.mark.parametrize("ex", CORPUS, ids=[e["source"] for e in CORPUS])
def test_corpus(ex, monkeypatch):
    monkeypatch.setattr(na, "_sentence_of", lambda doc, lst: lst.sentence)
    got = _rules(ex["text"])
    if ex["flag"] is None:
        assert not got, got
    else:
        assert ex["flag"] in got, got


def test_seed000_project_items_exceed_budget():
    flags = na.check(build(SEED_000), [])
    lists = [f for f in flags if f.rule == "list.sum_vs_total"]
    assert len(lists) == 1
    assert lists[0].severity == "error"
    assert lists[0].values == [100.0, 115.84]
    assert "见习岗" in lists[0].evidence[0]


def test_seed000_list_that_adds_up_does_not_flag(tmp_path):
    text = SEED_000.read_text(encoding="utf-8").replace("7、见习岗15.84万元（6人，每人每月0.22万元）", "")
    p = tmp_path / SEED_000.name
    p.write_text(text, encoding="utf-8")
    assert not [f for f in na.check(build(p), []) if f.rule == "list.sum_vs_total"]
