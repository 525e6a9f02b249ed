"""What a task type is: the one object per kind of task (classification, regression, segmentation).

Why one object: before, a task type was spread over ~14 files (`== "classification"` branches with
regression as the silent fallback, a second copy of each metric for row groups). A `TaskType` owns
everything that depends on the kind of task, and the rest of locbench asks it:

- prediction columns and their value checks (`columns`, `check_values`);
- whole-set metrics (`metrics`) and the grouped form over many row groups (`metric_inputs` +
  `grouped_metric`, for regions and the bootstrap), declared side by side;
- the per-sample value geo-bias is computed on, its direction and rule (`geobias_value`);
- the map label of that value (`map_label`);
- submission checks against the data on disk and the registry's published facts;
- valid fake prediction rows for fixtures (`fake_rows`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from locbench.errors import Problem, ProblemList

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSpec, DatasetSplit

ID_COLUMNS = ("sample_id", "lon", "lat")
MAX_PROBLEMS_PER_KIND = 20


def limited(problems: ProblemList, rows: np.ndarray, make: Callable[[int], Problem]) -> None:
    """Add `make(row)` for at most MAX_PROBLEMS_PER_KIND rows, then one "... and N more" line."""
    for r in rows[:MAX_PROBLEMS_PER_KIND]:
        problems.items.append(make(int(r)))
    if len(rows) > MAX_PROBLEMS_PER_KIND:
        p = make(int(rows[MAX_PROBLEMS_PER_KIND]))
        problems.items.append(Problem(f"... and {len(rows) - MAX_PROBLEMS_PER_KIND} more rows like this",
                                      p.file, None, p.column))


@dataclass(frozen=True)
class TaskShape:
    """The facts of a dataset that decide its prediction columns (targets; class count)."""

    targets: tuple[str, ...] | None = None
    n_classes: int | None = None
    class_names: tuple[str, ...] | None = None

    @classmethod
    def of(cls, spec: DatasetSpec) -> TaskShape:
        n_classes = getattr(spec, "num_classes", None)  # tests' stand-in specs carry only some fields
        return cls(tuple(getattr(spec, "targets", None) or ()) or None, int(n_classes) if n_classes else None,
                   getattr(spec, "class_names", None))


@dataclass(frozen=True)
class GeoBiasValue:
    """The per-sample values geo-bias is computed on, and the rule that made them.

    `binarise_at_median`: SSI/SRI on value-vs-median (+1 good / -1 poor), the autocorrelation
    statistics on the raw value (regression, segmentation); False: one run on the raw value.
    `may_be_undefined`: NaN values (e.g. a chip without labelled pixels) are left out and counted.
    """

    name: str
    values: np.ndarray
    lower_is_better: bool
    rule: str
    binarise_at_median: bool = False
    may_be_undefined: bool = False


@dataclass(frozen=True)
class MetricInputs:
    """The per-row arrays one grouped metric needs, taken once from a predictions frame."""

    metric: str
    values: np.ndarray  # classification: per-row score; regression: (n_targets, N) errors; segmentation: (3, C, N)
    y_true: np.ndarray | None = None  # regression: (n_targets, N) centred truths; macro-F1: class codes
    y_pred: np.ndarray | None = None  # macro-F1: class codes
    n_classes: int = 0

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[-1])


class TaskType(ABC):
    """One kind of task; subclasses are registered once in `locbench.tasks.registry`."""

    name: ClassVar[str]
    grouped_metrics: ClassVar[tuple[str, ...]]  # metrics with a grouped form (regions, bootstrap)
    short_label: ClassVar[str]  # the task column of `locbench datasets list`
    value_name: ClassVar[str]  # name of the per-sample geo-bias value (recorded in results and map layers)
    probes: ClassVar[tuple[str, ...]] = ()  # default probe first

    # ---- prediction rows
    @abstractmethod
    def columns(self, shape: TaskShape) -> list[str]:
        """The task's own prediction columns (after sample_id, lon, lat)."""

    def shape_of(self, df: pd.DataFrame, shape: TaskShape) -> TaskShape:
        """`shape` with what the frame itself says filled in where the dataset does not (nothing by default)."""
        return shape

    def required_columns(self, shape: TaskShape) -> list[str]:
        return [*ID_COLUMNS, *self.columns(shape)]

    @abstractmethod
    def check_values(self, df: pd.DataFrame, shape: TaskShape, *, file: str | Path, problems: ProblemList) -> None:
        """Value checks of the task columns (present by now); adds problems naming file, row, column."""

    # ---- metrics
    @abstractmethod
    def metrics(self, df: pd.DataFrame, shape: TaskShape) -> tuple[dict[str, float], list[str]]:
        """Whole-set metrics over all rows, and notes on metrics that could not be computed."""

    @abstractmethod
    def metric_inputs(self, df: pd.DataFrame, metric: str, shape: TaskShape) -> MetricInputs:
        """Arrays for the grouped form of `metric`."""

    @abstractmethod
    def grouped_values(self, inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int,
                       count: np.ndarray) -> np.ndarray:
        """The metric of each group over `rows[groups == g]` (repeats count); empty groups handled by the caller."""

    # ---- geo-bias and maps
    @abstractmethod
    def geobias_value(self, df: pd.DataFrame, shape: TaskShape) -> GeoBiasValue:
        """The per-sample value geo-bias and the map layers are computed on."""

    @abstractmethod
    def map_label(self) -> str:
        """Colour-bar label of the per-cell mean of `geobias_value` on the maps."""

    # ---- submissions
    def check_against_data(self, df: pd.DataFrame, split: DatasetSplit, file: str, problems: ProblemList,
                           ok: np.ndarray, pos: np.ndarray) -> None:
        """Truth columns agree with the split's (rows `ok` of df are split rows `pos`); nothing by default."""

    def check_against_registry(self, df: pd.DataFrame, spec: DatasetSpec, file: str,
                               problems: ProblemList) -> list[str]:
        """Checks on the registry's published facts; returns what was checked (for the note)."""
        return []

    # ---- fixtures
    @abstractmethod
    def fake_rows(self, rng: np.random.Generator, split: DatasetSplit, *, skill: float = 0.7) -> pd.DataFrame:
        """Valid prediction rows for `split` (truth from the split, predictions right with prob. ~`skill`)."""

    def probe_default(self) -> str:
        return self.probes[0]


def frame_with_ids(split: DatasetSplit) -> dict[str, Any]:
    """The id columns of a prediction frame for `split` (fixtures)."""
    return {"sample_id": np.asarray(split.sample_ids).astype(str), "lon": np.asarray(split.lon, dtype=np.float64),
            "lat": np.asarray(split.lat, dtype=np.float64)}
