"""A dataset's metrics over many row groups at once (regions, bootstrap resamples), with `np.bincount`.

Why one module: the regional breakdown (rows grouped by country) and the bootstrap (rows grouped by
resample, with repeats) need the same metric over thousands of groups; a Python loop over groups
calling `locbench.metrics` would take minutes at 50k rows. The values agree with `locbench.metrics`
on any single group (tests cross-check), including macro-F1 over sklearn's label set (classes present
in y_true or y_pred of the group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from locbench.predictions import regression_columns

GROUPED_METRICS = ("top1", "top3", "mrr", "macro_f1", "r2", "mae", "rmse")


@dataclass(frozen=True)
class MetricInputs:
    """The per-row arrays one metric needs, taken once from a predictions frame."""

    metric: str
    values: np.ndarray  # classification: the per-row score (hit@1 ...); regression: (n_targets, N) errors
    y_true: np.ndarray | None = None  # regression: (n_targets, N) centred truths; macro-F1: class codes
    y_pred: np.ndarray | None = None  # macro-F1: class codes
    n_classes: int = 0

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[-1])


def metric_inputs(df: pd.DataFrame, metric: str, targets: tuple[str, ...] | list[str] | None = None) -> MetricInputs:
    """Arrays for `metric` from the predictions frame (the `locbench.predictions` schema)."""
    if metric not in GROUPED_METRICS:
        raise KeyError(f"no grouped form of metric {metric!r} (known: {', '.join(GROUPED_METRICS)})")
    if metric in ("top1", "top3", "mrr"):
        col = {"top1": "hit@1", "top3": "hit@3", "mrr": "reciprocal_rank"}[metric]
        scale = 100.0 if metric != "mrr" else 1.0
        return MetricInputs(metric, scale * df[col].to_numpy(dtype=np.float64))
    if metric == "macro_f1":
        yt, yp = df["y_true"].astype(str).to_numpy(), df["y_pred"].astype(str).to_numpy()
        codes, uniques = pd.factorize(np.concatenate([yt, yp]), sort=True)
        n = len(yt)
        return MetricInputs(metric, np.ones(n), codes[:n].astype(np.int64), codes[n:].astype(np.int64), len(uniques))
    cols = regression_columns(targets)
    truth = np.vstack([df[cols[i]].to_numpy(dtype=np.float64) for i in range(0, len(cols), 2)])
    pred = np.vstack([df[cols[i + 1]].to_numpy(dtype=np.float64) for i in range(0, len(cols), 2)])
    centred = truth - truth.mean(axis=1, keepdims=True) if truth.shape[1] else truth  # less cancellation in SS_tot
    return MetricInputs(metric, truth - pred, centred)


def grouped_metric(inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """The metric of each group g over the rows `rows[groups == g]` (repeats count); NaN for empty groups."""
    count = np.bincount(groups, minlength=n_groups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if inp.metric in ("top1", "top3", "mrr"):
            out = np.bincount(groups, weights=inp.values[rows], minlength=n_groups) / count
        elif inp.metric == "macro_f1":
            out = _macro_f1(inp, rows, groups, n_groups)
        else:
            out = _regression(inp, rows, groups, n_groups, count)
    out[count == 0] = np.nan
    return out


def _macro_f1(inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    assert inp.y_true is not None and inp.y_pred is not None
    c = inp.n_classes
    yt, yp = inp.y_true[rows], inp.y_pred[rows]
    size = n_groups * c
    tp = np.bincount(groups * c + yt, weights=(yt == yp).astype(np.float64), minlength=size).reshape(n_groups, c)
    true_n = np.bincount(groups * c + yt, minlength=size).reshape(n_groups, c)
    pred_n = np.bincount(groups * c + yp, minlength=size).reshape(n_groups, c)
    present = (true_n + pred_n) > 0
    f1 = np.where(present, 2.0 * tp / np.maximum(true_n + pred_n, 1), 0.0)
    return f1.sum(axis=1) / present.sum(axis=1)


def _regression(inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int,
                count: np.ndarray) -> np.ndarray:
    per_target = []
    for t in range(inp.values.shape[0]):
        err = inp.values[t, rows]
        if inp.metric == "mae":
            per_target.append(np.bincount(groups, weights=np.abs(err), minlength=n_groups) / count)
            continue
        ss_res = np.bincount(groups, weights=err * err, minlength=n_groups)
        if inp.metric == "rmse":
            per_target.append(np.sqrt(ss_res / count))
            continue
        assert inp.y_true is not None
        y = inp.y_true[t, rows]
        s1 = np.bincount(groups, weights=y, minlength=n_groups)
        s2 = np.bincount(groups, weights=y * y, minlength=n_groups)
        ss_tot = s2 - s1 * s1 / count
        scale = np.maximum(s2, 1e-300)
        per_target.append(np.where(ss_tot > 1e-12 * scale, 1.0 - ss_res / ss_tot, np.nan))
    return np.mean(np.vstack(per_target), axis=0)
