"""The recall corpus (budgetlens/reconcile/corpus/recall.yaml): real sentences of ten cities'
templates, each silent as printed and flagged by its rule with one figure changed.  Each text
is made a document of its own (one paragraph per line) and goes through the extractor and
every rule module, as a real document does."""
from pathlib import Path

import pytest
import yaml

from budgetlens.document.build import split_sentences
from budgetlens.document.model import Document, Sentence
from budgetlens.extractors.narrative import extract_facts
from budgetlens.reconcile import check_document

CORPUS = yaml.safe_load((Path(__file__).resolve().parents[1] / "budgetlens" / "reconcile" / "corpus" / "recall.yaml")
                        .read_text(encoding="utf-8"))["examples"]


def _doc(text: str, year: int) -> Document:
    doc = Document(doc_id="corpus", source="<corpus>", format="text", text=text, year=year, doc_kind="budget")
    pos = 0
    for line in text.split("\n"):
        doc.paragraphs.append((pos, pos + len(line)))
        doc.sentences += [Sentence(pos + a, pos + b, line[a:b], "", 0) for a, b in split_sentences(line)]
        pos += len(line) + 1
    return doc


def serious(text: str, year: int) -> list:
    doc = _doc(text, year)
    # (completeness judges a whole document: a sentence lacks every required table and section)
    return [f for f in check_document(doc, extract_facts(doc)) if f.severity in ("error", "warning")
            and f.family != "completeness"]


@pytest.mark.parametrize("ex", CORPUS, ids=[f"{e['source']}:{e['rule']}" for e in CORPUS])
def test_recall_corpus(ex):
    check_example(ex, serious)


def check_example(ex: dict, serious) -> None:
    """An example of a rule corpus: silent when its rule is None; a defect as printed flags
    its rule, and only it; otherwise silent as printed, and `changed` (old, new) gives exactly
    one new flag, from its rule."""
    clean = serious(ex["text"], ex["year"])
    if ex["rule"] is None:
        assert not clean, [(f.rule, f.message) for f in clean]
        return
    if ex.get("changed") is None:  # a defect as printed (no figure to change): it must flag
        assert [f.rule for f in clean] == [ex["rule"]], [(f.rule, f.message) for f in clean]
        return
    assert not [f for f in clean if f.rule == ex["rule"]], [(f.rule, f.message) for f in clean]
    old, new = ex["changed"]
    assert old in ex["text"]
    before = {(f.rule, f.message) for f in clean}
    got = [f for f in serious(ex["text"].replace(old, new, 1), ex["year"]) if (f.rule, f.message) not in before]
    assert [f.rule for f in got] == [ex["rule"]], [(f.rule, f.message) for f in got]
