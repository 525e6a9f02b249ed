"""Wall time and peak memory of each Geo-Bias Score, on synthetic global data and the iNat2018 file.

Each (input, score) runs in a fresh subprocess so its peak RSS is its own (the RSS includes the
Python interpreter and numpy/scipy, reported separately as "base"). Unmarked and marked SSI share
one weight graph and are computed together; the reference needs ~299 + ~316 s for them on the
iNat2018 NeRF file (conformance README, "Reference timings", same 2-core machine class).

    python benchmarks/geobias.py                         # 10k, 50k, 100k, 500k + iNat2018 (long)
    python benchmarks/geobias.py --sizes 10000 --scores ssi,sri_distance_lag
    python benchmarks/geobias.py --sizes "" --inat ../shared/reference/torchspatial/classification/eval_inat_2018__val_NeRF.csv.gz
    python benchmarks/geobias.py --sizes "" --scores score_all          # one georbias.score() call, all scores
    python benchmarks/geobias.py --sizes "" --scores reference_ties     # SSI with reference_ties=True
    python benchmarks/geobias.py --scaling --sizes 10000,30000,100000,300000,1000000 --baseline /work/main
    python benchmarks/geobias.py --scaling --scaling-score score_nosri --sizes 10000,100000,300000,1000000 \
        --baseline /tmp/base --baseline-max 300000        # SSI + autocorrelation + headline, no SRI
    python benchmarks/geobias.py --scaling --scaling-score sri --sizes 10000,100000,1000000 --baseline /work/main

`sri` is the three SRI variants in one `sri_scores` call with the default preset (`sri_locbench`:
the locbench preset). `score_all` is the default georbias.score() call (unmarked + marked SSI, the
three SRI variants, autocorrelation) against the reference's summed cost (~909 s). `reference_ties` runs SSI with
`reference_ties=True` and reports the cost per ROI sent through the reference recipe; its ratio
is to the reference's ~25.3 ms per ROI (unmarked + marked). Both also run on the two duplicate
conformance cases when `--dups` is given. Every line carries the load average (1 min) at its end,
because the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INAT = ROOT.parent / "shared" / "reference" / "torchspatial" / "classification" / "eval_inat_2018__val_NeRF.csv.gz"
SCORES = ("ssi", "sri_scale_grid", "sri_distance_lag", "sri_direction_sector", "autocorr", "score_all",
          "score_nosri", "reference_ties", "sri", "sri_locbench")
DUPS_CASES = ("ssi_inat2018_nerf_europe_dups", "ssi_fmow_nerf_dups")
REFERENCE_PER_ROI_S = (299.0 + 316.0) / 24_343  # unmarked + marked SSI, per ROI
# Reference timings on the iNat2018 NeRF file (24,343 located rows), conformance README.
REFERENCE_S = {"ssi": 299.0 + 316.0, "sri_scale_grid": 112.0, "sri_distance_lag": 73.0, "sri_direction_sector": 109.0,
               "score_all": 299.0 + 316.0 + 112.0 + 73.0 + 109.0}
REFERENCE_MB = {"ssi": 236.0, "sri_scale_grid": 4790.0, "sri_distance_lag": 4790.0, "sri_direction_sector": 4790.0}


def synthetic(n: int, seed: int):
    """Global clustered points (80 % in 300 clusters of varied spread, 20 % uniform) and 0/1 hits."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_cl = 300
    c_lat = np.degrees(np.arcsin(rng.uniform(-0.9, 0.95, n_cl)))
    c_lon = rng.uniform(-180, 180, n_cl)
    spread = np.exp(rng.uniform(np.log(0.3), np.log(6.0), n_cl))  # degrees
    n_clustered = int(0.8 * n)
    which = rng.integers(0, n_cl, n_clustered)
    lat = c_lat[which] + rng.normal(0, 1, n_clustered) * spread[which]
    lon = c_lon[which] + rng.normal(0, 1, n_clustered) * spread[which] / np.maximum(np.cos(np.radians(c_lat[which])), 0.2)
    lat = np.concatenate([lat, np.degrees(np.arcsin(rng.uniform(-1, 1, n - n_clustered)))])
    lon = np.concatenate([lon, rng.uniform(-180, 180, n - n_clustered)])
    lat = np.clip(lat, -89.9, 89.9)
    lon = (lon + 180.0) % 360.0 - 180.0
    p_hit = 0.35 + 0.5 * (np.abs(lat) < 45)
    hit = (rng.random(n) < p_hit).astype(float)
    return lon, lat, hit


def load_inat(path: Path):
    """Located rows of a per-sample file with lon, lat, hit@1 (the iNat file or a conformance input)."""
    import pandas as pd

    df = pd.read_csv(path).dropna(subset=["lon", "lat"])
    return df["lon"].to_numpy(), df["lat"].to_numpy(), df["hit@1"].to_numpy(dtype=float)


def run_one(source: str, score: str, seed: int) -> dict:
    """Child process: load the input, run one score, report wall time and peak RSS."""
    import numpy as np

    lon, lat, v = load_inat(Path(source)) if not source.isdigit() else synthetic(int(source), seed)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    c0 = time.process_time()
    if score == "ssi":
        from georbias.presets import get_preset
        from georbias.ssi import ssi_scores

        r = ssi_scores(np.radians(lat), np.radians(lon), v, preset=get_preset("torchspatial"))
        value = r.aggregates()["marked"]["mean"]
    elif score in ("sri", "sri_locbench"):   # the three SRI variants in one call (default / locbench preset)
        from georbias.config import DEFAULTS
        from georbias.sri import sri_scores

        r = sri_scores(lon, lat, v, preset="locbench" if score == "sri_locbench" else DEFAULTS.preset)
        value = r.summary()["sri_scale_grid"]
    elif score.startswith("sri_"):
        from georbias.sri import sri_scores

        r = sri_scores(lon, lat, v, preset="torchspatial", variants=(score[4:],))
        value = r.summary()[score]
    elif score in ("score_all", "score_nosri"):   # score_nosri: SSI, autocorrelation and the headline
        import georbias

        value = georbias.score(lon, lat, v, scores=None if score == "score_all" else "ssi,autocorr").summary["marked_ssi"]
    elif score == "reference_ties":
        from georbias.presets import get_preset
        from georbias.ssi import ssi_scores

        r = ssi_scores(lat / 180 * np.pi, lon / 180 * np.pi, v, preset=get_preset("torchspatial"),
                       reference_ties=True)
        value = float(r.reference_path.sum())  # ROIs sent through the reference recipe
    else:
        from georbias.autocorrelation import autocorrelation_scores

        r = autocorrelation_scores(lon, lat, v, k=4, permutations=99, seed=seed)
        value = r.summary()["morans_i"]
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": int(len(lon)), "wall_s": wall, "cpu_s": cpu, "peak_mb": peak, "base_mb": base, "value": float(value)}


def _sources(args: argparse.Namespace) -> list[str]:
    """What to measure: synthetic sizes, then the iNat2018 file and the duplicate cases when present."""
    sources = [s for s in args.sizes.split(",") if s.strip()]
    if args.inat and Path(args.inat).exists():
        sources.append(args.inat)
    elif args.inat:
        print(f"(iNat file not found: {args.inat}; skipped)", file=sys.stderr)
    if args.dups:
        conf = ROOT.parent / "shared" / "conformance" / "geobias"
        sources += [str(conf / c / "input.csv") for c in DUPS_CASES if (conf / c / "input.csv").exists()]
    return sources


def _child(src: str, score: str, seed: int, engine: Path, timeout: float) -> dict | str:
    """One measurement in a fresh process whose `georbias` comes from the checkout `engine`."""
    env = dict(os.environ, PYTHONPATH=str(engine))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", src, score, "--seed", str(seed)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=engine, env=env)
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s"
    if out.returncode != 0:
        return "failed: " + " ".join(out.stderr.strip().splitlines()[-1:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def fitted_exponent(ns: list[int], ts: list[float]) -> float:
    """Slope of log(time) against log(n), least squares: 1 is linear, 2 quadratic."""
    import numpy as np

    if len(ns) < 2:
        return float("nan")
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def scaling(args: argparse.Namespace) -> int:
    """`--scaling-score` (default score_all) on synthetic sizes: this engine, and `--baseline` (another
    checkout) up to --baseline-max; wall and CPU seconds, peak RSS, and the fitted exponent of each."""
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    score = args.scaling_score
    engines = [("this", ROOT)] + ([("baseline", Path(args.baseline).resolve())] if args.baseline else [])
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"score: {score}")
    print(f"{'n':>9} " + " ".join(f"{name + ' s':>13} {name + ' cpu s':>13} {name + ' MB':>12}"
                                  for name, _ in engines) + "  load1")
    fits: dict[str, tuple[list[int], list[float]]] = {name: ([], []) for name, _ in engines}
    for n in sizes:
        cells = []
        for name, root in engines:
            if name == "baseline" and n > args.baseline_max:
                cells.append(f"{'(skipped)':>13} {'':>13} {'':>12}")
                continue
            r = _child(str(n), score, args.seed, root, args.timeout)
            if isinstance(r, str):
                cells.append(f"{r:>13} {'':>13} {'':>12}")
                continue
            fits[name][0].append(n)
            fits[name][1].append(r["wall_s"])
            cells.append(f"{r['wall_s']:13.1f} {r['cpu_s']:13.1f} {r['peak_mb']:12.0f}")
        print(f"{n:>9} " + " ".join(cells) + f"  {os.getloadavg()[0]:.1f}", flush=True)
    for name, (ns, ts) in fits.items():
        print(f"fitted exponent ({name}, time ~ n^b over {len(ns)} sizes): b = {fitted_exponent(ns, ts):.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000,100000,500000", help="comma list of synthetic sizes ('' = none)")
    ap.add_argument("--scores", default=",".join(SCORES), help=f"comma list from {','.join(SCORES)}")
    ap.add_argument("--inat", default=str(DEFAULT_INAT), help="iNat2018 NeRF eval CSV ('' = skip)")
    ap.add_argument("--dups", action="store_true", help="also run the two duplicate conformance cases")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per measurement")
    ap.add_argument("--one", nargs=2, metavar=("SOURCE", "SCORE"), help=argparse.SUPPRESS)
    ap.add_argument("--scaling", action="store_true", help="score_all on --sizes: n, wall s, peak RSS, fitted exponent")
    ap.add_argument("--baseline", default="", help="with --scaling: another checkout (e.g. /work/main) run side by side")
    ap.add_argument("--baseline-max", type=int, default=300_000, help="largest n the baseline is run on")
    ap.add_argument("--scaling-score", default="score_all", choices=("score_all", "score_nosri", "sri", "sri_locbench"),
                    help="with --scaling: every default score, SSI + autocorrelation + headline (no SRI), or the "
                         "three SRI variants alone (default / locbench preset)")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], args.seed)))
        return 0
    if args.scaling:
        return scaling(args)
    return per_score_table(ap, args)


def per_score_table(ap: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """One subprocess per (input, score): wall, CPU, peak RSS and the reference's time where known."""
    scores = [s for s in args.scores.split(",") if s]
    bad = [s for s in scores if s not in SCORES]
    if bad:
        ap.error(f"unknown score(s) {bad}")
    sources = _sources(args)
    print(f"{os.cpu_count()} CPUs visible; load average {os.getloadavg()[0]:.1f} (timings are inflated by other load)")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    header = (f"{'input':>12} {'n':>8} {'score':>22} {'wall s':>8} {'cpu s':>7} {'peak MB':>8} {'base MB':>8} {'ref s':>7} "
              f"{'x faster':>8}  value  load1")
    print(header)
    print("-" * len(header))
    totals: dict[str, float] = {}
    cpu_totals: dict[str, float] = {}
    for src in sources:
        label = src if src.isdigit() else ("iNat2018" if src == args.inat else Path(src).parent.name[4:16])
        for score in scores:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--one", src, score, "--seed", str(args.seed)]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT)
            except subprocess.TimeoutExpired:
                print(f"{label:>12} {'':>8} {score:>22} {'timeout':>8}")
                continue
            if out.returncode != 0:
                print(f"{label:>12} {'':>8} {score:>22} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            totals[label] = totals.get(label, 0.0) + r["wall_s"]
            cpu_totals[label] = cpu_totals.get(label, 0.0) + r["cpu_s"]
            ref = REFERENCE_S.get(score) if label == "iNat2018" else None
            if score == "reference_ties":  # the reference's cost for the same number of ROIs
                ref = REFERENCE_PER_ROI_S * r["n"]
            ratio = f"{ref / r['wall_s']:8.0f}" if ref else f"{'':>8}"
            refs = f"{ref:7.0f}" if ref else f"{'':>7}"
            print(f"{label:>12} {r['n']:>8} {score:>22} {r['wall_s']:8.2f} {r['cpu_s']:7.2f} {r['peak_mb']:8.0f} {r['base_mb']:8.0f} "
                  f"{refs} {ratio}  {r['value']:.6g}  {os.getloadavg()[0]:.1f}", flush=True)
            if score == "reference_ties" and r["value"] > 0:
                print(f"{'':>12} reference recipe: {1000 * r['wall_s'] / r['value']:.1f} ms wall / "
                      f"{1000 * r['cpu_s'] / r['value']:.1f} ms CPU per resolved ROI ({int(r['value'])} of {r['n']}) "
                      f"vs the reference's {1000 * REFERENCE_PER_ROI_S:.1f} ms per ROI (unmarked + marked)", flush=True)
    for label, t in totals.items():
        print(f"total, {label}: wall {t:.1f} s, cpu {cpu_totals[label]:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
