"""Exact great-circle neighbours on the unit sphere, without any dense N x N matrix.

Points are mapped to unit-sphere xyz; a scipy cKDTree answers Euclidean (chord) queries,
and chord c and great-circle angle d convert exactly: c = 2 sin(d / 2), d = 2 arcsin(c / 2).
The chord is monotone in the angle, so k-NN and radius sets are the great-circle ones.

Tie order is deterministic: neighbours are sorted by (angle, row index), and when ties
straddle the k-th place the lowest row indices win.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from georbias.config import EARTH_RADIUS_KM
from georbias.pool import tree_query

_KNN_SLICE = 50_000  # query points per k-NN call



def lonlat_to_xyz(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """(N,) lon/lat in degrees -> (N, 3) unit vectors."""
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    cl = np.cos(lat)
    return np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])


def latlon_rad_to_xyz(lat_rad: np.ndarray, lon_rad: np.ndarray) -> np.ndarray:
    """(N,) lat/lon in radians -> (N, 3) unit vectors."""
    lat = np.asarray(lat_rad, dtype=np.float64)
    lon = np.asarray(lon_rad, dtype=np.float64)
    cl = np.cos(lat)
    return np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])


def chord_to_angle(chord: np.ndarray) -> np.ndarray:
    return 2.0 * np.arcsin(np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0))


def angle_to_chord(angle: np.ndarray | float) -> np.ndarray | float:
    return 2.0 * np.sin(np.minimum(np.asarray(angle, dtype=np.float64), np.pi) / 2.0)


def radius_to_radians(radius: float, unit: str) -> float:
    """A radius in 'rad' (great-circle angle) or 'km' (on a 6371 km sphere) -> radians."""
    if unit in ("rad", "radian", "radians"):
        return float(radius)
    if unit == "km":
        return float(radius) / EARTH_RADIUS_KM
    raise ValueError(f"radius unit must be 'rad' or 'km', got {unit!r}")


def haversine(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle angle in radians between degree coordinates (broadcasting)."""
    l1, p1, l2, p2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def canonical_order(lat: np.ndarray, lon: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Row order by (lat, lon, value): the same rows in any input order get the same order.

    Scores computed in this order, with ties broken by position in it, cannot depend on how the
    input was sorted: rows that share a position-deciding key are identical in every input.
    (+ 0.0 folds -0.0 into 0.0, which the sort would otherwise treat as equal but keep apart.)
    """
    keys = [np.asarray(a, dtype=np.float64) + 0.0 for a in (values, lon, lat)]
    return np.lexsort(keys)


class SphereIndex:
    """A cKDTree over unit-sphere points, answering great-circle k-NN and radius queries."""

    def __init__(self, lon_deg: np.ndarray, lat_deg: np.ndarray) -> None:
        self._build(lonlat_to_xyz(lon_deg, lat_deg))

    def _build(self, xyz: np.ndarray) -> None:
        self.xyz = np.ascontiguousarray(xyz, dtype=np.float64)
        self.n = len(self.xyz)
        self.tree = cKDTree(self.xyz, leafsize=32, balanced_tree=False, compact_nodes=True)

    @classmethod
    def from_xyz(cls, xyz: np.ndarray) -> "SphereIndex":
        """Index unit vectors directly (e.g. built from radians, to keep exact inputs exact)."""
        self = cls.__new__(cls)
        self._build(xyz)
        return self

    def knn(self, k: int, query_xyz: np.ndarray | None = None, workers: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """k nearest neighbours (self included when querying the indexed points).

        Returns (angles (M, k) radians ascending, indices (M, k)), sorted by (angle, index).
        """
        if k < 1:
            raise ValueError("k must be >= 1")
        if k > self.n:
            raise ValueError(f"k = {k} exceeds the number of points ({self.n})")
        q = self.xyz if query_xyz is None else query_xyz
        if len(q) > _KNN_SLICE:  # slices: bounded memory, and Ctrl-C is seen between them
            parts = [self.knn(k, q[s:s + _KNN_SLICE], workers) for s in range(0, len(q), _KNN_SLICE)]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        extra = min(self.n - k, 8)
        kk = k + extra
        chord, idx = tree_query(self.tree, q, kk)
        chord = np.asarray(chord).reshape(len(q), kk)
        idx = np.asarray(idx).reshape(len(q), kk)
        # Order each row by (chord, index) so equal distances break by row index.
        # (cKDTree already returns each row by distance: only rows with an equal pair need the sort.)
        tied = np.nonzero((chord[:, 1:] == chord[:, :-1]).any(axis=1))[0]
        if len(tied):
            order = np.lexsort((idx[tied], chord[tied]), axis=1)
            chord[tied] = np.take_along_axis(chord[tied], order, axis=1)
            idx[tied] = np.take_along_axis(idx[tied], order, axis=1)
        # Rows whose tie at the k-th place may extend past the queried window need a radius query.
        if extra > 0:
            suspect = np.nonzero(chord[:, k - 1] >= chord[:, -1])[0]
        else:
            suspect = np.empty(0, dtype=np.int64)
        out_c, out_i = chord[:, :k].copy(), idx[:, :k].copy()
        for r in suspect:
            cand = np.asarray(self.tree.query_ball_point(q[r], chord[r, k - 1] * (1 + 1e-12) + 1e-300), dtype=np.int64)
            dc = np.linalg.norm(self.xyz[cand] - q[r], axis=1)
            o = np.lexsort((cand, dc))[:k]
            out_c[r], out_i[r] = dc[o], cand[o]
        return chord_to_angle(out_c), out_i

    def within(self, radius_rad: float, query_xyz: np.ndarray | None = None) -> list[np.ndarray]:
        """Indices within a great-circle radius (inclusive), each sorted by (angle, index)."""
        q = self.xyz if query_xyz is None else query_xyz
        c = float(angle_to_chord(radius_rad)) * (1 + 1e-12)
        lists = self.tree.query_ball_point(q, c)
        out = []
        for r, cand in enumerate(lists):
            cand = np.asarray(cand, dtype=np.int64)
            dc = np.linalg.norm(self.xyz[cand] - q[r], axis=1)
            keep = chord_to_angle(dc) <= radius_rad
            cand, dc = cand[keep], dc[keep]
            o = np.lexsort((cand, dc))
            out.append(cand[o])
        return out


def knn_weights(lon_deg: np.ndarray, lat_deg: np.ndarray, k: int) -> sp.csr_matrix:
    """Directed binary k-NN weights (self excluded) as a sparse CSR matrix, O(N k) memory.

    Ties at the k-th distance are broken by the index's order; the scores use
    `tie_shared_knn_weights`, this plain graph is the textbook one the tests compare against.
    """
    n = len(lon_deg)
    if n < k + 1:
        raise ValueError(f"need at least k + 1 = {k + 1} points for a {k}-NN graph, got {n}")
    index = SphereIndex(lon_deg, lat_deg)
    _, idx = index.knn(k + 1)
    rows = np.repeat(np.arange(n), k + 1)
    cols = idx.ravel()
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    # Duplicate coordinates can push self out of the first k+1: keep the first k of each row.
    counts = np.bincount(rows, minlength=n)
    position = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows]
    rows, cols = rows[position < k], cols[position < k]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _sq_chords(xyz: np.ndarray, rows: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Squared chord |x_i - x_j|^2 per (row, candidate), written out per axis so each pair's value
    depends only on the two points (same bits whatever the row order, and symmetric)."""
    from georbias.neighbour_kernel import sq_chords

    if sq_chords is not None and len(rows) > 1000:   # same arithmetic, compiled (no (rows, k, 3) temporaries)
        return sq_chords(xyz, np.asarray(rows), np.asarray(idx))
    d = xyz[idx] - xyz[rows][:, None, :]
    return d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2]


def _tie_shared_rows(rows: np.ndarray, idx: np.ndarray, d2: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """(row, col, weight) entries of complete candidate windows: weight 1 strictly inside the k-th
    distance, (k - n_closer) / n_tied shared by every candidate exactly at it."""
    other = idx != rows[:, None]
    d2o = np.where(other, d2, np.inf)
    dk = np.sort(d2o, axis=1)[:, k - 1]
    closer = d2o < dk[:, None]
    tied = d2o == dk[:, None]
    n_closer = closer.sum(axis=1)
    share = (k - n_closer) / tied.sum(axis=1)
    weight = np.where(closer, 1.0, np.where(tied, share[:, None], 0.0))
    keep = closer | tied
    r = np.broadcast_to(rows[:, None], idx.shape)
    return r[keep], idx[keep], weight[keep]


_CANDIDATE_BUDGET = 2_000_000  # candidate (row, neighbour) pairs per block of tie_shared_knn_weights


def _tie_shared_block(tree: cKDTree, xyz: np.ndarray, rows: np.ndarray, k: int, kk: int,
                      complete: bool) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Entries of the rows whose kk-candidate window provably holds every point at <= d_k(i),
    and the rows that need a wider window."""
    chord, idx = tree_query(tree, xyz[rows], kk)
    chord, idx = np.asarray(chord).reshape(len(rows), kk), np.asarray(idx).reshape(len(rows), kk)
    d2 = _sq_chords(xyz, rows, idx)
    other = np.where(idx != rows[:, None], d2, np.inf)
    dk = np.sqrt(np.sort(other, axis=1)[:, k - 1])
    # Any point the tree left out is at tree-chord >= chord[:, -1]; with a margin far above
    # rounding, it is then strictly farther than d_k(i) by our own arithmetic as well.
    done = np.ones(len(rows), dtype=bool) if complete else chord[:, -1] > dk * (1 + 1e-9) + 1e-12
    return _tie_shared_rows(rows[done], idx[done], d2[done], k), rows[~done]


def tie_shared_knn_weights(lon_deg: np.ndarray, lat_deg: np.ndarray, k: int) -> sp.csr_matrix:
    """Order-invariant directed k-NN weights (contract C1): row i has weight 1 on every j != i
    strictly closer than its k-th smallest distance d_k(i), and the remaining k - n_closer shared
    equally by every j at exactly d_k(i). Rows sum to k; for any permutation P the result is
    P W P^T bit for bit, because nothing depends on row indices (unlike `knn_weights`, whose ties
    go to the lowest rows). Distances are squared chords computed per pair; the tree only proposes
    candidates, and a row is accepted once its window provably holds every point at <= d_k(i).
    Memory O(N k) except around large groups of exactly tied points (e.g. duplicates)."""
    xyz = lonlat_to_xyz(lon_deg, lat_deg)
    n, k = len(xyz), int(k)
    if k < 1:
        raise ValueError("k must be >= 1")
    if n < k + 1:
        raise ValueError(f"need at least k + 1 = {k + 1} points for a {k}-NN graph, got {n}")
    tree = cKDTree(xyz, leafsize=32, balanced_tree=False, compact_nodes=True)
    pending, kk = np.arange(n), min(n, k + 9)
    parts: list[tuple[np.ndarray, ...]] = []
    while len(pending):
        block = max(1, _CANDIDATE_BUDGET // kk)   # bounds the (rows, kk, 3) candidate arrays
        retry = []
        for start in range(0, len(pending), block):
            rows_b = pending[start:start + block]
            part, left = _tie_shared_block(tree, xyz, rows_b, k, kk, complete=kk == n)
            parts.append(part)
            retry.append(left)
        pending, kk = np.concatenate(retry), min(n, kk * 4)
    rows, cols, data = (np.concatenate(p) for p in zip(*parts))
    w = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    w.sort_indices()
    return w
