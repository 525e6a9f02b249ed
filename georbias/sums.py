"""Order-free sums: the aggregates of per-ROI values must not depend on how the input rows were sorted.

numpy's pairwise summation rounds differently for the same numbers in another order (last-bit
differences a shuffled file would show); `math.fsum` returns the correctly rounded sum, which is
one number for a multiset of values. NaN entries are skipped, as the aggregates define them.
"""

from __future__ import annotations

import math

import numpy as np


def exact_sum(values: np.ndarray) -> float:
    """Correctly rounded sum of the non-NaN entries (0.0 when there are none)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    return math.fsum(v[~np.isnan(v)].tolist())


def exact_mean(values: np.ndarray) -> float:
    """Mean of the non-NaN entries from `exact_sum`; NaN when there are none."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    return math.fsum(v.tolist()) / len(v) if len(v) else float("nan")
