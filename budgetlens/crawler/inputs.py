"""From the raw store to the documents `process` must (re)do.

A crawled disclosure is identified by its input key: the sha256 of its files' contents
plus the pipeline's code fingerprint.  The store remembers which key produced which
doc_id (`processed_inputs`); a key already there whose doc_id the store still holds is
skipped, so a re-run after an unchanged crawl does no work, and a code change re-does
everything once."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import unquote, urlsplit

from budgetlens import limits as limits_mod
from budgetlens import readers
from budgetlens.engine.discover import group_sources
from budgetlens.engine.process import DOC_COLUMNS, DocResult, process_group
from budgetlens.engine.run import Progress, finish_run, group_files, plan_reads, run_batches, use_workers
from budgetlens.engine.run import pipeline_fingerprint as engine_fingerprint
from budgetlens.engine.workers import gc_tuned
from budgetlens.report import write_report as write_report_to
from budgetlens.store import ExportError, Store
from budgetlens.store.duck import new_run_id

from .rawstore import RawStore

ROOT = Path(__file__).resolve().parents[1]
PROCESSED_DDL = ("CREATE TABLE IF NOT EXISTS processed_inputs (input_key VARCHAR, doc_id VARCHAR, "
                 "source VARCHAR, run_id VARCHAR, processed_at VARCHAR)")


@functools.lru_cache(maxsize=1)
def pipeline_fingerprint() -> str:
    """The engine's fingerprint of the code, vocabularies and limits (one definition for
    `budgetlens run` and `process`; BUDGETLENS_PIPELINE_VERSION pins it for both)."""
    return engine_fingerprint(limits_mod.current())


@dataclass
class Input:
    key: str
    paths: list[str]  # absolute paths of the files read as one document
    source: str  # what the rows are labelled with: the document's URL
    shas: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    name: Optional[str] = None  # as published (the link's text, else the URL's file name)


def inputs_from_raw(raw: RawStore, group: Callable[[list[Path]], list[list[Path]]] = group_sources) -> list[Input]:
    """One Input per disclosure the raw store holds (files paired by the engine's
    grouping when a disclosure is published as narrative + tables).  `group`: how the
    files are paired (process_raw's reads only the files the store has no profile of)."""
    current = {str(c.path.resolve()): c for c in raw.current()}
    groups = group([Path(p) for p in current])
    fp = pipeline_fingerprint()
    out = []
    for g in groups:
        cs = [current[str(Path(p).resolve())] for p in g]
        shas = [c.sha256 for c in cs]
        key = hashlib.sha256(("|".join(shas) + "|" + fp).encode()).hexdigest()[:32]
        name = cs[0].link_text or unquote(Path(urlsplit(cs[0].url).path).stem) or None
        out.append(Input(key, [str(p) for p in g], cs[0].url, shas, [u for c in cs for u in c.urls], name))
    return out


def ensure_table(store) -> None:
    store.con.execute(PROCESSED_DDL)


def plan(inputs: list[Input], store, force: bool = False) -> tuple[list[Input], list[Input]]:
    """(to do, skipped as unchanged)."""
    ensure_table(store)
    if force:
        return list(inputs), []
    rows = store.con.execute("SELECT input_key, doc_id FROM processed_inputs").fetchall()
    known_docs = store.complete_doc_ids()  # every fact, cell and flag written with it is there
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


# -- processing ---------------------------------------------------------------

def process_inputs(batch: list[Input]) -> list:
    """read → extract → reconcile for each input (the engine contains every failure)."""
    return [relabel(process_group([Path(p) for p in inp.paths], name=inp.name), inp.source) for inp in batch]


def failed_results(batch: list[Input], reason: str) -> list:
    """Error rows for a batch whose task failed outright (a worker lost, retries spent):
    the documents are reported, and not remembered as processed, so the next run retries."""
    out = []
    for inp in batch:
        row = {c: None for c in DOC_COLUMNS}
        row.update(doc_id="err-" + inp.key[:16], source=inp.source, status="error", error=reason,
                   sources=list(inp.paths), format=Path(inp.paths[0]).suffix.lstrip(".") or None,
                   n_tables=0, n_sentences=0)
        r = DocResult(row)
        r.document["_retry"] = True
        out.append(r)
    return out


def make_batches(inputs: list[Input], size: int) -> list[list[Input]]:
    size = max(1, size)
    ordered = sorted(inputs, key=lambda i: i.key)  # stable batches → stable cache keys
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


@dataclass
class ProcessSummary:
    run_id: str
    inputs: int
    processed: int
    skipped: int
    errors: int
    flags: int
    facts: int
    seconds: float
    report: Optional[str] = None
    per_document: list = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.inputs} documents: {self.processed} processed ({self.errors} errors), {self.skipped} unchanged "
                f"and skipped; {self.facts} facts, {self.flags} flags in {self.seconds:.1f}s")


def sequential(batches):
    for b in batches:
        yield process_inputs(b)


def process_raw(config, map_batches=sequential, *, batch_size: int = 10, force: bool = False,
                quiet: bool = True, write_report: bool = True, command: str = "process",
                workers: int = 1, profile_map=None) -> ProcessSummary:
    """Process what the raw store holds and the store does not, through the engine's one
    runner (the same as `budgetlens run`: batches stored one transaction each, then the
    checks across documents and the run's record), then the report.  `map_batches` runs the
    batches (a loop here, Prefect tasks in `pipelines/flows.py`) and yields each batch's
    DocResults.  What differs from `run`: the inputs come from the raw store, rows are
    labelled with the document's URL, and an input is remembered by its content key.
    `workers` > 1 (with the default `map_batches`): that many worker processes, as `run`;
    `profile_map`: another orchestrator's reads of the files to pair them (as `run_job`)."""
    t0 = time.perf_counter()
    raw = RawStore(config.raw_dir)
    run_id = new_run_id()
    started = datetime.now(timezone.utc).isoformat()
    report = None
    lim = limits_mod.current()
    with Store(config.store_path) as store, contextlib.ExitStack() as spilling:
        # pairing reads only the files the store has no profile of, each parsed once (engine.run.plan_reads)
        ahead, profile_map, folder = plan_reads(spilling, Path(config.store_path).parent, map_batches is sequential,
                                                workers, lim, profile_map)
        with gc_tuned():
            inputs = inputs_from_raw(raw, lambda files: group_files(store, files, pipeline_fingerprint(), ahead,
                                                                      profile_map))
        todo, skipped = plan(inputs, store, force)
        fn = functools.partial(readers.taking_spill, str(folder), process_inputs) if folder is not None else process_inputs
        map_batches, batch_size = use_workers(map_batches, workers, batch_size, len(todo), lim,
                                              fn=fn, default=sequential,
                                              on_lost=lambda inp, reason: failed_results([inp], reason)[0])
        todo_batches = make_batches(todo, batch_size)
        by_source = {i.source: i for i in todo}

        def remember(results):
            record_processed(store, [(by_source[r.document["source"]], r.document["doc_id"]) for r in results
                                     if r.document["source"] in by_source and not r.document.get("_retry")], run_id)

        with readers.reading_ahead(ahead):
            tally = run_batches(store, run_id, todo_batches, map_batches,
                                Progress(len(todo), quiet, len(todo_batches)), stored=remember)
        spilling.close()  # what pairing kept on disk and no document took
        finish_run(store, run_id, started, tally, tally.doc_ids + known_doc_ids(store, skipped), command,
                   skipped=len(skipped))
        if write_report:
            try:
                report = str(write_report_to(store, config.report))
            except OSError as exc:
                raise ExportError(f"Writing the report {config.report}", config.report, exc,
                                  outcome="The store is complete; the previous report is intact.") from exc
    return ProcessSummary(run_id, len(inputs), tally.docs, len(skipped), tally.errors, tally.flags, tally.facts,
                          time.perf_counter() - t0, report, tally.per_doc)


def known_doc_ids(store, inputs: list[Input]) -> list[str]:
    """The documents unchanged inputs gave when they were processed."""
    if not inputs:
        return []
    keys = {i.key for i in inputs}
    rows = store.con.execute("SELECT input_key, doc_id FROM processed_inputs").fetchall()
    return [d for k, d in rows if k in keys]
