"""Deterministic train/val/test assignment for datasets without published splits.

`random`: a seeded permutation. `spatial-block`: whole cells of an equal-area-ish grid go to one
split, so test points are far from training points (measures extrapolation, not interpolation).
"""

from __future__ import annotations

import numpy as np

from locbench.errors import InputError

HOLDOUTS = ("random", "spatial-block")
FRACTIONS = {"train": 0.7, "val": 0.1, "test": 0.2}


def block_ids(lon: np.ndarray, lat: np.ndarray, block_deg: float = 10.0) -> np.ndarray:
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


def assign(lon: np.ndarray, lat: np.ndarray, *, holdout: str = "random", seed: int = 0,
           block_deg: float = 10.0) -> np.ndarray:
    """Split name per row ('train'/'val'/'test'), 70/10/20 by rows (by whole blocks for spatial-block)."""
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
    if holdout == "spatial-block":
        blocks = block_ids(lon, lat, block_deg)
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
    raise InputError(f"unknown holdout {holdout!r}; choose one of {', '.join(HOLDOUTS)}", column="holdout")
