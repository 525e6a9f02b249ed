"""The 10^6-point shortcuts of the autocorrelation and the headline give the same bits as the
code they replace: compiled squared chords, run-based identical-row detection, permutation
blocks of any width, and weight sums computed once per graph."""

from __future__ import annotations

import numpy as np
import pytest

import georbias.autocorrelation as A
from georbias.neighbours import canonical_order


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Degrees on a coarse grid (many exact duplicates, some -0.0) and 0/1 values."""
    rng = np.random.default_rng(seed)
    lon = rng.integers(-30, 30, n) * 0.5
    lat = rng.integers(-20, 20, n) * 0.5
    lat[(lat == 0) & (rng.random(n) < 0.5)] = -0.0
    return lon.astype(float), lat.astype(float), (rng.random(n) < 0.4).astype(float)


def test_sq_chords_compiled_equals_numpy() -> None:
    kern = pytest.importorskip("georbias.neighbour_kernel")
    if kern.sq_chords is None:
        pytest.skip("numba absent")
    rng = np.random.default_rng(0)
    xyz = rng.normal(size=(5000, 3))
    xyz /= np.linalg.norm(xyz, axis=1)[:, None]
    rows, idx = rng.integers(0, 5000, 3000), rng.integers(0, 5000, (3000, 13))
    d = xyz[idx] - xyz[rows][:, None, :]
    expected = d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2]
    assert np.array_equal(kern.sq_chords(xyz, rows, idx), expected)


def test_first_of_equal_run_equals_unique() -> None:
    for seed in range(5):
        lon, lat, y = _points(4000, seed)
        o = canonical_order(lat, lon, y)
        lon, lat, y = lon[o], lat[o], y[o]
        tw = np.unique(np.column_stack([lon, lat, y]), axis=0, return_index=True, return_inverse=True)
        np.testing.assert_array_equal(A.first_of_equal_run(lon, lat, y), tw[1][tw[2].ravel()])


def test_permutation_block_width_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    lon, lat, y = _points(3000, 7)
    out = []
    for cells in (10**9, 3 * 3000, 3000):   # pieces of 16, 3 and 2 permutations (41 = 2 x 16 + 9)
        monkeypatch.setattr(A, "_PERM_CELLS", cells)
        r = A.autocorrelation_scores(lon, lat, y, k=4, permutations=41, seed=3)
        out.append((r.to_dict(), r.lisa.p_sim, r.lisa.z_sim))
    for d, p, z in out[1:]:
        assert d == out[0][0]
        assert np.array_equal(p, out[0][1], equal_nan=True) and np.array_equal(z, out[0][2], equal_nan=True)


def test_weight_sums_cached_equals_fresh() -> None:
    lon, lat, _ = _points(2000, 1)
    a, w = A._knn_weights(lon, lat, 4)
    first = A.weight_sums(w)
    fresh = A.weight_sums(w.copy())      # a copy has no cached sums
    assert first == fresh == A.weight_sums(w)
