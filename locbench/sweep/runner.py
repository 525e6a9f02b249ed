"""The coordinator: skip finished jobs, submit the rest, retry failures, report, never stop early.

A job that raises, or whose worker dies, is retried until it has been started `retries + 1`
times (attempts are counted by the markers jobs leave when they start, so a task Dask
rescheduled after a worker died counts too). A job that still fails gets `seed-<n>.failed.json`
and the sweep goes on; `SweepOutcome.failed` lists them.
"""

from __future__ import annotations

import shutil
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from locbench import atomic
from locbench.sweep.job import JobAbandoned, JobEvent, JobReport
from locbench.sweep.layout import (attempts_dir, count_attempts, failure_file, job_dir, job_state, read_job_record,
                                   remove_leftovers, sweep_lock)
from locbench.sweep.plan import Job

SWEEP_SCHEMA = "locbench.sweep/1"
MAX_UNSTARTED_RESUBMITS = 10  # a job lost with its pool before it started is resubmitted for free, within reason


class SweepReporter(Protocol):
    """What the coordinator tells its caller (the CLI draws rich progress bars from it)."""

    def begin(self, jobs: list[Job], states: dict[str, str], executor: str) -> None: ...
    def event(self, event: JobEvent) -> None: ...
    def done(self, job: Job, report: JobReport) -> None: ...
    def retry(self, job: Job, error: str, attempts: int) -> None: ...
    def failed(self, job: Job, error: str, attempts: int) -> None: ...


class SilentReporter:
    def begin(self, jobs: list[Job], states: dict[str, str], executor: str) -> None:
        pass

    def event(self, event: JobEvent) -> None:
        pass

    def done(self, job: Job, report: JobReport) -> None:
        pass

    def retry(self, job: Job, error: str, attempts: int) -> None:
        pass

    def failed(self, job: Job, error: str, attempts: int) -> None:
        pass


@dataclass
class SweepOutcome:
    """States before the run, a report per job that finished now, and the jobs that gave up."""

    jobs: list[Job]
    states: dict[str, str]
    reports: dict[str, JobReport] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # job name -> last error
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def run_sweep(jobs: list[Job], out: str | Path, executor: Any, *, retries: int = 2,
              reporter: SweepReporter | None = None) -> SweepOutcome:
    """Run every job of `jobs` not already done under `out` on `executor`; write out/sweep.json."""
    reporter = reporter or SilentReporter()
    root = Path(out).resolve()
    t0 = time.perf_counter()
    with sweep_lock(root):
        outcome = SweepOutcome(jobs=jobs, states={j.name: job_state(root, j) for j in jobs})
        todo = [j for j in jobs if outcome.states[j.name] != "done"]
        for job in jobs:
            remove_leftovers(root, job)
        for job in todo:
            shutil.rmtree(attempts_dir(root, job), ignore_errors=True)
        executor.open(reporter.event)
        reporter.begin(jobs, outcome.states, executor.description)
        try:
            _drive(todo, root, executor, retries + 1, reporter, outcome)
        finally:
            executor.close()
            for job in jobs:
                remove_leftovers(root, job)
                shutil.rmtree(attempts_dir(root, job), ignore_errors=True)
        outcome.seconds = time.perf_counter() - t0
        atomic.write_json(root / "sweep.json", sweep_summary(root, outcome, executor.description))
    return outcome


def _drive(todo: list[Job], root: Path, executor: Any, max_attempts: int, reporter: SweepReporter,
           outcome: SweepOutcome) -> None:
    pending = {executor.submit(job, str(root), max_attempts): job for job in todo}
    unstarted: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    while pending:
        done = executor.wait(list(pending), 0.2)
        for event in executor.events():
            reporter.event(event)
        for future in done:
            job = pending.pop(future)
            try:
                report = executor.result(future)
            except Exception as exc:  # noqa: BLE001 - a failing job never stops the others
                lost = executor.lost_worker(exc, future)
                used = count_attempts(root, job)
                failures[job.name] += 0 if lost else 1
                unstarted[job.name] += 1 if lost and used == 0 else 0
                used = max(used, failures[job.name])
                error = _describe(exc)
                if used < max_attempts and not isinstance(exc, JobAbandoned) and \
                        unstarted[job.name] <= MAX_UNSTARTED_RESUBMITS:
                    if used:
                        reporter.retry(job, error, used)
                    pending[executor.submit(job, str(root), max_attempts)] = job
                    continue
                _record_failure(root, job, exc, used)
                outcome.failed[job.name] = error
                reporter.failed(job, error, used)
                continue
            outcome.reports[job.name] = report
            reporter.done(job, report)
    for event in executor.events():
        reporter.event(event)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]


def _record_failure(root: Path, job: Job, exc: BaseException, attempts: int) -> None:
    atomic.write_json(failure_file(root, job), {
        "name": job.name, "key": job.key, "key_inputs": job.key_inputs, "attempts": attempts,
        "error": _describe(exc), "traceback": "".join(traceback.format_exception(exc)),
    })


def sweep_summary(root: Path, outcome: SweepOutcome, executor: str) -> dict[str, Any]:
    """out/sweep.json: every planned job with its state before and after this run."""
    from locbench.results import now_iso

    rows = []
    for job in outcome.jobs:
        record = read_job_record(job_dir(root, job)) or {}
        rows.append({"name": job.name, "key": job.key, "state_before": outcome.states[job.name],
                     "state_after": job_state(root, job), "attempts": record.get("attempts"),
                     "seconds": record.get("seconds"), "primary_metric": record.get("primary_metric"),
                     "primary_value": record.get("primary_value"), "error": outcome.failed.get(job.name)})
    return {"schema": SWEEP_SCHEMA, "date": now_iso(), "executor": executor, "seconds": round(outcome.seconds, 3),
            "n_jobs": len(outcome.jobs), "n_run": len(outcome.reports), "n_failed": len(outcome.failed),
            "jobs": rows}
