"""The structural recall corpus (budgetlens/reconcile/corpus/recall2.yaml): real paragraphs of
several cities' templates for the rules that read a document's structure — a breakdown
paragraph against the total of the paragraph before it, numbered headings that skip or open
empty, purchases copied from holdings, a residual definition in the 名词解释.  Each text is
made a document of its own (one paragraph per line) and goes through the extractor and every
rule module, as a real document does."""
from pathlib import Path

import pytest
import yaml
from test_rules_recall_corpus import _doc, check_example

from budgetlens.extractors.narrative import extract_facts
from budgetlens.reconcile import check_document

CORPUS = yaml.safe_load((Path(__file__).resolve().parents[1] / "budgetlens" / "reconcile" / "corpus" / "recall2.yaml")
                        .read_text(encoding="utf-8"))["examples"]


# completeness rules that judge a whole document (a few paragraphs lack every required table)
WHOLE_DOCUMENT = {"required_tables.missing", "required_sections.missing", "empty_table.no_note", "template.unknown"}


def serious(text: str, year: int) -> list:
    doc = _doc(text, year)
    return [f for f in check_document(doc, extract_facts(doc)) if f.severity in ("error", "warning")
            and f.rule not in WHOLE_DOCUMENT]


@pytest.mark.parametrize("ex", CORPUS, ids=[f"{e['source']}:{e['rule']}" for e in CORPUS])
def test_recall2_corpus(ex):
    check_example(ex, serious)
