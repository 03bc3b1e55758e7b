"""table_arithmetic.same_role_totals walked over its corpus (budgetlens/reconcile/corpus/
same_role_totals.yaml): real documents whose role-keyed totals agree stay silent, one total
changed is flagged once, the published disagreement is found.  Reads ../shared/real2 in place."""
from pathlib import Path

import pytest
import yaml

from budgetlens.document.build import build_document
from budgetlens.readers import read_blocks
from budgetlens.reconcile import table_arithmetic

CORPUS = yaml.safe_load((Path(table_arithmetic.__file__).parent / "corpus" / "same_role_totals.yaml")
                        .read_text(encoding="utf-8"))
RULE = "summary_tables.same_role_total"
_blocks = {}


def _doc(real2_dir, name, page=None, old=None, new=None, row=None):
    if name not in _blocks:
        _blocks[name] = read_blocks(real2_dir / name)
    fmt, blocks = _blocks[name]
    blocks = [b.__class__(**{**b.__dict__, "rows": [list(r) for r in b.rows]}) for b in blocks]
    if old is not None:
        def same(c):
            return c.replace(",", "").strip() == old
        b = next(b for b in blocks if b.kind == "table" and b.page == page and any(same(c) for r in b.rows for c in r))
        r = [r for r in b.rows if any(same(c) for c in r) and (row is None or row in r)][-1]
        r[next(k for k, c in enumerate(r) if same(c))] = new
    return build_document(blocks, name, fmt)


def _flags(doc):
    return [f for f in table_arithmetic.check(doc) if f.rule == RULE]


@pytest.mark.parametrize("ex", CORPUS["clean"], ids=lambda e: f"{e['file'][:4]}-p{e['page']}-{e['mutate']['old']}")
def test_clean_silent_and_mutation_flagged(real2_dir, ex):
    base = _flags(_doc(real2_dir, ex["file"]))
    # the figure as published agrees wherever the rule compares it
    assert not [f for f in base if float(ex["mutate"]["old"]) in f.values], [f.message for f in base]
    m = ex["mutate"]
    got = _flags(_doc(real2_dir, ex["file"], ex["page"], m["old"], m["new"], m.get("row")))
    new = [f for f in got if f.message not in {b.message for b in base}]
    assert len(new) == 1, [f.message for f in new]
    assert float(m["new"]) in new[0].values


@pytest.mark.parametrize("ex", CORPUS["findings"], ids=lambda e: f"{e['file'][:4]}-{e['values'][0]}")
def test_published_disagreement_found(real2_dir, ex):
    got = [f for f in _flags(_doc(real2_dir, ex["file"])) if sorted(f.values) == sorted(ex["values"])]
    assert len(got) == 1, [f.message for f in _flags(_doc(real2_dir, ex["file"]))]
    assert got[0].severity == "error"
