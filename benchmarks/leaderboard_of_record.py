"""The leaderboard of record, end to end: import every published set, score our embedded runs, build.

    nice -n 10 python benchmarks/leaderboard_of_record.py --root /tmp/lor [--jobs 2] [--reference ../shared/reference]

Runs exactly the commands of submissions/README.md ("Rebuilding the shipped leaderboard"), each
as its own process, into a fresh --root (our embedded submissions are copied there first), and
prints per stage: wall seconds, CPU seconds (user + system, workers included), peak resident
memory of the stage's largest process, and what it produced. Wall time is inflated when other
jobs share the CPUs, so `uptime` is printed before and after; CPU seconds are not inflated.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# `locbench submit DIR` for each folder, in one process (what the README's shell loop does, minus start-up)
SUBMIT_ALL = """
import sys
from locbench.cli import main
root, *folders = sys.argv[1:]
for f in folders:
    if main(["submit", f, "--root", root]) != 0:
        raise SystemExit(2)
"""


def stage(label: str, argv: list[str], env: dict[str, str], rows: list[tuple]) -> str:
    """Run one CLI command; wall time, and CPU and peak RSS from the child's own rusage (wait4).

    Linux folds reaped descendants (the import's worker processes) into the child's rusage.
    """
    import tempfile

    with tempfile.TemporaryFile("w+") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        log.seek(0)
        out = log.read()
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0
    if proc.returncode != 0:
        sys.stdout.write(out)
        raise SystemExit(f"stage {label!r} failed (exit {proc.returncode}): {' '.join(argv)}")
    rows.append((label, wall, cpu, peak))
    print(f"  {label:<30} {wall:8.1f} s wall {cpu:8.1f} s cpu   peak RSS {peak:7.0f} MB", flush=True)
    return out


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, required=True, help="fresh working root (must not exist or be empty)")
    ap.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    ap.add_argument("--jobs", type=int, default=2, help="processes per import (default 2)")
    ap.add_argument("--no-html", action="store_true", help="build tables only")
    args = ap.parse_args()
    root: Path = args.root
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"--root {root} is not empty")
    (root / "submissions").mkdir(parents=True, exist_ok=True)
    embedded = sorted(p for p in (REPO / "submissions").glob("locbench-*") if p.is_dir())
    for p in embedded:
        shutil.copytree(p, root / "submissions" / p.name)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1764547200")}
    cli = [sys.executable, "-m", "locbench"]
    print(f"before: {uptime()}  (cpus: {os.cpu_count()})", flush=True)
    rows: list[tuple] = []
    t_all = time.perf_counter()
    stage("import torchspatial", [*cli, "import", "torchspatial", str(args.reference / "torchspatial"),
                                  "--root", str(root), "--jobs", str(args.jobs)], env, rows)
    stage("import geobs", [*cli, "import", "geobs", str(args.reference / "geobs" / "foundation_model_result_tables"),
                           "--root", str(root), "--jobs", str(args.jobs)], env, rows)
    folders = [str(root / "submissions" / p.name) for p in embedded]
    stage(f"submit {len(embedded)} embedded runs", [sys.executable, "-c", SUBMIT_ALL, str(root), *folders], env, rows)
    build = [*cli, "leaderboard", "build", "--root", str(root)] + (["--no-html"] if args.no_html else [])
    stage("leaderboard build", build, env, rows)
    total = time.perf_counter() - t_all
    n_results = len(list((root / "results").glob("*/*.json")))
    print(f"after: {uptime()}")
    print(f"total {total:.1f} s wall ({total / 60:.1f} min), {sum(r[2] for r in rows):.1f} s cpu; "
          f"{n_results} result files; target < 20 min on 2 cores (goal 10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
