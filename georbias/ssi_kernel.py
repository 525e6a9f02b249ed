"""Compiled per-ROI SSI weight graph (tie rule "first"): the same graph summary as
`georbias.ssi.roi_graph`, built ROI by ROI without the (rows x candidates) numpy temporaries.

Why: at 10^6 points the vectorised numpy graph spends most of its time allocating and sorting
temporaries (cKDTree queries of every presence point against its ring set, per-pair rank sorts).
Here each presence point scans a small grid over its ring set, and every decision is the numpy
path's decision on the same float inputs, so the summary (and hence every SSI) is bit for bit the
same (tests/test_georbias_ssi_kernel.py compares them edge for edge):

* distances are sqrt((dx dx + dy dy) + dz dz), which is what cKDTree and `np.linalg.norm` return;
  presence-presence chords are sqrt((dx dx + dz dz) + dy dy), which is numpy's einsum("ij,ij->i")
  order for three columns (the numpy path uses einsum there);
* presence edges are emitted in the numpy path's order (direct rows in global-list order, rows
  whose list may be short afterwards, sorted by chord), so the float sums of `moran_upper` match;
* ties among presence points at one background point go by (distance, short row, row), the order
  the numpy path's stable sort sees them in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:   # numba is declared in pyproject; without it the numpy path runs
    import numba
except ImportError:  # pragma: no cover
    numba = None


@dataclass(frozen=True)
class RingGrid:
    """Ring points of one background geometry bucketed on a square grid of the pole frame's (x, y)."""

    x0: float
    y0: float
    h: float
    nx: int
    ny: int
    start: np.ndarray   # (nx * ny + 1,) CSR offsets into `pts`
    pts: np.ndarray     # ring point ids, by cell


def ring_grid(xyz: np.ndarray, reach: float) -> RingGrid:
    """Cells of side just over `reach`, so one shell of cells covers every point within reach
    (the planar (x, y) distance never exceeds the chord)."""
    h = reach * (1 + 1e-6) + 1e-300
    x0, y0 = float(xyz[:, 0].min()) - h, float(xyz[:, 1].min()) - h
    nx = int((xyz[:, 0].max() - x0) / h) + 2
    ny = int((xyz[:, 1].max() - y0) / h) + 2
    ix = ((xyz[:, 0] - x0) / h).astype(np.int64)
    iy = ((xyz[:, 1] - y0) / h).astype(np.int64)
    cell = ix * ny + iy
    pts = np.argsort(cell, kind="stable").astype(np.int64)
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=start[1:])
    return RingGrid(x0, y0, h, nx, ny, start, pts)


def _njit(*args, **kw):
    if numba is None:  # pragma: no cover
        return lambda f: f
    return numba.njit(*args, cache=True, nogil=True, **kw)


@_njit(inline="always")
def _insert_best(best, nb, d, cap):
    """Keep the `cap` smallest distances in best[:nb], ascending; returns the new count."""
    if nb == cap and d >= best[cap - 1]:
        return nb
    i = nb if nb < cap else cap - 1
    while i > 0 and best[i - 1] > d:
        best[i] = best[i - 1]
        i -= 1
    best[i] = d
    return nb + 1 if nb < cap else nb


@_njit(inline="always")
def _scan_ring(px, py, pz, bxyz, kth, reach, k, x0, y0, h, nx, ny, start, pts, best, pb, pd):
    """The k smallest ring distances of one presence point (into best), the ring points b with
    d <= kth[b] (into pb, pd) and the count of ring points within reach.
    Returns (n pairs, count within reach)."""
    ci = int(np.floor((px - x0) / h))
    cj = int(np.floor((py - y0) / h))
    nb, npair, n_reach = 0, 0, 0
    s = 0
    while True:
        for a in range(ci - s, ci + s + 1):
            if a < 0 or a >= nx:
                continue
            edge = a == ci - s or a == ci + s
            step = 1 if edge else 2 * s
            bcol = cj - s
            while bcol <= cj + s:
                if 0 <= bcol < ny:
                    cell = a * ny + bcol
                    for t in range(start[cell], start[cell + 1]):
                        b = pts[t]
                        dx = px - bxyz[b, 0]
                        dy = py - bxyz[b, 1]
                        dz = pz - bxyz[b, 2]
                        d2 = dx * dx + dy * dy + dz * dz
                        if nb == k:   # skip the sqrt of points that cannot be a pair, within reach or in the top k
                            lim = best[k - 1] if best[k - 1] > reach else reach
                            if d2 > lim * lim * (1 + 1e-6):
                                continue
                        d = np.sqrt(d2)
                        nb = _insert_best(best, nb, d, k)
                        if d <= kth[b]:
                            pb[npair] = b
                            pd[npair] = d
                            npair += 1
                        if d <= reach:
                            n_reach += 1
                if s == 0:
                    break
                bcol += step
        cover = s * h * (1 - 1e-9)
        if s >= 1 and nb == k and best[k - 1] < cover:
            return npair, n_reach
        if ci - s <= 0 and cj - s <= 0 and ci + s >= nx - 1 and cj + s >= ny - 1:
            return npair, n_reach
        s += 1


@_njit(inline="always")
def _lookup(keys, vals, mask, key):
    """Position of dataset id `key` in the ROI's open-addressing table, or -1."""
    slot = (key * 2654435761) & mask
    while keys[slot] != -1:
        if keys[slot] == key:
            return vals[slot]
        slot = (slot + 1) & mask
    return -1


@_njit(inline="always")
def _presence_row(c, p, n, k, local, ids, glist, gdist, keys, vals, mask, best, tq, td,
                  d_rows, d_q, nd, f_rows, f_q, nf):
    """Presence -> presence edges of row (c, p) (numpy path: _presence_rows / _presence_candidates).
    Returns (accepted edges, nd, nf)."""
    thr = best[k - 1]
    lim = thr * (1 + 1e-6) + 1e-15
    gid = ids[c, p]
    g = glist.shape[1]
    found = 0
    for j in range(g):
        if gdist[gid, j] <= lim:
            q = _lookup(keys, vals, mask, glist[gid, j])
            if q >= 0 and q != p:
                tq[found] = q
                found += 1
    short = found < k and gdist[gid, g - 1] <= lim
    px, py, pz = local[c, p, 0], local[c, p, 1], local[c, p, 2]
    cnt = 0
    if short:
        for q in range(n):
            if q != p:
                dx = px - local[c, q, 0]
                dy = py - local[c, q, 1]
                dz = pz - local[c, q, 2]
                d = np.sqrt((dx * dx + dz * dz) + dy * dy)
                if d <= thr:
                    i = cnt   # stable insertion by distance
                    while i > 0 and td[i - 1] > d:
                        td[i] = td[i - 1]
                        tq[i] = tq[i - 1]
                        i -= 1
                    td[i] = d
                    tq[i] = q
                    cnt += 1
    else:
        for t in range(found):
            q = tq[t]
            dx = px - local[c, q, 0]
            dy = py - local[c, q, 1]
            dz = pz - local[c, q, 2]
            d = np.sqrt((dx * dx + dz * dz) + dy * dy)
            if d <= thr:
                tq[cnt] = q
                td[cnt] = d
                cnt += 1
    return _accept(c * n + p, cnt, k, best, tq, td, short, d_rows, d_q, nd, f_rows, f_q, nf)


@_njit(inline="always")
def _accept(row, cnt, k, best, tq, td, short, d_rows, d_q, nd, f_rows, f_q, nf):
    """Candidate t (in order) is a neighbour iff t + (ring points strictly nearer) < k; edges of
    rows whose list may be short go to the fallback list. Returns (accepted, nd, nf)."""
    acc = 0
    for t in range(cnt):
        rank_b = 0
        for i in range(k):
            if best[i] < td[t]:
                rank_b += 1
        if t + rank_b < k:
            acc += 1
            if short:
                f_rows[nf] = row
                f_q[nf] = tq[t]
                nf += 1
            else:
                d_rows[nd] = row
                d_q[nd] = tq[t]
                nd += 1
    return acc, nd, nf


@_njit(inline="always")
def _background_roi(c, n, k, m, knn_dist, pair_p, pair_b, pair_d, npairs, short_b, centre_first, d_lo, d_hi,
                    from_bg, tie_live, bcount, bstart, border):
    """Weight each presence point of ROI c receives from ring points (numpy path: _background_rows)."""
    for i in range(npairs):   # the centre / ring-2 point 0 tie, settled by centre_first
        if pair_p[i] == 0 and pair_b[i] == 0:
            pair_d[i] = d_lo if centre_first[c] else d_hi
    for b in range(m + 1):
        bcount[b] = 0
    for i in range(npairs):
        bcount[pair_b[i] + 1] += 1
    for b in range(m):
        bstart[b + 1] = bstart[b] + bcount[b + 1]
        bcount[b + 1] = 0
    for i in range(npairs):   # pairs by ring point, then (distance, short row, row)
        b = pair_b[i]
        j = bstart[b] + bcount[b + 1]
        bcount[b + 1] += 1
        while j > bstart[b]:
            o = border[j - 1]
            if pair_d[o] < pair_d[i] or (pair_d[o] == pair_d[i] and (short_b[pair_p[o]] < short_b[pair_p[i]] or (
                    short_b[pair_p[o]] == short_b[pair_p[i]] and pair_p[o] <= pair_p[i]))):
                break
            border[j] = o
            j -= 1
        border[j] = i
    for b in range(m):
        for j in range(bstart[b], bstart[b + 1]):
            i = border[j]
            rank = j - bstart[b]
            closer = 0
            for t in range(k):
                if knn_dist[b, t] < pair_d[i]:
                    closer += 1
            if rank + closer < k:
                from_bg[c, pair_p[i]] += 1
            if pair_p[i] == 0 and b == 0:
                nearer = 0
                for t in range(k):
                    if knn_dist[b, t] < d_lo:
                        nearer += 1
                if rank + nearer == k - 1:
                    tie_live[c] = True


@_njit()
def graph_first(local, ids, glist, gdist, bxyz, knn_dist, kth, reach, kq, x0, y0, h, nx, ny, start, pts,
                centre_first, d_lo, d_hi, k):
    """Graph summary of C ROIs of size n (local (C, n, 3) pole-frame presence points): to_bg,
    from_bg (C, n), the direct and the fallback presence edges (flat row, neighbour), tie_live (C,)."""
    c_n, n = local.shape[0], local.shape[1]
    m = bxyz.shape[0]
    to_bg = np.zeros((c_n, n), dtype=np.int64)
    from_bg = np.zeros((c_n, n), dtype=np.int64)
    tie_live = np.zeros(c_n, dtype=np.bool_)
    d_rows = np.empty(c_n * n * k, dtype=np.int64)
    d_q = np.empty(c_n * n * k, dtype=np.int64)
    f_rows = np.empty(c_n * n * k, dtype=np.int64)
    f_q = np.empty(c_n * n * k, dtype=np.int64)
    nd, nf = 0, 0
    size = 4
    while size < 2 * n:
        size *= 2
    keys = np.full(size, -1, dtype=np.int64)
    vals = np.empty(size, dtype=np.int64)
    best = np.empty(k)
    tq = np.empty(max(n, glist.shape[1]), dtype=np.int64)
    td = np.empty(max(n, glist.shape[1]))
    cap = n * m
    pair_p = np.empty(cap, dtype=np.int64)
    pair_b = np.empty(cap, dtype=np.int64)
    pair_d = np.empty(cap)
    pb = np.empty(m, dtype=np.int64)
    pd = np.empty(m)
    short_b = np.zeros(n, dtype=np.int64)
    bcount = np.empty(m + 1, dtype=np.int64)
    bstart = np.zeros(m + 1, dtype=np.int64)
    border = np.empty(cap, dtype=np.int64)
    for c in range(c_n):
        keys[:] = -1
        for p in range(n):
            slot = (ids[c, p] * 2654435761) & (size - 1)
            while keys[slot] != -1:
                slot = (slot + 1) & (size - 1)
            keys[slot] = ids[c, p]
            vals[slot] = p
        npairs = 0
        for p in range(n):
            npair, n_reach = _scan_ring(local[c, p, 0], local[c, p, 1], local[c, p, 2], bxyz, kth, reach, k,
                                        x0, y0, h, nx, ny, start, pts, best, pb, pd)
            short_b[p] = 1 if (kq < m and n_reach >= kq) else 0
            for t in range(npair):
                pair_p[npairs] = p
                pair_b[npairs] = pb[t]
                pair_d[npairs] = pd[t]
                npairs += 1
            acc, nd, nf = _presence_row(c, p, n, k, local, ids, glist, gdist, keys, vals, size - 1, best, tq, td,
                                        d_rows, d_q, nd, f_rows, f_q, nf)
            to_bg[c, p] = k - acc
        _background_roi(c, n, k, m, knn_dist, pair_p, pair_b, pair_d, npairs, short_b, centre_first, d_lo, d_hi,
                        from_bg, tie_live, bcount, bstart, border)
    return to_bg, from_bg, d_rows[:nd], d_q[:nd], f_rows[:nf], f_q[:nf], tie_live
