"""The corpora in extractors/corpus/*.yaml are the test suite of the fact extractors
(Duckling style: each example beside its extractor, one parametrised test walks them all)."""
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).resolve().parents[1] / "extractors" / "corpus"
TOL = 0.006


def _examples():
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, ex in enumerate(data.get("examples") or []):
            out.append(pytest.param(path.stem, ex, id=f"{path.stem}-{i}-{ex.get('source', '')}"))
    return out


def _same(a, b) -> bool:
    if isinstance(b, bool) or isinstance(a, bool):
        return bool(a) == bool(b)
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        try:
            return a is not None and abs(float(a) - float(b)) <= TOL
        except (TypeError, ValueError):
            return False
    return a == b


def _fact_matches(f, exp: dict) -> bool:
    for k, v in exp.items():
        got = getattr(f, k, None)
        if k == "subject":
            if not got or str(v) not in str(got):
                return False
        elif not _same(got, v):
            return False
    return True


def _figure_matches(q, exp: dict) -> bool:
    return all(_same(getattr(q, k, None), v) for k, v in exp.items())


@pytest.mark.parametrize("kind,example", _examples())
def test_corpus_example(kind, example):
    if kind == "numbers":
        from budgetlens.extractors.numbers import find_quantities

        got = find_quantities(example["text"])
        exp = example["figures"]
        assert len(got) == len(exp), [q.raw for q in got]
        for q, e in zip(got, exp):
            assert _figure_matches(q, e), (q, e)
        return
    from budgetlens.extractors.narrative import extract_table_rows, extract_text

    if "rows" in example:
        facts = extract_table_rows(example["rows"], example.get("year"))
    else:
        facts = extract_text(example["text"], example.get("year"), example.get("department"))
    for exp in example["facts"]:
        assert any(_fact_matches(f, exp) for f in facts), (
            exp, [(f.kind, f.subject, f.value, f.unit) for f in facts])
