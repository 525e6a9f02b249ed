"""Where jobs run: in this process, in a pool of worker processes, or on a Dask cluster.

All three run the same `run_job`, hand back futures and pass the jobs' progress events to the
coordinator; retries and bookkeeping live in `locbench.sweep.runner`, not here.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import multiprocessing
import queue as queue_module
import time
import uuid
from collections.abc import Callable
from typing import Any

from locbench.errors import InputError
from locbench.sweep.job import JobEvent, JobReport, run_job, warm_worker
from locbench.sweep.plan import Job
from locbench.sweep.spec import ExecutorSpec

EventFn = Callable[[JobEvent], None]


class LocalExecutor:
    """Sequential, in this process: `wait` runs the next queued job, events reach the reporter live."""

    description = "local (sequential, this process)"

    def __init__(self) -> None:
        self.queue: collections.deque[tuple[cf.Future, tuple[Any, ...]]] = collections.deque()
        self.on_event: EventFn = lambda event: None

    def open(self, on_event: EventFn) -> None:
        self.on_event = on_event

    def close(self) -> None:
        self.queue.clear()

    def submit(self, job: Job, out: str, max_attempts: int) -> cf.Future:
        future: cf.Future = cf.Future()
        self.queue.append((future, (job, out, max_attempts)))
        return future

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        done = [f for f in futures if f.done()]
        if done or not self.queue:
            return done
        future, args = self.queue.popleft()
        try:
            future.set_result(run_job(*args, _CallbackSink(self.on_event)))
        except Exception as exc:  # noqa: BLE001 - a failing job is reported, never stops the sweep
            future.set_exception(exc)
        return [future]

    def events(self) -> list[JobEvent]:
        return []

    def result(self, future: Any) -> JobReport:
        return future.result()

    def lost_worker(self, exc: BaseException, future: Any) -> bool:
        return False


class _CallbackSink:
    def __init__(self, fn: EventFn) -> None:
        self.fn = fn

    def emit(self, event: JobEvent) -> None:
        self.fn(event)


# -------------------------------------------------------------------------- worker processes

_WORKER_QUEUE: Any = None


def _init_worker(events: Any) -> None:
    global _WORKER_QUEUE
    _WORKER_QUEUE = events
    warm_worker()


class _QueueSink:
    """Picklable: the queue itself reaches each worker once, through the pool's initializer."""

    def emit(self, event: JobEvent) -> None:
        if _WORKER_QUEUE is not None:
            _WORKER_QUEUE.put(dataclasses.asdict(event))


def _run_in_worker(job: Job, out: str, max_attempts: int) -> JobReport:
    return run_job(job, out, max_attempts, _QueueSink())


class ProcessExecutor:
    """`workers` spawned processes. A killed worker breaks the pool: it is rebuilt and unfinished jobs resubmitted."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"processes ({workers} worker processes)"
        self.ctx = multiprocessing.get_context("spawn")  # no inherited torch/OpenMP state from the coordinator
        self.pool: cf.ProcessPoolExecutor | None = None
        self.generation = 0
        self.born: dict[Any, int] = {}

    def open(self, on_event: EventFn) -> None:
        self.events_queue = self.ctx.Queue()
        self._new_pool()

    def _new_pool(self) -> None:
        self.pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=self.ctx,
                                           initializer=_init_worker, initargs=(self.events_queue,))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, job: Job, out: str, max_attempts: int) -> cf.Future:
        assert self.pool is not None
        future = self.pool.submit(_run_in_worker, job, out, max_attempts)
        self.born[future] = self.generation
        return future

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def events(self) -> list[JobEvent]:
        out: list[JobEvent] = []
        while True:
            try:
                out.append(JobEvent(**self.events_queue.get_nowait()))
            except queue_module.Empty:
                return out

    def result(self, future: Any) -> JobReport:
        return future.result()

    def lost_worker(self, exc: BaseException, future: Any) -> bool:
        """True when a worker process died; the first such failure of a pool replaces the pool."""
        if not isinstance(exc, cf.process.BrokenProcessPool):
            return False
        if self.born.pop(future, -1) == self.generation:
            assert self.pool is not None
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.generation += 1
            self._new_pool()
        return True


# ---------------------------------------------------------------------------------- Dask

class _DaskSink:
    """Events travel as Dask structured events on a per-sweep topic (worker -> scheduler -> client)."""

    def __init__(self, topic: str) -> None:
        self.topic = topic

    def emit(self, event: JobEvent) -> None:
        from distributed import get_worker

        get_worker().log_event(self.topic, dataclasses.asdict(event))


class DaskExecutor:
    """Jobs as tasks on an existing Dask cluster; a dead worker's task is rescheduled by Dask itself."""

    def __init__(self, scheduler: str, gpus_per_job: float = 0.0) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError("--executor dask needs the optional extra: pip install 'locbench[dask]'",
                             column="--executor") from None
        self.scheduler, self.gpus_per_job = scheduler, gpus_per_job
        self.topic = f"locbench-sweep-{uuid.uuid4().hex[:12]}"
        self.inbox: collections.deque[dict[str, Any]] = collections.deque()
        self.description = f"dask ({scheduler})"

    def open(self, on_event: EventFn) -> None:
        from distributed import Client

        try:
            self.client = Client(self.scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}", column="--scheduler") from exc
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        self.description = f"dask ({self.scheduler}, {len(workers)} workers)"
        if self.gpus_per_job and not any(w.get("resources", {}).get("GPU", 0) >= self.gpus_per_job
                                         for w in workers.values()):
            self.client.close()
            raise InputError(f"no Dask worker offers resource GPU={self.gpus_per_job:g}; start workers with "
                             "`dask worker ... --resources GPU=1`", column="--gpus-per-job")
        self._check_versions()
        self.client.subscribe_topic(self.topic, lambda event: self.inbox.append(event[1]))

    def _check_versions(self) -> None:
        """Warm every worker; refuse workers that cannot import locbench or run another version."""
        import locbench

        try:
            found = self.client.run(warm_worker)
        except Exception as exc:  # noqa: BLE001 - the worker's import error, reported as bad setup
            self.client.close()
            raise InputError(f"a Dask worker cannot import locbench ({type(exc).__name__}: {exc}); install the "
                             "same locbench on every worker", column="--scheduler") from exc
        other = {w: v for w, v in found.items() if v != locbench.__version__}
        if other:
            self.client.close()
            raise InputError(f"Dask worker(s) run another locbench version: {other} (here: {locbench.__version__})",
                             column="--scheduler")

    def close(self) -> None:
        self.client.unsubscribe_topic(self.topic)
        self.client.close()

    def submit(self, job: Job, out: str, max_attempts: int) -> Any:
        resources = {"GPU": self.gpus_per_job} if self.gpus_per_job else None
        return self.client.submit(run_job, job, out, max_attempts, _DaskSink(self.topic), pure=False,
                                  key=f"locbench-{job.key[:12]}-{uuid.uuid4().hex[:8]}", resources=resources)

    def wait(self, futures: list[Any], timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            done = [f for f in futures if f.done()]
            if done or time.monotonic() >= deadline:
                return done
            time.sleep(0.05)

    def events(self) -> list[JobEvent]:
        out = []
        while self.inbox:
            out.append(JobEvent(**self.inbox.popleft()))
        return out

    def result(self, future: Any) -> JobReport:
        return future.result()

    def lost_worker(self, exc: BaseException, future: Any) -> bool:
        from distributed.scheduler import KilledWorker

        return isinstance(exc, KilledWorker)


def make_executor(spec: ExecutorSpec) -> LocalExecutor | ProcessExecutor | DaskExecutor:
    if spec.kind == "processes":
        return ProcessExecutor(spec.workers)
    if spec.kind == "dask":
        assert spec.scheduler is not None  # ExecutorSpec checks it
        return DaskExecutor(spec.scheduler, spec.gpus_per_job)
    return LocalExecutor()
