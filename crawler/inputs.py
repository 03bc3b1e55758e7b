"""From the raw store to the documents `process` must (re)do.

A crawled disclosure is identified by its input key: the sha256 of its files' contents
plus the pipeline's code fingerprint.  The store remembers which key produced which
doc_id (`processed_inputs`); a key already there whose doc_id the store still holds is
skipped, so a re-run after an unchanged crawl does no work, and a code change re-does
everything once."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .rawstore import RawStore

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("readers", "extractors", "reconcile", "engine", "gazetteers")
PROCESSED_DDL = ("CREATE TABLE IF NOT EXISTS processed_inputs (input_key VARCHAR, doc_id VARCHAR, "
                 "source VARCHAR, run_id VARCHAR, processed_at VARCHAR)")


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """Hash of the code and vocabularies that turn a file into rows."""
    h = hashlib.sha256()
    for d in CODE_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if p.suffix in (".py", ".yaml", ".txt") and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(ROOT)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class Input:
    key: str
    paths: list[str]  # absolute paths of the files read as one document
    source: str  # what the rows are labelled with: the document's URL
    shas: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def inputs_from_raw(raw: RawStore) -> list[Input]:
    """One Input per disclosure the raw store holds (files paired by the engine's
    grouping when a disclosure is published as narrative + tables)."""
    from engine.discover import group_sources

    current = {str(c.path.resolve()): c for c in raw.current()}
    groups = group_sources([Path(p) for p in current])
    fp = pipeline_fingerprint()
    out = []
    for g in groups:
        cs = [current[str(Path(p).resolve())] for p in g]
        shas = [c.sha256 for c in cs]
        key = hashlib.sha256(("|".join(shas) + "|" + fp).encode()).hexdigest()[:32]
        out.append(Input(key, [str(p) for p in g], cs[0].url, shas, [u for c in cs for u in c.urls]))
    return out


def ensure_table(store) -> None:
    store.con.execute(PROCESSED_DDL)


def plan(inputs: list[Input], store, force: bool = False) -> tuple[list[Input], list[Input]]:
    """(to do, skipped as unchanged)."""
    ensure_table(store)
    if force:
        return list(inputs), []
    rows = store.con.execute("SELECT input_key, doc_id FROM processed_inputs").fetchall()
    known_docs = store.doc_ids()
    done = {k for k, d in rows if d in known_docs}
    todo = [i for i in inputs if i.key not in done]
    skipped = [i for i in inputs if i.key in done]
    return todo, skipped


def record_processed(store, pairs: list[tuple[Input, str]], run_id: str) -> None:
    ensure_table(store)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for inp, doc_id in pairs:
        store.con.execute("DELETE FROM processed_inputs WHERE input_key = ? OR source = ?", [inp.key, inp.source])
        store.con.execute("INSERT INTO processed_inputs VALUES (?, ?, ?, ?, ?)",
                          [inp.key, doc_id, inp.source, run_id, now])


def relabel(result, source: str):
    """Label every row of a DocResult with the document's URL instead of the raw blob
    path: the URL is what a reviewer recognises, and a changed file at the same URL then
    replaces its earlier rows in the store."""
    result.document["source"] = source
    for rows in (result.facts, result.cells, result.flags):
        for r in rows:
            r["source"] = source
    return result
