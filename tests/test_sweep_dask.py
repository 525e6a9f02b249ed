"""The real engine: a 2-worker `distributed.LocalCluster` on 127.0.0.1, one worker killed mid-job.

Each worker offers the resource GPU=1 and each job claims it (`--gpus-per-job 1`), so at most one
job runs per worker, as on a GPU cluster.

The sweep must still complete, the killed job must have been retried (2 attempts), no temporary
folder may remain, and every job's predictions and result must equal a sequential run bit for bit.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest

from locbench.sweep import DaskExecutor, LocalExecutor, SweepSpec, expand, job_dir, run_sweep

distributed = pytest.importorskip("distributed")

from test_sweep import Killer, job_files, leftovers  # noqa: E402

SPEC = dict(encoders=("xyz",), datasets=("embedded-cities-continent",), seeds=(0, 1, 2), epochs=1,
            max_train_rows=300, geobias=False)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None,
                                  resources={"GPU": 1}) as c:  # a label here: jobs run on CPU
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        yield c


def test_dask_sweep_survives_a_killed_worker_and_matches_a_sequential_run(cluster, tmp_path):
    seq = SweepSpec(**SPEC, out=str(tmp_path / "seq"))
    jobs = expand(seq)
    t0 = time.perf_counter()
    assert run_sweep(jobs, seq.out, LocalExecutor()).ok
    t1 = time.perf_counter()

    out = tmp_path / "dask"
    killer = Killer(out)
    killer.start()
    events = []

    class Collect:
        def begin(self, *a): pass
        def event(self, e): events.append(e)
        def done(self, job, report): pass
        def retry(self, *a): pass
        def failed(self, *a): pass

    outcome = run_sweep(expand(dataclasses.replace(seq, out=str(out))), out,
                        DaskExecutor(cluster.scheduler_address, gpus_per_job=1), retries=2, reporter=Collect())
    killer.stop.set()
    print(f"sequential {t1 - t0:.1f} s, dask {time.perf_counter() - t1:.1f} s, load {os.getloadavg()}")
    assert killer.killed_job is not None, "no job attempt was seen to kill"
    assert outcome.ok and sorted(outcome.reports) == sorted(j.name for j in jobs)
    killed = outcome.reports[killer.killed_job]
    assert killed.attempts == 2, "the killed job was rescheduled and counted"
    record = json.loads((job_dir(out, next(j for j in jobs if j.name == killer.killed_job)) / "job.json").read_text())
    assert record["attempts"] == 2 and record["worker"]["pid"] != os.getpid()
    # (the first attempt's own start event may die with its worker before it is flushed)
    assert [e.attempt for e in events if e.kind == "start" and e.job == killer.killed_job][-1] == 2
    assert any(e.kind == "stage" for e in events), "per-job progress reached the client"
    assert leftovers(out) == [] and not list((out / ".sweep" / "attempts").iterdir())
    for job in jobs:
        assert job_files(job_dir(out, job)) == job_files(job_dir(Path(seq.out), job)), job.name


def test_gpu_resource_without_gpu_workers_is_a_clear_error(cluster, tmp_path):
    from locbench.errors import InputError

    ex = DaskExecutor(cluster.scheduler_address, gpus_per_job=2)  # each worker offers GPU=1
    with pytest.raises(InputError, match="GPU=2"):
        ex.open(lambda e: None)
