"""Contract C1: tie-shared k-NN weights are order-invariant, sum to k per row, and equal plain k-NN without ties."""

from __future__ import annotations

import numpy as np
import pytest

from georbias.neighbours import knn_weights, lonlat_to_xyz, tie_shared_knn_weights


def _tied_points(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates rounded to a coarse grid (many exact duplicates) plus mirror pairs (equal distances)."""
    rng = np.random.default_rng(seed)
    lon = np.round(rng.uniform(-20, 20, n) / 4) * 4
    lat = np.round(rng.uniform(-10, 10, n) / 4) * 4
    mirror = rng.uniform(0.5, 5, 20)
    lon = np.concatenate([lon, mirror, -mirror, np.zeros(5)])
    lat = np.concatenate([lat, np.zeros(45)])
    return lon, lat


def _brute(lon: np.ndarray, lat: np.ndarray, k: int) -> np.ndarray:
    """Dense reference for small N: the C1 definition applied to every pair."""
    xyz = lonlat_to_xyz(lon, lat)
    n = len(xyz)
    out = np.zeros((n, n))
    for i in range(n):
        d = xyz - xyz[i]
        d2 = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2]
        d2[i] = np.inf
        dk = np.sort(d2)[k - 1]
        closer, tied = d2 < dk, d2 == dk
        out[i, closer] = 1.0
        out[i, tied] = (k - closer.sum()) / tied.sum()
    return out


def _same_bits(a, b) -> bool:
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    return (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and a.data.tobytes() == b.data.tobytes())


@pytest.mark.parametrize("k", [1, 4, 8])
def test_rows_sum_to_k_and_match_brute_force(k: int) -> None:
    lon, lat = _tied_points(1)
    w = tie_shared_knn_weights(lon, lat, k)
    assert np.allclose(np.asarray(w.sum(axis=1)).ravel(), k, rtol=0, atol=1e-12)
    assert w.diagonal().sum() == 0
    ref = _brute(lon, lat, k)
    assert np.array_equal(w.toarray(), ref)
    # the inputs really are tie-heavy: many rows share weight below 1
    assert (w.data < 1).sum() > len(lon)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_permutation_gives_p_w_pt_bit_for_bit(seed: int) -> None:
    lon, lat = _tied_points(seed)
    k = 6
    w = tie_shared_knn_weights(lon, lat, k)
    perm = np.random.default_rng(100 + seed).permutation(len(lon))
    wp = tie_shared_knn_weights(lon[perm], lat[perm], k)
    assert _same_bits(wp, w[perm][:, perm])


def test_all_duplicates_share_evenly() -> None:
    lon, lat = np.full(50, 3.0), np.full(50, -7.0)
    w = tie_shared_knn_weights(lon, lat, 4)
    assert w.nnz == 50 * 49
    assert np.all(w.data == 4 / 49)


def test_agrees_with_plain_knn_without_ties() -> None:
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-180, 180, 3000), np.degrees(np.arcsin(rng.uniform(-1, 1, 3000)))
    for k in (1, 4, 16):
        w = tie_shared_knn_weights(lon, lat, k)
        assert _same_bits(w, knn_weights(lon, lat, k))


def test_large_tie_groups_beyond_the_first_window() -> None:
    """Groups of 200 duplicates force the widening loop; still exact against brute force."""
    rng = np.random.default_rng(9)
    lon = np.concatenate([np.full(200, 10.0), np.full(200, 11.0), rng.uniform(0, 20, 100)])
    lat = np.concatenate([np.full(200, 5.0), np.full(200, 5.0), rng.uniform(0, 10, 100)])
    w = tie_shared_knn_weights(lon, lat, 3)
    assert np.array_equal(w.toarray(), _brute(lon, lat, 3))


def test_too_few_points() -> None:
    with pytest.raises(ValueError, match="k \\+ 1"):
        tie_shared_knn_weights(np.zeros(3), np.zeros(3), 3)


def test_plain_knn_keeps_k_neighbours_and_never_self_on_duplicates() -> None:
    """Five copies of a point and three others: every row has exactly k neighbours, none of them itself,
    and a copy's neighbours are other copies (distance 0) before anything else."""
    lon = np.array([1.0] * 5 + [10.0, 20.0, 30.0])
    lat = np.array([2.0] * 5 + [0.0, 0.0, 0.0])
    w = knn_weights(lon, lat, 3)
    assert w.shape == (8, 8) and np.all(w.sum(axis=1).A1 == 3) and w.diagonal().sum() == 0
    dense = w.toarray()
    assert np.all(dense[:5, 5:] == 0) and np.all(dense[:5, :5].sum(axis=1) == 3)
    assert dense[7, 5] == dense[7, 6] == 1 and dense[7, :5].sum() == 1  # 10 and 20 degrees away, then one copy
