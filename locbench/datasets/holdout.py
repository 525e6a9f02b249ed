"""Every seeded spatial/random split in locbench, in one place. Two different jobs, two block grids:

- `assign` — **dataset splits** for datasets without published ones (the embedded sets): 70/10/20 %
  train/val/test, `random` (a seeded permutation) or `spatial-block`, where whole cells of an
  **equal-area** grid (`equal_area_block_ids`: 10° latitude bands, each cut into cells ~10° wide at
  its centre latitude) go to one split, so test points are far from training points.
- `carve_validation` — the **probes' validation carve** (linear/knn/mlp hyper-parameter choice)
  out of a training split: 20 % of rows, `random` or `spatial-block`, where whole cells of the
  **plain 10° x 10° lon/lat grid** (`lonlat_block_ids`) are held out. Never the reported split.

Both are selected by the same `--holdout random|spatial-block` flag of `locbench evaluate`.
"""

from __future__ import annotations

import numpy as np

from locbench.errors import InputError

HOLDOUTS = ("random", "spatial-block")
FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}


def _check_holdout(holdout: str) -> None:
    if holdout not in HOLDOUTS:
        raise InputError(f"unknown holdout {holdout!r}; choose one of {', '.join(HOLDOUTS)}", column="holdout")


def equal_area_block_ids(lon: np.ndarray, lat: np.ndarray, block_deg: float = 10.0) -> np.ndarray:
    """Cell id per point on a grid of ~block_deg x block_deg cells with about equal area.

    Latitude bands are `block_deg` high; a band centred at latitude φ is cut into
    round(360·cos φ / block_deg) longitude cells, so cells shrink in longitude toward the poles.
    """
    if not block_deg > 0:
        raise InputError(f"block size must be positive, got {block_deg!r}", column="block_deg")
    n_bands = int(np.ceil(180.0 / block_deg))
    band = np.clip(((lat + 90.0) // block_deg).astype(np.int64), 0, n_bands - 1)
    centre = -90.0 + (np.arange(n_bands) + 0.5) * block_deg
    cells = np.maximum(1, np.round(360.0 * np.cos(np.radians(centre)) / block_deg)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(cells)[:-1]])
    n_cells = cells[band]
    cell = np.minimum(((lon + 180.0) / 360.0 * n_cells).astype(np.int64), n_cells - 1)
    return offsets[band] + cell


def lonlat_block_ids(lon: np.ndarray, lat: np.ndarray, block_deg: float = 10.0) -> np.ndarray:
    """Cell id per point on the plain block_deg x block_deg lon/lat grid; -1 for unlocated rows."""
    loc = np.isfinite(lon) & np.isfinite(lat)
    col = np.floor((np.clip(np.nan_to_num(lon), -180, 179.999) + 180.0) / block_deg).astype(np.int64)
    row = np.floor((np.clip(np.nan_to_num(lat), -90, 89.999) + 90.0) / block_deg).astype(np.int64)
    return np.where(loc, row * 1000 + col, -1)


def assign(lon: np.ndarray, lat: np.ndarray, *, holdout: str = "random", seed: int = 0,
           block_deg: float = 10.0) -> np.ndarray:
    """Dataset split name per row ('train'/'val'/'test'), 70/10/20 by rows (by whole equal-area blocks for spatial-block)."""
    _check_holdout(holdout)
    n = lon.shape[0]
    rng = np.random.default_rng(seed)
    out = np.empty(n, dtype=object)
    if holdout == "random":
        order = rng.permutation(n)
        n_test = int(round(FRACTIONS["test"] * n))
        n_val = int(round(FRACTIONS["val"] * n))
        out[order[:n_test]] = "test"
        out[order[n_test:n_test + n_val]] = "val"
        out[order[n_test + n_val:]] = "train"
        return out
    blocks = equal_area_block_ids(lon, lat, block_deg)
    uniq, inverse, counts = np.unique(blocks, return_inverse=True, return_counts=True)
    order = rng.permutation(uniq.shape[0])
    cum = np.cumsum(counts[order]) / n
    # a block goes to test while the running share is below 20 %, then to val up to 30 %
    before = cum - counts[order] / n
    label_of_block = np.where(before < FRACTIONS["test"], "test",
                              np.where(before < FRACTIONS["test"] + FRACTIONS["val"], "val", "train"))
    per_block = np.empty(uniq.shape[0], dtype=object)
    per_block[order] = label_of_block
    out[:] = per_block[inverse]
    return out


def carve_validation(lon: np.ndarray, lat: np.ndarray, *, seed: int, method: str = "random",
                     fraction: float = 0.2, block_deg: float = 10.0) -> np.ndarray:
    """Boolean mask of the probes' validation rows; both parts are non-empty when n >= 2.

    spatial-block: plain-grid blocks drawn in a seeded random order until at least `fraction` of the
    located rows are held out; unlocated rows are assigned at random; one block only -> random rows.
    """
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
    block = lonlat_block_ids(lon, lat, block_deg)
    loc = block >= 0
    blocks = np.unique(block[loc])
    if method == "random" or len(blocks) < 2:  # one block cannot be split spatially: random rows
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
