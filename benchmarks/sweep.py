"""Benchmark: the same 8-job sweep sequentially, on 2 worker processes and on a 2-worker Dask LocalCluster.

Prints per executor the wall time, the speed-up over the sequential run, each job's mean wall and CPU
seconds (CPU well below wall = the job waited for a core: contention, not locbench), the per-job overhead
(worker time not spent inside jobs: (wall x workers - sum of job seconds) / jobs, which counts
worker start-up, imports, scheduling and idle tail) and the peak memory (RSS) per worker process;
plus the scheduler's own round trip on 200 empty tasks. Every job is seeded and single-threaded,
so all three runs produce the same numbers (checked). Record `uptime` beside the result.

    python benchmarks/sweep.py                      # 2 encoders x 4 seeds on embedded-land-sea
    python benchmarks/sweep.py --epochs 1 --rows 1000 --no-geobias   # a quicker, overhead-dominated run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run_mode(mode: str, spec, out: Path, workers: int) -> dict:
    from locbench.sweep import DaskExecutor, LocalExecutor, ProcessExecutor, expand, run_sweep

    jobs = expand(spec)
    cluster, cluster_s = None, 0.0
    if mode == "sequential":
        executor = LocalExecutor()
    elif mode == "processes":
        executor = ProcessExecutor(workers)
    else:
        from distributed import LocalCluster

        t = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None)
        cluster_s = time.perf_counter() - t
        executor = DaskExecutor(cluster.scheduler_address)
    t0 = time.perf_counter()
    outcome = run_sweep(jobs, out, executor, retries=0)
    wall = time.perf_counter() - t0
    if cluster is not None:
        cluster.close()
    assert outcome.ok, outcome.failed
    records = [json.loads((out / j.name / "job.json").read_text()) for j in jobs]
    job_s = sum(r["seconds"] for r in records)
    cpu_s = sum(r["cpu_seconds"] for r in records)
    rss: dict[int, float] = {}
    for r in records:
        rss[r["worker"]["pid"]] = max(rss.get(r["worker"]["pid"], 0.0), r["worker"]["max_rss_mb"])
    n_workers = 1 if mode == "sequential" else workers
    return {"mode": mode, "wall_s": wall, "cluster_start_s": cluster_s, "job_s": job_s, "cpu_s": cpu_s,
            "n_jobs": len(jobs),
            "overhead_per_job_s": (wall * n_workers - job_s) / len(jobs), "rss_mb": sorted(rss.values()),
            "workers_used": len(rss), "load_after": os.getloadavg()[0]}


def round_trip(workers: int, n: int = 200) -> dict:
    """Seconds per empty task: the scheduler's own cost, without any locbench work."""
    import concurrent.futures as cf
    import multiprocessing

    from distributed import Client, LocalCluster

    out = {}
    with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(abs, range(workers)))  # warm
        t = time.perf_counter()
        for f in [pool.submit(abs, i) for i in range(n)]:
            f.result()
        out["processes"] = (time.perf_counter() - t) / n
    with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.gather(client.map(abs, range(workers), pure=False))
        t = time.perf_counter()
        client.gather([client.submit(abs, i, pure=False) for i in range(n)])
        out["dask"] = (time.perf_counter() - t) / n
    return out


def same_numbers(a: Path, b: Path, jobs) -> bool:
    for job in jobs:
        fa, fb = a / job.name, b / job.name
        for f in fa.glob("*.csv"):
            if f.read_bytes() != (fb / f.name).read_bytes():
                return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoders", nargs="+", default=["xyz", "Space2Vec-theory"])
    ap.add_argument("--dataset", default="embedded-land-sea")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rows", type=int, default=4000, help="training rows kept per job")
    ap.add_argument("--no-geobias", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from locbench.sweep import SweepSpec, expand

    print(f"before: {_uptime()}  (cpu_count {os.cpu_count()})")
    results = []
    with tempfile.TemporaryDirectory(prefix="locbench-sweep-bench-") as tmp:
        base = dict(encoders=tuple(args.encoders), datasets=(args.dataset,), seeds=tuple(range(args.seeds)),
                    epochs=args.epochs, max_train_rows=args.rows, geobias=not args.no_geobias)
        for mode in ("sequential", "processes", "dask"):
            spec = SweepSpec(**base, out=str(Path(tmp) / mode))
            results.append(run_mode(mode, spec, Path(spec.out), args.workers))
            print(f"  {mode}: {results[-1]['wall_s']:.1f} s   ({_uptime()})", flush=True)
        jobs = expand(SweepSpec(**base, out=str(Path(tmp) / "sequential")))
        identical = all(same_numbers(Path(tmp) / "sequential", Path(tmp) / m, jobs) for m in ("processes", "dask"))
    rt = round_trip(args.workers)
    seq = results[0]["wall_s"]
    print(f"\n{len(jobs)} jobs: {', '.join(args.encoders)} on {args.dataset}, {args.seeds} seeds, "
          f"{args.epochs} epochs, {args.rows} training rows, geo-bias {'off' if args.no_geobias else 'on'}, "
          "1 thread per job")
    print("| executor | wall (s) | speed-up | mean job wall (s) | mean job CPU (s) | overhead / job (s) "
          "| peak RSS per worker (MB) |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        label = {"sequential": "sequential (local)", "processes": f"{args.workers} worker processes",
                 "dask": f"Dask LocalCluster, {args.workers} workers"}[r["mode"]]
        extra = f" (+{r['cluster_start_s']:.1f} s cluster start)" if r["cluster_start_s"] else ""
        print(f"| {label} | {r['wall_s']:.1f}{extra} | {seq / r['wall_s']:.2f}x | {r['job_s'] / r['n_jobs']:.2f} | "
              f"{r['cpu_s'] / r['n_jobs']:.2f} | {r['overhead_per_job_s']:.2f} | "
              f"{', '.join(f'{m:.0f}' for m in r['rss_mb'])} |")
    print(f"\nscheduler round trip per empty task: processes {1000 * rt['processes']:.2f} ms, "
          f"dask {1000 * rt['dask']:.2f} ms")
    print(f"predictions identical across executors: {identical}")
    print(f"after: {_uptime()}")


if __name__ == "__main__":
    main()
