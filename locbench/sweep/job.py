"""One sweep job, as it runs on a worker: seed, limit threads, evaluate into a staged folder, rename.

`run_job` is what every executor calls (in-process, in a worker process or on a Dask worker), so a
job's numbers do not depend on where it ran: the seeds of `random`, numpy and torch are set from
the job's seed, and torch and BLAS use `job.threads` threads (1 by default).
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from locbench import atomic
from locbench.sweep.layout import (JOB_FILE, JOB_SCHEMA, attempts_dir, count_attempts, failure_file, job_dir,
                                   read_job_record, staged_job_dir)
from locbench.sweep.plan import Job


class JobAbandoned(RuntimeError):
    """A job was started more often than its attempts allow (e.g. it keeps killing its worker)."""


@dataclass(frozen=True)
class JobEvent:
    """What a running job tells the coordinator: it started (attempt, worker) or a stage advanced."""

    job: str
    kind: str  # "start" | "stage"
    stage: str = ""
    completed: int = 0
    total: int = 0
    attempt: int = 0
    worker: str = ""


class EventSink(Protocol):
    def emit(self, event: JobEvent) -> None: ...


@dataclass(frozen=True)
class JobReport:
    """A finished job as the coordinator sees it (`skipped`: the folder was already complete)."""

    name: str
    key: str
    status: str  # "done" | "skipped"
    attempts: int
    seconds: float
    primary_metric: str | None
    primary_value: float | None
    worker: dict[str, Any]


def run_job(job: Job, out: str, max_attempts: int, sink: EventSink) -> JobReport:
    """Run `job` unless its folder already holds the same key; write the folder whole or not at all."""
    root = Path(out)
    final = job_dir(root, job)
    record = read_job_record(final)
    if record is not None and record.get("key") == job.key:  # a rescheduled duplicate that had finished
        return _report(record, "skipped")
    attempt = _mark_attempt(root, job)
    if attempt > max_attempts:
        raise JobAbandoned(f"{job.name}: started {attempt - 1} times (limit {max_attempts}); giving up")
    worker = f"{socket.gethostname()}:{os.getpid()}"
    sink.emit(JobEvent(job.name, "start", attempt=attempt, worker=worker))
    t0, cpu0 = time.perf_counter(), time.process_time()
    final.parent.mkdir(parents=True, exist_ok=True)
    with staged_job_dir(final) as tmp, job_environment(job):
        outcome = _evaluate(job, tmp, _SinkReporter(sink, job.name))
        record = _job_record(job, outcome, attempt=attempt, seconds=time.perf_counter() - t0,
                             cpu_seconds=time.process_time() - cpu0)
        atomic.write_json(tmp / JOB_FILE, record)
    failure_file(root, job).unlink(missing_ok=True)
    return _report(record, "done")


def warm_worker() -> str:
    """Import what every job needs (torch, probes, datasets) once per worker; return locbench's version.

    Executors call it when a worker starts, so a worker that cannot import locbench fails at once,
    and one with another version (whose numbers would not match their keys) is caught.
    """
    import torch  # noqa: F401

    import locbench
    import locbench.datasets  # noqa: F401
    import locbench.evaluate  # noqa: F401
    import locbench.probes  # noqa: F401

    return locbench.__version__


@contextlib.contextmanager
def job_environment(job: Job) -> Iterator[None]:
    """Seeds of the global generators and a BLAS thread limit (torch threads go through run_probe)."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    random.seed(job.seed)
    np.random.seed(job.seed)
    torch.manual_seed(job.seed)
    with threadpool_limits(limits=job.threads):
        yield


def _evaluate(job: Job, folder: Path, reporter: Any) -> Any:
    from locbench.datasets import get_dataset
    from locbench.encoders import resolve_encoder
    from locbench.evaluate import evaluate_one, prepare_data

    ds = get_dataset(job.dataset)
    data = prepare_data(ds, seed=job.seed, epochs=job.epochs, max_train_rows=job.max_train_rows,
                        data_root=job.data_root, holdout=job.holdout, probe=job.probe)
    return evaluate_one(resolve_encoder(job.encoder), data, folder, model_id=job.model_id, seed=job.seed,
                        device=job.device, geobias=job.geobias, threads=job.threads, reporter=reporter)


def _mark_attempt(out: Path, job: Job) -> int:
    """Leave a marker for this attempt; the count of markers is the attempt number."""
    folder = attempts_dir(out, job)
    folder.mkdir(parents=True, exist_ok=True)
    marker = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(), "job": job.name}
    atomic.write_json(folder / f"{time.time_ns()}-{os.getpid()}.json", marker)
    return count_attempts(out, job)


def _job_record(job: Job, outcome: Any, *, attempt: int, seconds: float, cpu_seconds: float) -> dict[str, Any]:
    """job.json; `cpu_seconds` (all threads of the process) beside wall `seconds` shows CPU contention."""
    import torch

    from locbench.results import now_iso

    return {
        "schema": JOB_SCHEMA, "name": job.name, "key": job.key, "group_key": job.group_key,
        "key_inputs": job.key_inputs, "model_id": job.model_id, "encoder": job.encoder_name,
        "dataset": job.dataset, "seed": job.seed, "status": "done", "attempts": attempt,
        "seconds": round(seconds, 4), "cpu_seconds": round(cpu_seconds, 4), "primary_metric": outcome.primary_metric,
        "primary_value": outcome.primary_value, "files": sorted(Path(p).name for p in outcome.paths.values()),
        "worker": {"host": socket.gethostname(), "pid": os.getpid(), "torch_threads": job.threads,
                   "blas_threads": job.threads, "torch": torch.__version__,
                   "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
        "finished": now_iso(),
    }


def _report(record: dict[str, Any], status: str) -> JobReport:
    return JobReport(name=record["name"], key=record["key"], status=status, attempts=int(record["attempts"]),
                     seconds=float(record["seconds"]), primary_metric=record.get("primary_metric"),
                     primary_value=record.get("primary_value"), worker=dict(record.get("worker") or {}))


class _SinkReporter:
    """evaluate's Reporter protocol -> job events, at most ~4 stage updates a second."""

    def __init__(self, sink: EventSink, name: str) -> None:
        self.sink, self.name, self.last = sink, name, 0.0

    def start(self, label: str) -> None:
        pass

    def advance(self, stage: str, completed: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= 0.25 or completed >= total:
            self.last = now
            self.sink.emit(JobEvent(self.name, "stage", stage=stage, completed=completed, total=total))

    def finish(self, outcome: Any) -> None:
        pass
