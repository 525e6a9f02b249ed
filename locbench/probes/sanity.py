"""Probe sanity: does a probe reach what the embeddings can do, and did trained runs converge?

* Frozen encoders: the locbench probe's location metric (top-1 % from p(y|x), or R²) against the
  best plain scikit-learn `LogisticRegression` / `Ridge` over a small C / alpha grid, fitted on the
  same standardised embeddings (+ image features for regression, as the §C2 probe uses them) of the
  same training rows and scored on the same test rows. The probe passes when it is at most
  `TOP1_TOLERANCE` points (`R2_TOLERANCE`) below that best. The scikit-learn grid is scored on the
  test rows on purpose: it is the ceiling a linear read-out reaches, not a reported number.
* Trained encoders: a run converged when its final epoch changed the mean training loss by less
  than `CONVERGENCE_THRESHOLD` (relative), or when its probe says it stopped early (the frozen head's
  `selection.stopped_early`, a trained encoder's `training.stopped_early`: its validation loss had
  not improved for `patience` epochs).

`benchmarks/probe_sanity.py` prints the full table; `tests/test_probe_sanity.py` runs it on subsets.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from locbench.datasets.spec import DatasetSplit

TOP1_TOLERANCE = 1.0  # percentage points
R2_TOLERANCE = 0.01
CONVERGENCE_THRESHOLD = 0.01  # relative change of the mean training loss over the final epoch
C_GRID = (0.01, 0.1, 1.0, 10.0)  # 0.01: GeoCLIP on Köppen needs the strong L2
ALPHA_GRID = (0.1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class SanityRow:
    """One frozen encoder on one dataset: the locbench probe beside the best scikit-learn read-out."""

    encoder: str
    dataset: str
    metric: str
    locbench: float
    sklearn_best: float
    sklearn_setting: str
    gap: float  # locbench - sklearn_best (negative = the probe falls short)
    ok: bool
    probe_seconds: float
    selection: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    y, p = y.reshape(len(y), -1), p.reshape(len(p), -1)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1.0 - ((y - p) ** 2).sum(axis=0) / np.where(ss_tot > 0, ss_tot, 1.0)))


def sklearn_best(task: str, x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray,
                 y_te: np.ndarray) -> tuple[float, str]:
    """Best test score of LogisticRegression (top-1 %) / Ridge (R², standardised targets) over the grid."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge

    mu, sd = x_tr.mean(axis=0), x_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    a, b = (x_tr - mu) / sd, (x_te - mu) / sd
    best = (-np.inf, "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task == "classification":
            for c in C_GRID:
                acc = 100.0 * float(LogisticRegression(C=c, max_iter=1000).fit(a, y_tr).score(b, y_te))
                best = max(best, (acc, f"LogisticRegression(C={c:g})"))
            return best
        ym, ys = y_tr.mean(axis=0), np.where(y_tr.std(axis=0) > 0, y_tr.std(axis=0), 1.0)
        for alpha in ALPHA_GRID:
            pred = Ridge(alpha=alpha).fit(a, (y_tr - ym) / ys).predict(b).reshape(len(b), -1) * ys + ym
            best = max(best, (_r2(y_te, pred), f"Ridge(alpha={alpha:g})"))
    return best


def _design(module: Any, split: DatasetSplit, with_features: bool) -> np.ndarray:
    from locbench.probes.frozen_head import embed

    x = embed(module, np.stack([split.lon, split.lat], axis=1), "cpu")
    if with_features and split.image_features is not None:
        x = np.hstack([x, np.asarray(split.image_features, dtype=np.float64)])
    return x


def check_frozen(name: str, module: Any, train: DatasetSplit, test: DatasetSplit, *, seed: int = 0) -> SanityRow:
    """The dataset's default locbench probe on a frozen module vs the best scikit-learn read-out."""
    from locbench.probes import run_probe

    task = train.spec.task_type
    t0 = time.perf_counter()
    df, info = run_probe(None, module, train, test, seed=seed)
    seconds = time.perf_counter() - t0
    if task == "classification":
        ours = float(info["location_only"]["top1"])
        y_tr, y_te = np.asarray(train.labels), np.asarray(test.labels)
    else:
        ours = _r2(df.filter(like="y_true").to_numpy(float), df.filter(like="y_pred").to_numpy(float))
        y_tr = np.asarray(train.targets, dtype=np.float64).reshape(len(train.sample_ids), -1)
        y_te = np.asarray(test.targets, dtype=np.float64).reshape(len(test.sample_ids), -1)
    feats = task == "regression"
    best, setting = sklearn_best(task, _design(module, train, feats), y_tr, _design(module, test, feats), y_te)
    tol = TOP1_TOLERANCE if task == "classification" else R2_TOLERANCE
    sel = (info.get("selection") or {}).get("selected")
    return SanityRow(name, train.spec.name, "top1" if task == "classification" else "r2", ours, best, setting,
                     ours - best, ours >= best - tol, seconds, sel)


def frozen_random_control(dataset: str, seed: int = 0) -> Any:
    """A randomly initialised Sphere2Vec-sphereM (the dataset's preset), frozen: the control encoder."""
    from locbench.encoders import get_encoder

    module = get_encoder("Sphere2Vec-sphereM").build(seed=seed, preset=dataset)
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


@dataclass(frozen=True)
class ConvergenceRow:
    """One shipped trained run's loss curve, judged by `CONVERGENCE_THRESHOLD`."""

    model_id: str
    dataset: str
    epochs: int
    final_relative_change: float | None
    stopped_early: bool
    converged: bool


def convergence(run_json: Path, threshold: float = CONVERGENCE_THRESHOLD) -> ConvergenceRow | None:
    """Judge a `<dataset>.run.json`; None when it records no loss curve (no prior, frozen probes)."""
    record = json.loads(Path(run_json).read_text(encoding="utf-8"))
    info = record.get("probe_info") or {}
    losses = info.get("loss_per_epoch") or []
    stopped = bool((info.get("selection") or {}).get("stopped_early") or (info.get("training") or {}).get("stopped_early"))
    if len(losses) < 2 and not stopped:
        return None
    change = abs(losses[-1] - losses[-2]) / max(abs(losses[-2]), 1e-12) if len(losses) >= 2 else None
    return ConvergenceRow(record.get("model_id", ""), record.get("dataset", ""), len(losses), change, stopped,
                          stopped or (change is not None and change < threshold))
