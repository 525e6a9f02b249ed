"""Load times of the embedded datasets: cold (fresh process, empty data root), disk-cached, and warm.

    python benchmarks/datasets.py [--repeat 1]

Cold = a new Python process whose data root has no cache (includes importing locbench.datasets);
disk-cached = a new process that finds <data root>/.cache (only the land/sea labels are cached);
warm = the same load again inside one process (in-memory cache). Times are wall-clock seconds and
are inflated when other jobs share the CPUs; "cold cpu" is the process CPU time of the cold load,
which contention does not inflate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from locbench.datasets import load_split
name, root = sys.argv[1], sys.argv[2]
s = load_split(name, "test", root)
t1, c1 = time.perf_counter(), time.process_time()
s = load_split(name, "train", root, holdout="spatial-block")
t2 = time.perf_counter()
print(json.dumps({"first": t1 - t0, "first_cpu": c1 - c0, "warm": t2 - t1}))
"""

NAMES = ("embedded-cities-continent", "embedded-cities-population", "embedded-land-sea")


def run_child(name: str, root: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, name, root], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="cold runs per dataset (the minimum is reported)")
    args = parser.parse_args()
    print(f"{'dataset':30} {'cold s':>8} {'cold cpu s':>11} {'disk-cached s':>14} {'warm s':>8}")
    for name in NAMES:
        cold, cold_cpu, cached, warm = [], [], [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as root:
                first = run_child(name, root)
                second = run_child(name, root)
            cold.append(first["first"])
            cold_cpu.append(first["first_cpu"])
            cached.append(second["first"])
            warm.append(min(first["warm"], second["warm"]))
        print(f"{name:30} {min(cold):8.2f} {min(cold_cpu):11.2f} {min(cached):14.2f} {min(warm):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
