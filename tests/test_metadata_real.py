"""Department, region, year, kind and scope of every document of ../shared/real2 and
../shared/real match their READMEs (read in place; skipped when absent), and every
document gets a template: Jiangsu ones a Jiangsu template, Shanghai ones a Shanghai one."""
from pathlib import Path

import pytest

from benchmarks.regions import CORPORA, FIELDS, compare, expected_rows
from budgetlens.document.build import build_document
from budgetlens.readers import read_blocks
from budgetlens.readers.pairing import pair_sources


@pytest.fixture(scope="module")
def documents():
    corpora = [c for c in CORPORA if (c / "README.md").is_file()]
    if not corpora:
        pytest.skip("../shared/real* is not available")
    expected: dict = {}
    files: list[Path] = []
    for c in corpora:
        expected.update(expected_rows(c))
        files += sorted(c.glob("*.pdf"))
    blocks: dict = {}

    def read(p: Path):
        if p not in blocks:
            bs = read_blocks(p)[1]
            for b in bs:
                b.source = str(p)
            blocks[p] = bs
        return blocks[p]

    out = []
    for group in pair_sources(files, read=read):
        doc = build_document([b for p in group for b in read(p)], str(group[0]), "pdf",
                             sources=[str(p) for p in group])
        out.append((group, doc))
        for p in group:
            blocks.pop(p, None)
    return out, expected


@pytest.mark.real
def test_metadata_matches_the_readmes(documents):
    docs, expected = documents
    wrong = []
    for group, doc in docs:
        row = {f: getattr(doc, f) for f in FIELDS} | {"province": doc.province}
        for p in group:
            exp = expected.get(p.name)
            assert exp is not None, f"{p.name} is not in its README"
            bad = {f: (row.get(f), exp.get(f)) for f, ok in compare(row, exp).items() if ok is False}
            if bad:
                wrong.append((p.name, bad))
    assert not wrong, wrong
    assert sum(len(g) for g, _ in docs) == len(expected)


@pytest.mark.real
def test_every_document_gets_its_regional_template(documents):
    docs, _ = documents
    for group, doc in docs:
        name = group[0].name
        assert doc.template, name
        if name.startswith("JS"):
            assert doc.template.startswith("jiangsu"), (name, doc.template)
        if name.startswith(("SH", "SM")):
            assert doc.template.startswith("shanghai"), (name, doc.template)


@pytest.mark.real
def test_beijing_tables_file_inherits_the_narrative_department(documents):
    docs, _ = documents
    bj = [(g, d) for g, d in docs if g[0].name.startswith("BJ")]
    if not bj:
        pytest.skip("../shared/real2 is not available")
    for group, doc in bj:
        assert len(group) == 2 and group[0].name.endswith("_说明.pdf") and group[1].name.endswith("_表.pdf"), group
        assert doc.department and doc.department.startswith("北京")
