"""Bad input never crashes a run or loses a good document's results.

One `budgetlens run` over the generated corpus (tests/badinput/generate.py, 200+ files:
empty, random, truncated, encrypted, scanned, zip bombs, thousands of tables, every
encoding, a 100 MB dump, deep HTML, odd names, a symlink loop, duplicates) must exit 0,
give every file the outcome its manifest names, keep its memory bounded, and store
the results of every good document."""
from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from badinput.generate import _pdf_bytes, generate, good_docx, sample_variant

ROOT = Path(__file__).resolve().parents[1]
GENERIC = ("reader failed", "extraction failed", "results could not be stored", "results refused by the store")
MAX_RSS_MB = 1500


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("badinput")
    corpus = base / "corpus"
    manifest = generate(corpus, big=True)
    out = base / "out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res = subprocess.run([sys.executable, "-m", "budgetlens.pipelines.cli", "run", str(corpus), "--out", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    docs = pd.read_parquet(out / "documents.parquet")
    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    files = con.execute("SELECT * FROM files").df()
    store_docs = con.execute("SELECT doc_id, source, status FROM documents").df()
    con.close()
    return {"corpus": corpus, "manifest": manifest, "out": out, "res": res, "docs": docs, "files": files,
            "store_docs": store_docs, "peak_mb": peak_mb if peak_mb > before / 1024 else None}


def test_corpus_is_large_enough(corpus_run):
    assert len(corpus_run["manifest"]) >= 200


def test_run_exits_zero(corpus_run):
    res = corpus_run["res"]
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Traceback" not in res.stderr


def test_every_file_has_its_outcome(corpus_run):
    corpus, docs, files = corpus_run["corpus"], corpus_run["docs"], corpus_run["files"]
    by_source = {s: r for s, r in zip(docs["source"], docs.to_dict("records"))}
    dup_paths = set(files.loc[files["status"] == "duplicate", "path"])
    problems = []
    for rel, expect in sorted(corpus_run["manifest"].items()):
        src = str(corpus / rel)
        row = by_source.get(src)
        if expect == "absent":
            if row is not None:
                problems.append(f"{rel!r}: expected to be read once under another name, got a row")
            continue
        if expect == "duplicate":
            if src not in dup_paths:
                problems.append(f"{rel!r}: expected a duplicate, got {row and row['status']}")
            continue
        if row is None:
            if expect == "any" and src in dup_paths:
                continue
            problems.append(f"{rel!r}: no documents row")
            continue
        status, error = row["status"], row["error"] or ""
        if status == "error" and (not error or error.startswith(GENERIC)):
            problems.append(f"{rel!r}: error without a specific reason: {error!r}")
        if expect == "ok" and status != "ok":
            problems.append(f"{rel!r}: expected ok, got {status}: {error}")
        elif expect.startswith("error"):
            want = expect.partition(":")[2]
            if status != "error" or want not in error:
                problems.append(f"{rel!r}: expected error containing {want!r}, got {status}: {error!r}")
    assert not problems, "\n".join(problems)


def test_each_document_once_in_outputs_and_store(corpus_run):
    docs, store_docs = corpus_run["docs"], corpus_run["store_docs"]
    assert docs["doc_id"].is_unique
    assert store_docs["doc_id"].is_unique
    assert store_docs["source"].is_unique


def test_good_documents_have_their_results(corpus_run):
    corpus, out = corpus_run["corpus"], corpus_run["out"]
    docs = corpus_run["docs"]
    cells = pd.read_parquet(out / "table_cells.parquet")
    counts = cells.groupby("doc_id").size()
    ok = {str(corpus / rel) for rel, e in corpus_run["manifest"].items() if e == "ok"}
    for _, d in docs[docs["source"].isin(ok)].iterrows():
        assert counts.get(d["doc_id"], 0) > 0, f"{d['source']}: no table cells"
    # the re-encoded seeds are read exactly as the UTF-8 seed is
    seed_cells = counts[docs.set_index("source").loc[str(corpus / "good/seed_variant_0.txt"), "doc_id"]]
    for enc in ("gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "utf-8", "mixed_utf8_gb18030", "crlf"):
        d = docs.set_index("source").loc[str(corpus / f"encodings/a_{enc}.txt")]
        assert d["status"] == "ok" and counts.get(d["doc_id"], 0) == seed_cells, enc
        assert d["department"] and d["year"] == 2024, enc


def test_memory_stays_bounded(corpus_run):
    if corpus_run["peak_mb"] is None:
        pytest.skip("peak memory of the child not measurable (an earlier child used more)")
    assert corpus_run["peak_mb"] < MAX_RSS_MB, f"peak RSS {corpus_run['peak_mb']:.0f} MB"


# --- each limit on its own, in process --------------------------------------------

@pytest.fixture
def limits_env(monkeypatch):
    def set_limit(**kw):
        for k, v in kw.items():
            monkeypatch.setenv("BUDGETLENS_" + k.upper(), str(v))
    return set_limit


def _error(path) -> str:
    from budgetlens.engine.process import process_group

    d = process_group([Path(path)]).document
    assert d["status"] == "error", d
    return d["error"]


def test_limit_max_pages(tmp_path, limits_env):
    p = tmp_path / "three.pdf"
    p.write_bytes(_pdf_bytes(pages=3))
    limits_env(max_pages=2)
    assert "3 pages" in _error(p)


def test_limit_max_file_mb(tmp_path, limits_env):
    p = tmp_path / "seed.txt"
    p.write_text(sample_variant(0), encoding="utf-8")
    limits_env(max_file_mb=0.01)
    assert "--max-file-mb" in _error(p)


def test_limit_max_unzipped_mb(tmp_path, limits_env):
    p = tmp_path / "small.docx"
    p.write_bytes(good_docx())
    limits_env(max_unzipped_mb=0.001)
    assert "--max-unzipped-mb" in _error(p)


def test_limit_max_tables(tmp_path, limits_env):
    p = tmp_path / "seed.txt"
    p.write_text(sample_variant(0), encoding="utf-8")
    limits_env(max_tables=3)
    assert "--max-tables" in _error(p)


def test_limits_from_flags_override_environment(tmp_path, monkeypatch):
    from budgetlens.limits import Limits, current, with_overrides

    monkeypatch.setenv("BUDGETLENS_MAX_PAGES", "7")
    assert current().max_pages == 7
    assert with_overrides(max_pages=9, max_tables=None).max_pages == 9
    assert with_overrides().max_tables == Limits().max_tables


def test_truncated_docx_every_byte_near_the_central_directory(tmp_path):
    """The end of a ZIP is its index; cuts there are the subtle ones."""
    from budgetlens.readers import ReadError, read_blocks

    data = good_docx()
    p = tmp_path / "cut.docx"
    for cut in range(len(data) - 120, len(data) - 1, 3):
        p.write_bytes(data[:cut])
        with pytest.raises(ReadError, match="corrupt .docx"):
            read_blocks(p)


def test_text_decoding_every_encoding_round_trips():
    from budgetlens.readers.textio import decode_text

    text = sample_variant(1)
    for enc in ("utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"):
        assert decode_text(text.encode(enc))[0].lstrip("\ufeff") == text, enc


def test_limit_max_seconds_per_document(tmp_path, limits_env, monkeypatch):
    """A document that takes too long (here: a reader stuck in a loop) becomes an error
    row, even when the stuck code catches every Exception."""
    import budgetlens.readers as readers
    def stuck(*a, **k):
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass

    # patched where the dispatcher looks it up, so the test does not depend on import order
    monkeypatch.setattr(readers, "read_tika_text", stuck)
    p = tmp_path / "seed.txt"
    p.write_text(sample_variant(0), encoding="utf-8")
    limits_env(max_seconds_per_document=0.3)
    t0 = time.monotonic()
    assert "--max-seconds-per-document" in _error(p)
    assert time.monotonic() - t0 < 5


def test_symlinked_folders_are_followed_once(tmp_path):
    """A corpus assembled from links is read; a link back to a parent ends the walk."""
    from conftest import SAMPLES

    from budgetlens.engine.discover import discover

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "seeds").symlink_to(SAMPLES, target_is_directory=True)
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = discover([tmp_path])
    assert sorted(p.name for p in found) == sorted(p.name for p in SAMPLES.glob("*.txt"))
