"""A dataset's metrics over many row groups at once (regions, bootstrap resamples), with `np.bincount`.

Why grouped: the regional breakdown (rows grouped by country) and the bootstrap (rows grouped by
resample, with repeats) need the same metric over thousands of groups; a Python loop over groups
calling the whole-set metric would take minutes at 50k rows. Each task type declares the grouped
form beside its whole-set metric (`locbench.tasks`); the values agree on any single group (tests
cross-check), including macro-F1 over sklearn's label set (classes present in y_true or y_pred).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from locbench.tasks import TASKS, TaskShape, task_for_metric
from locbench.tasks.base import MetricInputs

GROUPED_METRICS = tuple(m for t in TASKS.values() for m in t.grouped_metrics)
__all__ = ["GROUPED_METRICS", "MetricInputs", "grouped_metric", "metric_inputs"]


def metric_inputs(df: pd.DataFrame, metric: str, targets: tuple[str, ...] | list[str] | None = None) -> MetricInputs:
    """Arrays for `metric` from the predictions frame (the `locbench.predictions` schema)."""
    return task_for_metric(metric).metric_inputs(df, metric, TaskShape(tuple(targets) if targets else None))


def grouped_metric(inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """The metric of each group g over the rows `rows[groups == g]` (repeats count); NaN for empty groups."""
    count = np.bincount(groups, minlength=n_groups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = task_for_metric(inp.metric).grouped_values(inp, rows, groups, n_groups, count)
    out[count == 0] = np.nan
    return out
