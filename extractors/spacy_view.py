"""A spaCy view of the fact extractors, for notebooks:
    from budgetlens.extractors.spacy_view import nlp
    doc = nlp("机关运行经费共计安排32.88万元，…")
    doc.ents, doc._.facts
    spacy.displacy.render(doc, style="ent")

`spacy.blank("zh")` with the jieba segmenter (the budget user dictionary is added to
jieba's global tokenizer so terms stay whole) and one registered component,
`budget_facts`, that runs the regex/jieba extractors (extractors.narrative.extract_text)
on the text and marks what they found as entities: MONEY (amounts, comparison changes in
money), RATE, PERCENT, QUANTITY (counts, staffing, indicator targets that are not money or
percent) and DATE (the years that resolve a comparison's base).  The extractors are the
source of truth; this view adds no extraction logic of its own.  Entity spans are snapped
to token boundaries (char_span alignment_mode="expand").
"""
from __future__ import annotations

import functools
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from budgetlens import gazetteers
from budgetlens.extractors.narrative import extract_text

if not Doc.has_extension("facts"):
    Doc.set_extension("facts", default=[])


def label_of(f) -> Optional[str]:
    if f.kind == "rate" or (f.per and f.value_wan is not None):
        return "RATE"
    if f.unit in ("%", "个百分点"):
        return "PERCENT"
    if f.value_wan is not None or f.unit in ("万元", "元", "亿元", "千元"):
        return "MONEY"
    if f.value is not None:
        return "QUANTITY"
    return None


@Language.factory("budget_facts", default_config={"year": None})
def make_budget_facts(nlp, name, year):
    return BudgetFacts(year)


class BudgetFacts:
    def __init__(self, year: Optional[int] = None):
        self.year = year

    def __call__(self, doc: Doc) -> Doc:
        year = doc.user_data.get("year", self.year)
        facts = extract_text(doc.text, year)
        doc._.facts = facts
        spans = []
        for f in facts:
            label = label_of(f)
            if label is None or f.start is None:
                continue
            sp = doc.char_span(f.start, f.end, label=label, alignment_mode="expand")
            if sp is not None:
                spans.append(sp)
            if f.kind == "comparison" and f.raw and f.base_year:
                i = doc.text.find(str(f.base_year), max(0, f.start - len(f.raw) - 5), f.end)
                if i >= 0:
                    dsp = doc.char_span(i, i + 4, label="DATE", alignment_mode="expand")
                    if dsp is not None:
                        spans.append(dsp)
        doc.ents = filter_spans(spans)
        return doc


@functools.lru_cache(maxsize=1)
def nlp():
    """spacy.blank("zh") + jieba + the budget_facts component (built once)."""
    # first: the budget words added once to the jieba spaCy segments with (jieba.dt), and its
    # dictionary loaded from the trie cache before spaCy's first cut would load jieba's own
    gazetteers.jieba_tokenizer()
    z = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    z.add_pipe("budget_facts")
    return z
