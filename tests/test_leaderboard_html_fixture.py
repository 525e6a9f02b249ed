"""A seeded synthetic leaderboard version folder, written exactly in the docs/architecture.md contract.

Why: the HTML renderer must be testable before (and independently of) the build step, on
inputs that exercise every hard case: 18 models (16 TorchSpatial-like + a hostile name + an
embedded run), LocBench + GAIR + embedded groups, missing cells, NaN geo-bias values,
unverified submissions, and per-sample prediction files referenced by result files.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HOSTILE = "<script>alert(1)</script>"

CSV_COLUMNS = ["model_id", "model_name", "dataset", "group", "task_type", "split", "primary_metric",
               "primary_value", "rank", "top1", "top3", "mrr", "macro_f1", "r2", "mae", "rmse", "unmarked_ssi",
               "marked_ssi", "sri_scale_grid", "sri_distance_lag", "sri_direction_sector", "morans_i", "verified",
               "n_rows", "n_located", "source"]

TS_MODELS = ["no_prior", "tile_ffn", "wrap", "wrap_ffn", "rbf", "rff", "Space2Vec-grid", "Space2Vec-theory",
             "xyz", "NeRF", "Sphere2Vec-sphereC", "Sphere2Vec-sphereC+", "Sphere2Vec-sphereM",
             "Sphere2Vec-sphereM+", "Sphere2Vec-dfs", "spherical_harmonics"]

# name -> (group, task_type, primary_metric, higher_is_better, split, bbox lon0, lon1, lat0, lat1)
DATASETS = {
    "birdsnap": ("locbench", "classification", "top1", True, "test", -125, -60, 20, 55),
    "inat2018": ("locbench", "classification", "top1", True, "val", -180, 180, -60, 75),
    "mosaiks_population": ("locbench", "regression", "r2", True, "test", -125, -67, 25, 50),
    "gair_eurosat": ("gair", "classification", "top1", True, "test", -10, 30, 35, 60),
    "embedded_cities": ("embedded", "classification", "top1", True, "test", -180, 180, -50, 70),
    "embedded_elevation": ("embedded", "regression", "mae", False, "test", -180, 180, -55, 70),
}
SPECIES = ("birdsnap", "inat2018")
WITH_PREDICTIONS = {("torchspatial-nerf", "birdsnap"), ("torchspatial-nerf", "mosaiks_population"),
                    ("hostile-model", "birdsnap")}
N_PRED = 300


def _models() -> dict[str, dict]:
    cards: dict[str, dict] = {}
    for name in TS_MODELS:
        mid = "torchspatial-" + name.lower().replace("+", "-plus").replace("_", "-")
        cards[mid] = {"name": name, "description": f"TorchSpatial {name} location encoder (imported results).",
                      "authors": "Wu et al.", "paper": "https://arxiv.org/abs/2406.15658",
                      "licence": "MIT", "source": "torchspatial-import"}
    cards["hostile-model"] = {"name": HOSTILE, "description": "<img src=x onerror=alert(2)> & \u2028 </script>",
                              "authors": "<b>Mallory</b>", "paper": "javascript:alert(3)", "licence": "CC-BY-4.0",
                              "source": "submission"}
    cards["locbench-sphere2vec-spherem"] = {"name": "Sphere2Vec-sphereM (locbench run)",
                                            "description": "Our own evaluate run on the embedded datasets.",
                                            "authors": "locbench", "licence": "MIT", "source": "evaluate"}
    return cards


def _participates(mid: str, ds: str, group: str) -> bool:
    if group == "embedded":
        return mid in ("locbench-sphere2vec-spherem", "hostile-model", "torchspatial-nerf")
    if group == "gair":
        return mid in ("torchspatial-nerf", "torchspatial-wrap", "hostile-model", "torchspatial-rbf")
    return mid != "locbench-sphere2vec-spherem" and not (mid == "torchspatial-xyz" and ds == "inat2018")


def _predictions(rng: np.random.Generator, ds: str, task: str, n: int) -> list[dict]:
    _, _, _, _, _, lo0, lo1, la0, la1 = DATASETS[ds]
    lon = rng.uniform(lo0, lo1, n)
    lat = rng.uniform(la0, la1, n)
    rows = []
    for i in range(n):
        located = i % 37 != 5
        lo, la = (round(float(lon[i]), 4), round(float(lat[i]), 4)) if located else (math.nan, math.nan)
        if task == "classification":
            p_hit = 0.85 if lon[i] < (lo0 + lo1) / 2 else 0.45  # errors cluster in the east: LISA has something to find
            y = int(rng.integers(0, 20))
            hit = bool(rng.random() < p_hit)
            rank = 1 if hit else int(rng.integers(2, 6))
            rows.append({"sample_id": f"s{i:05d}", "lon": lo, "lat": la, "y_true": y, "y_pred": y if hit else (y + 1) % 20,
                         "true_class_prob": round(float(rng.uniform(0.5, 1) if hit else rng.uniform(0, 0.5)), 4),
                         "reciprocal_rank": 1.0 / rank, "hit@1": float(hit), "hit@3": float(rank <= 3)})
        else:
            yt = float(rng.normal(100, 30))
            rows.append({"sample_id": f"s{i:05d}", "lon": lo, "lat": la, "y_true": round(yt, 3),
                         "y_pred": round(yt + float(rng.normal(0, 5 + abs(float(lat[i])))), 3)})
    return rows


@dataclass(frozen=True)
class _Spec:
    """The DatasetSpec fields build_result reads, for the fixture's synthetic datasets."""

    name: str
    task_type: str
    primary_metric: str
    group: str
    reported_split: str
    targets: tuple[str, ...] = ()
    version: str = "1"
    n_eval_rows: int | None = None


def _write_result(root: Path, mid: str, ds: str, preds: pd.DataFrame, pfile: str) -> None:
    """A real result file (metrics, geo-bias autocorrelation, map layers) for one fixture predictions file."""
    from locbench.results import build_result, write_result

    group, task, pm, _, split, *_ = DATASETS[ds]
    spec = _Spec(ds, task, pm, group, split)
    res = build_result(model_id=mid, spec=spec, split=split, predictions=preds, source="import",
                       geobias_kwargs={"scores": ("autocorr",)}, predictions_file=pfile)
    write_result(root, res)


def make_version(root: Path, *, version: str = "v0002", seed: int = 0) -> Path:
    """Write `root/leaderboard/<version>/` (+ results and predictions under root); return the version folder."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    vdir = root / "leaderboard" / version
    vdir.mkdir(parents=True, exist_ok=True)
    cards = _models()
    skill = {mid: float(rng.normal(0, 1)) for mid in cards}
    rows: list[dict] = []
    for ds, (group, task, pm, hib, split, *_bbox) in DATASETS.items():
        base_unmarked = float(rng.uniform(5, 60))
        ds_rows = []
        for mid, card in cards.items():
            if not _participates(mid, ds, group):
                continue
            s = skill[mid] + float(rng.normal(0, 0.3))
            m: dict[str, float] = {k: math.nan for k in ("top1", "top3", "mrr", "macro_f1", "r2", "mae", "rmse")}
            if task == "classification":
                m["top1"] = round(70 + 3 * s, 4)
                m["top3"] = round(min(99.0, m["top1"] + 12), 4)
                m["mrr"] = round(m["top1"] / 100 + 0.05, 4)
                m["macro_f1"] = round(m["top1"] / 110, 4)
            else:
                m["r2"] = round(0.6 + 0.08 * s, 4)
                m["mae"] = round(12 - 2 * s, 4)
                m["rmse"] = round(m["mae"] * 1.4, 4)
            g = {"unmarked_ssi": round(base_unmarked, 4), "marked_ssi": round(base_unmarked * 0.8 + 3 * s, 4),
                 "sri_scale_grid": round(0.02 + 0.01 * abs(s), 5), "sri_distance_lag": round(0.015 + 0.004 * s * s, 5),
                 "sri_direction_sector": round(0.03 + 0.002 * abs(s), 5), "morans_i": round(0.05 * s, 4),
                 "morans_i_p": 0.01, "gearys_c": round(1 - 0.05 * s, 4), "ssi_n_nan": 2, "ssi_n_saturated": 7}
            if mid == "torchspatial-rbf" and ds == "birdsnap":
                g["marked_ssi"] = math.nan  # every ROI NaN: the cell must show as missing
            verified = card["source"] != "submission"
            n_rows = 2262 if ds == "birdsnap" else 1000
            row = {"model_id": mid, "model_name": card["name"], "dataset": ds, "group": group, "task_type": task,
                   "split": split, "primary_metric": pm, "primary_value": m[pm], "rank": 0, **m,
                   **{k: g[k] for k in CSV_COLUMNS if k in g}, "verified": verified, "n_rows": n_rows,
                   "n_located": n_rows - 45, "source": card["source"],
                   "metrics": {k: v for k, v in m.items() if not math.isnan(v)}, "geobias": g}
            ds_rows.append(row)
        order = sorted(ds_rows, key=lambda r: -r["primary_value"] if hib else r["primary_value"])
        for i, r in enumerate(order):
            r["rank"] = i + 1
        rows += ds_rows
    aggregates = {}
    for mid in cards:
        mine = [r for r in rows if r["model_id"] == mid]
        sp = [r["top1"] for r in mine if r["dataset"] in SPECIES]
        aggregates[mid] = {"mean_rank": round(float(np.mean([r["rank"] for r in mine])), 4) if mine else None,
                           "locbench_species_avg": round(float(np.mean(sp)), 4) if len(sp) == len(SPECIES) else None}
    for mid, ds in sorted(WITH_PREDICTIONS):
        task = DATASETS[ds][1]
        preds = _predictions(np.random.default_rng([seed, len(mid), len(ds)]), ds, task, N_PRED)
        pfile = Path("submissions") / mid / f"{ds}.csv"
        (root / pfile).parent.mkdir(parents=True, exist_ok=True)
        with open(root / pfile, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(preds[0]))
            w.writeheader()
            w.writerows(preds)
        _write_result(root, mid, ds, pd.read_csv(root / pfile, dtype={"sample_id": str}), str(pfile))
    with open(vdir / "scores.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
    columns = [{"key": k, "label": k, "higher_is_better": hib, "description": f"{k} from the fixture"}
               for k, hib in (("top1", True), ("r2", True), ("mae", False), ("marked_ssi", False))]
    doc = {"version": version, "created": "2026-11-27T04:00:00Z", "rows": rows, "models": cards,
           "datasets": {ds: {"group": v[0], "task_type": v[1], "primary_metric": v[2], "higher_is_better": v[3],
                             "description": f"Synthetic {ds} <em>dataset</em>"} for ds, v in DATASETS.items()},
           "aggregates": aggregates, "columns": columns,
           "geobias_params": {"preset": "torchspatial", "radius": 0.05, "radius_unit": "rad", "roi_k": 100,
                              "weight_k": 4, "scale": 0.025, "lag": 0.005, "sectors": 8, "permutations": 99}}
    (vdir / "scores.json").write_text(json.dumps(doc, allow_nan=True).replace("NaN", "null"))
    (vdir / "manifest.json").write_text(json.dumps({"version": version, "inputs": {}, "locbench": "0.1.0"}))
    (vdir / "CHANGES.md").write_text(f"# {version}\n\n- added {HOSTILE} (submission)\n- 18 models, 6 datasets\n")
    return vdir


def test_fixture_follows_the_scores_contract(tmp_path: Path) -> None:
    vdir = make_version(tmp_path)
    with open(vdir / "scores.csv") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == CSV_COLUMNS
        rows = list(reader)
    doc = json.loads((vdir / "scores.json").read_text())
    assert len(rows) == len(doc["rows"]) > 0
    assert len({r["model_id"] for r in rows}) == 18
    assert {d["group"] for d in doc["datasets"].values()} == {"locbench", "gair", "embedded"}
    assert any(r["marked_ssi"] == "" for r in rows)  # a NaN cell exists
    assert any(r["verified"] == "False" for r in rows)
    for mid, ds in WITH_PREDICTIONS:
        res = json.loads((tmp_path / "results" / mid / f"{ds}.json").read_text())
        assert (tmp_path / res["predictions_file"]).exists()
