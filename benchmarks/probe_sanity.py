"""Probe sanity table: frozen encoders vs the best plain scikit-learn read-out, and trained runs' convergence.

For each frozen encoder (GeoCLIP when installed; a frozen random-init Sphere2Vec-sphereM as the
control) on each embedded classification/regression dataset: the locbench default probe's location
metric beside the best LogisticRegression (C in 0.01, 0.1, 1, 10) / Ridge (alpha in 0.1 ... 1000) on the same
standardised embeddings and rows; the probe passes within 1 top-1 point / 0.01 R²
(`locbench.probes.sanity`). Then every shipped run record (submissions/locbench-*/<dataset>.run.json)
is judged for convergence: final-epoch relative loss change < 1 %, or the probe stopped early.

    python benchmarks/probe_sanity.py                          # full table (~10 min on 2 busy cores)
    python benchmarks/probe_sanity.py --max-train-rows 3000 --datasets embedded-land-sea
    python benchmarks/probe_sanity.py --skip-frozen --json out.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("embedded-cities-continent", "embedded-land-sea", "embedded-koppen", "embedded-cities-population",
            "embedded-elevation", "embedded-elevation-location")


def frozen_table(datasets: list[str], max_train_rows: int | None, seed: int) -> list[dict]:
    import numpy as np

    from locbench.datasets import load_split
    from locbench.encoders.geoclip import geoclip_available, load_geoclip
    from locbench.probes.sanity import check_frozen, frozen_random_control

    rows = []
    for ds in datasets:
        train, test = load_split(ds, split="train"), load_split(ds, split="test")
        if max_train_rows and len(train.sample_ids) > max_train_rows:
            keep = np.sort(np.random.default_rng(seed).choice(len(train.sample_ids), max_train_rows, replace=False))
            train = train.subset(keep)
        encoders = [("random-init Sphere2Vec-sphereM (frozen)", frozen_random_control(ds, seed))]
        if geoclip_available():
            encoders.insert(0, ("GeoCLIP", load_geoclip()))
        for name, module in encoders:
            row = check_frozen(name, module, train, test, seed=seed).to_dict()
            rows.append(row)
            print(f"{'ok  ' if row['ok'] else 'FAIL'} {name:42s} {ds:28s} {row['metric']:4s} locbench {row['locbench']:8.4f}"
                  f"  sklearn {row['sklearn_best']:8.4f} ({row['sklearn_setting']})  gap {row['gap']:+.4f}"
                  f"  {row['probe_seconds']:.1f} s  selected {row['selection']}", flush=True)
    return rows


def convergence_table(root: Path) -> list[dict]:
    from dataclasses import asdict

    from locbench.probes.sanity import CONVERGENCE_THRESHOLD, convergence

    rows = []
    for path in sorted(root.glob("submissions/locbench-*/*.run.json")):
        row = convergence(path)
        if row is None:
            continue
        rows.append(asdict(row))
    bad = [r for r in rows if not r["converged"]]
    print(f"\nshipped trained runs: {len(rows)} with a loss curve; {len(bad)} not converged "
          f"(final-epoch relative loss change >= {CONVERGENCE_THRESHOLD:.0%} and no early stop):")
    for r in bad:
        print(f"  {r['model_id']:36s} {r['dataset']:28s} epochs {r['epochs']:3d}  final change "
              f"{r['final_relative_change']:.3%}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--max-train-rows", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-frozen", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    out = {"frozen": [] if args.skip_frozen else frozen_table(args.datasets, args.max_train_rows, args.seed),
           "convergence": convergence_table(ROOT)}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
