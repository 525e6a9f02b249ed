"""The validity suite's building blocks (V1-V5, docs/geobias.md "Headline score"), for any score.

A score here is a function (lon_deg, lat_deg, hit) -> float, higher = more geo-biased, where hit
is 1 for a correct and 0 for a wrong sample. The scenarios place errors on *real* sample
locations: uniformly at random at a fixed error rate (no spatial structure, V2), or concentrated
in one region at the same rate (V3). `null_band` measures the permutation noise: the score of
the same hits shuffled over the locations. Everything takes a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ScoreFn = Callable[[np.ndarray, np.ndarray, np.ndarray], float]
BAND_SDS = 3.0   # half-width of the no-structure band, in permutation standard deviations


@dataclass(frozen=True)
class NullBand:
    """Scores of one hit vector shuffled over the locations `n_perm` times."""

    mean: float
    sd: float
    n_perm: int

    @property
    def low(self) -> float:
        return self.mean - BAND_SDS * self.sd

    @property
    def high(self) -> float:
        return self.mean + BAND_SDS * self.sd

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


def uniform_errors(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Hits (1.0 / 0.0) with exactly round(rate n) errors at uniformly random rows."""
    hit = np.ones(n)
    hit[rng.choice(n, size=int(round(rate * n)), replace=False)] = 0.0
    return hit


def concentrated_errors(in_region: np.ndarray, rate: float, concentration: float,
                        rng: np.random.Generator) -> np.ndarray:
    """Hits with round(rate n) errors, a share of them inside the region that goes from its
    uniform share (concentration 0) to as many as the region holds (concentration 1)."""
    in_region = np.asarray(in_region, dtype=bool)
    n, n_reg = len(in_region), int(in_region.sum())
    n_err = int(round(rate * n))
    uniform_in = n_err * n_reg / n
    most_in = min(n_err, n_reg)
    n_in = int(round(uniform_in + concentration * (most_in - uniform_in)))
    n_out = n_err - n_in
    if n_out > n - n_reg:
        raise ValueError(f"{n_out} errors do not fit outside a region of {n_reg} of {n} samples")
    hit = np.ones(n)
    inside, outside = np.flatnonzero(in_region), np.flatnonzero(~in_region)
    hit[rng.choice(inside, size=n_in, replace=False)] = 0.0
    hit[rng.choice(outside, size=n_out, replace=False)] = 0.0
    return hit


def null_band(score: ScoreFn, lon: np.ndarray, lat: np.ndarray, hit: np.ndarray, n_perm: int,
              rng: np.random.Generator) -> NullBand:
    """Permutation-noise band: the score of `hit` shuffled over the locations, n_perm times."""
    draws = np.array([score(lon, lat, rng.permutation(hit)) for _ in range(n_perm)])
    return NullBand(mean=float(draws.mean()), sd=float(draws.std(ddof=1)), n_perm=n_perm)


def densest_cell(lon: np.ndarray, lat: np.ndarray, size_deg: float = 10.0) -> tuple[np.ndarray, str]:
    """Mask of the samples in the most populated size_deg x size_deg cell, and its label."""
    ix = np.floor((np.asarray(lon) + 180.0) / size_deg).astype(np.int64)
    iy = np.floor((np.asarray(lat) + 90.0) / size_deg).astype(np.int64)
    key = ix * 1000 + iy
    cells, counts = np.unique(key, return_counts=True)
    best = cells[np.argmax(counts)]   # np.unique sorts, so ties go to the lowest key: deterministic
    x0, y0 = (best // 1000) * size_deg - 180.0, (best % 1000) * size_deg - 90.0
    return key == best, f"cell lon [{x0:g}, {x0 + size_deg:g}), lat [{y0:g}, {y0 + size_deg:g})"


def nearest_label(lon: np.ndarray, lat: np.ndarray, ref_lon: np.ndarray, ref_lat: np.ndarray,
                  ref_label: np.ndarray) -> np.ndarray:
    """Label of the nearest reference point on the sphere (e.g. the continent of the nearest city)."""
    from scipy.spatial import cKDTree

    from georbias.neighbours import lonlat_to_xyz

    _, idx = cKDTree(lonlat_to_xyz(ref_lon, ref_lat)).query(lonlat_to_xyz(lon, lat))
    return np.asarray(ref_label)[idx]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    from scipy.stats import spearmanr

    return float(spearmanr(np.asarray(x, dtype=float), np.asarray(y, dtype=float))[0])
