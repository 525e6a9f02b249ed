"""Regression: one or more real targets per sample; R², MAE, RMSE; geo-bias on the absolute error."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from locbench.errors import Problem, ProblemList, shown
from locbench.tasks.base import GeoBiasValue, MetricInputs, TaskShape, TaskType, frame_with_ids, limited

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSplit


def regression_columns(targets: list[str] | tuple[str, ...] | None) -> list[str]:
    """Column names for regression predictions: plain pair for one target, suffixed pairs for several."""
    if not targets or len(targets) == 1:
        return ["y_true", "y_pred"]
    cols: list[str] = []
    for t in targets:
        cols += [f"y_true:{t}", f"y_pred:{t}"]
    return cols


class Regression(TaskType):
    name = "regression"
    grouped_metrics = ("r2", "mae", "rmse")
    value_name = "abs_error"
    short_label = "regress."
    probes = ("regression", "linear", "knn", "mlp")

    def columns(self, shape: TaskShape) -> list[str]:
        return regression_columns(shape.targets)

    def check_values(self, df: pd.DataFrame, shape: TaskShape, *, file: str | Path, problems: ProblemList) -> None:
        from locbench.predictions import magnitude_problems

        for col in regression_columns(shape.targets):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            for r in np.nonzero(~np.isfinite(v))[0][:20]:
                problems.add(f"value {shown(df[col].iloc[r])} must be a finite number", file=file, row=int(r), column=col)
            magnitude_problems(v, df[col], file=file, column=col, problems=problems)

    # ------------------------------------------------------------------ metrics
    def metrics(self, df: pd.DataFrame, shape: TaskShape) -> tuple[dict[str, float], list[str]]:
        return regression_metrics(df, shape.targets), []

    def metric_inputs(self, df: pd.DataFrame, metric: str, shape: TaskShape) -> MetricInputs:
        cols = regression_columns(shape.targets)
        truth = np.vstack([df[cols[i]].to_numpy(dtype=np.float64) for i in range(0, len(cols), 2)])
        pred = np.vstack([df[cols[i + 1]].to_numpy(dtype=np.float64) for i in range(0, len(cols), 2)])
        centred = truth - truth.mean(axis=1, keepdims=True) if truth.shape[1] else truth  # less cancellation in SS_tot
        return MetricInputs(metric, truth - pred, centred)

    def grouped_values(self, inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int,
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

    # ------------------------------------------------------------------ geo-bias
    def geobias_value(self, df: pd.DataFrame, shape: TaskShape) -> GeoBiasValue:
        return GeoBiasValue(self.value_name, absolute_error(df, shape.targets), lower_is_better=True,
                            rule="absolute error; SSI/SRI on error < median(error) -> +1 else -1 (lower_is_better); "
                                 "autocorrelation statistics on the raw absolute error",
                            binarise_at_median=True)

    def map_label(self) -> str:
        return "Mean absolute error per cell"

    # ------------------------------------------------------------------ submissions
    def check_against_data(self, df: pd.DataFrame, split: DatasetSplit, file: str, problems: ProblemList,
                           ok: np.ndarray, pos: np.ndarray) -> None:
        if split.targets is None:
            return
        cols = regression_columns(list(split.target_names or split.spec.targets))
        ref_t = np.asarray(split.targets, dtype=np.float64).reshape(len(split.sample_ids), -1)
        for j, yt_col in enumerate(cols[0::2]):
            mine = pd.to_numeric(df[yt_col], errors="coerce").to_numpy(dtype=np.float64)[ok]
            bad = ~np.isclose(mine, ref_t[pos, j], rtol=1e-4, atol=1e-6)
            rows = ok[np.nonzero(bad)[0]]
            limited(problems, rows, lambda r, c=yt_col: Problem(f"{c} {shown(df[c].iloc[r])} disagrees with the dataset's target",
                                                                file, r, c))

    # ------------------------------------------------------------------ fixtures
    def fake_rows(self, rng: np.random.Generator, split: DatasetSplit, *, skill: float = 0.7) -> pd.DataFrame:
        t = np.asarray(split.targets, dtype=np.float64).reshape(len(split.sample_ids), -1)
        cols = regression_columns(list(split.target_names or split.spec.targets) or None)
        data = frame_with_ids(split)
        for j in range(t.shape[1]):
            noise = rng.normal(0.0, (1.0 - skill) * (t[:, j].std() + 1e-9), size=len(t))
            data[cols[2 * j]], data[cols[2 * j + 1]] = t[:, j], skill * t[:, j] + (1 - skill) * t[:, j].mean() + noise
        return pd.DataFrame(data)


def absolute_error(df: pd.DataFrame, targets: tuple[str, ...] | list[str] | None) -> np.ndarray:
    """Per-row absolute error, the mean over targets."""
    cols = regression_columns(targets)
    errs = [np.abs(df[cols[i]].to_numpy(dtype=np.float64) - df[cols[i + 1]].to_numpy(dtype=np.float64))
            for i in range(0, len(cols), 2)]
    return np.mean(np.vstack(errs), axis=0)


def regression_metrics(df: pd.DataFrame, targets: list[str] | tuple[str, ...] | None = None) -> dict[str, float]:
    """R^2, MAE and RMSE; for several targets each is reported per target and as the mean over targets."""
    cols = regression_columns(targets)
    per: dict[str, dict[str, float]] = {}
    for yt_col, yp_col in zip(cols[0::2], cols[1::2]):
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
