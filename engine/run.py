"""A one-off run: inputs → store → Parquet snapshot → report.  Orchestrator-free; the
batches are handed to `map_batches`, which is a plain loop by default and a Prefect flow
(or a process pool) when the CLI asks for one."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Optional

from .discover import discover, group_sources
from .process import DocResult, frames, process_group

Batch = list[list[str]]


def batches(groups: list[list[Path]], size: int) -> list[Batch]:
    out: list[Batch] = []
    for i in range(0, len(groups), size):
        out.append([[str(p) for p in g] for g in groups[i:i + size]])
    return out


def process_batch(batch: Batch) -> list[DocResult]:
    return [process_group([Path(p) for p in g]) for g in batch]


def sequential(bs: list[Batch]) -> Iterable[list[DocResult]]:
    for b in bs:
        yield process_batch(b)


@dataclass
class RunSummary:
    run_id: str
    documents: int
    errors: int
    flags: int
    facts: int
    seconds: float
    out: Path
    report: Optional[Path]
    per_document: list[tuple[str, str, Optional[float], Optional[str]]]


class Progress:
    def __init__(self, total: int, quiet: bool):
        self.total, self.done, self.flags = total, 0, 0
        self.quiet = quiet or not sys.stderr.isatty()
        self.t0 = time.perf_counter()

    def update(self, n_docs: int, n_flags: int):
        self.done += n_docs
        self.flags += n_flags
        if self.quiet:
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} documents, "
                         f"{self.flags} flags, {time.perf_counter() - self.t0:.1f}s")
        sys.stderr.flush()

    def close(self):
        if not self.quiet:
            sys.stderr.write("\n")


def run_job(
    paths: list[str],
    out: str | Path,
    *,
    map_batches: Callable[[list[Batch]], Iterable[list[DocResult]]] = sequential,
    batch_size: int = 25,
    quiet: bool = False,
    write_report: bool = True,
    command: str = "run",
    skip_known: bool = False,
) -> RunSummary:
    from store import Store
    from store.duck import new_run_id

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id()
    started = datetime.now(timezone.utc).isoformat()
    files = discover(paths)
    groups = group_sources(files)
    store = Store(out / "budgetlens.duckdb")
    per_doc = []
    n_docs = n_err = n_flags = n_facts = 0
    progress = Progress(len(groups), quiet)
    try:
        for results in map_batches(batches(groups, batch_size)):
            fr = frames(results)
            store.write(fr, run_id)
            for r in results:
                d = r.document
                per_doc.append((d["source"], d["status"], d.get("read_seconds"), d.get("error")))
            n_docs += len(results)
            n_err += int((fr["documents"]["status"] != "ok").sum())
            n_flags += len(fr["flags"])
            n_facts += len(fr["facts"])
            progress.update(len(results), len(fr["flags"]))
        progress.close()
        sources = [s for s, *_ in per_doc]
        store.record_run(run_id, started, datetime.now(timezone.utc).isoformat(), n_docs, n_err, n_flags, command)
        store.export_parquet(out, only_sources=sources)
        report = None
        if write_report:
            from report import write_report as _write

            report = _write(store, out / "report.html", sources=sources)
    finally:
        store.close()
    return RunSummary(run_id, n_docs, n_err, n_flags, n_facts, time.perf_counter() - t0, out, report, per_doc)
