"""Frequency (scale) lists of the multi-scale encoders (spec §B notation).

`geometric`: t_s = r_min * (r_max / r_min) ** (s / (S - 1)), f_s = 1 / t_s, s = 0..S-1 — the
published Space2Vec / Sphere2Vec list (highest frequency 1/r_min, lowest 1/r_max).
`max_only`: f_s = r_max ** (-s / (S - 1)) — TorchSpatial's sphereM+ / dfs code (ignores r_min);
kept only so TorchSpatial runs can be reproduced (`freq_list="max_only"`).
"""

from __future__ import annotations

import numpy as np

from locbench.errors import InputError

FREQ_LISTS = ("geometric", "max_only")


def frequency_list(frequency_num: int, min_radius: float, max_radius: float,
                   kind: str = "geometric") -> np.ndarray:
    """float64 array of S frequencies (see module doc). S = 1 gives [1 / r_min] (geometric)."""
    S = int(frequency_num)
    if S < 1:
        raise InputError(f"frequency_num must be >= 1, got {frequency_num}", column="frequency_num")
    r_min, r_max = float(min_radius), float(max_radius)
    if kind == "geometric":
        if not (0 < r_min <= r_max):
            raise InputError(f"need 0 < min_radius <= max_radius, got {r_min}, {r_max}",
                             column="min_radius")
        if S == 1:
            return np.array([1.0 / r_min])
        s = np.arange(S, dtype=np.float64)
        t = r_min * (r_max / r_min) ** (s / (S - 1))
        return 1.0 / t
    if kind == "max_only":
        if not r_max > 0:
            raise InputError(f"max_radius must be > 0, got {r_max}", column="max_radius")
        if S == 1:
            return np.array([1.0])
        s = np.arange(S, dtype=np.float64)
        return r_max ** (-s / (S - 1))
    raise InputError(f"unknown freq_list {kind!r}; choose one of {', '.join(FREQ_LISTS)}",
                     column="freq_list")
