"""Compiled SRI counting: per (centre, partition, value level) counts without a pair list.

For a chunk of centres (positions in the band index's sorted order) the kernel walks each
centre's candidate slices (georbias.sri_index) and adds 1 to `cnt[centre, key, level]` for the
ROI (key 0) and for the ring, grid cell and sector the member falls in. Memory is the chunk's
count array, whatever the density.

Exactness: the pair-based code decided memberships with numpy's arithmetic (haversine near a
ring edge or the radius, numpy's sin/cos/arctan2, scipy's rotation as a BLAS product for the
centre's own point). Here a member whose distance, grid coordinate or angle lies within 2e-9
(rad, or cells / sectors) of a boundary, or within 1e-6 rad of the centre for table-era sectors,
is not counted but written to `near_c`/`near_j`; the caller classifies those few with the old
numpy formulas (georbias.sri_near). Elsewhere a last-bit difference of a libm call cannot move
a member across a boundary. Table-era grid cells use only +, -, / and comparisons, bit for bit
those of the reference, so they never need the re-check.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Float parameters P[...]
P_H, P_SINR, P_KSPAN, P_CHORD, P_R, P_LAG, P_S, P_W, P_STEP = range(9)
# Integer parameters I[...]
I_TS, I_RINGS, I_OFF_LAG, I_OFF_GRID, I_OFF_SEC, I_K, I_L, I_KAPPA, I_CELLS, I_M = range(10)
EPS = 2e-9          # boundary band re-checked exactly (the old code re-checked 1e-9)
ANG_TOL = 1e-6      # the band for angles (rad), which come from fast_atan2 (error < 1e-7)
CRIT = 1.0001e-6    # table-era sectors: members this close to the centre go through the BLAS product


@njit(cache=True, nogil=True, inline="always")
def _lower(a, lo, hi, x):
    """First position in [lo, hi) with a[pos] >= x (a sorted there)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, inline="always")
def _upper(a, lo, hi, x):
    """First position in [lo, hi) with a[pos] > x."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def candidate_ranges(c, lat, lon, band_start, h, P, out):
    """Sorted-position ranges [out[2i], out[2i+1]) holding every candidate of centre c; returns their number."""
    nb = band_start.shape[0] - 1
    latc, lonc = lat[c], lon[c]
    b0 = max(0, min(nb - 1, int(math.floor((latc - P[P_H] + math.pi / 2) / h))))
    b1 = max(0, min(nb - 1, int(math.floor((latc + P[P_H] + math.pi / 2) / h))))
    cl = math.cos(latc)
    w = math.pi
    if cl > P[P_SINR]:
        w = max(math.asin(P[P_SINR] / cl) * (1 + 1e-9) + 1e-12, P[P_KSPAN])
    k = 0
    for b in range(b0, b1 + 1):
        s0, s1 = band_start[b], band_start[b + 1]
        if s0 == s1:
            continue
        if w >= math.pi:
            out[k], out[k + 1] = s0, s1
            k += 2
            continue
        a, z = lonc - w, lonc + w
        if a < -math.pi:
            out[k], out[k + 1] = _lower(lon, s0, s1, a + 2 * math.pi), s1
            out[k + 2], out[k + 3] = s0, _upper(lon, s0, s1, z)
            k += 4
        elif z > math.pi:
            out[k], out[k + 1] = _lower(lon, s0, s1, a), s1
            out[k + 2], out[k + 3] = s0, _upper(lon, s0, s1, z - 2 * math.pi)
            k += 4
        else:
            out[k], out[k + 1] = _lower(lon, s0, s1, a), _upper(lon, s0, s1, z)
            k += 2
    return k // 2


@njit(cache=True, nogil=True)
def candidate_counts(c0, c1, lat, lon, band_start, h, P, n_ranges, out):
    """Candidates of centres [c0, c1) (sorted order) into out[c0:c1]: plans chunks of bounded work."""
    rng = np.empty(4 * n_ranges, dtype=np.int64)
    for c in range(c0, c1):
        nr = candidate_ranges(c, lat, lon, band_start, h, P, rng)
        t = 0
        for i in range(nr):
            t += rng[2 * i + 1] - rng[2 * i]
        out[c] = t


@njit(cache=True, nogil=True, inline="always")
def chord_angle(ch):
    """2 asin(ch / 2); a short series where ch < 0.2 (error < 1e-14 there, far below the 2e-9 band
    re-checked exactly), libm asin beyond."""
    x = 0.5 * ch
    if x >= 0.1:
        return 2.0 * math.asin(min(x, 1.0))
    x2 = x * x
    return 2.0 * x * (1.0 + x2 * (1.0 / 6 + x2 * (3.0 / 40 + x2 * (5.0 / 112 + x2 * (35.0 / 1152 + x2 * (63.0 / 2816))))))


@njit(cache=True, nogil=True, inline="always")
def _near_int(x, tol=EPS):
    return abs(x - math.floor(x + 0.5)) < tol


# Abramowitz & Stegun 4.4.49: atan(x) / x on [0, 1] as a degree-16 even polynomial, |error| <= 2e-8.
_A = (-0.3333314528, 0.1999355085, -0.1420889944, 0.1065626393, -0.0752896400, 0.0429096138, -0.0161657367,
      0.0028662257)


@njit(cache=True, nogil=True, inline="always")
def fast_atan2(y, x):
    """atan2 to within ANG_TOL / 10 (a third of libm's cost); angles this close to a sector edge are
    re-checked exactly, so the approximation never decides a boundary case."""
    ax, ay = abs(x), abs(y)
    if ax == 0.0 and ay == 0.0:
        return math.atan2(y, x)
    swap = ay > ax
    t = ax / ay if swap else ay / ax
    t2 = t * t
    r = t * (1.0 + t2 * (_A[0] + t2 * (_A[1] + t2 * (_A[2] + t2 * (_A[3] + t2 * (_A[4] + t2 * (_A[5] + t2 * (
        _A[6] + t2 * _A[7]))))))))
    if swap:
        r = math.pi / 2 - r
    if x < 0.0:
        r = math.pi - r
    return math.copysign(r, y)   # atan2's sign rule, signed zeros included


@njit(cache=True, nogil=True, inline="always")
def ts_cell(x, centre, inv_step, s, kappa):
    """Table-era cell index a with centre + s (a - kappa) <= x < centre + s (a + 1 - kappa) (-1 / 2 kappa
    outside), with georbias.sri._cell_index's edge arithmetic (offs[a] = s * (a - kappa)). The first
    guess may be one off (a product instead of a quotient); the two exact edge comparisons settle it,
    as they do in _cell_index."""
    top = 2 * kappa
    idx = min(max(int(math.floor((x - centre) * inv_step)) + kappa, -1), top)
    if idx >= 0 and x < centre + s * float(min(max(idx, 0), top) - kappa):
        idx -= 1
    if idx < top and x >= centre + s * float(min(max(idx + 1, 0), top) - kappa):
        idx += 1
    return idx


@njit(cache=True, nogil=True, inline="always")
def _lb_keys(px, py, pz, e0, e1, n0, n1, n2, c0, c1, c2, s, cells, w, m, grid_on, sec_on):
    """locbench grid cell and sector of a member (-1: none) in the centre's equal-area frame
    (east = p.e, north = p.n scaled by sqrt(2 / (1 + p.c))), or near = True on a boundary."""
    k = math.sqrt(2.0 / max(1.0 + px * c0 + py * c1 + pz * c2, 1e-300))
    east = k * (px * e0 + py * e1)
    north = k * (px * n0 + py * n1 + pz * n2)
    grid, sec = -1, -1
    if grid_on:
        fa, fb = north * (1.0 / s) + 0.5, east * (1.0 / s) + 0.5
        if _near_int(fa) or _near_int(fb):
            return grid, sec, True
        a, b = int(math.floor(fa)) + cells // 2, int(math.floor(fb)) + cells // 2
        if 0 <= a < cells and 0 <= b < cells:
            grid = a * cells + b
    if sec_on:
        q = (fast_atan2(east, north) + w / 2) * (1.0 / w)
        if _near_int(q, ANG_TOL / w):
            return grid, sec, True
        sec = int(math.floor(q)) % m
    return grid, sec, False


@njit(cache=True, nogil=True, inline="always")
def _ts_sector(px, py, pz, m0, m1, m2, m3, m4, m5, lonc, m):
    """Table-era sector (angle of the rotated mirrored point minus lon_c, wrapped once) and the raw
    angle's overflow (+1 above pi, -1 below -pi), or near = True on a sector edge or at +-pi."""
    ang = fast_atan2(m3 * px + m4 * py + m5 * pz, m0 * px + m1 * py + m2 * pz) - lonc
    if abs(ang - math.pi) < ANG_TOL or abs(ang + math.pi) < ANG_TOL:
        return -1, 0, True
    over = 0
    if ang > math.pi:
        ang, over = ang - 2 * math.pi, 1
    elif ang < -math.pi:
        ang, over = ang + 2 * math.pi, -1
    q = (ang + math.pi) * (m / (2 * math.pi))
    if _near_int(q, ANG_TOL * m / (2 * math.pi)):
        return -1, over, True
    sec = int(math.floor(q))
    return (sec if 0 <= sec < m else -1), over, False


@njit(cache=True, nogil=True, inline="always")
def hist_bin(x, lo, hi, bins):
    """Bin of x in np.histogram(values, bins) of an array with min lo and max hi (edges linspace(lo, hi),
    (v - 0.5, v + 0.5) for a constant array, last bin closed): georbias.sri._numpy_hist_index's arithmetic."""
    first, last = (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)
    step = (last - first) / bins
    if bins == 2:
        return 1 if x >= step + first else 0
    idx = min(max(int(math.floor((x - first) / (last - first) * bins)), 0), bins - 1)
    if x < (last if idx >= bins else idx * step + first):
        idx -= 1
    if x >= (last if idx + 1 >= bins else (idx + 1) * step + first) and idx != bins - 1:
        idx += 1
    return min(max(idx, 0), bins - 1)


@njit(cache=True, nogil=True)
def hist_bins(vals, lo, hi, bins, out):
    """hist_bin of every value against its own (lo, hi)."""
    for i in range(vals.shape[0]):
        out[i] = hist_bin(vals[i], lo[i], hi[i], bins)


@njit(cache=True, nogil=True, inline="always")
def _bump(cnt, mn, mx, slot, L, x, mode):
    """Values with more than two levels under per-array edges: pass 1 (mode 1) takes each partition's
    min and max, pass 2 (mode 2) counts the member in its bin between them."""
    if mode == 1:
        mn[slot] = min(mn[slot], x)
        mx[slot] = max(mx[slot], x)
    else:
        cnt[slot * L + hist_bin(x, mn[slot], mx[slot], L)] += 1

@njit(cache=True, nogil=True)
def _centre(c, ci, lo, hi, lat, lon, xyz, ref, lev, val, mode, mats, dup, P, I, cnt, mn, mx, pos, neg, near_c,
            near_j, n_near):
    """Every candidate in sorted positions [lo, hi) of centre c (chunk-local ci); returns n_near.

    One function on purpose (over the usual 60 lines): this is the loop over ~10^9 members, and moving
    the count updates into helpers that take the arrays made it twice as slow (measured); the helpers
    it calls take scalars only."""
    K, L, R, lag, chord_q = I[I_K], I[I_L], P[P_R], P[P_LAG], P[P_CHORD]
    ts, kappa, n_rings, m, cells = I[I_TS] == 1, I[I_KAPPA], I[I_RINGS], I[I_M], I[I_CELLS]
    off_lag, off_grid, off_sec = I[I_OFF_LAG], I[I_OFF_GRID], I[I_OFF_SEC]
    s, kspan, inv_step, w, inv_lag = P[P_S], P[P_KSPAN], 1.0 / P[P_STEP], P[P_W], 1.0 / P[P_LAG]
    base = ci * K * L
    latc, lonc, cx, cy, cz = lat[c], lon[c], xyz[0, c], xyz[1, c], xyz[2, c]
    sl, cl, so, co = math.sin(latc), math.cos(latc), math.sin(lonc), math.cos(lonc)
    m0, m1, m2, m3, m4, m5 = mats[ci, 0], mats[ci, 1], mats[ci, 2], mats[ci, 3], mats[ci, 4], mats[ci, 5]
    for j in range(lo, hi):
        lv = lev[j]
        if ts and off_grid >= 0 and abs(lat[j] - latc) <= kspan and abs(lon[j] - lonc) <= kspan:
            a, b = ts_cell(lat[j], latc, inv_step, s, kappa), ts_cell(lon[j], lonc, inv_step, s, kappa)
            if 0 <= a < 2 * kappa and 0 <= b < 2 * kappa:
                if mode == 0:
                    cnt[base + (off_grid + a * 2 * kappa + b) * L + lv] += 1
                else:
                    _bump(cnt, mn, mx, ci * K + off_grid + a * 2 * kappa + b, L, val[j], mode)
        px, py, pz = xyz[0, j], xyz[1, j], xyz[2, j]
        ch = math.sqrt((px - cx) * (px - cx) + (py - cy) * (py - cy) + (pz - cz) * (pz - cz))
        if ch > chord_q:
            continue
        d = chord_angle(ch)
        t = d * inv_lag          # a product, not the quotient: within the re-checked band of an edge either way
        near = abs(d - lag * math.floor(t + 0.5)) < EPS or abs(d - R) < EPS
        in_roi = d <= R
        grid, sec, over = -1, -1, 0
        if not near and in_roi and ts and off_sec >= 0:
            near = d < CRIT
            if not near:
                sec, over, near = _ts_sector(ref[0, j], ref[1, j], ref[2, j], m0, m1, m2, m3, m4, m5, lonc, m)
        elif not near and in_roi and not ts and (off_grid >= 0 or off_sec >= 0):
            grid, sec, near = _lb_keys(px, py, pz, -so, co, -sl * co, -sl * so, cl, cx, cy, cz, s, cells, w, m,
                                       off_grid >= 0, off_sec >= 0)
        if near and d < EPS and lat[j] == latc and lon[j] == lonc and (
                not ts or off_sec < 0 or (ref[0, j] == ref[0, c] and ref[1, j] == ref[1, c] and ref[2, j] == ref[2, c])):
            # The centre itself or an exact copy: distance 0 (the reference's haversine of equal points),
            # ring 0, the centre's grid cell, no locbench bearing; its table-era sector comes from the
            # chunk's BLAS product of the centre's own row (dup[2 ci], dup[2 ci + 1]: sector, overflow).
            near, d, t, in_roi = False, 0.0, 0.0, True
            grid = (cells // 2) * cells + cells // 2 if not ts and off_grid >= 0 else -1
            sec, over = (dup[2 * ci], dup[2 * ci + 1]) if ts and off_sec >= 0 else (-1, 0)
        if near:
            if n_near < near_c.shape[0]:
                near_c[n_near], near_j[n_near] = ci, j
            n_near += 1
            continue
        if off_lag >= 0 and (ts or in_roi):
            ring = min(int(math.floor(t)), n_rings if ts else n_rings - 1)
            if ring < n_rings:
                if mode == 0:
                    cnt[base + (off_lag + ring) * L + lv] += 1
                else:
                    _bump(cnt, mn, mx, ci * K + off_lag + ring, L, val[j], mode)
        if in_roi:
            if mode == 0:
                cnt[base + lv] += 1
                if grid >= 0:
                    cnt[base + (off_grid + grid) * L + lv] += 1
                if sec >= 0:
                    cnt[base + (off_sec + sec) * L + lv] += 1
            else:
                _bump(cnt, mn, mx, ci * K, L, val[j], mode)
                if grid >= 0:
                    _bump(cnt, mn, mx, ci * K + off_grid + grid, L, val[j], mode)
                if sec >= 0:
                    _bump(cnt, mn, mx, ci * K + off_sec + sec, L, val[j], mode)
            if over != 0:
                pos[ci] |= over == 1
                neg[ci] |= over == -1
    return n_near


@njit(cache=True, nogil=True)
def chunk_counts(c0, c1, lat, lon, xyz, ref, lev, val, mode, band_start, h, P, I, mats, dup, cnt, mn, mx, pos, neg,
                 near_c, near_j, n_ranges):
    """Counts of centres [c0, c1) (sorted positions) into cnt ((c1 - c0) * K * L; mode 0: L value levels
    `lev`; modes 1 / 2: per-partition min / max of `val` into mn, mx, then L = bins histogram bins);
    returns how many members were near a boundary (stored in near_c / near_j while they fit; if more,
    the caller grows them and reruns)."""
    rng = np.empty(4 * n_ranges, dtype=np.int64)
    n_near = 0
    for c in range(c0, c1):
        nr = candidate_ranges(c, lat, lon, band_start, h, P, rng)
        for ir in range(nr):
            n_near = _centre(c, c - c0, rng[2 * ir], rng[2 * ir + 1], lat, lon, xyz, ref, lev, val, mode, mats, dup, P,
                             I, cnt, mn, mx, pos, neg, near_c, near_j, n_near)
    return n_near
