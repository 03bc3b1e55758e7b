"""Prefect flows: thin wrappers over `engine` (one-off runs) and `crawler` (crawl, then
incremental processing of what was crawled).

Tasks receive batches of documents: a task costs ~10 ms of bookkeeping plus its events,
which would dominate the ~20–100 ms a document takes.

    budgetlens-crawl    discover links (one task), download per host (one task per host,
                        so the rate limit stays per host even when hosts run in parallel)
    budgetlens-process  batches of new/changed documents → tasks (cached by content hash,
                        results persisted to a local folder) → DuckDB store → report
    budgetlens-cycle    crawl, then process: what `serve` schedules
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Optional

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.schedules import Cron  # noqa: E402
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from budgetlens.crawler import RawStore, load_config
from budgetlens.crawler import inputs as crawler_inputs
from budgetlens.crawler.crawl import by_host, discover, fetch_documents, summarise
from budgetlens.crawler.fetch import now_iso
from budgetlens.crawler.inputs import failed_results, process_raw
from budgetlens.crawler.rawstore import FetchRecord
from budgetlens.engine.process import (
    DocResult,  # noqa: E402
    _error_row,
)
from budgetlens.engine.run import Batch, Progress, process_batch, profile_files, profiles_by_tasks, run_job  # noqa: E402


def _transient(task, task_run, state) -> bool:
    """Retry on I/O hiccups only; a document that fails to parse fails the same way again."""
    try:
        state.result()
    except (OSError, TimeoutError, ConnectionError):
        return True
    except Exception:
        return False
    return False


@contextmanager
def no_heartbeat():
    """Flow heartbeats cost ~1 s per synchronous flow call; the CLI does not need them."""
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


# -- one-off runs (`budgetlens run --orchestrator prefect`) ----------------------

@task(name="process-batch", retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_transient,
      cache_policy=NO_CACHE)
def process_batch_task(batch: Batch) -> list[DocResult]:
    return process_batch(batch)


@task(name="profile-files", retries=1, retry_delay_seconds=[1], retry_condition_fn=_transient,
      cache_policy=NO_CACHE)
def profile_files_task(paths: list[str]) -> list:
    return profile_files(None, 0, paths)


# Files per pairing task: a Prefect task costs ~0.3 s, a Tika dump ~3 ms and a PDF ~0.3 s to read.
PROFILE_TASK_FILES = 50


def prefect_profile_map(files: list[Path]) -> dict:
    """A `profile_map` (engine.run.plan_reads) for runs inside a flow: the files are read to
    pair them in the flow's task runner (on a Dask cluster, its workers), not one by one in
    the flow's own process.  A chunk whose task fails leaves its files unpaired; their
    documents' reads report why."""
    def map_chunks(chunks):
        for fut in profile_files_task.map(chunks):
            try:
                yield fut.result()
            except Exception:  # retries spent: these files stay alone
                yield []
    return profiles_by_tasks(files, PROFILE_TASK_FILES, map_chunks)


@flow(name="budgetlens-run", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def run_flow(paths: list[str], out: str, batch_size: int = 25, quiet: bool = True, command: str = "run",
             skip_known: bool = True, rebuild_store: bool = False):
    """The whole one-off run inside one flow run: batches become tasks, and each batch's
    results reach the store as soon as it (and those before it) completes, so a killed
    run keeps what was stored and memory does not grow with the corpus."""
    def mapper(batches):
        futures = process_batch_task.map(batches)
        for batch, fut in zip(batches, futures):
            try:
                yield fut.result()
            except Exception as exc:  # retries spent: record the batch as errors, go on
                yield _failed_batch(batch, f"processing task failed: {type(exc).__name__}: {exc}")

    return run_job(paths, out, map_batches=mapper, batch_size=batch_size, quiet=quiet, command=command,
                   skip_known=skip_known, rebuild_store=rebuild_store, profile_map=prefect_profile_map)


def _failed_batch(batch: Batch, reason: str) -> list[DocResult]:
    return [DocResult(_error_row([Path(p) for p in g], "error", reason)) for g in batch]


def run_with_prefect(paths: list[str], out: str, **kw):
    """`budgetlens run --orchestrator prefect`: one flow run (heartbeat off)."""
    with no_heartbeat():
        return run_flow(paths=[str(p) for p in paths], out=str(out), **kw)


def prefect_map_batches(batches: list[Batch]):
    """A `run_job` mapper for callers that drive run_job themselves: each batch is its own
    small flow run, so results stream back batch by batch."""
    with no_heartbeat():
        for b in batches:
            yield batch_results(run_batches_flow([b]))[0]


@flow(name="budgetlens-batches", task_runner=ThreadPoolTaskRunner(max_workers=2))
def run_batches_flow(batches: list[Batch]) -> quote:
    """Each batch's results (`batch_results` of what this returns).  Quoted: Prefect walks a
    flow's return value object by object looking for futures to resolve, and a batch's
    results are ~370,000 objects (rows and their values) that hold none; walking them took
    42 of the 58 s that 200 documents in 8 batches took."""
    futures = process_batch_task.map(batches)
    return quote([f.result() for f in futures])


def batch_results(returned) -> list[list[DocResult]]:
    """The results of `run_batches_flow` (its return value, quoted)."""
    return returned.unwrap() if isinstance(returned, quote) else returned


# -- crawl ----------------------------------------------------------------------

@task(name="discover-links", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def discover_task(config):
    return discover(config)


@task(name="fetch-host", retries=1, retry_delay_seconds=5, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def fetch_host_task(links, config, validators: dict):
    return fetch_documents(links, config, RawStore(config.raw_dir), validators)


@flow(name="budgetlens-crawl", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=True)
def crawl_flow(config_path: str = "budgetlens.toml", quiet: bool = True) -> dict:
    config = load_config(config_path)
    raw = RawStore(config.raw_dir)
    disc = discover_task(config)
    validators = raw.validators()
    hosts = by_host(disc.documents)
    futures = {h: fetch_host_task.submit(links, config, {l.url: validators[l.url] for l in links if l.url in validators})
               for h, links in hosts.items()}
    progress = Progress(len(disc.documents), quiet)
    records: list = []
    for h, fut in futures.items():
        try:
            got = fut.result()
        except Exception as exc:  # one host's failure never stops the others
            got = [FetchRecord(l.url, now_iso(), None, "error", referrer=l.referrer, link_text=l.text,
                               note=f"fetch task failed: {type(exc).__name__}: {exc}") for l in hosts[h]]
        records.extend(got)
        progress.update(len(got), 0)
    progress.close()
    raw.append(disc.problems + records)
    summary = summarise(disc, records, disc.requests + sum(r.attempts for r in records))
    print(summary.line())
    d = asdict(summary)
    d.pop("records")
    return d


# -- process --------------------------------------------------------------------

def _batch_cache_key(context, parameters) -> str:
    """A batch's key is its documents' input keys (content sha256 + pipeline fingerprint):
    the same documents processed by the same code hit the cache, whatever the run."""
    keys = ",".join(i.key for i in parameters["batch"])
    return "budgetlens-docs-" + hashlib.sha256(keys.encode()).hexdigest()[:32]


@task(name="process-documents", cache_key_fn=_batch_cache_key, persist_result=True,
      retries=2, retry_delay_seconds=[1, 5], retry_jitter_factor=0.5, retry_condition_fn=_transient)
def process_documents_task(batch) -> list[DocResult]:
    return crawler_inputs.process_inputs(batch)  # looked up per call: tests count the calls


def results_dir(config) -> Path:
    """Where task results persist (the cache): beside the store."""
    return (config.store_path.parent / "prefect-results").resolve()


def make_task_runner(runner: str = "threads", dask_address: Optional[str] = None, workers: int = 2):
    if runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:  # an optional extra: say how to get it
            raise RuntimeError("--runner dask needs prefect-dask: pip install 'budgetlens[dask]'") from exc

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        # each worker imports budgetlens.engine.preload when it starts (jieba, the gazetteers
        # and the pipeline loaded once, as the --workers pool's forkserver does), not on its
        # first batch; an existing cluster: `dask worker --preload budgetlens.engine.preload`
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None,
                                              "preload": ["budgetlens.engine.preload"]})
    return ThreadPoolTaskRunner(max_workers=workers)


@flow(name="budgetlens-process", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def process_flow(config_path: str = "budgetlens.toml", force: bool = False, batch_size: int = 10,
                 quiet: bool = True) -> dict:
    config = load_config(config_path)
    storage = results_dir(config)
    storage.mkdir(parents=True, exist_ok=True)
    tsk = process_documents_task.with_options(result_storage=storage)

    def mapper(batches):
        futures = tsk.map(batches)
        for batch, fut in zip(batches, futures):
            try:
                yield fut.result()
            except Exception as exc:  # retries spent: report the batch, let the others go on
                yield failed_results(batch, f"processing task failed: {type(exc).__name__}: {exc}")

    summary = process_raw(config, mapper, batch_size=batch_size, force=force, quiet=quiet,
                          command=f"process {config_path}", profile_map=prefect_profile_map)
    print(summary.line())
    d = asdict(summary)
    d.pop("per_document")
    return d


def process_with_runner(config_path: str, runner: str = "threads", dask_address: Optional[str] = None,
                        workers: int = 2, **kw) -> dict:
    flow_ = process_flow.with_options(task_runner=make_task_runner(runner, dask_address, workers))
    with no_heartbeat():
        return flow_(config_path=config_path, **kw)


# -- the scheduled cycle ----------------------------------------------------------

@flow(name="budgetlens-cycle", log_prints=True)
def cycle_flow(config_path: str = "budgetlens.toml", runner: str = "threads", dask_address: Optional[str] = None,
               batch_size: int = 10, quiet: bool = True) -> dict:
    crawled = crawl_flow(config_path=config_path, quiet=quiet)
    proc = process_flow.with_options(task_runner=make_task_runner(runner, dask_address))
    processed = proc(config_path=config_path, batch_size=batch_size, quiet=quiet)
    return {"crawl": crawled, "process": processed}


def build_deployments(config_path: str | Path):
    """The deployments `budgetlens serve` runs: the cycle on the configured cron and time
    zone, plus crawl and process to trigger by hand (`prefect deployment run …`)."""
    config_path = str(Path(config_path).resolve())
    cfg = load_config(config_path)
    params = {"config_path": config_path}
    return [
        cycle_flow.to_deployment(name="scheduled", schedules=[Cron(cfg.schedule.cron, timezone=cfg.schedule.timezone)],
                                 parameters=params, tags=["budgetlens"],
                                 description="crawl the configured portals, process what is new, write the report"),
        crawl_flow.to_deployment(name="on-demand", parameters=params, tags=["budgetlens"]),
        process_flow.to_deployment(name="on-demand", parameters=params, tags=["budgetlens"]),
    ]
