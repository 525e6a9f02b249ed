"""Turning a per-sample performance column into the values the scores see.

`apply_threshold` is the reference reader's binarisation (spec §0): with lower_is_better,
value < T -> +1 and value >= T -> -1; without it, reversed. `presence_marks` decides what a
presence point carries in marked SSI next to background points, which always carry 0.
"""

from __future__ import annotations

import math

import numpy as np

from georbias.errors import GeoBiasInputError


def check_threshold(threshold: float | None) -> None:
    """A threshold must be a finite number: NaN would silently make every value 'bad' (v < NaN is False)."""
    if threshold is not None and not math.isfinite(float(threshold)):
        raise GeoBiasInputError(f"threshold must be a finite number, got {threshold!r}")


def apply_threshold(values: np.ndarray, threshold: float | None, lower_is_better: bool) -> np.ndarray:
    """Binarise to +1 (good) / -1 (bad) at `threshold`; None returns the values unchanged."""
    v = np.asarray(values, dtype=np.float64)
    check_threshold(threshold)
    if threshold is None:
        return v
    below = v < float(threshold)
    good = below if lower_is_better else ~below
    return np.where(good, 1.0, -1.0)


def presence_marks(values: np.ndarray, marks: str) -> np.ndarray:
    """Marks of presence points for marked SSI (background is 0).

    "raw": the values themselves (the reference: a hit@1 of 0 is indistinguishable from background).
    "shifted": 1 + (v - min) / (max - min) over the whole dataset, in [1, 2]; constant values -> 1.
    The map is affine and increasing, so the ordering of performance is kept and 0 stays unused.
    """
    v = np.asarray(values, dtype=np.float64)
    if marks == "raw":
        return v
    if marks == "shifted":
        lo, hi = float(np.min(v)), float(np.max(v))
        if hi == lo:
            return np.ones_like(v)
        return 1.0 + (v - lo) / (hi - lo)
    raise ValueError(f"unknown marks rule {marks!r}")
