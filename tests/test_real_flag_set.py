"""The whole set of error/warning flags on the real documents (../shared/real and
../shared/real2) against the review ledger (real_flags_reviewed.yaml, see tests/ledger.py):
a flag nobody has read against its page fails, a flag the ledger calls false fails, and a
finding the ledger calls true (or debatable) that is no longer raised fails."""
import ledger
import pytest

from budgetlens.engine.run import run_job


@pytest.mark.real
def test_real_flags_are_exactly_the_reviewed_ones(real_dirs, tmp_path):
    run_job([str(d) for d in real_dirs], tmp_path / "out", quiet=True, write_report=False)
    reviewed = ledger.load()
    flags = ledger.serious_flags(tmp_path / "out")
    corpora = {ledger.corpus_of(str(d / "x")) for d in real_dirs}
    reviewed["flags"] = [f for f in reviewed["flags"] if f["corpus"] in corpora]
    d = ledger.diff(flags, reviewed)
    new = [(f["corpus"], f["file"], f["rule"], f["values"][:3], f["message"]) for f in d["new"]]
    assert not new, f"flags nobody has reviewed (read them against the page, then list them in the ledger): {new}"
    false = [(f["corpus"], f["file"], f["rule"], f.get("cause"), f["message"]) for f in d["false"]]
    assert not false, f"flags the ledger calls false are raised again: {false}"
    lost = [(f["corpus"], f["file"], f["rule"], f["message"]) for f in d["lost"]]
    assert not lost, f"reviewed findings no longer raised: {lost}"


def test_ledger_is_well_formed():
    reviewed = ledger.load()
    keys = [ledger.entry_key(f) for f in reviewed["flags"]]
    assert len(keys) == len(set(keys)), "a flag is listed twice"
    for f in reviewed["flags"]:
        assert f["verdict"] in ledger.VERDICTS, f
        if f["verdict"] == "false":
            assert f.get("cause") in ledger.CAUSES, f
    counts = reviewed.get("counts") or {}
    for verdict, n in counts.items():
        assert n == sum(f["verdict"] == verdict for f in reviewed["flags"]), (verdict, n)
