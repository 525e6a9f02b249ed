"""Validity suite V1-V5 for the headline geo-bias score (issue 12; docs/geobias.md "Headline score").

    PYTHONPATH=. python benchmarks/geobias_validity.py            # everything (V4 runs SSI on 64 files: minutes)
    PYTHONPATH=. python benchmarks/geobias_validity.py --no-ssi   # headline only (about a minute)

Locations are real: the iNat2018 validation samples of a TorchSpatial file (../shared/reference)
and the GeoNames cities of `embedded-cities-continent`; V5 uses `embedded-land-sea`. Errors are
placed by seeded scenarios (georbias.validity); the no-structure band is measured by permutations.
Prints one table per check and PASS/FAIL; exit code 1 if any check fails.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from georbias.headline import HEADLINE_K, headline_score
from georbias.validity import (BAND_SDS, concentrated_errors, densest_cell, nearest_label, null_band, spearman,
                               uniform_errors)

RATES = (0.1, 0.3, 0.5, 0.7)
CONCENTRATIONS = (0.0, 0.25, 0.5, 0.75, 1.0)
V3_RATE = 0.3
V4_DATASETS = (("BirdSnap", "birdsnap_orig_meta_test"), ("BirdSnap†", "birdsnap_ebird_meta_test"),
               ("NABirds†", "nabirds_ebird_meta_test"), ("iNat2018", "inat_2018__val"))
EUROPE = 3  # index of "EU" in locbench.datasets.embedded.CONTINENTS
TS_DIR = "reference/torchspatial/classification"


@dataclass(frozen=True)
class Locations:
    name: str
    lon: np.ndarray
    lat: np.ndarray
    continent: np.ndarray  # continent index per sample (embedded.CONTINENTS order)


def headline_value(lon: np.ndarray, lat: np.ndarray, hit: np.ndarray) -> float:
    h = headline_score(lon, lat, hit)
    return float("nan") if h.value is None else h.value


def ts_coords(shared: Path, ds: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of a TorchSpatial dataset (rbf file; rows are aligned across encoders, as the importer checks)."""
    import pandas as pd

    df = pd.read_csv(shared / TS_DIR / f"eval_{ds}_rbf.csv.gz")
    return df["lon"].to_numpy(float), df["lat"].to_numpy(float)


def location_sets(shared: Path | None, subset: int, seed: int) -> list[Locations]:
    from locbench.datasets import load_split

    cities = load_split("embedded-cities-continent", "all")
    out = [Locations("embedded-cities-continent", cities.lon, cities.lat, cities.labels)]
    if shared is not None:
        lon, lat = ts_coords(shared, "inat_2018__val")
        ok = np.isfinite(lon) & np.isfinite(lat)
        lon, lat = lon[ok], lat[ok]
        out.insert(0, Locations("iNat2018 (TorchSpatial val)", lon, lat,
                                nearest_label(lon, lat, cities.lon, cities.lat, cities.labels)))
    if subset:
        rng = np.random.default_rng(seed)
        out = [loc if len(loc.lon) <= subset else
               Locations(f"{loc.name} [{subset:,} of {len(loc.lon):,}]",
                         *(a[idx] for a in (loc.lon, loc.lat, loc.continent)))
               for loc in out for idx in [np.sort(rng.choice(len(loc.lon), subset, replace=False))]]
    return out


def check_v1(loc: Locations, seed: int) -> bool:
    rng = np.random.default_rng(seed)
    hit = uniform_errors(len(loc.lon), 0.3, rng)
    perm = rng.permutation(len(hit))
    a, b = headline_score(loc.lon, loc.lat, hit), headline_score(loc.lon[perm], loc.lat[perm], hit[perm])
    same = a == b
    print(f"  V1 row order: value {a.value!r} vs {b.value!r}; z {a.z!r} vs {b.z!r} -> "
          f"{'bit-identical' if same else 'DIFFERENT'}")
    return same


def check_v2(loc: Locations, n_perm: int, seed: int) -> tuple[bool, float]:
    rng = np.random.default_rng(seed)
    n = len(loc.lon)
    e0 = -1.0 / (n - 1)
    print(f"  V2 uniform errors (no-structure value -1/(n-1) = {e0:.2e}; band = mean ± {BAND_SDS:g} sd of {n_perm} "
          "permutations)")
    print(f"    {'rate':>5} {'score':>10} {'perm mean':>10} {'perm sd':>9} {'band low':>10} {'band high':>10}")
    draws, bands = [], []
    for rate in RATES:
        hit = uniform_errors(n, rate, rng)
        draws.append(headline_value(loc.lon, loc.lat, hit))
        bands.append(null_band(headline_value, loc.lon, loc.lat, hit, n_perm, rng))
        b = bands[-1]
        print(f"    {rate:>5.0%} {draws[-1]:>10.5f} {b.mean:>10.5f} {b.sd:>9.5f} {b.low:>10.5f} {b.high:>10.5f}")
    ok = all(b.contains(x) for b in bands for x in [*draws, e0])
    print(f"    every rate's score and the no-structure value inside every rate's band: {ok}")
    return ok, max(b.high for b in bands)


def contrast_v2_marked_ssi(loc: Locations, seed: int, subset: int = 4000) -> None:
    """Not a check: marked SSI (torchspatial) on the same kind of uniform errors, to show its rate dependence."""
    import georbias

    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(loc.lon), min(subset, len(loc.lon)), replace=False))
    lon, lat = loc.lon[idx], loc.lat[idx]
    vals = []
    for rate in RATES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", georbias.GeoBiasWarning)
            vals.append(georbias.score(lon, lat, uniform_errors(len(lon), rate, rng), scores="ssi")
                        .summary["marked_ssi"])
    print(f"  contrast: marked SSI (torchspatial) of uniform errors on {len(lon):,} of these samples: "
          + "  ".join(f"{r:.0%}: {v:.2f}" for r, v in zip(RATES, vals))
          + f"  (changes with the error rate alone: {'decreasing' if np.all(np.diff(vals) < 0) else 'not monotone'})")


def check_v3(loc: Locations, band_high: float, seed: int) -> bool:
    """Concentrated errors: increasing in the concentration, and above the V2 band from concentration 0.5 on."""
    rng = np.random.default_rng(seed)
    cell, cell_label = densest_cell(loc.lon, loc.lat)
    ok = True
    for label, mask in (("continent Europe", loc.continent == EUROPE), (cell_label, cell)):
        heads = [headline_score(loc.lon, loc.lat, concentrated_errors(mask, V3_RATE, c, rng)) for c in CONCENTRATIONS]
        vals = [h.value for h in heads]
        mono = bool(np.all(np.diff(vals) > 0))
        clear = all(v > band_high for c, v in zip(CONCENTRATIONS, vals) if c >= 0.5)
        ok &= mono and clear
        print(f"  V3 {label} ({int(mask.sum()):,} samples), {V3_RATE:.0%} errors; concentration: value (z)")
        print("    " + "  ".join(f"{c:g}: {h.value:.4f} ({h.z:.1f})" for c, h in zip(CONCENTRATIONS, heads)))
        print(f"    increasing: {mono}; above the V2 band high {band_high:.4f} from 0.5 on: {clear}")
    return ok


def check_v5() -> bool:
    from locbench.datasets import load_split

    ls = load_split("embedded-land-sea", "all")
    majority = int(np.bincount(ls.labels).argmax())
    hit = (ls.labels == majority).astype(float)
    h = headline_score(ls.lon, ls.lat, hit)
    ok = h.significant and h.z is not None and h.z > 10
    print(f"V5 embedded-land-sea ({len(hit):,} points), no prior = always '{ls.spec.class_names[majority]}' "
          f"(top-1 {hit.mean():.3f}): headline {h.value:.4f}, z {h.z:.1f}, p {h.p:.2g}, significant {h.significant} "
          f"-> {'PASS' if ok else 'FAIL'} (needs significant, z > 10)")
    return ok


def v4_dataset(shared: Path, ds: str, with_ssi: bool) -> list[tuple[str, float, float, float]]:
    """(encoder, top-1, headline, marked SSI) for each of the 16 TorchSpatial models of one dataset."""
    import pandas as pd

    import georbias

    lon, lat = ts_coords(shared, ds)
    ok = np.isfinite(lon) & np.isfinite(lat)
    rows = []
    for path in sorted((shared / TS_DIR).glob(f"eval_{ds}_*.csv.gz")):
        enc = path.name[len(f"eval_{ds}_"):-len(".csv.gz")]
        hit = pd.read_csv(path)["hit@1"].to_numpy(float)
        ssi = float("nan")
        if with_ssi:
            with warnings.catch_warnings():  # many ROIs at the SSI cap: known for these sets, not news here
                warnings.simplefilter("ignore", georbias.GeoBiasWarning)
                ssi = georbias.score(lon, lat, hit, scores="ssi").summary["marked_ssi"]
        rows.append((enc, float(hit.mean()), headline_value(lon[ok], lat[ok], hit[ok]), ssi))
    return rows


def check_v4(shared: Path, with_ssi: bool, verbose: bool) -> None:
    print("V4 confound report: Spearman rank correlation with top-1 (mean hit@1) across the 16 TorchSpatial models")
    print(f"    {'dataset':<11} {'models':>6} {'rho(headline, top-1)':>21} {'rho(marked SSI, top-1)':>23}"
          "   least-biased by headline / by marked SSI (their top-1 rank of 16)")
    for label, ds in V4_DATASETS:
        rows = v4_dataset(shared, ds, with_ssi)
        enc, top1, head, ssi = (np.array(c) for c in zip(*rows))
        rank = {e: r for r, e in enumerate(enc[np.argsort(-top1, kind="stable")], start=1)}
        best_h = enc[int(np.argmin(head))]
        best_s = enc[int(np.nanargmin(ssi))] if with_ssi else "-"
        rho_s = spearman(ssi, top1) if with_ssi else float("nan")
        print(f"    {label:<11} {len(rows):>6} {spearman(head, top1):>21.2f} {rho_s:>23.2f}"
              f"   {best_h} ({rank[best_h]}) / {best_s} ({rank.get(best_s, '-')})")
        if verbose:
            for e, t, h, s in sorted(rows, key=lambda r: -r[1]):
                print(f"        {e:<22} top-1 {t:.4f}  headline {h:+.5f}  marked SSI {s:.3f}")


def headline_cost(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-180, 180, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    hit = uniform_errors(n, 0.3, rng)
    t = time.perf_counter()
    headline_score(lon, lat, hit)
    print(f"cost: headline on {n:,} points, k = {HEADLINE_K}: {time.perf_counter() - t:.2f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-perm", type=int, default=30, help="permutations per band (V2)")
    ap.add_argument("--subset", type=int, default=0, help="random subset of each location set (0 = all)")
    ap.add_argument("--no-ssi", action="store_true", help="V4 without marked SSI (SSI takes minutes on 64 files)")
    ap.add_argument("--verbose", action="store_true", help="V4: print every model")
    args = ap.parse_args(argv)
    shared = args.shared if (args.shared / TS_DIR).is_dir() else None
    if shared is None:
        print(f"note: {args.shared / TS_DIR} not found: iNat2018 locations and V4 skipped")
    ok = True
    for loc in location_sets(shared, args.subset, args.seed):
        print(f"== {loc.name}: {len(loc.lon):,} samples; headline = error Moran's I, tie-shared {HEADLINE_K}-NN")
        ok &= check_v1(loc, args.seed)
        v2_ok, band_high = check_v2(loc, args.n_perm, args.seed)
        ok &= v2_ok
        if not args.no_ssi:
            contrast_v2_marked_ssi(loc, args.seed)
        ok &= check_v3(loc, band_high, args.seed)
    ok &= check_v5()
    if shared is not None:
        check_v4(shared, not args.no_ssi, args.verbose)
    headline_cost(50_000, args.seed)
    print("validity suite:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
