"""two_sided rules walked over their corpus (budgetlens/reconcile/corpus/two_sided.yaml): real
two-sided summary tables that add up stay silent, the same table with one amount changed is
flagged, and the published inconsistencies are found.  Reads ../shared/real2 in place."""
from pathlib import Path

import pytest
import yaml

from budgetlens.document.build import build_document
from budgetlens.readers import read_blocks
from budgetlens.readers.normalize import normalize_text
from budgetlens.reconcile import two_sided

CORPUS = yaml.safe_load((Path(two_sided.__file__).parent / "corpus" / "two_sided.yaml").read_text(encoding="utf-8"))
_blocks = {}


def _doc(real2_dir, name, page=None, old=None, new=None):
    if name not in _blocks:
        _blocks[name] = read_blocks(real2_dir / name)
    fmt, blocks = _blocks[name]
    blocks = [b.__class__(**{**b.__dict__, "rows": [list(r) for r in b.rows]}) for b in blocks]
    for b in blocks:
        if b.kind == "para":
            b.text = normalize_text(b.text)
    if old is not None:
        def same(c):  # the cell as printed, thousands separators aside
            return c.replace(",", "").strip() == old
        b = next(b for b in blocks if b.kind == "table" and b.page == page and any(same(c) for r in b.rows for c in r))
        r = next(r for r in b.rows if any(same(c) for c in r))
        r[next(k for k, c in enumerate(r) if same(c))] = new
    return build_document(blocks, name, fmt)


def _flags(doc, page, title, rule):
    tables = [t for t in doc.tables if t.page == page and title in (t.title or "")]
    assert tables, f"no table {title} on page {page}"
    return [f for t in tables for f in two_sided.check_table(t) if f.rule == rule]


@pytest.mark.parametrize("ex", CORPUS["clean"], ids=lambda e: f"{e['file'][:4]}-p{e['page']}-{e['mutate']['old']}")
def test_clean_table_silent_and_mutation_flagged(real2_dir, ex):
    doc = _doc(real2_dir, ex["file"])
    assert not _flags(doc, ex["page"], ex["title"], ex["rule"])
    bad = _doc(real2_dir, ex["file"], ex["page"], ex["mutate"]["old"], ex["mutate"]["new"])
    got = _flags(bad, ex["page"], ex["title"], ex["rule"])
    assert len(got) == 1, [f.message for f in got]
    assert float(ex["mutate"]["new"]) in got[0].values or ex["mutate"]["new"].rstrip("0").rstrip(".") in got[0].message \
        or any(ex["mutate"]["new"] in e for e in got[0].evidence)


@pytest.mark.parametrize("ex", CORPUS["findings"], ids=lambda e: f"{e['file'][:4]}-p{e['page']}")
def test_published_inconsistency_found(real2_dir, ex):
    got = _flags(_doc(real2_dir, ex["file"]), ex["page"], ex["title"], ex["rule"])
    assert len(got) == 1, [f.message for f in got]
    assert got[0].severity == "error"
    assert ex["value"] in got[0].values
