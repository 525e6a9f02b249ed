"""CoordBench-compatible probes: `coordbench-linear` and `coordbench-knn` on frozen embeddings.

So our numbers can be set beside torchgeo-bench / geo-eval-harness's CoordBench protocol (frozen
location embeddings scored with a kNN-5 and a logistic-regression / linear probe, random or
spatial-block holdouts), implemented here from that description, not from their code:

* Features: the encoder's embedding of (lon, lat) (+ the split's image features when present), as
  in `locbench.probes.frozen`, standardised with the training rows' statistics. A trainable encoder
  is used as built with its seed (untrained): CoordBench scores an encoder's embeddings as they are.
* `coordbench-linear`: classification → multinomial logistic regression (lbfgs), C in `C_GRID`;
  regression → closed-form ridge on standardised targets, alpha in `ALPHA_GRID`. The regularisation
  is chosen by `FOLDS`-fold cross-validation on the training rows: random folds, or (`--holdout
  spatial-block`) folds of whole 10° x 10° lon/lat cells (cells dealt to folds in a seeded order).
  Mean fold top-1 (classification) or R² (regression) decides; ties → stronger regularisation.
  The probe is then refit on all training rows.
* `coordbench-knn`: Euclidean k = 5 nearest neighbours, uniform votes / mean (CoordBench's kNN-5).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from locbench.datasets.holdout import HOLDOUTS, lonlat_block_ids
from locbench.datasets.spec import DatasetSplit
from locbench.errors import InputError
from locbench.probes.common import EncoderRef, ProgressFn
from locbench.probes.frozen import _fallback, _fit_predict, _score, frozen_inputs
from locbench.training import FROZEN_MLP_TRAINING, TrainingConfig

C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
ALPHA_GRID = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
FOLDS = 5
KNN_K = 5


def fold_ids(lon: np.ndarray, lat: np.ndarray, *, k: int, method: str, seed: int) -> np.ndarray:
    """Fold 0..k-1 of every row: random rows, or whole 10° lon/lat cells for spatial-block."""
    if method not in HOLDOUTS:
        raise InputError(f"holdout must be one of {', '.join(HOLDOUTS)}, got {method!r}")
    rng = np.random.default_rng(seed)
    n = len(lon)
    folds = rng.permutation(np.arange(n) % k)
    if method == "random":
        return folds
    block = lonlat_block_ids(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    cells, inverse = np.unique(block, return_inverse=True)
    if (cells >= 0).sum() < k:  # too few cells to hold out spatially: random folds
        return folds
    cell_fold = rng.permutation(np.arange(len(cells)) % k)
    out = cell_fold[inverse]
    unloc = block < 0
    out[unloc] = folds[unloc]
    return out


def cross_validate(task: str, grid: tuple[Any, ...], x: np.ndarray, y: np.ndarray, folds: np.ndarray, c: int,
                   metric: str, progress: ProgressFn | None = None) -> dict[str, float]:
    """Mean validation score per grid value over the folds (folds with one side empty are skipped)."""
    cfg = FROZEN_MLP_TRAINING
    scores: dict[str, list[float]] = {str(h): [] for h in grid}
    k = int(folds.max()) + 1 if len(folds) else 0
    for f in range(k):
        val = folds == f
        if val.all() or not val.any():
            continue
        for hp in grid:
            p = _fit_predict("linear", task, hp, x[~val], y[~val], x[val], c, cfg)
            scores[str(hp)].append(_score(task, p, y[val], metric))
        if progress:
            progress("cross-validate", f + 1, k + 1)
    return {h: float(np.mean(v)) if v else float("nan") for h, v in scores.items()}


def run(kind: str, encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *, training: TrainingConfig,
        overrides: Mapping[str, Any] | None = None, progress: ProgressFn | None = None, holdout: str = "random",
        hparams: dict[str, Any] | None = None, preset: str | None = None,
        **options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cross-validate (linear) on the training rows, refit, predict test; (predictions, info)."""
    inp = frozen_inputs(kind, encoder, train, test, training=training, holdout=holdout, hparams=hparams, preset=preset)
    if inp.x_tr is None:
        return _fallback(test, inp.task, inp.y, inp.y_te, inp.c, inp.mu, inp.info)
    task, x_tr, x_te, info, c, y, t0 = inp.task, inp.x_tr, inp.x_te, inp.info, inp.c, inp.y, inp.t0
    metric = "top1" if task == "classification" else "r2"
    if kind == "coordbench-knn":
        best, config = KNN_K, {"k": KNN_K}
        pred = _fit_predict("knn", task, KNN_K, x_tr, y, x_te, c, FROZEN_MLP_TRAINING)
    else:
        grid = C_GRID if task == "classification" else ALPHA_GRID
        folds = fold_ids(train.lon, train.lat, k=FOLDS, method=holdout, seed=training.seed)
        cv = cross_validate(task, grid, x_tr, y, folds, c, metric, progress)
        vals = [cv[str(h)] for h in grid]
        # strongest regularisation first: small C / large alpha
        order = list(range(len(grid))) if task == "classification" else list(reversed(range(len(grid))))
        best = grid[max(order, key=lambda i: (np.nan_to_num(vals[i], nan=-np.inf), -order.index(i)))]
        config = {"grid": list(grid), "cv_scores": cv, "folds": FOLDS, "fold_method": holdout}
        pred = _fit_predict("linear", task, best, x_tr, y, x_te, c, FROZEN_MLP_TRAINING)
    info.update({"config": {**config, "selected": best, "selection_metric": metric},
                 "train_seconds": time.perf_counter() - t0, "n_features": int(x_tr.shape[1])})
    return inp.frame(test, pred), info
