"""Whole-set metrics from per-sample prediction rows, so our runs and submissions score identically.

The metrics belong to their task type (`locbench.tasks`); this module keeps the names other code
and tests import. Labels, directions and meanings of the metrics live in `locbench.scoreinfo`.
"""

from __future__ import annotations

import pandas as pd

from locbench.tasks import TaskShape, get_task
from locbench.tasks.classification import classification_metrics, macro_f1_score
from locbench.tasks.regression import regression_metrics

__all__ = ["classification_metrics", "macro_f1_score", "regression_metrics", "task_metrics"]


def task_metrics(df: pd.DataFrame, task_type: str, shape: TaskShape) -> tuple[dict[str, float], list[str]]:
    """The task type's whole-set metrics and notes on the ones not computed."""
    return get_task(task_type).metrics(df, shape)
