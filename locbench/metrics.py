"""Metrics computed from per-sample prediction rows, so our runs and submissions score identically."""

from __future__ import annotations

import numpy as np
import pandas as pd

from locbench.predictions import regression_columns
# Labels, directions and meanings of these metrics live in the score registry, locbench.scoreinfo.


def classification_metrics(df: pd.DataFrame, *, macro_f1: bool = True, n_classes: int | None = None) -> dict[str, float]:
    """Top-1/Top-3 (%), MRR, and macro-F1 from y_true/y_pred over all rows (unlocated rows included).

    Top-3 is undefined (NaN) on a task with 3 or fewer classes: it is 100% by construction there.
    """
    n = len(df)
    top3_defined = n and (n_classes is None or n_classes > 3)
    out: dict[str, float] = {
        "top1": float(100.0 * df["hit@1"].astype(float).mean()) if n else float("nan"),
        "top3": float(100.0 * df["hit@3"].astype(float).mean()) if top3_defined else float("nan"),
        "mrr": float(df["reciprocal_rank"].astype(float).mean()) if n else float("nan"),
    }
    if macro_f1:
        out["macro_f1"] = macro_f1_score(df["y_true"].astype(str).to_numpy(), df["y_pred"].astype(str).to_numpy())
    return out


def macro_f1_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro F1 over the classes present in y_true or y_pred (sklearn's default label set)."""
    from sklearn.metrics import f1_score

    if len(y_true) == 0:
        return float("nan")
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def regression_metrics(df: pd.DataFrame, targets: list[str] | tuple[str, ...] | None = None) -> dict[str, float]:
    """R^2, MAE and RMSE; for several targets each is reported per target and as the mean over targets."""
    cols = regression_columns(targets)
    pairs = [(cols[i], cols[i + 1]) for i in range(0, len(cols), 2)]
    per: dict[str, dict[str, float]] = {}
    for yt_col, yp_col in pairs:
        yt = df[yt_col].to_numpy(dtype=np.float64)
        yp = df[yp_col].to_numpy(dtype=np.float64)
        name = yt_col.split(":", 1)[1] if ":" in yt_col else ""
        per[name] = _regression_one(yt, yp)
    if len(per) == 1:
        return next(iter(per.values()))
    out: dict[str, float] = {}
    for key in ("r2", "mae", "rmse"):
        out[key] = float(np.mean([m[key] for m in per.values()]))
        for name, m in per.items():
            out[f"{key}:{name}"] = m[key]
    return out


def _regression_one(yt: np.ndarray, yp: np.ndarray) -> dict[str, float]:
    if len(yt) == 0:
        return {"r2": float("nan"), "mae": float("nan"), "rmse": float("nan")}
    resid = yt - yp
    ss_res = float(np.sum(resid**2))
    ss_tot = float(np.sum((yt - yt.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return {"r2": r2, "mae": float(np.mean(np.abs(resid))), "rmse": float(np.sqrt(np.mean(resid**2)))}


def per_sample_performance(df: pd.DataFrame, task_type: str, targets: list[str] | tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Per-sample values that geo-bias scores are computed on.

    classification: `hit@1` (1 correct / 0 wrong), `true_class_prob`, `reciprocal_rank`;
    regression: `abs_error` (mean over targets) and `neg_abs_error` (higher is better).
    """
    if task_type == "classification":
        return {c: df[c].to_numpy(dtype=np.float64) for c in ("hit@1", "true_class_prob", "reciprocal_rank")}
    cols = regression_columns(targets)
    errs = [np.abs(df[cols[i]].to_numpy(dtype=np.float64) - df[cols[i + 1]].to_numpy(dtype=np.float64))
            for i in range(0, len(cols), 2)]
    ae = np.mean(np.vstack(errs), axis=0)
    return {"abs_error": ae, "neg_abs_error": -ae}
