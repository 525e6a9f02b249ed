"""Task types: one object per kind of task (see `locbench.tasks.base`), looked up by name.

```python
from locbench.tasks import get_task
task = get_task(spec.task_type)         # Classification(), Regression() or Segmentation()
metrics, notes = task.metrics(df, TaskShape.of(spec))
```
A new task type is one `TaskType` subclass added to `TASKS`.
"""

from __future__ import annotations

from locbench.errors import InputError
from locbench.tasks.base import GeoBiasValue, MetricInputs, TaskShape, TaskType
from locbench.tasks.classification import Classification
from locbench.tasks.regression import Regression
from locbench.tasks.segmentation import Segmentation

TASKS: dict[str, TaskType] = {t.name: t for t in (Classification(), Regression(), Segmentation())}
TASK_TYPES: tuple[str, ...] = tuple(TASKS)


def get_task(name: str) -> TaskType:
    """The task type called `name`; InputError naming the known ones otherwise."""
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise InputError(f"task type must be one of {TASK_TYPES}, got {name!r}") from None


def task_for_metric(metric: str) -> TaskType:
    """The task type that owns the grouped form of `metric` (metric names are unique across tasks)."""
    for task in TASKS.values():
        if metric in task.grouped_metrics:
            return task
    known = ", ".join(m for t in TASKS.values() for m in t.grouped_metrics)
    raise KeyError(f"no grouped form of metric {metric!r} (known: {known})")


def task_for_value(value_name: str, higher_is_better: bool) -> TaskType:
    """The task type whose geo-bias value is `value_name` (map layers record only the value's name);
    an unknown name falls back on the direction (hit@1-like or error-like), as layers did before."""
    for task in TASKS.values():
        if task.value_name == value_name:
            return task
    return TASKS["classification" if higher_is_better else "regression"]


__all__ = ["TASKS", "TASK_TYPES", "GeoBiasValue", "MetricInputs", "TaskShape", "TaskType", "get_task", "task_for_value",
           "task_for_metric"]
