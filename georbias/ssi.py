"""Spatial Self-Information (SSI), unmarked and marked, one value per ROI, fast and exact.

The reference (spec §1) builds, for every sample, a ROI (points within the radius among the K
nearest), synthetic background rings rotated onto the centre, a dense 4-NN weight matrix over
presence + background, and Moran's I = X'WX. That is ~12 ms per ROI in Python. Here:

* The ring geometry depends only on the ROI size n and the radius, so it is built once per n in
  the frame where the centre is the north pole (with its background-only k-NN lists cached),
  and the presence points are rotated into that frame instead.
* Background values are all equal, so I = X'WX needs only, per ROI: the presence-to-presence
  edges, how many background points each presence point takes as neighbours, and how many
  background points take each presence point. No per-ROI tree or dense matrix is built.
* ROIs with the same n are processed in vectorised batches; k-NN queries go through cKDTree.

The graph is the exact directed k-NN graph on the union (chord distances, equivalent to great-
circle ones). Exact distance ties follow the preset's `tie_rule`: "first" (presence before
background, then ROI order; presets torchspatial and pygbs) or "shared" (every neighbour at the
k-th distance shares the remaining weight; locbench). `reference_ties=True` sends every ROI with
a tie through the reference's own BallTree calls instead (georbias.ssi_reference).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from scipy.spatial import cKDTree

from georbias.config import DEFAULT_RADIUS_RAD, DEFAULTS
from georbias.neighbours import SphereIndex, chord_to_angle
from georbias.presets import SSIPreset
from georbias.sums import exact_mean, exact_sum
from georbias.surprisal import moran_moments, surprisal
from georbias.values import presence_marks

BACKGROUND_VALUE = 0.0
# An ROI counts as saturated from 589.4617 on (p below ~1e-260, lost under the 1e-256 floor): the
# threshold the reference's recorded aggregates use (conformance README), just under SATURATION.
SATURATED_AT = 589.4617
_CANDIDATES = 10  # background points looked at per presence point before falling back to a ball query
_GLOBAL_LIST = 8  # global nearest neighbours looked at per presence point before using the whole ROI
_THREADS = 4  # worker threads over ROI chunks (capped by the CPU count)
_ROI_CHUNK = 20_000  # ROI centres per k-NN query (bounds the (chunk, K) arrays)
_PAIR_BUDGET = 3_000_000  # presence pairs per vectorised batch (bounds memory)


@dataclass(frozen=True)
class BackgroundGeometry:
    """Background rings of a ROI of size n, in the pole frame, with their background-only k-NN."""

    n: int
    density: int
    spacing: float
    n_rings: int
    xyz: np.ndarray  # (m, 3)
    tree: cKDTree
    knn_dist: np.ndarray  # (m, k) chord distances to the k nearest other background points, ascending
    kth: np.ndarray  # (m,) the k-th of those
    reach: float  # max(kth): a presence point farther than this from b never enters b's k-NN

    @property
    def m(self) -> int:
        return len(self.xyz)


def background_density(n: int, radius_rad: float) -> int:
    """Points per square radian: ceil(5 n / (pi r^2)) (the reference's auto density)."""
    return int(math.ceil(5 * n / (np.pi * radius_rad ** 2)))


def ring_points(n: int, radius_rad: float) -> tuple[np.ndarray, int, float, int]:
    """Pole-frame ring points (xyz), density, spacing and ring count for a ROI of n points.

    Ring i (1..ceil(r / d)) sits at colatitude i*d and holds ceil(2 pi i) points starting at lon -pi.
    """
    density, spacing, counts = ring_layout(n, radius_rad)
    lat = ring_colatitudes(spacing, counts)
    lon = np.concatenate([-np.pi + 2 * np.pi * np.arange(m_i) / m_i for m_i in counts])
    cl = np.cos(lat)
    xyz = np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])
    return xyz, density, float(spacing), len(counts)


def ring_layout(n: int, radius_rad: float) -> tuple[int, float, list[int]]:
    """Density, ring spacing d = 1 / sqrt(density) and the points of each ring i = 1..ceil(r / d): ceil(2 pi i)."""
    density = background_density(n, radius_rad)
    spacing = 1.0 / np.sqrt(density)
    n_rings = int(math.ceil(radius_rad / spacing))
    return density, spacing, [int(math.ceil(2 * np.pi * i)) for i in range(1, n_rings + 1)]


def ring_colatitudes(spacing: float, counts: list[int]) -> np.ndarray:
    """Latitude pi/2 - i d of every ring point (ring i holds counts[i - 1] points)."""
    return np.concatenate([np.full(m_i, np.pi / 2 - i * spacing) for i, m_i in enumerate(counts, start=1)])


class BackgroundCache:
    """Per-(n, radius, k) background geometry, built on first use."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, float, int], BackgroundGeometry] = {}

    def get(self, n: int, radius_rad: float, k: int) -> BackgroundGeometry:
        key = (int(n), float(radius_rad), int(k))
        geo = self._cache.get(key)
        if geo is None:
            xyz, density, spacing, n_rings = ring_points(n, radius_rad)
            tree = cKDTree(xyz)
            d, _ = tree.query(xyz, k=k + 1)
            knn = np.asarray(d)[:, 1:]  # ring points are distinct, so column 0 is the point itself
            geo = BackgroundGeometry(n, density, spacing, n_rings, xyz, tree, knn, knn[:, -1], float(knn[:, -1].max()))
            self._cache[key] = geo
        return geo


_BACKGROUND = BackgroundCache()


def _rotation_to_pole(lat_c: np.ndarray, lon_c: np.ndarray) -> np.ndarray:
    """(C, 3, 3) matrices R = Rz(lon) Ry(pi/2 - lat) that map the pole onto each centre.

    Row vectors p @ R are the points in the centre's pole frame (R is orthogonal).
    """
    th = np.pi / 2 - lat_c
    ct, st, cl, sl = np.cos(th), np.sin(th), np.cos(lon_c), np.sin(lon_c)
    r = np.empty((len(lat_c), 3, 3))
    r[:, 0, 0], r[:, 0, 1], r[:, 0, 2] = cl * ct, -sl, cl * st
    r[:, 1, 0], r[:, 1, 1], r[:, 1, 2] = sl * ct, cl, sl * st
    r[:, 2, 0], r[:, 2, 1], r[:, 2, 2] = -st, 0.0, ct
    return r


@dataclass
class GraphSummary:
    """What I = X'WX needs from the weight graph of a batch of C ROIs of size n."""

    pp_row: np.ndarray  # (E,) presence -> presence edges: flat row c * n + p of the source ...
    pp_q: np.ndarray  # (E,) ... and the index q of the target inside the same ROI
    to_bg: np.ndarray  # (C, n) how many of each presence point's k neighbours are background
    from_bg: np.ndarray  # (C, n) how many background points take this presence point as a neighbour
    m: int  # background points per ROI
    k: int
    tie_live: np.ndarray | None = None  # (C,) the centre/ring-2 tie decided an edge (see roi_graph)
    pp_w: np.ndarray | None = None  # (E,) edge weights (shared ties); None: every edge weighs 1


def _presence_candidates(flat: np.ndarray, n: int, ids_mem: np.ndarray, glist: np.ndarray, gdist: np.ndarray,
                         thr: np.ndarray, k: int,
                         whole_ties: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, presence index, chord) of presence points that may be among a row's k nearest.

    flat (C*n, 3) pole-frame points; ids_mem (C, n) dataset ids of the ROI members; glist/gdist
    (C, n, G) each member's G nearest dataset points and chords, ascending. A row's list is
    complete when it holds k ROI members within thr or reaches past thr; other rows use every
    ROI member. `whole_ties`: complete only when k ROI members are strictly nearer than the list's
    last entry, so every point tied at the k-th distance is in it.
    """
    c, _, g = glist.shape
    n_rows = c * n
    thr3 = thr.reshape(c, n, 1)
    near = gdist <= thr3 * (1 + 1e-6) + 1e-15
    cr, cp, cj = np.nonzero(near)
    big = int(max(ids_mem.max(), glist.max())) + 1  # keys (chunk row, dataset id) must not collide
    keys = (np.arange(c)[:, None] * big + ids_mem).ravel()
    ko = np.argsort(keys)
    sorted_keys = keys[ko]
    ckeys = cr * big + glist[cr, cp, cj]
    at = np.minimum(np.searchsorted(sorted_keys, ckeys), n_rows - 1)
    q_row = ko[at]  # flat row of the candidate inside this chunk (valid where hit)
    row = cr * n + cp
    hit = (sorted_keys[at] == ckeys) & (q_row != row)
    row, qq = row[hit], q_row[hit] - cr[hit] * n
    found = np.bincount(row, minlength=n_rows)
    last = gdist[:, :, -1].ravel()
    short = (found < k) & (last <= thr * (1 + 1e-6) + 1e-15)
    if whole_ties:
        strict = np.bincount(row[gdist[cr, cp, cj][hit] < last[row]], minlength=n_rows)
        short |= (strict < k) & (last <= thr * (1 + 1e-6) + 1e-15)
    n_direct = len(row)
    if short.any():
        keep = ~short[row]
        srows = np.nonzero(short)[0]
        row_s = np.repeat(srows, n)
        q_s = np.tile(np.arange(n), len(srows))
        ok = q_s != (row_s % n)
        row = np.concatenate([row[keep], row_s[ok]])
        qq = np.concatenate([qq[keep], q_s[ok]])
        n_direct = int(keep.sum())
    diff = flat[row] - flat[row - row % n + qq]
    dpq = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    ok = dpq <= thr[row]
    fallback = np.arange(len(row)) >= n_direct
    row, qq, dpq, fallback = row[ok], qq[ok], dpq[ok], fallback[ok]
    if fallback.any():  # fallback rows come last, in ROI order: sort just them by (row, distance)
        f0 = int(np.argmax(fallback))
        o = np.lexsort((dpq[f0:], row[f0:])) + f0
        row[f0:], qq[f0:], dpq[f0:] = row[o], qq[o], dpq[o]
    # each row's entries are contiguous and nearest first (direct rows in global-list order:
    # distance, then row id), which is all the rank computation needs
    return row, qq, dpq


def _tie_ranks(group: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per entry: how many entries of its group are strictly nearer, and how many share its distance."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    o = np.lexsort((dist, group))
    g, d = group[o], dist[o]
    new_group = np.ones(len(o), dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    new_run = new_group.copy()
    new_run[1:] |= d[1:] != d[:-1]
    at = np.arange(len(o))
    run_id = np.cumsum(new_run) - 1
    lt, eq = np.empty(len(o), dtype=np.int64), np.empty(len(o), dtype=np.int64)
    lt[o] = np.maximum.accumulate(np.where(new_run, at, 0)) - np.maximum.accumulate(np.where(new_group, at, 0))
    eq[o] = np.bincount(run_id)[run_id]
    return lt, eq


def shared_weight(closer: np.ndarray, tied: np.ndarray, k: int) -> np.ndarray:
    """Weight of a neighbour with `closer` points strictly nearer and `tied` (itself included) at its
    distance: 1 inside the k nearest, (k - closer) / tied when the tie straddles the k-th place."""
    return np.where(closer + tied <= k, 1.0, np.where(closer < k, (k - closer) / np.maximum(tied, 1), 0.0))


def roi_graph(local: np.ndarray, geo: BackgroundGeometry, k: int, ids_mem: np.ndarray, glist: np.ndarray,
              gdist: np.ndarray, centre_first: np.ndarray | None = None, workers: int = 1,
              shared_ties: bool = False) -> GraphSummary:
    """Exact directed k-NN graph over presence (C, n, 3 pole-frame) + background, summarised.

    ids_mem/glist/gdist: see _presence_candidates. The ring geometry has one exact tie that matters: the centre (presence 0, at the pole) and
    ring-2 point 0 are both exactly one spacing from ring-1 point 0. The reference breaks it by
    floating-point rounding (effectively at random); `centre_first` (C,) settles it here (None:
    the centre wins), and `tie_live` records the ROIs where it changed the graph.
    """
    c, n, _ = local.shape
    flat = local.reshape(-1, 3)
    dq, iq, kq = _nearest_background(flat, geo, k, workers)
    pp_row, pp_q, pp_w, to_bg = _presence_rows(flat, c, n, dq, k, ids_mem, glist, gdist, shared_ties)
    rows, bidx, delta = _background_pairs(flat, geo, dq, iq, kq)
    roi = rows // n
    # The centre (presence 0, at the pole) and ring-2 point 0 are equally far from ring-1 point 0.
    at_centre = rows % n == 0
    if shared_ties:  # duplicates of the centre sit at the pole too, and tie with it
        at_centre = (flat[rows] == flat[rows - rows % n]).all(axis=1)
    tie = (bidx == 0) & at_centre
    d_ring2 = None
    if tie.any():
        exact = np.linalg.norm(geo.xyz[0] - geo.xyz[7])
        d_ring2 = float(geo.knn_dist[0][np.argmin(np.abs(geo.knn_dist[0] - exact))])  # as the tree measured it
        first = np.ones(c, dtype=bool) if centre_first is None else np.asarray(centre_first, dtype=bool)
        delta = delta.copy()
        delta[tie] = np.where(first[roi[tie]], np.nextafter(d_ring2, 0.0), np.nextafter(d_ring2, 1.0))
    from_bg, tie_live = _background_rows(geo, c, n, k, rows, roi, bidx, delta, tie, d_ring2, shared_ties)
    return GraphSummary(pp_row=pp_row, pp_q=pp_q, to_bg=to_bg, from_bg=from_bg, m=geo.m, k=k, tie_live=tie_live,
                        pp_w=pp_w)


def _nearest_background(flat: np.ndarray, geo: BackgroundGeometry, k: int,
                        workers: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Distances and indices of each presence point's kq nearest background points (kq >= k)."""
    kq = min(max(k, _CANDIDATES), geo.m)
    bound = 2.0 * geo.reach
    dq, iq = geo.tree.query(flat, k=kq, workers=workers, distance_upper_bound=bound)
    dq = np.asarray(dq).reshape(len(flat), kq)
    iq = np.asarray(iq).reshape(len(flat), kq)
    far = ~np.isfinite(dq[:, k - 1])
    if far.any():  # a presence point with fewer than k background points nearby (never seen in practice)
        d2_, i2_ = geo.tree.query(flat[far], k=kq)
        dq[far], iq[far] = d2_, i2_
    iq = np.where(np.isfinite(dq), iq, 0)
    return dq, iq, kq


def _presence_rows(flat: np.ndarray, c: int, n: int, dq: np.ndarray, k: int, ids_mem: np.ndarray,
                   glist: np.ndarray, gdist: np.ndarray,
                   shared_ties: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Presence -> presence links (row, neighbour, weight or None) and each presence row's weight to background.

    Presence rows: the k nearest among the other presence points and the background. Only
    presence points closer than the row's k-th nearest background point (thr) can enter.
    Candidates come from each point's global nearest-neighbour list, kept when in this ROI;
    rows where that list may be too short fall back to all n members of their ROI.
    """
    thr = dq[:, k - 1]
    n_rows = c * n
    if n > 1:
        row_p, qq, dpq = _presence_candidates(flat, n, ids_mem, glist, gdist, thr, k, whole_ties=shared_ties)
    else:
        row_p, qq, dpq = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    # A candidate q is a neighbour of row p iff (#closer presence) + (#closer background) < k;
    # exact ties go to the presence point (then to the nearer global-list/ROI order).
    o = np.arange(len(row_p))  # grouped by row, nearest first (see _presence_candidates)
    start = np.ones(len(o), dtype=bool)
    start[1:] = row_p[1:] != row_p[:-1]
    rank_p = np.arange(len(o)) - np.maximum.accumulate(np.where(start, np.arange(len(o)), 0))
    rank_b = (dq[row_p, :k] < dpq[:, None]).sum(axis=1)
    pp_w = None
    if shared_ties:  # every candidate tied at the k-th distance shares what is left of k
        lt_p, eq_p = _tie_ranks(row_p, dpq)
        bg_row = dq[row_p]
        w_p = shared_weight(lt_p + (bg_row < dpq[:, None]).sum(axis=1), eq_p + (bg_row == dpq[:, None]).sum(axis=1), k)
        acc = w_p > 0
        pp_w = w_p[acc]
    else:
        acc = rank_p + rank_b < k
    pp_row, pp_q = row_p[acc], qq[acc]
    to_bg = (k - np.bincount(pp_row, weights=pp_w, minlength=n_rows)).reshape(c, n)
    return pp_row, pp_q, pp_w, to_bg


def _background_pairs(flat: np.ndarray, geo: BackgroundGeometry, dq: np.ndarray, iq: np.ndarray,
                      kq: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(presence row, background point, distance) of every presence point within a background point's k-th distance.

    Background rows: presence point p enters b's k-NN iff (#presence closer to b) + (#background
    closer to b) < k. Only p within b's background k-th distance can qualify.
    """
    rows, cols = np.nonzero(dq <= geo.kth[iq])
    bidx = iq[rows, cols]
    delta = dq[rows, cols]
    # Presence points whose candidate window may be too short get an exact ball query.
    if kq < geo.m:
        short = np.nonzero(dq[:, -1] <= geo.reach)[0]
        if len(short):
            keep = ~np.isin(rows, short)
            rows, bidx, delta = rows[keep], bidx[keep], delta[keep]
            extra_r, extra_b, extra_d = [], [], []
            for r_, lst in zip(short, geo.tree.query_ball_point(flat[short], geo.reach * (1 + 1e-12))):
                lst = np.asarray(lst, dtype=np.int64)
                dd = np.linalg.norm(geo.xyz[lst] - flat[r_], axis=1)
                ok = dd <= geo.kth[lst]
                extra_r.append(np.full(int(ok.sum()), r_))
                extra_b.append(lst[ok])
                extra_d.append(dd[ok])
            rows = np.concatenate([rows, *extra_r])
            bidx = np.concatenate([bidx, *extra_b])
            delta = np.concatenate([delta, *extra_d])
    return rows, bidx, delta


def _background_rows(geo: BackgroundGeometry, c: int, n: int, k: int, rows: np.ndarray, roi: np.ndarray,
                     bidx: np.ndarray, delta: np.ndarray, tie: np.ndarray, d_ring2: float | None,
                     shared_ties: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weight each presence point receives from background rows (C, n), and the ROIs where the centre tie mattered."""
    closer_bg = (geo.knn_dist[bidx] < delta[:, None]).sum(axis=1)
    # rank of p among the presence candidates of the same background point (most have just one)
    gkey = roi * geo.m + bidx
    per_group = np.bincount(gkey, minlength=c * geo.m)
    rank = np.zeros(len(gkey), dtype=np.int64)
    multi = np.nonzero(per_group[gkey] > 1)[0]
    if len(multi):
        sub = np.lexsort((delta[multi], gkey[multi]))
        g_s = gkey[multi][sub]
        start = np.ones(len(sub), dtype=bool)
        start[1:] = g_s[1:] != g_s[:-1]
        group_start = np.maximum.accumulate(np.where(start, np.arange(len(sub)), 0))
        rank[multi[sub]] = np.arange(len(sub)) - group_start
    if shared_ties:
        lt_b, eq_b = _tie_ranks(gkey, delta)
        w_b = shared_weight(lt_b + closer_bg, eq_b + (geo.knn_dist[bidx] == delta[:, None]).sum(axis=1), k)
        from_bg = np.bincount(rows, weights=w_b, minlength=c * n).reshape(c, n)
    else:
        accepted = rank + closer_bg < k
        from_bg = np.bincount(rows[accepted], minlength=c * n).reshape(c, n)
    tie_live = np.zeros(c, dtype=bool)
    if d_ring2 is not None:
        nearer_bg = (geo.knn_dist[bidx] < np.nextafter(d_ring2, 0.0)).sum(axis=1)
        if shared_ties:  # the centre group and ring-2 point 0 together straddle the k-th place
            live = tie & (lt_b + nearer_bg < k) & (lt_b + nearer_bg + eq_b + 1 > k)
        else:
            live = tie & (rank + nearer_bg == k - 1)
        tie_live[roi[live]] = True
    return from_bg, tie_live


def moran_upper(graph: GraphSummary, v: np.ndarray) -> np.ndarray:
    """I = X'WX per ROI for presence values v (C, n); background points carry BACKGROUND_VALUE."""
    c, n = v.shape
    m, k = graph.m, graph.k
    xbar = (v.sum(axis=1) + m * BACKGROUND_VALUE) / (n + m)
    xp = v - xbar[:, None]
    xb = BACKGROUND_VALUE - xbar
    xf = xp.ravel()
    roi = graph.pp_row // n
    prod = xf[graph.pp_row] * xf[roi * n + graph.pp_q]
    s_pp = np.bincount(roi, weights=prod if graph.pp_w is None else prod * graph.pp_w, minlength=c)
    s_pb = xb * (xp * graph.to_bg).sum(axis=1)
    s_bp = xb * (xp * graph.from_bg).sum(axis=1)
    s_bb = xb * xb * (m * k - graph.from_bg.sum(axis=1))
    return s_pp + s_pb + s_bp + s_bb


def _classes(v: np.ndarray, m: int, distinct: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (ascending) and counts per ROI, with m background points of value 0.

    `distinct`: all values v can take (few): counted per ROI instead of sorted; classes with a
    zero count are padding, which moran_moments ignores.
    """
    c, n = v.shape
    if distinct is not None:
        vals = np.union1d(distinct, [BACKGROUND_VALUE])
        ns = np.stack([(v == u).sum(axis=1) for u in vals], axis=1).astype(np.float64)
        ns[:, np.searchsorted(vals, BACKGROUND_VALUE)] += m
        return np.broadcast_to(vals, ns.shape).copy(), ns
    allv = np.concatenate([v, np.full((c, 1), BACKGROUND_VALUE)], axis=1)
    w = np.concatenate([np.ones((c, n)), np.full((c, 1), float(m))], axis=1)
    order = np.argsort(allv, axis=1, kind="stable")
    sv = np.take_along_axis(allv, order, axis=1)
    sw = np.take_along_axis(w, order, axis=1)
    new = np.ones_like(sv, dtype=bool)
    new[:, 1:] = sv[:, 1:] != sv[:, :-1]
    cid = np.cumsum(new, axis=1) - 1
    n_cls = int(cid[:, -1].max()) + 1
    flat = (np.arange(c)[:, None] * n_cls + cid).ravel()
    ns = np.bincount(flat, weights=sw.ravel(), minlength=c * n_cls).reshape(c, n_cls)
    cs = np.zeros(c * n_cls)
    cs[flat[new.ravel()]] = sv[new]
    return cs.reshape(c, n_cls), ns


def _moments_batched(cs: np.ndarray, ns: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    step = max(1, 2_000_000 // max(1, cs.shape[1] ** 2))
    means, vars_ = [], []
    for s in range(0, len(cs), step):
        mu, var = moran_moments(cs[s:s + step], ns[s:s + step], degree)
        means.append(mu)
        vars_.append(var)
    return np.concatenate(means), np.concatenate(vars_)


@dataclass
class SSIVariant:
    """Per-ROI arrays of one SSI variant (unmarked or marked)."""

    ssi: np.ndarray
    i_upper: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    prob: np.ndarray

    def aggregate(self, n_roi: np.ndarray) -> dict[str, float | int]:
        ok = np.isfinite(self.ssi)
        w = n_roi[ok].astype(np.float64)
        return {
            "mean": exact_mean(self.ssi[ok]),
            "weighted_mean": exact_sum(self.ssi[ok] * w) / exact_sum(w) if ok.any() else float("nan"),
            "n_nan": int((~ok).sum()),
            "n_saturated": int((self.ssi[ok] >= SATURATED_AT).sum()),
            "n_valid": int(ok.sum()),
        }


@dataclass
class SSIResult:
    """SSI for every ROI centre (one per used point) plus the ROI sizes and background counts."""

    n_roi: np.ndarray
    density: np.ndarray
    n_background: np.ndarray
    unmarked: SSIVariant
    marked: SSIVariant
    params: dict = field(default_factory=dict)
    tie_live: np.ndarray | None = None  # (N,) bool: the centre/ring-2 tie decided an edge of this ROI
    reference_path: np.ndarray | None = None  # (N,) bool: computed by the reference recipe (reference_ties)

    def aggregates(self) -> dict[str, dict[str, float | int]]:
        return {"unmarked": self.unmarked.aggregate(self.n_roi), "marked": self.marked.aggregate(self.n_roi)}


def roi_members(xyz: np.ndarray, radius_rad: float, roi_k: int, keep_cap_ties: bool = False,
                progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n_roi (N,), members (N, W)): the K nearest (self included, by (angle, row)), first n_roi within r.

    `keep_cap_ties`: every point exactly as far as the K-th joins the ROI (n_roi may exceed K, and
    W grows to the largest ROI), so no point is left out by its row number. Centres are queried in
    the tree's own (spatial) order: neighbouring queries walk the same nodes, which at 10^6 points
    is much faster than the input's order; each row's answer does not depend on the order.
    """
    index = SphereIndex.from_xyz(xyz)
    k_eff = min(roi_k, len(xyz))
    n_roi = np.empty(len(xyz), dtype=np.int64)
    members = np.empty((len(xyz), k_eff), dtype=np.int32 if len(xyz) < 2**31 else np.int64)  # halves memory
    wider: dict[int, np.ndarray] = {}
    by_place = spatial_order(index)
    for s in range(0, len(xyz), _ROI_CHUNK):
        rows = by_place[s:s + _ROI_CHUNK]
        ang, idx = index.knn(k_eff, query_xyz=xyz[rows])
        n_roi[rows] = (ang <= radius_rad).sum(axis=1)
        members[rows] = idx
        if keep_cap_ties and k_eff < len(xyz):
            for r in np.nonzero(ang[:, -1] <= radius_rad)[0]:
                tied = _tied_at(index, xyz[rows[r]], idx[r])
                if len(tied):
                    wider[int(rows[r])] = np.concatenate([idx[r], tied])
        if progress is not None:
            progress(s + len(ang), len(xyz))
    if wider:
        width = max(len(m) for m in wider.values())
        members = np.concatenate([members, np.zeros((len(xyz), width - k_eff), dtype=members.dtype)], axis=1)
        for r, m in wider.items():
            members[r, :len(m)] = m
            n_roi[r] = len(m)
    return n_roi, members


def spatial_order(index: SphereIndex) -> np.ndarray:
    """The points in the tree's leaf order: points close in space are close in this order."""
    return np.asarray(index.tree.indices, dtype=np.int64)


def morton_rank(xyz: np.ndarray, bits: int = 10) -> np.ndarray:
    """(N,) each point's rank along a Z-order curve of the unit cube (a cheap spatial order)."""
    q = np.clip(((xyz + 1.0) * (0.5 * (1 << bits))).astype(np.int64), 0, (1 << bits) - 1)
    code = np.zeros(len(xyz), dtype=np.int64)
    for b in range(bits):
        for axis in range(3):
            code |= ((q[:, axis] >> b) & 1) << (3 * b + axis)
    rank = np.empty(len(xyz), dtype=np.int64)
    rank[np.argsort(code, kind="stable")] = np.arange(len(xyz))
    return rank


def _tied_at(index: SphereIndex, q: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Points not in `taken` exactly as far from q as its last entry (same arithmetic for both), by row."""
    last = float(np.linalg.norm(index.xyz[taken[-1]] - q))
    cand = np.asarray(index.tree.query_ball_point(q, last * (1 + 1e-9) + 1e-300), dtype=np.int64)
    cand = cand[~np.isin(cand, taken)]
    return np.sort(cand[np.linalg.norm(index.xyz[cand] - q, axis=1) == last])


def boundary_ties(xyz: np.ndarray, n_roi: np.ndarray, radius_rad: float, roi_k: int, rtol: float = 1e-9) -> np.ndarray:
    """(N,) ROIs whose membership hangs on equal distances (within rounding): at the K cap or at r.

    The reference takes the K nearest in BallTree order and keeps those its haversine puts within
    r; where the K-th and (K+1)-th distances tie, or a distance sits on r, only its calls decide.
    """
    index = SphereIndex.from_xyz(xyz)
    k_eff = min(int(roi_k) + 1, len(xyz))
    out = np.zeros(len(xyz), dtype=bool)
    for s in range(0, len(xyz), _ROI_CHUNK):
        ang, _ = index.knn(k_eff, query_xyz=xyz[s:s + _ROI_CHUNK])
        n = n_roi[s:s + len(ang)]
        r = np.arange(len(ang))
        last = ang[r, n - 1]
        nxt = np.where(n < k_eff, ang[r, np.minimum(n, k_eff - 1)], np.inf)
        cap = (n == roi_k) & (nxt - last <= rtol * nxt + 1e-15)
        at_r = (np.abs(last - radius_rad) <= rtol * radius_rad) | (np.abs(nxt - radius_rad) <= rtol * radius_rad)
        out[s:s + len(ang)] = cap | at_r
    return out


def duplicate_groups(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(N,) id of each row's exact-coordinate group (rows with equal (lat, lon) bits share one)."""
    return np.unique(np.column_stack([lat, lon]), axis=0, return_inverse=True)[1].ravel()


def _apply_reference(out: dict, n_roi: np.ndarray, density: np.ndarray, n_bg: np.ndarray, res) -> None:
    """Overwrite the fast path's per-ROI numbers with the reference recipe's for the ROIs in `res`."""
    c = res.centres
    n_roi[c], density[c], n_bg[c] = res.n_roi, res.density, res.n_background
    out["u_i"][c], out["m_i"][c] = res.i_unmarked, res.i_marked
    (out["u_mu"][c], out["u_var"][c]), (out["m_mu"][c], out["m_var"][c]) = res.moments_unmarked, res.moments_marked


@dataclass
class _ROIBatch:
    """Inputs shared by every chunk of ROIs, and the per-ROI arrays the chunks fill (disjoint rows)."""

    lat: np.ndarray
    lon: np.ndarray
    xyz: np.ndarray
    marks: np.ndarray
    members: np.ndarray
    glist_all: np.ndarray      # each point's nearest dataset neighbours (from the ROI lists)
    gdist_all: np.ndarray      # and their chords, for presence k-NN
    distinct: np.ndarray | None  # few distinct marks: count instead of sort
    preset: SSIPreset
    weight_k: int
    degree: int
    centre_first: bool
    group: np.ndarray | None   # duplicate-coordinate groups (reference_ties only)
    out: dict[str, np.ndarray] = field(init=False)
    density: np.ndarray = field(init=False)
    tie_live: np.ndarray = field(init=False)
    n_bg: np.ndarray = field(init=False)
    has_dup: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n_pts = len(self.xyz)
        self.out = {name: np.full(n_pts, np.nan) for name in
                    ("u_ssi", "u_i", "u_mu", "u_var", "m_ssi", "m_i", "m_mu", "m_var")}
        self.density = np.zeros(n_pts, dtype=np.int64)
        self.tie_live = np.zeros(n_pts, dtype=bool)
        self.n_bg = np.zeros(n_pts, dtype=np.int64)
        self.has_dup = np.zeros(n_pts, dtype=bool)


def _roi_batch(lat: np.ndarray, lon: np.ndarray, xyz: np.ndarray, values: np.ndarray, preset: SSIPreset,
               members: np.ndarray, weight_k: int, tie_policy: str, reference_ties: bool) -> _ROIBatch:
    """The shared inputs of every chunk: marks, each point's nearest neighbours, the tie settings."""
    marks = presence_marks(np.asarray(values, dtype=np.float64), preset.marks)
    distinct = np.unique(marks)
    g_n = min(_GLOBAL_LIST, members.shape[1])
    glist_all = np.ascontiguousarray(members[:, :g_n])
    gdist_all = np.empty(glist_all.shape)
    for s in range(0, len(xyz), _ROI_CHUNK):   # slices: the (rows, G, 3) temporaries stay small
        g = glist_all[s:s + _ROI_CHUNK]
        gdist_all[s:s + len(g)] = np.sqrt(((xyz[s:s + len(g), None, :] - xyz[g]) ** 2).sum(axis=2))
    if tie_policy not in ("centre", "ring"):
        raise ValueError("tie_policy must be 'centre' or 'ring'")
    return _ROIBatch(lat=lat, lon=lon, xyz=xyz, marks=marks, members=members, glist_all=glist_all,
                     gdist_all=gdist_all, distinct=distinct if len(distinct) <= 16 else None, preset=preset,
                     weight_k=weight_k, degree=preset.degree(weight_k), centre_first=tie_policy == "centre",
                     group=duplicate_groups(lat, lon) if reference_ties else None)


def _chunks(n_roi: np.ndarray, radius_rad: float, weight_k: int,
            place: np.ndarray | None = None) -> list[tuple[BackgroundGeometry, np.ndarray]]:
    """ROIs grouped by size (one background geometry each), in chunks of about _PAIR_BUDGET pairs.
    `place` (N,): each centre's rank in a spatial order; within a size, chunks follow it, so a
    chunk's ROIs share members and read nearby memory (every ROI's numbers are its own either way)."""
    order = np.argsort(n_roi, kind="stable") if place is None else np.lexsort((place, n_roi))
    sizes, starts = np.unique(n_roi[order], return_index=True)
    bounds = list(starts) + [len(n_roi)]
    tasks = []
    for size, a, b in zip(sizes, bounds[:-1], bounds[1:]):
        size = int(size)
        geo = _BACKGROUND.get(size, radius_rad, weight_k)  # built here, read-only in the workers
        step = max(1, _PAIR_BUDGET // (size * size))
        tasks += [(geo, order[a + s:min(b, a + s + step)]) for s in range(0, b - a, step)]
    return tasks


def _chunk_graph(st: _ROIBatch, geo: BackgroundGeometry, ids: np.ndarray) -> GraphSummary:
    """The weight graph of the ROIs `ids` (all of size geo.n): geometry only, no value."""
    mem = st.members[ids, :geo.n]
    rot = _rotation_to_pole(st.lat[ids], st.lon[ids])
    local = np.matmul(st.xyz[mem], rot)
    # Where duplicates put another row first, presence 0 is not the centre: nothing to settle.
    at_pole = mem[:, 0] == ids
    if st.preset.tie_rule == "shared":  # the centre's whole duplicate group is settled together
        at_pole = np.ones(len(ids), dtype=bool)
    centre_first = np.where(at_pole, st.centre_first, True)
    if st.preset.tie_rule == "first" and _use_kernel(geo, st.weight_k):
        graph = _kernel_graph(local, geo, st, mem, centre_first)
    else:
        graph = roi_graph(local, geo, st.weight_k, mem, st.glist_all[mem], st.gdist_all[mem],
                          centre_first=centre_first, workers=1, shared_ties=st.preset.tie_rule == "shared")
    graph.tie_live = graph.tie_live & at_pole
    return graph


USE_KERNEL = os.environ.get("GEORBIAS_SSI_KERNEL", "1") != "0"   # "0": the numpy graph (for comparisons)
_GRIDS: dict[int, tuple[Any, Any, float, float]] = {}   # id(geo) -> (geo, grid, d_lo, d_hi)


def _use_kernel(geo: BackgroundGeometry, k: int) -> bool:
    """The compiled graph (georbias.ssi_kernel) serves tie rule "first" when numba is present and the
    ring set holds the candidate window (tiny ring sets stay on the numpy path)."""
    from georbias.ssi_kernel import numba

    return USE_KERNEL and numba is not None and geo.m > max(k, _CANDIDATES) and geo.n_rings >= 2


def _ring_grid(geo: BackgroundGeometry) -> tuple[Any, float, float]:
    """The grid over geo's ring points and the two sides of the centre / ring-2 tie distance (cached per geometry)."""
    got = _GRIDS.get(id(geo))
    if got is None or got[0] is not geo:   # the entry keeps geo alive, so its id cannot be reused
        from georbias.ssi_kernel import ring_grid

        exact = np.linalg.norm(geo.xyz[0] - geo.xyz[7])
        d_ring2 = float(geo.knn_dist[0][np.argmin(np.abs(geo.knn_dist[0] - exact))])  # as roi_graph measures it
        got = (geo, ring_grid(geo.xyz, geo.reach), float(np.nextafter(d_ring2, 0.0)),
               float(np.nextafter(d_ring2, 1.0)))
        _GRIDS[id(geo)] = got
    return got[1:]


def _kernel_graph(local: np.ndarray, geo: BackgroundGeometry, st: "_ROIBatch", mem: np.ndarray,
                  centre_first: np.ndarray) -> GraphSummary:
    """roi_graph's summary for tie rule "first", from the compiled kernel (same bits, tested)."""
    from georbias.ssi_kernel import graph_first

    grid, d_lo, d_hi = _ring_grid(geo)
    k = st.weight_k
    to_bg, from_bg, d_rows, d_q, f_rows, f_q, tie_live = graph_first(
        np.ascontiguousarray(local), np.ascontiguousarray(mem, dtype=np.int64), st.glist_all, st.gdist_all,
        geo.xyz, geo.knn_dist, geo.kth, geo.reach, min(max(k, _CANDIDATES), geo.m), grid.x0, grid.y0, grid.h,
        grid.nx, grid.ny, grid.start, grid.pts, np.ascontiguousarray(centre_first, dtype=np.bool_), d_lo, d_hi, k)
    return GraphSummary(pp_row=np.concatenate([d_rows, f_rows]), pp_q=np.concatenate([d_q, f_q]), to_bg=to_bg,
                        from_bg=from_bg, m=geo.m, k=k, tie_live=tie_live, pp_w=None)


def _score_chunk(st: _ROIBatch, geo: BackgroundGeometry, ids: np.ndarray, graph: GraphSummary | None = None,
                 keep: Callable[[GraphSummary], None] | None = None) -> int:
    """Moran's I and its moments, unmarked and marked, of the ROIs `ids` (all of size geo.n).
    `graph`: their weight graph when already built (geometry_cache); `keep(graph)` is offered a new one."""
    size, out = geo.n, st.out
    mem = st.members[ids, :size]
    if graph is None:
        graph = _chunk_graph(st, geo, ids)
        if keep is not None:
            keep(graph)
    st.tie_live[ids] = graph.tie_live
    m_vals = st.marks[mem]
    out["u_i"][ids] = moran_upper(graph, np.ones((len(ids), size)))
    out["m_i"][ids] = moran_upper(graph, m_vals)
    mu_u, var_u = moran_moments(np.array([[BACKGROUND_VALUE, 1.0]]), np.array([[float(geo.m), float(size)]]),
                                st.degree)
    out["u_mu"][ids], out["u_var"][ids] = mu_u[0], var_u[0]
    cs_m, ns_m = _classes(m_vals, geo.m, st.distinct)
    out["m_mu"][ids], out["m_var"][ids] = _moments_batched(cs_m, ns_m, st.degree)
    st.density[ids] = geo.density
    st.n_bg[ids] = geo.m
    if st.group is not None and size > 1:
        g = np.sort(st.group[mem], axis=1)
        st.has_dup[ids] = (g[:, 1:] == g[:, :-1]).any(axis=1)
    return len(ids)


def _run_chunks(st: _ROIBatch, tasks: list[tuple[BackgroundGeometry, np.ndarray]],
                progress: Callable[[int], None] | None, graphs: list[GraphSummary | None] | None = None,
                keeper: Any = None) -> None:
    """Chunks write disjoint rows; numpy and cKDTree release the GIL, so threads use both cores.
    georbias.pool keeps Ctrl-C prompt (no wait for queued chunks). `graphs[i]`: chunk i's graph
    from the geometry cache; `keeper` collects new ones for it."""
    from georbias.pool import run_chunks

    n_threads = max(1, min(_THREADS, os.cpu_count() or 1))
    if len(tasks) < 4:
        n_threads = 1

    def one(i: int) -> int:
        geo, ids = tasks[i]
        return _score_chunk(st, geo, ids, graphs[i] if graphs is not None else None,
                            (lambda g: keeper.keep(i, g)) if keeper is not None else None)
    run_chunks(one, range(len(tasks)), n_threads, progress)


def ssi_scores(lat_rad: np.ndarray, lon_rad: np.ndarray, values: np.ndarray, *, preset: SSIPreset,
               radius_rad: float = DEFAULT_RADIUS_RAD, roi_k: int = DEFAULTS.roi_k,
               weight_k: int = DEFAULTS.weight_k, progress: Callable[[int], None] | None = None, tie_policy: str = "centre",
               reference_ties: bool = False, progress_ties: Callable[[int, int], None] | None = None,
               progress_neighbours: Callable[[int, int], None] | None = None) -> SSIResult:
    """Unmarked and marked SSI of every point as a ROI centre (coordinates in radians).

    `values` are the per-sample values after any thresholding; the preset decides the marks,
    the degree used in the analytic moments and the probability rule. `progress(k)` is called
    with the number of ROIs just finished. `tie_policy` settles the ring geometry's one exact
    tie ("centre": the ROI centre before ring-2 point 0; "ring": the reverse); `tie_live` in the
    result marks the ROIs where that choice mattered. `reference_ties`: every ROI with a tie (a
    duplicate coordinate, the ring tie, a tie at the K cap or at r) goes through the reference's own
    library calls (georbias.ssi_reference) instead; `reference_path` in the result marks them, and
    `progress_ties(done, total)` follows that slower part, `progress_neighbours(done, total)` the ROI search.
    """
    lat = np.asarray(lat_rad, dtype=np.float64)
    lon = np.asarray(lon_rad, dtype=np.float64)
    cl = np.cos(lat)
    xyz = np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])
    from georbias.geometry_cache import CACHE, Keeper, geometry_key

    key = geometry_key("ssi", (lat, lon), radius_rad=float(radius_rad), roi_k=int(roi_k), weight_k=int(weight_k),
                       tie_rule=preset.tie_rule, tie_policy=tie_policy)
    cached = CACHE.get(key)   # (n_roi, members, chunks, graphs) of an earlier call on the same points
    if cached is None:
        n_roi, members = roi_members(xyz, radius_rad, roi_k, keep_cap_ties=preset.tie_rule == "shared",
                                     progress=progress_neighbours)
        tasks, graphs = _chunks(n_roi, radius_rad, weight_k, place=morton_rank(xyz)), None
    else:
        n_roi, members, tasks, graphs = cached
    st = _roi_batch(lat, lon, xyz, values, preset, members, weight_k, tie_policy, reference_ties)
    keeper = Keeper(len(tasks), CACHE.room_for(key) - members.nbytes) if cached is None else None
    _run_chunks(st, tasks, progress, graphs=graphs, keeper=keeper)
    if keeper is not None and keeper.items is not None:
        CACHE.put(key, (n_roi, members, tasks, keeper.items))
    reference_path = None
    if reference_ties:
        from georbias.ssi_reference import resolve_ties

        reference_path = st.tie_live | st.has_dup | boundary_ties(xyz, n_roi, radius_rad, roi_k)
        res = resolve_ties(lat, lon, st.marks, np.nonzero(reference_path)[0], radius_rad=radius_rad, roi_k=roi_k,
                           weight_k=weight_k, degree=st.degree, progress=progress_ties)
        _apply_reference(st.out, n_roi, st.density, st.n_bg, res)
    variants = [_variant(st.out, p, preset) for p in ("u", "m")]
    params = {"radius_rad": float(radius_rad), "roi_k": int(roi_k), "weight_k": int(weight_k),
              "moment_degree": st.degree, "background_value": BACKGROUND_VALUE, "density": "ceil(5 n / (pi r^2))",
              "preset": preset.to_dict(), "tie_policy": tie_policy, "reference_ties": bool(reference_ties)}
    return SSIResult(n_roi=n_roi, density=st.density, n_background=st.n_bg, unmarked=variants[0],
                     marked=variants[1], params=params, tie_live=st.tie_live, reference_path=reference_path)


def _variant(out: dict[str, np.ndarray], p: str, preset: SSIPreset) -> SSIVariant:
    """SSI of one variant ("u" unmarked, "m" marked) from its Moran's I and moments."""
    ssi, prob, sigma = surprisal(out[f"{p}_i"], out[f"{p}_mu"], out[f"{p}_var"], probability=preset.probability,
                                 sigma_offset=preset.sigma_offset, nan_if_degenerate=preset.nan_if_degenerate)
    return SSIVariant(ssi=ssi, i_upper=out[f"{p}_i"], mean=out[f"{p}_mu"], std=sigma, prob=prob)


__all__ = ["ssi_scores", "SSIResult", "SSIVariant", "ring_points", "background_density", "roi_graph",
           "moran_upper", "chord_to_angle"]
