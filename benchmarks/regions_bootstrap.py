"""Time the scoring-time regional breakdown and bootstrap intervals (issue 11.5/11.6) at growing sizes.

Prints rows, seconds per stage and the time ratio between sizes (near-linear expected). Synthetic rows
(global uniform locations, 60% hit rate, 20 classes) unless --file names a TorchSpatial-style CSV with
lon, lat, hit@1 columns, whose real locations are then resampled to each size. Seeded.

    python benchmarks/regions_bootstrap.py --sizes 10000 50000
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from locbench import bootstrap, regions


def frame(n: int, seed: int, source: pd.DataFrame | None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if source is not None:
        pick = source.iloc[rng.integers(0, len(source), n)].reset_index(drop=True)
        lon, lat, hit = pick["lon"].to_numpy(), pick["lat"].to_numpy(), pick["hit@1"].to_numpy(dtype=float)
    else:
        lon, lat, hit = rng.uniform(-180, 180, n), rng.uniform(-60, 75, n), (rng.random(n) < 0.6).astype(float)
    y = rng.integers(0, 20, n).astype(str)
    return pd.DataFrame({"sample_id": [f"s{i}" for i in range(n)], "lon": lon, "lat": lat, "hit@1": hit,
                         "hit@3": hit, "reciprocal_rank": hit, "y_true": y, "y_pred": np.where(hit > 0, y, "x"),
                         "y_num": rng.normal(size=n)})


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--file", default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    source = pd.read_csv(args.file, usecols=["lon", "lat", "hit@1"]).dropna() if args.file else None
    print(f"load average {os.getloadavg()[0]:.2f}; locations: {args.file or 'synthetic uniform'}")
    heads = ("regions cold", "regions warm", "boot top1", "boot macroF1", "boot r2")
    print(f"{'rows':>8} " + " ".join(f"{h:>{w}}" for h, w in zip(heads, (13, 13, 10, 13, 8))))
    prev = None
    for n in args.sizes:
        df = frame(n, args.seed, source)
        reg = pd.DataFrame({"sample_id": df["sample_id"], "y_true": df["y_num"], "y_pred": df["y_num"] * 0.8})
        regions._ASSIGNED.clear()
        times = [timed(lambda: regions.region_breakdown(df, "top1")),
                 timed(lambda: regions.region_breakdown(df, "top1")),
                 timed(lambda: bootstrap.bootstrap_ci(df, "top1")),
                 timed(lambda: bootstrap.bootstrap_ci(df, "macro_f1")),
                 timed(lambda: bootstrap.bootstrap_ci(reg, "r2"))]
        print(f"{n:>8} " + " ".join(f"{t:>{w}.2f}" for t, w in zip(times, (13, 13, 10, 13, 8))))
        if prev is not None:
            print(f"{'ratio':>8} " + " ".join(f"{t / p:>{w}.2f}" for t, p, w in zip(times, prev, (13, 13, 10, 13, 8)))
                  + f"   (size ratio {n / args.sizes[args.sizes.index(n) - 1]:.1f})")
        prev = times


if __name__ == "__main__":
    main()
