"""The spaCy view marks exactly what the extractors found."""
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parents[1] / "extractors" / "corpus"


def _texts(n=25):
    out = []
    for name in ("amounts", "comparisons", "itemisations", "rates", "staffing"):
        data = yaml.safe_load((CORPUS / f"{name}.yaml").read_text(encoding="utf-8"))
        out += [(e["text"], e.get("year")) for e in data["examples"][:6]]
    return out[:n]


def test_spacy_view_agrees_with_extractors():
    from spacy import displacy

    from budgetlens.extractors.narrative import extract_text
    from budgetlens.extractors.spacy_view import label_of, nlp

    z = nlp()
    for text, year in _texts():
        doc = z.make_doc(text)
        doc.user_data["year"] = year
        doc = z.get_pipe("budget_facts")(doc)
        facts = extract_text(text, year)
        assert [(f.kind, f.value, f.start) for f in doc._.facts] == [(f.kind, f.value, f.start) for f in facts]
        ents = {(e.start_char, e.end_char) for e in doc.ents if e.label_ != "DATE"}
        for f in facts:
            if label_of(f) and f.start is not None:
                # every figure is covered by an entity (overlaps resolved to the longest span)
                assert any(a <= f.start and f.end <= b or (a < f.end and f.start < b) for a, b in ents), (f.raw, text)
        for e in doc.ents:
            assert e.label_ in {"MONEY", "RATE", "PERCENT", "QUANTITY", "DATE"}
        html = displacy.render(doc, style="ent", jupyter=False)
        assert "<mark" in html or not doc.ents


def test_pipeline_on_a_seed_sentence():
    from budgetlens.extractors.spacy_view import nlp

    doc = nlp()("机关运行经费共计安排32.88万元，主要用于单位日常办公运转所需支出。")
    assert [(e.text, e.label_) for e in doc.ents] == [("32.88万元", "MONEY")]
    assert doc._.facts[0].subject == "机关运行经费"
