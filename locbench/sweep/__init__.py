"""`locbench sweep`: many encoder x dataset x seed runs, resumable, on one machine or a Dask cluster.

```python
from locbench.sweep import SweepSpec, expand, make_executor, run_sweep, summarize
spec = SweepSpec(encoders=("xyz",), datasets=("embedded-land-sea",), seeds=(0, 1, 2), out="runs")
jobs = expand(spec)                      # validated, keyed jobs (nothing runs yet)
outcome = run_sweep(jobs, spec.out, make_executor(spec.executor), retries=spec.executor.retries)
summarize("runs", "submissions")         # one submission folder per model, mean/sd over seeds
```
Layout and states: `locbench.sweep.layout`; what a job key covers: `locbench.sweep.keys`.
"""

from locbench.sweep.executors import DaskExecutor, LocalExecutor, ProcessExecutor, make_executor
from locbench.sweep.job import JobEvent, JobReport, run_job
from locbench.sweep.layout import job_dir, job_state
from locbench.sweep.plan import Job, expand
from locbench.sweep.runner import SweepOutcome, run_sweep
from locbench.sweep.spec import ExecutorSpec, SweepSpec, build_spec, parse_seeds, read_sweep_file

__all__ = ["DaskExecutor", "ExecutorSpec", "Job", "JobEvent", "JobReport", "LocalExecutor", "ProcessExecutor",
           "SweepOutcome", "SweepSpec", "build_spec", "expand", "job_dir", "job_state", "make_executor",
           "parse_seeds", "read_sweep_file", "run_job", "run_sweep"]
