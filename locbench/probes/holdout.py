"""Carve a validation split out of train, seeded, for hyper-parameter choice (never the reported split).

`random`: a uniformly random 20 % of training rows.
`spatial-block`: whole 10° x 10° lon/lat blocks are held out (blocks drawn in a seeded random
order until at least 20 % of rows are held out), so validation measures transfer to unseen places
rather than interpolation between neighbours; unlocated rows are assigned at random.
"""

from __future__ import annotations

import numpy as np

from locbench.errors import InputError

HOLDOUTS = ("random", "spatial-block")


def carve_validation(lon: np.ndarray, lat: np.ndarray, *, seed: int, method: str = "random",
                     fraction: float = 0.2, block_deg: float = 10.0) -> np.ndarray:
    """Boolean mask of validation rows; both parts are non-empty when n >= 2."""
    if method not in HOLDOUTS:
        raise InputError(f"holdout must be one of {', '.join(HOLDOUTS)}, got {method!r}")
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    n = len(lon)
    rng = np.random.default_rng(seed)
    val = np.zeros(n, dtype=bool)
    if n < 2:
        return val
    target = max(1, int(round(fraction * n)))
    if method == "random":
        val[rng.permutation(n)[:target]] = True
        return val
    loc = np.isfinite(lon) & np.isfinite(lat)
    col = np.floor((np.clip(np.nan_to_num(lon), -180, 179.999) + 180.0) / block_deg).astype(np.int64)
    row = np.floor((np.clip(np.nan_to_num(lat), -90, 89.999) + 90.0) / block_deg).astype(np.int64)
    block = np.where(loc, row * 1000 + col, -1)
    blocks = np.unique(block[loc])
    if len(blocks) < 2:  # one block cannot be split spatially: fall back to random rows
        val[rng.permutation(n)[:target]] = True
        return val
    for b in rng.permutation(blocks):
        if val.sum() >= target * loc.mean():
            break
        val |= block == b
    unl = np.flatnonzero(~loc)
    if len(unl):
        val[unl[rng.random(len(unl)) < fraction]] = True
    if val.all():  # the last block swallowed everything: give one block back
        val &= block != blocks[0]
    return val
