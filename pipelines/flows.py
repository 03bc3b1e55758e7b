"""Prefect flows: thin wrappers over `engine`.

Tasks receive batches of documents (per-task orchestration costs ~10 ms of bookkeeping
plus events; one task per document would dominate the run)."""
from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

from prefect import flow, task  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from engine.process import DocResult  # noqa: E402
from engine.run import Batch, process_batch  # noqa: E402


def _transient(task, task_run, state) -> bool:
    """Retry on I/O hiccups only; a document that fails to parse fails the same way again."""
    try:
        state.result()
    except (OSError, TimeoutError, ConnectionError):
        return True
    except Exception:
        return False
    return False


@task(name="process-batch", retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_transient)
def process_batch_task(batch: Batch) -> list[DocResult]:
    return process_batch(batch)


@flow(name="budgetlens-run", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def run_flow(batches: list[Batch]) -> list[list[DocResult]]:
    futures = process_batch_task.map(batches)
    return [f.result() for f in futures]


def prefect_map_batches(batches: list[Batch]):
    """`engine.run.run_job` mapper that runs the batches as one Prefect flow run."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    try:
        ctx = temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    except Exception:  # older settings without heartbeat
        import contextlib

        ctx = contextlib.nullcontext()
    with ctx:
        for results in run_flow(batches):
            yield results
