"""Seeded percentile-bootstrap confidence interval of a result's primary metric, at scoring time.

Why: two models 0.04 points apart on 2,000 samples are not "ranked" differently in any meaningful
sense; the pages mark every model whose interval overlaps the leader's as tied with it.
Rows are put in `sample_id` order before resampling, so the interval does not depend on the file's
row order; resamples are drawn in chunks and scored with `locbench.groupmetrics` (no Python loop
over resamples), which keeps 1,000 resamples of 50k rows to about a second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from locbench.groupmetrics import grouped_metric, metric_inputs
from locbench.predictions import canonical_rows

N_RESAMPLES = 1000
LEVEL = 0.95
DEFAULT_SEED = 0
CHUNK_CELLS = 4_000_000  # resample x row indices held at once (32 MB of int64)


@dataclass(frozen=True)
class BootstrapCI:
    """The `bootstrap` block of a result file (contract C3)."""

    metric: str
    n_resamples: int
    seed: int
    level: float
    low: float | None
    high: float | None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> BootstrapCI:
        return cls(**d)

    def overlaps(self, other: BootstrapCI) -> bool:
        """Whether the two intervals share a point (both defined)."""
        if None in (self.low, self.high, other.low, other.high):
            return False
        return bool(self.low <= other.high and other.low <= self.high)  # type: ignore[operator]


def bootstrap_ci(df: pd.DataFrame, metric: str, targets: tuple[str, ...] | list[str] | None = None, *,
                 n_resamples: int = N_RESAMPLES, seed: int = DEFAULT_SEED, level: float = LEVEL) -> BootstrapCI:
    """Percentile interval of `metric` over `n_resamples` row resamples (with replacement) of all rows."""
    inp = metric_inputs(canonical_rows(df), metric, targets)
    n = inp.n_rows
    if n == 0:
        return BootstrapCI(metric, n_resamples, seed, level, None, None)
    stats = resample_stats(inp, n_resamples, seed)
    stats = stats[np.isfinite(stats)]
    if len(stats) == 0:
        return BootstrapCI(metric, n_resamples, seed, level, None, None)
    lo, hi = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    return BootstrapCI(metric, n_resamples, seed, level, float(lo), float(hi))


def resample_stats(inp, n_resamples: int, seed: int) -> np.ndarray:
    """The metric on each of `n_resamples` resamples; the same seed gives the same draws."""
    rng = np.random.default_rng(seed)
    n = inp.n_rows
    per_chunk = max(1, CHUNK_CELLS // n)
    out = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, per_chunk):
        b = min(per_chunk, n_resamples - start)
        rows = rng.integers(0, n, size=(b, n)).ravel()
        groups = np.repeat(np.arange(b, dtype=np.int64), n)
        out[start:start + b] = grouped_metric(inp, rows, groups, b)
    return out


def tied_with_leader(intervals: dict[str, BootstrapCI | None], leader: str) -> set[str]:
    """Models (leader included) whose interval overlaps the leader's; empty when the leader has none."""
    lead = intervals.get(leader)
    if lead is None or lead.low is None:
        return set()
    return {m for m, ci in intervals.items() if ci is not None and ci.overlaps(lead)}
