"""share.vs_amounts: `基本支出6522.75万元，占48.76%` against the list's total 13377.11万元
(JS18, 江苏省政协办公厅2019年度部门预算).  The correct document is silent; the same document
with one share changed gets exactly one flag naming it."""
import pytest

from budgetlens.document.build import build_document
from budgetlens.extractors.narrative import extract_facts
from budgetlens.readers import read_blocks
from budgetlens.readers.normalize import normalize_text
from budgetlens.reconcile import check_document

NAME = "JS18_江苏省政协办公厅2019年度部门预算.pdf"


def shares(real_dir, old=None, new=None):
    fmt, blocks = read_blocks(real_dir / NAME)
    for b in blocks:  # the PDF writes 6,522.75; match on the normalised text
        if b.kind == "para":
            b.text = normalize_text(b.text)
    if old:
        hits = [b for b in blocks if b.kind == "para" and old in b.text]
        assert hits, old
        for b in hits:
            b.text = b.text.replace(old, new)
    doc = build_document(blocks, NAME, fmt)
    return [f for f in check_document(doc, extract_facts(doc)) if f.rule == "share.vs_amounts"]


@pytest.mark.real
def test_correct_shares_do_not_flag(real_dir):
    assert shares(real_dir) == []


@pytest.mark.real
@pytest.mark.parametrize("old,new,severity", [
    ("基本支出6522.75万元，占48.76%", "基本支出6522.75万元，占46.76%", "error"),
    ("单位预留机动经费1886.02万元，占14.1%", "单位预留机动经费1886.02万元，占14.6%", "warning"),
])
def test_changed_share_flags_once(real_dir, old, new, severity):
    got = shares(real_dir, old, new)
    assert len(got) == 1
    f = got[0]
    assert f.severity == severity and f.stated == float(new.split("占")[1].rstrip("%"))
    assert 13377.11 in f.values and any(new in e for e in f.evidence)
