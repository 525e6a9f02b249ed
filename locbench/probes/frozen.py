"""Frozen-embedding probes: `linear`, `knn`, `mlp` (for pretrained encoders and GAIR-style tasks).

Protocol (fixed defaults):

* Features: the frozen encoder's embedding of (lon, lat) (weights untouched, eval mode), concatenated
  with the split's `image_features` (user-supplied per-sample embeddings) when present. With neither
  (no prior, no features) the prediction is the training class frequencies / training mean.
  Features are standardised with training statistics; an unlocated row's location embedding is the
  training mean (zero after standardisation).
* Hyper-parameters are chosen on a validation split carved from train with the seed
  (`locbench.datasets.holdout.carve_validation`: random rows, or whole cells of the plain 10° lon/lat
  grid for spatial-block; 20 %), scored by top-1 (classification; macro-F1
  where that is the dataset's primary metric) or R^2 (regression); the probe is then refit on the whole
  training split. The reported split is never seen during selection.
  - `linear`: logistic regression (lbfgs, multinomial) with C in (0.01, 0.1, 1, 10), or ridge with
    alpha in (0.01, 0.1, 1, 10, 100, 1000) on standardised targets.
  - `knn`: Euclidean k-nearest neighbours, uniform votes / mean, k in (1, 5, 10, 25, 50).
  - `mlp`: one hidden layer (256, ReLU, dropout 0.1), Adam lr 1e-3, batch 256, at most `epochs` epochs
    (default 50; `locbench.training.FROZEN_MLP_TRAINING`, no lr decay) with early stopping on the validation
    rows (`locbench.probes.frozen_head`), weight decay in (0, 1e-4, 1e-2); refit on all of train for the
    selected epochs; cross-entropy or MSE on standardised targets.
* Classification scores are class probabilities; ranks use the tie rule of `locbench.probes.common`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from locbench.datasets.holdout import carve_validation
from locbench.datasets.spec import DatasetSplit
from locbench.probes.common import (EVAL_CHUNK, BuiltEncoder, EncoderRef, ProgressFn, build_encoder, check_split,
                                    located_mask, num_classes, rank_all, regression_frame)
from locbench.training import FROZEN_MLP_TRAINING, TrainingConfig

GRIDS: dict[str, dict[str, tuple[Any, ...]]] = {
    "linear": {"classification": (0.01, 0.1, 1.0, 10.0), "regression": (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)},
    "knn": {"classification": (1, 5, 10, 25, 50), "regression": (1, 5, 10, 25, 50)},
    "mlp": {"classification": (0.0, 1e-4, 1e-2), "regression": (0.0, 1e-4, 1e-2)},
}
MLP_LAYER = {"hidden": 256, "dropout": 0.1}


def _features(built: BuiltEncoder, split: DatasetSplit, device: str) -> np.ndarray | None:
    """Frozen location embedding (+ image features) as float64; None when there is nothing."""
    import torch

    parts = []
    if not built.is_no_prior:
        loc = located_mask(split)
        ll = np.stack([np.nan_to_num(split.lon), np.nan_to_num(split.lat)], axis=1).astype(np.float32)
        emb = np.full((len(ll), built.output_dim), np.nan)
        built.module.eval()
        rows = np.flatnonzero(loc)
        with torch.no_grad():
            for s in range(0, len(rows), EVAL_CHUNK):
                r = rows[s:s + EVAL_CHUNK]
                emb[r] = built.module.to(device)(torch.from_numpy(ll[r]).to(device)).double().cpu().numpy()
        parts.append(emb)
    if split.image_features is not None:
        parts.append(np.asarray(split.image_features, dtype=np.float64))
    return np.hstack(parts) if parts else None


def _standardise(tr: np.ndarray, te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = np.nanmean(tr, axis=0)
    mu = np.where(np.isfinite(mu), mu, 0.0)
    sd = np.nanstd(tr, axis=0)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    return np.nan_to_num((tr - mu) / sd), np.nan_to_num((te - mu) / sd)


def _fit_predict(kind: str, task: str, hp: Any, x: np.ndarray, y: np.ndarray, xq: np.ndarray,
                 c: int, mlp: TrainingConfig) -> np.ndarray:
    """Fit one probe and return class probabilities (n, C) or standardised predictions (n, T)."""
    import warnings

    with warnings.catch_warnings():  # small validation folds make sklearn chatty; results are what they are
        warnings.simplefilter("ignore", UserWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit_predict_raw(kind, task, hp, x, y, xq, c, mlp)


def _fit_predict_raw(kind: str, task: str, hp: Any, x: np.ndarray, y: np.ndarray, xq: np.ndarray,
                     c: int, mlp: TrainingConfig) -> np.ndarray:
    seed = mlp.seed
    if task == "classification":
        if kind == "linear":
            return fit_logistic(x, y, c, hp, seed)(xq)
        from sklearn.neighbors import KNeighborsClassifier

        model = KNeighborsClassifier(n_neighbors=min(int(hp), len(y)))
        if len(np.unique(y)) == 1:
            return _one_class(y[0], len(xq), c)
        model.fit(x, y)
        return _all_columns(model, xq, c)
    if kind == "linear":
        from sklearn.linear_model import Ridge

        return Ridge(alpha=hp).fit(x, y).predict(xq).reshape(len(xq), -1)
    from sklearn.neighbors import KNeighborsRegressor

    return KNeighborsRegressor(n_neighbors=min(int(hp), len(y))).fit(x, y).predict(xq).reshape(len(xq), -1)


def fit_logistic(x: np.ndarray, y: np.ndarray, c: int, inv_l2: float, seed: int,
                 max_iter: int = 300) -> Callable[[np.ndarray], np.ndarray]:
    """Multinomial logistic regression (L-BFGS, sklearn's C = `inv_l2`) fitted on (x, y); returns p(y|x) as
    (n, C), zero for classes absent from y. The `linear` probe's and the geo-prior's logistic read-out."""
    if len(np.unique(y)) == 1:
        return lambda xq: _one_class(y[0], len(xq), c)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=inv_l2, max_iter=max_iter, random_state=seed).fit(x, y)
    return lambda xq: _all_columns(model, xq, c)


def _one_class(label: int, n: int, c: int) -> np.ndarray:
    out = np.zeros((n, c))
    out[:, label] = 1.0
    return out


def _all_columns(model: Any, xq: np.ndarray, c: int) -> np.ndarray:
    """predict_proba spread over all C classes (the model only knows those it saw)."""
    out = np.zeros((len(xq), c))
    out[:, model.classes_] = model.predict_proba(xq)
    return out


def _score(task: str, pred: np.ndarray, y: np.ndarray, metric: str = "top1") -> float:
    if task == "classification":
        if metric == "macro_f1":
            from locbench.metrics import macro_f1_score

            return macro_f1_score(y, np.argmax(pred, axis=1))
        return float(np.mean(np.argmax(pred, axis=1) == y))
    y = y.reshape(len(y), -1)
    ss_res = ((y - pred) ** 2).sum(axis=0)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0)))


@dataclass
class FrozenInputs:
    """What every frozen probe starts from: standardised features of train/test and the targets."""

    task: str
    x_tr: np.ndarray | None
    x_te: np.ndarray | None
    info: dict[str, Any]
    c: int
    y: np.ndarray
    y_te: np.ndarray
    mu: Any
    sd: Any
    t0: float

    def frame(self, test: DatasetSplit, pred: np.ndarray) -> pd.DataFrame:
        """The prediction rows of `pred` (class scores, or standardised regression targets)."""
        if self.task == "classification":
            return rank_all(test, pred, self.y_te)
        return regression_frame(test, pred * self.sd + self.mu)


def frozen_inputs(kind: str, encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *,
                  training: TrainingConfig, holdout: str, hparams: dict[str, Any] | None,
                  preset: str | None) -> FrozenInputs:
    """Check the splits, embed both once with the frozen encoder, standardise on train (x None: no encoder)."""
    task = train.spec.task_type
    check_split(train, role="train", task_type=task)
    check_split(test, role="test", task_type=task)
    built = build_encoder(encoder, seed=training.seed, train_lonlat=np.stack([train.lon, train.lat], axis=1),
                          hparams=hparams, preset=preset or train.spec.name)
    x_tr, x_te = _features(built, train, training.device), _features(built, test, training.device)
    info: dict[str, Any] = {"probe": kind, "encoder": built.name, "n_train": int(len(train.sample_ids)),
                            "n_test": int(len(test.sample_ids)), "holdout": holdout,
                            "encoder_hparams": dict(built.hparams), "location_only": None}
    t0 = time.perf_counter()
    c, y, y_te, mu, sd = _targets(train, test)
    if x_tr is not None:
        x_tr, x_te = _standardise(x_tr, x_te)
    return FrozenInputs(task, x_tr, x_te, info, c, y, y_te, mu, sd, t0)


def run(kind: str, encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *, training: TrainingConfig,
        overrides: Mapping[str, Any] | None = None, progress: ProgressFn | None = None, holdout: str = "random",
        hparams: dict[str, Any] | None = None, preset: str | None = None,
        **options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Select the probe's hyper-parameter on a carved validation split, refit on train, predict test.

    Of the schedule `overrides` only `epochs` applies (to `mlp`); the rest of `FROZEN_MLP_TRAINING` is fixed.
    """
    epochs = (overrides or {}).get("epochs")
    mlp = replace(FROZEN_MLP_TRAINING, seed=training.seed, device=training.device).updated({"epochs": epochs})
    inp = frozen_inputs(kind, encoder, train, test, training=training, holdout=holdout, hparams=hparams, preset=preset)
    if inp.x_tr is None:
        return _fallback(test, inp.task, inp.y, inp.y_te, inp.c, inp.mu, inp.info)
    task, x_tr, x_te, info, c, y, t0 = inp.task, inp.x_tr, inp.x_te, inp.info, inp.c, inp.y, inp.t0
    val = carve_validation(train.lon, train.lat, seed=training.seed, method=holdout)
    grid = GRIDS[kind][task]
    metric = "macro_f1" if (task == "classification" and train.spec.primary_metric == "macro_f1") else \
        ("top1" if task == "classification" else "r2")
    if kind == "mlp":  # early stopping on the validation rows (frozen_head), weight decay from the grid
        pred, scores, best, sel = _mlp_select(task, grid, x_tr, y, x_te, val, c, mlp, progress)
        info["selection"] = sel
    else:
        pred, scores, best = _grid_select(kind, task, grid, x_tr, y, x_te, val, c, mlp, metric, progress)
    mlp_record = {"epochs": mlp.epochs, "lr": mlp.lr, "batch_size": mlp.batch_size, **MLP_LAYER}
    info.update({"config": {"grid": list(grid), "selected": best, "validation_rows": int(val.sum()),
                            "selection_metric": metric, "mlp": mlp_record if kind == "mlp" else None},
                 "validation_scores": scores, "train_seconds": time.perf_counter() - t0,
                 "n_features": int(x_tr.shape[1])})
    return inp.frame(test, pred), info


def _grid_select(kind: str, task: str, grid: tuple[Any, ...], x_tr: np.ndarray, y: np.ndarray, x_te: np.ndarray,
                 val: np.ndarray, c: int, mlp: TrainingConfig, metric: str,
                 progress: ProgressFn | None) -> tuple[np.ndarray, dict[str, float], Any]:
    """Score every grid value on the validation rows, refit the best on all of train, predict test."""
    scores: dict[str, float] = {}
    steps = len(grid) + 1
    for i, hp in enumerate(grid):
        p = _fit_predict(kind, task, hp, x_tr[~val], y[~val], x_tr[val], c, mlp)
        scores[str(hp)] = _score(task, p, y[val], metric)
        if progress:
            progress("select", i + 1, steps)
    best = grid[int(np.argmax([scores[str(h)] for h in grid]))]  # first best on ties: strongest regularisation
    pred = _fit_predict(kind, task, best, x_tr, y, x_te, c, mlp)
    if progress:
        progress("select", steps, steps)
    return pred, scores, best


def _mlp_select(task: str, grid: tuple[Any, ...], x_tr: np.ndarray, y: np.ndarray, x_te: np.ndarray, val: np.ndarray,
                c: int, cfg: TrainingConfig,
                progress: ProgressFn | None) -> tuple[np.ndarray, dict[str, float], Any, dict[str, Any]]:
    """The `mlp` probe: weight decay from `grid`, epochs by early stopping (at most `cfg.epochs`), lr fixed."""
    import torch

    from locbench.probes.frozen_head import HeadSearch, HeadTask, select_and_fit

    d_out = c if task == "classification" else y.reshape(len(y), -1).shape[1]
    yt = torch.from_numpy(y.astype(np.int64) if task == "classification" else y.reshape(len(y), -1).astype(np.float32))

    def make() -> Any:
        return torch.nn.Sequential(torch.nn.Linear(x_tr.shape[1], MLP_LAYER["hidden"]), torch.nn.ReLU(),
                                   torch.nn.Dropout(MLP_LAYER["dropout"]), torch.nn.Linear(MLP_LAYER["hidden"], d_out))

    def loss(net: Any, xs: tuple[Any, ...], yb: Any, gen: Any) -> Any:
        out = net(xs[0])
        return (torch.nn.functional.cross_entropy(out, yb) if task == "classification"
                else torch.nn.functional.mse_loss(out, yb))

    def metric(net: Any, xs: tuple[Any, ...], yb: Any) -> float:
        return _score(task, _mlp_out(task, net, xs[0]), yb.numpy())

    search = HeadSearch(lrs=(cfg.lr,), weight_decays=tuple(float(w) for w in grid), max_epochs=cfg.epochs,
                        batch_size=cfg.batch_size, lr_decay=1.0)
    task_ = HeadTask(make=make, loss=loss, metric=metric, metric_name="top1" if task == "classification" else "r2")
    net, sel = select_and_fit(task_, (torch.from_numpy(x_tr.astype(np.float32)),), yt, val, search=search,
                              seed=cfg.seed, progress=progress)
    scores = {str(t["weight_decay"]): t["val_metric"] for t in sel["trials"]}
    best = grid[[float(w) for w in grid].index(sel["selected"]["weight_decay"])]
    return _mlp_out(task, net, torch.from_numpy(x_te.astype(np.float32))), scores, best, sel


def _mlp_out(task: str, net: Any, x: Any) -> np.ndarray:
    import torch

    net.eval()
    with torch.no_grad():
        out = net(x)
        return (torch.softmax(out, dim=1) if task == "classification" else out).double().numpy()


def _targets(train: DatasetSplit, test: DatasetSplit) -> tuple[int, np.ndarray, np.ndarray | None, Any, Any]:
    """(classes, training y, test labels, target mean, sd): labels for classification, standardised targets else."""
    if train.spec.task_type == "classification":
        return (num_classes(train, test), np.asarray(train.labels, dtype=np.int64),
                np.asarray(test.labels, dtype=np.int64), None, None)
    y_raw = np.asarray(train.targets, dtype=np.float64).reshape(len(train.sample_ids), -1)
    mu, sd = y_raw.mean(axis=0), y_raw.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return 0, (y_raw - mu) / sd, None, mu, sd


def _fallback(test: DatasetSplit, task: str, y: np.ndarray, y_te: np.ndarray | None, c: int, mu: Any,
              info: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Nothing to embed (no prior, no features): training class frequencies / training mean."""
    if task == "classification":
        freq = np.bincount(y, minlength=c) / len(y)
        info.update({"config": {"fallback": "class_frequency"}, "n_parameters": 0, "train_seconds": 0.0})
        return rank_all(test, np.broadcast_to(freq, (len(y_te), c)), y_te), info
    info.update({"config": {"fallback": "train_mean"}, "n_parameters": 0, "train_seconds": 0.0})
    return regression_frame(test, np.broadcast_to(mu, (len(test.sample_ids), len(mu)))), info
