"""Key facts of real PDFs (read in place from ../shared/real; skipped when absent): the 三公
total and its parts, 机关运行经费 and the total income/expenditure, each with its subject."""
import pytest
from conftest import build

# file prefix → [(term, value in 万元)] as printed in the document's narrative
EXPECTED = {
    "SH10": [("三公经费", 37.91), ("因公出国（境）费", 0.0), ("公务用车购置及运行维护费", 36.56),
             ("公务接待费", 1.35), ("机关运行经费", 464.64)],
    "SH13": [("三公经费", 346.30), ("因公出国（境）费", 288.70), ("公务用车购置及运行维护费", 32.20),
             ("公务接待费", 25.40), ("机关运行经费", 2517.78)],
    "SH09": [("三公经费", 47.91), ("公务用车购置及运行维护费", 46.56), ("公务接待费", 1.35),
             ("机关运行经费", 443.18)],
    "SH02": [("本年收入合计", 9746.50), ("本年支出合计", 9759.38), ("公务接待费", 0.39),
             ("机关运行经费", 142.80)],
    "SH03": [("本年收入合计", 307.82), ("本年支出合计", 307.82), ("机关运行经费", 10.23)],
    "JS07": [("收入总计", 24169.74), ("支出总计", 24169.74), ("因公出国（境）费", 80.0),
             ("公务用车购置及运行维护费", 237.0), ("公务接待费", 101.26), ("机关运行经费", 2391.92)],
    "JS03": [("收入总计", 18330.37), ("因公出国（境）费", 199.25), ("公务接待费", 384.75),
             ("机关运行经费", 1642.08)],
}


@pytest.fixture(scope="module")
def real_facts(real_dir):
    from budgetlens.extractors.narrative import extract_facts

    out = {}
    for prefix in EXPECTED:
        paths = sorted(real_dir.glob(f"{prefix}_*.pdf"))
        if not paths:
            continue
        out[prefix] = extract_facts(build(paths[0]))
    return out


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_key_facts(real_facts, prefix):
    if prefix not in real_facts:
        pytest.skip(f"{prefix} not in ../shared/real")
    facts = [f for f in real_facts[prefix] if f.kind == "amount" and f.origin == "narrative"]
    for term, value in EXPECTED[prefix]:
        assert any(f.term == term and abs(f.value_wan - value) <= 0.006 for f in facts), (
            term, value, [(f.subject, f.value_wan) for f in facts if f.term == term])


def test_sangong_parts_point_to_total(real_facts):
    parts = [f for fs in real_facts.values() for f in fs
             if f.kind == "amount" and f.term in ("因公出国（境）费", "公务接待费", "公务用车购置及运行维护费")]
    assert parts and all(f.parent for f in parts)
