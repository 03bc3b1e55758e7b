"""Worker processes for `budgetlens run --workers N` and `budgetlens process --workers N`.

The workers are forked once from a forkserver that has already imported the pipeline and
loaded what every document needs (jieba's dictionary and the budget user dictionary, the
POS table, the gazetteers' YAML and the regexes compiled from them: `warm_up`), so a
worker starts warm and shares those pages with its siblings.  Each worker takes whole
batches and returns their DocResults; the parent alone writes them to the store, in the
order of the batches, so what is stored is the same as with one in-process worker.

At most `in_flight` batches per worker are submitted ahead, so finished results never pile
up in the parent while it writes.  A worker that dies (killed for memory, a crash in a
native reader) costs only its batch's documents: they are tried again one by one in a new
pool, and a document that kills its worker again becomes an error row."""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import tempfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing import forkserver
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence

from budgetlens import gazetteers
from budgetlens import limits as limits_mod

from .process import DocResult, _error_row, process_group


def cores() -> int:
    """The cores this process may use (the default number of workers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def warm_up() -> None:
    """Load, once, what every document needs: process a small document (gazetteers/
    warm_up.txt: a narrative with figures, a list and a table, so that jieba, the POS table
    and the table parser are reached) through the whole pipeline.  Called in the
    forkserver before it forks the workers."""
    text = (Path(gazetteers.__file__).parent / "warm_up.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="budgetlens-warm-") as d:
        p = Path(d) / "warm.txt"
        p.write_text(text, encoding="utf-8")
        process_group([p])


def exit_with_parent() -> None:
    """Linux: this process is killed when its parent dies (the forkserver when the run is
    killed, a worker when the forkserver goes), so a `kill -9` of a run leaves no workers
    behind.  Elsewhere, nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        parent = os.getppid()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the call
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _init(limits) -> None:
    exit_with_parent()
    if limits is not None:
        limits_mod.configure(limits)


def _context():
    ctx = mp.get_context("forkserver")
    # budgetlens.engine.preload calls warm_up() when the forkserver imports it
    ctx.set_forkserver_preload(["budgetlens.engine.preload"])
    return ctx


def prestart() -> None:
    """Start the forkserver now, without waiting for it: it imports the pipeline and warms
    up (`warm_up`) on another core while this process discovers, pairs and hashes the
    inputs, so the first batch does not wait for it."""
    _context()
    try:
        forkserver.ensure_running()
    except OSError:  # the pool starts it later, or reports why it cannot
        pass


def _start(workers: int, limits) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_init, initargs=(limits,))


def pool_map(fn: Callable[[list], list], workers: int, *, limits=None, in_flight: int = 2,
             on_lost: Optional[Callable[[object, str], DocResult]] = None) -> Callable[[Sequence[list]], Iterator[list]]:
    """A `map_batches` for the runner: `fn` (a module-level function, batch → results)
    applied to each batch in `workers` processes, results yielded in batch order.
    `on_lost(item, reason)` makes the result of an item whose worker died twice (default:
    an error row for a batch item that is a list of paths)."""
    lost = on_lost or _lost_paths
    lim = limits if limits is not None else limits_mod.current()

    def mapper(bs: Iterable[list]) -> Iterator[list]:
        it = iter(bs)
        ex = _start(workers, lim)
        try:
            pending = deque((b, ex.submit(fn, b)) for b in islice(it, in_flight * workers))
            while pending:
                b, fut = pending.popleft()
                try:
                    res = fut.result()
                except BrokenProcessPool:
                    ex.shutdown(wait=True, cancel_futures=True)
                    yield _one_by_one(fn, b, lim, lost)
                    ex = _start(workers, lim)
                    pending = deque((pb, ex.submit(fn, pb)) for pb, _ in pending)
                    continue
                nb = next(it, None)
                if nb is not None:
                    pending.append((nb, ex.submit(fn, nb)))
                yield res
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
    return mapper


def _one_by_one(fn, batch: list, lim, lost) -> list:
    out = []
    for item in batch:
        with _start(1, lim) as ex:
            try:
                out.extend(ex.submit(fn, [item]).result())
            except BrokenProcessPool:
                out.append(lost(item, "worker process died while processing this document "
                                      "(out of memory or a crash in a native library)"))
    return out


def _lost_paths(item, reason: str) -> DocResult:
    return DocResult(_error_row([Path(p) for p in item], "error", reason))
