"""A one-off run: inputs → store → Parquet snapshot → report.  Orchestrator-free; the
batches are handed to `map_batches`, which is a plain loop by default and a Prefect flow
(or a process pool) when the CLI asks for one."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from budgetlens import limits as limits_mod
from budgetlens import readers
from budgetlens.readers import pairing
from budgetlens.readers.pairing import PAIRABLE
from budgetlens.report import write_report as _write
from budgetlens.store import StorageError, Store, StoreDamaged
from budgetlens.store.duck import (
    COLUMN_ERRORS,
    REVIEWS_JOURNAL,
    ROLLED_BACK,
    Columns,
    ExportError,
    checkpoint_warning,
    column_rows,
    is_storage_failure,
    move_aside,
    new_run_id,
    remove_stale_temporaries,
)

from .corpus import cross_document_flags
from .discover import discover, unnamable
from .process import DocResult, _error_row, is_transient, process_group, rows
from .workers import gc_tuned, pool_map, prestart

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress

Batch = list[list[str]]

# Characters of the files read to pair them kept for their documents (readers.ReadAhead):
# ~32 MB of a Tika dump's blocks, the first ~250 documents of the benchmark corpus.
READ_AHEAD_CHARS = 2_500_000


def batches(groups: list[list[Path]], size: int) -> list[Batch]:
    out: list[Batch] = []
    for i in range(0, len(groups), size):
        out.append([[str(p) for p in g] for g in groups[i:i + size]])
    return out


def process_batch(batch: Batch) -> list[DocResult]:
    return [process_group([Path(p) for p in g]) for g in batch]


class Packed(list):
    """A batch's DocResults whose facts, cells and flags travel as columns (`tables`:
    facts, table_cells, flags; see store.duck.column_rows) rather than row dicts: converted
    where they were computed (a worker), cheap to send to the writer and to store."""
    tables: dict


def pack(results: list[DocResult]) -> list[DocResult]:
    """`results` as a Packed batch; as they are when a value does not fit its column's
    type as it is (the store then casts the row dicts, as it always did)."""
    try:
        tables = {name: column_rows(name, [x for r in results for x in getattr(r, attr)])
                  for name, attr in (("facts", "facts"), ("table_cells", "cells"), ("flags", "flags"))}
    except COLUMN_ERRORS:
        return results
    out = Packed(DocResult(r.document, doc=r.doc) for r in results)
    out.tables = tables
    return out


def process_packed(batch: Batch) -> list[DocResult]:
    """`process_batch`, packed for the writer (what `budgetlens run` maps over its batches)."""
    return pack(process_batch(batch))


def sequential(bs: list[Batch]) -> Iterable[list[DocResult]]:
    with gc_tuned():
        for b in bs:
            yield process_packed(b)


def batch_rows(results: list[DocResult], kept: list[DocResult]) -> dict:
    """What the store writes for `kept` (some or all of `results`): row dicts per table, or,
    for a Packed batch, its columns restricted to the kept documents' sources."""
    if not isinstance(results, Packed):
        return rows(kept)
    out: dict = {"documents": [r.document for r in kept]}
    if len(kept) == len(results):
        return {**out, **results.tables}
    sources = {r.document["source"] for r in kept}
    for name, t in results.tables.items():
        out[name] = t.take([s in sources for s in t["source"]])
    return out


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
    skipped: int = 0  # unchanged since an earlier run (same bytes, same pipeline): not recomputed
    duplicates: int = 0  # same content as another input of this run: processed once
    moved_aside: Optional[Path] = None  # --rebuild-store: where the old store file now is
    reviews_reimported: int = 0  # --rebuild-store: decisions of the reviewers' journal in the rebuilt store


class Progress:
    """A rich progress bar on a terminal; one line per stored batch otherwise (logs of
    unattended runs)."""

    def __init__(self, total: int, quiet: bool, n_batches: int = 0, console: Optional["Console"] = None):
        self._bar: Optional["RichProgress"] = None
        self.total, self.done, self.flags, self.batch = total, 0, 0, 0
        self.n_batches = n_batches
        self.quiet = quiet
        if console is None and not quiet and _may_be_terminal():
            from rich.console import Console
            console = Console(stderr=True)
        self.console = console  # rich is imported only where a bar may be shown
        self.tty = console is not None and console.is_terminal
        self.t0 = time.perf_counter()
        if not quiet and self.tty:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress
            self._bar = RichProgress(
                TextColumn("documents"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[flags]} flags"), TimeElapsedColumn(), console=self.console)
            self._task = self._bar.add_task("run", total=total, flags=0)
            self._bar.start()

    @property
    def total(self) -> int:
        return self._total

    @total.setter
    def total(self, n: int) -> None:  # the crawler learns its total after discovery
        self._total = n
        if self._bar is not None:
            self._bar.update(self._task, total=n)

    def update(self, n_docs: int, n_flags: int, n_errors: int = 0):
        self.done += n_docs
        self.flags += n_flags
        self.batch += 1
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, flags=self.flags)
            return
        elapsed = time.perf_counter() - self.t0
        sys.stderr.write(f"batch {self.batch}/{self.n_batches} stored: {self.done}/{self.total} documents, "
                         f"{n_errors} errors in this batch, {elapsed:.1f}s\n")
        sys.stderr.flush()

    def close(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _may_be_terminal() -> bool:
    """stderr may be shown as a terminal by rich: a tty, a notebook, or rich's own overrides."""
    return (sys.stderr.isatty() or "ipykernel" in sys.modules
            or any(v in os.environ for v in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")))


@dataclass
class FileKey:
    path: str
    size: Optional[int]
    mtime_ns: Optional[int]
    sha256: Optional[str]


def file_key(p: Path, max_bytes: int) -> FileKey:
    """Size, mtime and content hash; None fields when the file cannot be read (such a file
    is never skipped).  Files over the size limit are not hashed: they fail fast anyway."""
    try:
        st = p.stat()
    except OSError:
        return FileKey(str(p), None, None, None)
    if st.st_size > max_bytes or not p.is_file():
        return FileKey(str(p), st.st_size, st.st_mtime_ns, "")
    h = hashlib.sha256()
    try:
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return FileKey(str(p), None, None, None)
    return FileKey(str(p), st.st_size, st.st_mtime_ns, h.hexdigest())


_CODE_PACKAGES = ("budgetlens.readers", "budgetlens.document", "budgetlens.extractors", "budgetlens.reconcile",
                  "budgetlens.gazetteers", "budgetlens.engine")


def pipeline_fingerprint(limits) -> str:
    """A hash of the code and vocabularies that turn a file into rows, and of the limits.
    A stored result is reused only when it was produced with the same fingerprint, so
    editing a rule or a gazetteer recomputes every document.  BUDGETLENS_PIPELINE_VERSION,
    when set, stands in for the code (a deployment pinned to a release)."""
    key = limits.fingerprint()
    pinned = os.environ.get("BUDGETLENS_PIPELINE_VERSION")
    if pinned:
        return "v:" + hashlib.sha256(f"{pinned};{key}".encode()).hexdigest()[:16]
    return _code_fingerprint(key)


@functools.lru_cache(maxsize=8)
def _code_fingerprint(key: str) -> str:
    """The packages' files are found where they are installed (extractors/ and gazetteers/
    live outside budgetlens/ in the repository)."""
    h = hashlib.sha256(key.encode())
    for pkg in _CODE_PACKAGES:
        root = Path(importlib.import_module(pkg).__path__[0])
        for f in sorted(root.rglob("*")):
            if f.suffix in (".py", ".yaml", ".yml", ".txt", ".json") and "__pycache__" not in f.parts:
                h.update(f"{pkg}/{f.relative_to(root)}".encode())
                try:
                    h.update(f.read_bytes())
                except OSError:
                    pass
    return h.hexdigest()[:16]


def _plan(groups: list[list[Path]], keys: dict, finished: dict[str, dict]):
    """Which groups to process: (run_docs, dup_of, skipped_ids, todo).  A group whose files
    are all finished under this pipeline is skipped; a group byte-identical to an earlier
    one is a duplicate of it; the rest are to do."""
    run_docs: dict[str, str] = {}  # doc_id -> source, for every document of this run
    by_bytes: dict[tuple, str] = {}  # content of a group -> its source
    dup_of: dict[str, str] = {}  # source of a byte-identical group -> source of the first
    skipped_ids: list[str] = []
    todo: list[list[Path]] = []
    for g in groups:
        src = str(g[0])
        ks = [keys[str(f)] for f in g]
        done = [finished.get(str(f)) for f in g]
        if all(done) and len({d["doc_id"] for d in done}) == 1:
            skipped_ids.append(done[0]["doc_id"])
            if done[0]["status"] != "duplicate":
                run_docs.setdefault(done[0]["doc_id"], done[0]["source"])
                by_bytes.setdefault(tuple(k.sha256 for k in ks), src)
            continue
        content = tuple(k.sha256 for k in ks)
        if all(k.sha256 and k.size for k in ks) and content in by_bytes:
            dup_of[src] = by_bytes[content]
            continue
        if all(k.sha256 and k.size for k in ks):
            by_bytes[content] = src
        todo.append(g)
    return run_docs, dup_of, skipped_ids, todo


def run_job(
    paths: list[str],
    out: str | Path,
    *,
    map_batches: Callable[[list[Batch]], Iterable[list[DocResult]]] = sequential,
    batch_size: int = 25,
    quiet: bool = False,
    write_report: bool = True,
    command: str = "run",
    skip_known: bool = True,
    limits=None,
    workers: int = 1,
    rebuild_store: bool = False,
    profile_map: Optional[ProfileMap] = None,
) -> RunSummary:
    """Process `paths` into the store and snapshots in `out`.

    Resumable: each batch's rows and the `files` entries of its inputs are committed in one
    transaction, and inputs whose bytes (path, size, mtime, sha256) and pipeline are
    unchanged since they were stored are skipped (`skip_known=False` recomputes them).
    So a run killed at any point, started again, completes with every document once.
    `limits` (engine.limits.Limits) replaces the active limits for this process and the
    workers it starts.  `workers` > 1 (with the default `map_batches`) processes the
    batches in that many worker processes (engine.workers); this process alone writes.
    `profile_map` (with another `map_batches`): how that orchestrator reads the files to
    pair them (`profiles_by_tasks`); by default this process reads them.

    Storage faults stop the run: a batch that cannot be stored (disk full, I/O error,
    read-only folder, failed commit) is rolled back and raises store.StorageError, with
    nothing of it marked done, so the same command later completes exactly what is
    missing; a damaged store raises StoreDamaged before anything is processed
    (`rebuild_store=True` moves it aside, keeps it, and rebuilds from the inputs,
    re-importing the reviewers' journal); a failed Parquet snapshot or report raises
    ExportError after the store has committed, the previous files intact."""
    if limits is not None:
        limits_mod.configure(limits)
    lim = limits_mod.current()
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id()
    started = datetime.now(timezone.utc).isoformat()
    files, badly_named = unnamable(discover(paths, exclude=[out]))
    if workers > 1 and map_batches is sequential and len(files) >= 2 * workers:
        prestart()  # the workers' forkserver warms up while the inputs are paired and hashed

    def waiting(msg):
        if not quiet:
            print(f"budgetlens: {msg}", file=sys.stderr, flush=True)

    store_path = out / "budgetlens.duckdb"
    moved_aside = move_aside(store_path) if rebuild_store else None
    store = Store(store_path, wait=lim.store_wait_seconds, on_wait=waiting)
    per_doc: list = []
    n_reviews = 0
    spilling = contextlib.ExitStack()
    try:
        if moved_aside is not None:
            n_reviews = store.reimport_reviews(out / REVIEWS_JOURNAL)
        fingerprint = pipeline_fingerprint(lim)
        ahead, profile_map, folder = plan_reads(spilling, out, map_batches is sequential, workers, lim, profile_map)
        with gc_tuned():  # pairing reads every file it does not remember, as the documents' reads do
            groups = group_files(store, files, fingerprint, ahead, profile_map)
        keys = {str(f): file_key(Path(f), lim.max_file_bytes) for g in groups for f in g}
        finished: dict[str, dict] = {}
        if skip_known:
            for row in store.finished_files([vars(k) for k in keys.values() if k.sha256 is not None], fingerprint):
                if is_transient(row.get("doc_error")):  # an error about the machine (stored by an older version)
                    continue
                finished[row["path"]] = row

        run_docs, dup_of, skipped_ids, todo = _plan(groups, keys, finished)

        map_batches, size = use_workers(map_batches, workers, batch_size, len(todo), lim,
                                        **({"fn": functools.partial(readers.taking_spill, str(folder), process_packed)}
                                           if folder is not None else {}))
        todo_batches = batches(todo, size)
        map_batches = _reporting_unnamable(map_batches, badly_named)
        progress = Progress(len(todo) + len(badly_named), quiet, len(todo_batches) + bool(badly_named))
        doc_of_source: dict[str, str] = {}
        dup_docs: list[tuple] = []

        def file_rows(sources: list[str], doc_id: str, source: str, status: str, transient: bool,
                      duplicate_of: Optional[str] = None) -> list[dict]:
            return [{**vars(keys[s]), "doc_id": doc_id, "source": source, "status": status,
                     "transient": transient, "duplicate_of": duplicate_of, "fingerprint": fingerprint}
                    for s in sources if s in keys and keys[s].sha256 is not None]

        def keep(results: list[DocResult]) -> tuple[list[DocResult], list[dict]]:
            """Drop a document whose text another input of this run already gave (another
            encoding, another name); record every input's file rows."""
            frows: list[dict] = []
            kept: list[DocResult] = []
            for r in results:
                d = r.document
                srcs = [str(x) for x in (d.get("sources") or [d["source"]])]
                first = run_docs.get(d["doc_id"])
                if first is not None and first != d["source"]:
                    frows += file_rows(srcs, d["doc_id"], first, "duplicate", False, first)
                    dup_docs.append((d["source"], "duplicate", d.get("read_seconds"), f"same content as {first}"))
                    continue
                run_docs[d["doc_id"]] = d["source"]
                doc_of_source[d["source"]] = d["doc_id"]
                frows += file_rows(srcs, d["doc_id"], d["source"], d["status"], is_transient(d.get("error")))
                kept.append(r)
            return kept, frows

        with readers.reading_ahead(ahead):
            tally = run_batches(store, run_id, todo_batches, map_batches, progress, keep=keep)
        spilling.close()  # what pairing kept on disk and no document took
        per_doc += tally.per_doc + dup_docs
        n_dups = len(dup_docs)

        # inputs byte-identical to an earlier one: recorded, not processed
        drows = []
        for src, first in dup_of.items():
            doc_id = doc_of_source.get(first) or next((d for d, s in run_docs.items() if s == first), None)
            if doc_id is None:
                continue
            g = next(g for g in groups if str(g[0]) == src)
            drows += file_rows([str(f) for f in g], doc_id, first, "duplicate", False, first)
            per_doc.append((src, "duplicate", None, f"same bytes as {first}"))
            n_dups += 1
        if drows:
            store.write_files(drows, run_id)

        doc_ids = sorted(set(run_docs) | set(skipped_ids))
        finish_run(store, run_id, started, tally, doc_ids, command, skipped=len(skipped_ids))
        # exports come after the store has committed: a failure here loses no result
        report = _export_and_report(store, out, doc_ids, write_report)
    finally:
        spilling.close()
        store.close()
    warning = checkpoint_warning(store)
    if warning:
        print(f"budgetlens: {warning}", file=sys.stderr)
    return RunSummary(run_id, tally.docs, tally.errors, tally.flags, tally.facts, time.perf_counter() - t0, out,
                      report, per_doc, skipped=len(skipped_ids), duplicates=n_dups, moved_aside=moved_aside,
                      reviews_reimported=n_reviews)


def _export_and_report(store: Store, out: Path, doc_ids: list[str], with_report: bool) -> Optional[Path]:
    """The Parquet snapshots of `doc_ids` and, `with_report`, their report.html, side by side:
    the snapshots are written by DuckDB (which lets go of the GIL) on a connection of their
    own in a thread, while this thread renders the report (Python) to a temporary file.  The
    report replaces report.html only once the snapshots are written; a failed export raises
    its ExportError as when the report came after it (the previous report.html intact)."""
    remove_stale_temporaries(out)  # before either starts: neither may remove the other's files
    exporter = store.view()
    pool = ThreadPoolExecutor(1, thread_name_prefix="budgetlens-export")
    try:
        exporting = pool.submit(exporter.export_parquet, out, only_doc_ids=doc_ids, remove_stale=False)
        report = tmp = failure = None
        if with_report:
            sources = sorted({r[0] for r in store.con.execute(
                "SELECT source FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [doc_ids]).fetchall()})
            report = out / "report.html"
            tmp = out / f".report.html.tmp-{os.getpid()}"
            try:
                _write(store, tmp, sources=sources)
            except Exception as exc:
                failure = exc
        try:
            exporting.result()
        except BaseException:
            if tmp is not None:
                _unlink(tmp)
            raise
    finally:
        pool.shutdown(wait=True)
        exporter.con.close()
    if failure is None and report is not None and tmp is not None:
        try:
            os.replace(tmp, report)
        except Exception as exc:
            failure = exc
    if failure is not None:
        remove_stale_temporaries(out)
        if not is_storage_failure(failure):
            raise failure
        raise ExportError(f"Writing the report {report}", report, failure,
                          outcome="The store and the Parquet snapshots are complete; the previous report.html "
                                  "is intact.") from failure
    return report


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def group_files(store, files: list[Path], fingerprint: str,
                ahead: Optional[readers.ReadAhead | readers.Spill] = None,
                profile_map: Optional[ProfileMap] = None) -> list[list[Path]]:
    """`discover.group_sources`, reading only the files whose pairing profile the store does
    not remember (same path, size, mtime and pipeline): a re-run reads nothing to pair, nor
    a run of one file.  `profile_map(files)` → their profiles decides where they are read
    (`_profiling_pool`: here or in the workers; `profiles_by_tasks`: an orchestrator's
    tasks); without one this process reads them, and `ahead` keeps what is read for the documents' own reads, the files read last
    to first, so that a bounded `ahead` keeps the first ones."""
    stats: dict[str, tuple[int, int]] = {}
    for f in files:
        if f.suffix.lower() not in PAIRABLE:
            continue
        try:
            st = f.stat()
        except OSError:
            continue
        stats[str(f)] = (st.st_size, st.st_mtime_ns)
    if len(stats) < 2:  # a file alone pairs with nothing: not read twice (one PDF's run read it for nothing)
        return pairing.pair_profiles(files, {})
    known = store.pairing_profiles(stats, fingerprint)
    unknown = [f for f in files if str(f) not in known]
    if profile_map is not None and unknown:
        computed = profile_map(unknown)
    elif ahead is None:
        computed = pairing.profiles(unknown)
    else:
        backwards = pairing.profiles(unknown[::-1], ahead.read)
        computed = {f: backwards[f] for f in unknown if f in backwards}
    store.remember_pairing([(str(p), *stats[str(p)], pr.kind, pr.year, pr.dept, pr.name_dept)
                            for p, pr in computed.items() if str(p) in stats], fingerprint)
    profs = {**{Path(p): pairing.Profile(Path(p), *v) for p, v in known.items()}, **computed}
    return pairing.pair_profiles(files, profs)


# Files to a task when the workers read the files to pair them; they do when reading the
# rest here would take longer than this (see _profiling_pool).
PROFILE_CHUNK = 4
POOL_PAYS_SECONDS = 2.0


def profile_files(folder: Optional[str], max_bytes: int, paths: list[str]
                  ) -> list[tuple[str, Optional[pairing.Profile]]]:
    """Each file's pairing profile (None: cannot be read or paired), what was costly to read
    kept in the spill `folder` for the document's own read (a worker's task; no folder: an
    orchestrator's task, whose workers may not share this machine's disk)."""
    read = readers.Spill(folder, max_bytes).read if folder is not None else None
    got = pairing.profiles([Path(p) for p in paths], read)
    return [(p, got.get(Path(p))) for p in paths]


def profiles_by_tasks(files: list[Path], chunk: int,
                      map_chunks: Callable[[list[list[str]]], Iterable[list[tuple[str, Optional[pairing.Profile]]]]]
                      ) -> dict[Path, pairing.Profile]:
    """A `profile_map` through an orchestrator: `map_chunks` runs `profile_files` on chunks
    of `chunk` files (Prefect or Dask tasks) and yields each chunk's profiles."""
    chunks = [[str(f) for f in files[i:i + chunk]] for i in range(0, len(files), chunk)]
    return {Path(p): pr for res in map_chunks(chunks) for p, pr in res if pr is not None}


def _profile_lost(item: str, reason: str) -> tuple[str, None]:
    return item, None  # the file stays alone; its document's read reports what happened


ProfileMap = Callable[[list[Path]], dict[Path, pairing.Profile]]


def plan_reads(stack: contextlib.ExitStack, parent: Path, in_process_or_pool: bool, workers: int, lim,
               profile_map: Optional[ProfileMap] = None
               ) -> tuple[Optional[readers.ReadAhead | readers.Spill], Optional[ProfileMap], Optional[Path]]:
    """How a run reads its files to pair them and then for their documents, so that each
    is parsed once: (`ahead` for this process's `reading_ahead`, `profile_map` for
    group_files, the spill folder the workers take from).  One worker: pairing reads here,
    kept in memory (bounded) and what does not fit, when costly to read (a PDF), on disk.
    More: the workers read and profile the files, keeping on disk what was costly.  Another
    orchestrator (`in_process_or_pool` False: Prefect, Dask) pairs with its own
    `profile_map` (its tasks: `profiles_by_tasks`), else here, and its tasks read the
    documents again.  The folder lives in `parent` until `stack` closes."""
    if not in_process_or_pool:
        return None, profile_map, None
    folder = stack.enter_context(readers.spill_folder(parent))
    if workers <= 1:
        return readers.ReadAhead(READ_AHEAD_CHARS, spill=readers.Spill(folder)), None, folder
    return readers.Spill(folder), _profiling_pool(folder, workers, lim), folder


def _profiling_pool(folder: Path, workers: int, lim) -> ProfileMap:
    """A `profile_map` for group_files: the files read and profiled in `workers` processes
    (each keeping its share of the spill's bytes).  Pairing reads every file: in this
    process alone, a run of PDFs with 2 workers took twice the time of one.  But a pool
    costs ~1 CPU-s and waits for the workers' server to warm up, which this process's
    reading overlaps: so this process reads while what is left would take it less than
    POOL_PAYS_SECONDS at the rate so far (200 Tika dumps: all of them, ~0.6 s), and hands
    the rest to the workers when it would take more (PDFs: after the first)."""
    fn = functools.partial(profile_files, str(folder), readers.SPILL_MAX_BYTES // workers)
    mapper = pool_map(fn, workers, limits=lim, on_lost=_profile_lost)

    def profile_map(files: list[Path]) -> dict[Path, pairing.Profile]:
        spill = readers.Spill(folder)
        got: dict[Path, pairing.Profile] = {}
        spent = 0.0
        for i, f in enumerate(files):
            rest = len(files) - i
            if rest >= 2 * workers and i and spent / i * rest > POOL_PAYS_SECONDS:
                return {**got, **profiles_by_tasks(files[i:], PROFILE_CHUNK, mapper)}
            t0 = time.process_time()
            got.update(pairing.profiles([f], spill.read))
            spent += time.process_time() - t0
        return got
    return profile_map


def _reporting_unnamable(map_batches: Callable, names: list[str]) -> Callable:
    """`map_batches`, with a first batch of an error row per file whose name is not valid
    UTF-8 (`discover.unnamable`): the user learns which file to rename, and the other
    documents are processed as ever.  Its doc_id is the escaped name's, so a re-run
    replaces the row."""
    if not names:
        return map_batches
    reason = "the file name is not valid UTF-8, so it cannot be stored: rename the file to process it"

    def mapper(bs: list[Batch]) -> Iterable[list[DocResult]]:
        yield [DocResult(_error_row([Path(n)], "error", reason)) for n in names]
        yield from map_batches(bs)
    return mapper


def use_workers(map_batches: Callable, workers: int, batch_size: int, n_docs: int, lim,
                fn: Callable = process_packed, default: Callable = sequential, **kw) -> tuple[Callable, int]:
    """The mapper and batch size for `workers`: the in-process loop for one worker, or
    when there are too few documents to repay starting the pool; else a pool of workers.
    The batch size is the caller's (it is also the unit of a transaction)."""
    if workers <= 1 or map_batches is not default or n_docs < 2 * workers:
        return map_batches, batch_size
    return pool_map(fn, workers, limits=lim, **kw), batch_size


@dataclass
class Tally:
    """What a run did: documents stored, errors, flags and facts written, one line per document."""
    docs: int = 0
    errors: int = 0
    flags: int = 0
    facts: int = 0
    per_doc: list = field(default_factory=list)
    doc_ids: list = field(default_factory=list)


def run_batches(store, run_id: str, todo: list, map_batches: Callable, progress: Progress, *,
                keep: Optional[Callable] = None, stored: Optional[Callable] = None) -> Tally:
    """The one runner, behind `budgetlens run` and `budgetlens process` alike: `map_batches`
    reads, extracts and checks each batch of documents (a loop, a process pool or Prefect
    tasks); each batch is stored in one transaction.  `keep(results)` → (results to store,
    their `files` rows) lets a front end drop or annotate; `stored(results)` runs after the
    batch is committed.

    A batch that cannot be stored because of the machine raises store.StorageError (the
    batch rolled back, none of its documents marked done)."""
    tally = Tally()
    total = sum(len(b) for b in todo)
    seen = 0
    for results in map_batches(todo):
        kept, files = keep(results) if keep else (list(results), None)
        fr = batch_rows(results, kept)
        try:
            _store_batch(store, fr, results, kept, run_id, files)
        except StorageError as exc:
            if exc.outcome in ("", ROLLED_BACK):
                exc.outcome = (f"Nothing of this batch ({len(results)} document(s)) was recorded and none of them is "
                               f"marked done; the {tally.docs} document(s) stored before it in this run are complete; "
                               f"{max(total - seen - len(results), 0)} were not processed yet.")
            raise
        seen += len(results)
        if stored:
            stored(kept)
        for r in kept:
            d = r.document
            tally.per_doc.append((d["source"], d["status"], d.get("read_seconds"), d.get("error")))
            tally.doc_ids.append(d["doc_id"])
        batch_errors = sum(1 for d in fr["documents"] if d["status"] != "ok")
        tally.docs += len(kept)
        tally.errors += batch_errors
        n_flags, n_facts = _n(fr["flags"]), _n(fr["facts"])
        tally.flags += n_flags
        tally.facts += n_facts
        progress.update(len(results), n_flags, batch_errors)
    progress.close()
    return tally


def finish_run(store, run_id: str, started: str, tally: Tally, doc_ids: list[str], command: str,
               skipped: int = 0) -> None:
    """What ends every run: the checks across documents (last year's disclosure, a 部门 and
    its 单位) over the run's documents and the store's related ones, then the run's record."""
    try:
        tally.flags += cross_document_flags(store, doc_ids)
    except Exception as exc:  # a corpus check must never cost the run its results
        if is_storage_failure(exc):
            raise _stored_but(store.path, exc, "Storing the cross-document flags", tally.docs) from exc
        print(f"budgetlens: cross-document checks skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
    try:
        store.record_run(run_id, started, datetime.now(timezone.utc).isoformat(), tally.docs, tally.errors,
                         tally.flags, command, skipped=skipped)
    except StorageError as exc:
        raise _stored_but(store.path, exc, "Recording the run", tally.docs) from exc


def _stored_but(path: Path, cause, action: str, n_docs: int) -> StorageError:
    """A storage failure after every document's results were committed."""
    if isinstance(cause, StoreDamaged) or (isinstance(cause, StorageError) and cause.outcome not in ("", ROLLED_BACK)):
        return cause  # it says itself what was lost
    cause = getattr(cause, "cause", cause)
    return StorageError(f"{action} in the results store {path}", path, cause,
                        outcome=f"Every document's results are stored ({n_docs} in this run); "
                                "the snapshots and report were not written.")


def _n(rows_or_columns) -> int:
    return rows_or_columns.num_rows if isinstance(rows_or_columns, Columns) else len(rows_or_columns)


def _store_batch(store, fr: dict, batch: list[DocResult], results: list[DocResult], run_id: str,
                 files: Optional[list[dict]]) -> None:
    """One transaction per batch; if the batch cannot be stored because of its data (a
    value the schema refuses), each document alone, and one that still fails becomes an
    error row.  A failure of the machine (store.StorageError) is never a document's
    result: it propagates, the batch rolled back."""
    try:
        store.write(fr, run_id, files)
        return
    except StorageError:
        raise
    except Exception as batch_exc:  # noqa: F841 - retried document by document below
        pass
    for r in results:
        d = r.document
        srcs = set(str(x) for x in (d.get("sources") or [d["source"]]))
        one = batch_rows(batch, [r])
        mine = [f for f in files if f["path"] in srcs] if files is not None else None
        try:
            store.write(one, run_id, mine)
        except StorageError:
            raise
        except Exception as exc:
            row = {**d, "status": "error", "error": f"results refused by the store: {type(exc).__name__}: {str(exc)[:200]}"}
            mine = [{**f, "status": "error", "transient": False} for f in mine] if mine is not None else None
            store.write(rows([DocResult(row)]), run_id, mine)
