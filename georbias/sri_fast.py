"""SRI without pair lists: compiled per-chunk counts (georbias.sri_kernel) over a band index.

A chunk is a run of centres in the index's sorted order (neighbouring centres share their
candidates, so memory access stays local). For each it yields counts[centre, key, level]:
key 0 the ROI, then the rings, grid cells and sectors; level the value's class (0/1 for two-level
values, the fixed global bin under `locbench`). Members the kernel leaves as near a boundary are
classified with the pair-based numpy formulas (georbias.sri_near) and added. The histograms, KL
and sums then run through the same numpy code as before (georbias.sri._Calculator.accumulate), so
results are those of the pair-based code bit for bit. Memory: the index (O(n)) and one count array
per chunk in flight.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from georbias import geometry as geo
from georbias import sri_kernel as K
from georbias.sri_index import BandIndex, build_index
from georbias.sri_near import near_keys

_CENTRE_CELLS = 1 << 21   # count-array entries per chunk (centres x keys x levels): a few MB


@dataclass
class Layout:
    """Where each variant's keys start in a centre's count row (-1: variant not requested)."""

    off: dict[str, int]
    n_keys: dict[str, int]
    K: int                     # keys per centre (ROI included)
    L: int                     # value levels


def layout(calc: Any) -> Layout:
    sizes = {"distance_lag": calc.n_rings, "scale_grid": calc.grid_cells ** 2, "direction_sector": calc.m}
    off, n_keys, k = {}, {}, 1
    for name in ("distance_lag", "scale_grid", "direction_sector"):
        if name in calc.variants:
            off[name], n_keys[name] = k, sizes[name]
            k += sizes[name]
        else:
            off[name], n_keys[name] = -1, sizes[name]
    return Layout(off=off, n_keys=n_keys, K=k, L=2 if calc.two_valued else calc.bins)   # L: levels or bins


def params(calc: Any, lay: Layout) -> tuple[np.ndarray, np.ndarray, float]:
    """(float params, int params, search half-height) of the kernel for this calculator."""
    ts = calc.preset == "torchspatial"
    reach = calc.r
    if ts and "distance_lag" in calc.variants:
        reach = max(reach, calc.lag * calc.n_rings)
    chord = float(geo.angle_to_chord_safe(reach)) * (1 + 1e-9) + 1e-15   # the pair code's query radius
    cap = reach * (1 + 1e-6) + 1e-12            # search radius (a margin beyond the exact re-check band)
    kspan = calc.kappa * calc.s * (1 + 1e-6) + 1e-12 if ts and "scale_grid" in calc.variants else 0.0
    half = max(cap, kspan)
    offs = calc.s * np.arange(-calc.kappa, calc.kappa + 1)          # the pair code's grid edges
    P = np.array([half, math.sin(min(cap, math.pi / 2)), kspan, chord, calc.r, calc.lag, calc.s, 2 * np.pi / calc.m, offs[1] - offs[0]])
    I = np.array([int(ts), calc.n_rings, lay.off["distance_lag"], lay.off["scale_grid"], lay.off["direction_sector"],
                  lay.K, lay.L, calc.kappa, calc.grid_cells, calc.m], dtype=np.int64)
    return P, I, half


def levels(calc: Any) -> np.ndarray:
    """Each point's value class: 0/1 (two-level values) or its fixed global bin (locbench)."""
    if calc.two_valued:
        return (calc.v == calc.v.max()).astype(np.int64)
    return np.clip(np.searchsorted(calc.global_edges, calc.v, side="right") - 1, 0, calc.bins - 1).astype(np.int64)


def plan(index: BandIndex, P: np.ndarray, budget: int, row_cells: int) -> np.ndarray:
    """Chunk bounds (sorted positions) of about `budget` candidates and at most _CENTRE_CELLS counts each."""
    from georbias.pool import QUERY_SLICE, THREADS, run_chunks

    n = len(index.lat)
    work = np.empty(n, dtype=np.int64)

    def one(a: int) -> None:   # slices: a Ctrl-C waits for one slice at most
        K.candidate_counts(a, min(n, a + 5 * QUERY_SLICE), index.lat, index.lon, index.band_start, index.band_h,
                           P, n_ranges(index, P), work)
    run_chunks(one, range(0, n, 5 * QUERY_SLICE), THREADS if n > 5 * QUERY_SLICE else 1)
    work += 1
    ends = np.cumsum(work)
    max_c = max(1, _CENTRE_CELLS // row_cells)
    bounds = [0]
    while bounds[-1] < n:
        a = bounds[-1]
        nxt = int(np.searchsorted(ends, (ends[a - 1] if a else 0) + budget, side="right"))
        bounds.append(min(n, a + max_c, max(nxt, a + 1)))
    return np.asarray(bounds, dtype=np.int64)


def n_ranges(index: BandIndex, P: np.ndarray) -> int:
    """Upper bound on a centre's candidate slices (two per band the box crosses)."""
    return int(2 * (math.ceil(2 * P[K.P_H] / index.band_h) + 2))


class FastRun:
    """Drives the kernel over chunks for one _Calculator; each chunk writes only its own centres."""

    def __init__(self, calc: Any) -> None:
        from georbias.geometry_cache import CACHE, geometry_key

        self.calc = calc
        self.lay = layout(calc)
        self.P, self.I, half = params(calc, self.lay)
        self.ts = calc.preset == "torchspatial"
        sec = "direction_sector" in calc.variants
        key = geometry_key("sri-index", (calc.lat, calc.lon), P=tuple(self.P), ts=self.ts, sec=sec,
                           budget=_budget(), cells=self.lay.K * self.lay.L)
        cached = CACHE.get(key)
        if cached is None:
            room = CACHE.room_for(key)         # 0 outside shared_geometry(): nothing is kept
            index = build_index(calc.lat, calc.lon, half, with_ref=self.ts and sec)
            cached = (index, plan(index, self.P, _budget(), self.lay.K * self.lay.L))
            if room > 0:
                CACHE.put(key, cached)
        self.index, self.bounds = cached
        # Table-era histograms of values with more than two levels use each partition's own min / max.
        self.per_array = self.ts and not calc.two_valued
        self.lev = levels(calc)[self.index.order] if not self.per_array else np.zeros(calc.n, dtype=np.int64)
        self.val = calc.v[self.index.order] if self.per_array else np.zeros(0)
        self.nr = n_ranges(self.index, self.P)
        self.cap = 0              # near-member buffer size that sufficed so far (a rerun grows it)

    def run(self, progress: Any = None) -> None:
        from georbias import sri as sri_mod
        from georbias.pool import run_chunks

        n_chunks = len(self.bounds) - 1
        workers = max(1, min(sri_mod._WORKERS, os.cpu_count() or 1, n_chunks))
        done = [0]

        def finished(n_done: int) -> None:
            done[0] += n_done
            if progress is not None:
                progress(done[0], self.calc.n)
        run_chunks(self.chunk, range(n_chunks), workers, finished)

    def chunk(self, i: int) -> int:
        """Count, re-check the near members, accumulate; returns the number of centres done."""
        c0, c1 = int(self.bounds[i]), int(self.bounds[i + 1])
        nc, lay = c1 - c0, self.lay
        rows = self.index.order[c0:c1]
        mats = (geo.pole_rotation_matrices(self.calc.lat[rows], self.calc.lon[rows]).reshape(nc, 9)
                if self.ts and lay.off["direction_sector"] >= 0 else np.zeros((nc, 9)))
        pos, neg = np.zeros(nc, dtype=np.uint8), np.zeros(nc, dtype=np.uint8)
        dup = self._own_sectors(c0, rows, mats)
        if self.per_array:   # min / max of each partition first, then its histogram between them
            mn, mx = np.full(nc * lay.K, np.inf), np.full(nc * lay.K, -np.inf)
            near = self._pass(c0, c1, 1, mats, dup, None, mn, mx, pos, neg)
            cc, kk, jj = near_keys(self, c0, mats, near[0], near[1], pos, neg)
            np.minimum.at(mn, cc * lay.K + kk, self.val[jj])
            np.maximum.at(mx, cc * lay.K + kk, self.val[jj])
            cnt = np.zeros(nc * lay.K * lay.L, dtype=np.int32)
            self._pass(c0, c1, 2, mats, dup, cnt, mn, mx, pos, neg)
            slot = cc * lay.K + kk
            bins = hist_bins(self.val[jj], mn[slot], mx[slot], lay.L)
        else:
            cnt = np.zeros(nc * lay.K * lay.L, dtype=np.int32)
            near = self._pass(c0, c1, 0, mats, dup, cnt, np.empty(0), np.empty(0), pos, neg)
            cc, kk, jj = near_keys(self, c0, mats, near[0], near[1], pos, neg)
            bins = self.lev[jj]
        cnt3 = cnt.reshape(nc, lay.K, lay.L).astype(np.int64)
        np.add.at(cnt3, (cc, kk, bins), 1)
        self.calc.accumulate_counts(rows, cnt3, lay, (pos & neg).astype(bool) if self.ts else None)
        return nc

    def _own_sectors(self, c0: int, rows: np.ndarray, mats: np.ndarray) -> np.ndarray:
        if self.ts and self.lay.off["direction_sector"] >= 0:
            return own_sectors(self.calc, self.index, c0, rows, mats)
        return np.zeros(2 * len(rows), dtype=np.int64)

    def _pass(self, c0: int, c1: int, mode: int, mats: np.ndarray, dup: np.ndarray, cnt: np.ndarray | None,
              mn: np.ndarray, mx: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One kernel pass over the chunk; returns its near members (local centre, sorted point)."""
        ix, nc = self.index, c1 - c0
        cap = max(self.cap, 2 * nc + 4096)   # every centre meets itself at distance 0: always re-checked
        while True:
            near_c, near_j = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64)
            if cnt is not None:
                cnt[:] = 0
            if mode == 1:
                mn[:], mx[:] = np.inf, -np.inf
            got = K.chunk_counts(c0, c1, ix.lat, ix.lon, ix.xyz, ix.xyz_ref, self.lev, self.val, mode, ix.band_start,
                                 ix.band_h, self.P, self.I, mats, dup, np.empty(0, np.int32) if cnt is None else cnt, mn, mx,
                                 pos, neg, near_c, near_j, self.nr)
            if got <= cap:
                return near_c[:got], near_j[:got]
            cap = int(got)
            self.cap = max(self.cap, cap)


def own_sectors(calc: Any, ix: BandIndex, c0: int, rows: np.ndarray, mats: np.ndarray) -> np.ndarray:
    """(sector, raw-angle overflow) pairs of each centre's own point under the table-era rule: the angle of
    its mirrored xyz rotated by one BLAS product (a 2-row block, as the pair code's), then numpy's wrap
    and edges. Exact copies of the centre share it, so the kernel counts them without a re-check."""
    nc = len(rows)
    m3 = mats.reshape(nc, 3, 3)
    pts = np.zeros((2, 3))
    xr, yr = np.empty(nc), np.empty(nc)
    for ci in range(nc):
        pts[0] = ix.xyz_ref[:, c0 + ci]
        block = pts @ m3[ci].T
        xr[ci], yr[ci] = block[0, 0], block[0, 1]
    ang = np.arctan2(yr, xr) - calc.lon[rows]
    over = (ang > np.pi).astype(np.int64) - (ang < -np.pi)
    ang = np.where(ang > np.pi, ang - 2 * np.pi, ang)
    ang = np.where(ang < -np.pi, ang + 2 * np.pi, ang)
    edges = -np.pi + 2 * np.pi * np.arange(calc.m + 1) / calc.m
    sector = np.searchsorted(edges, ang, side="right") - 1
    sector[np.isnan(ang) | (sector < 0) | (sector >= calc.m)] = -1
    return np.column_stack([sector, over]).astype(np.int64).ravel()


def hist_bins(vals: np.ndarray, lo: np.ndarray, hi: np.ndarray, bins: int) -> np.ndarray:
    """georbias.sri_kernel.hist_bin for arrays (the near members of pass 2)."""
    out = np.empty(len(vals), dtype=np.int64)
    K.hist_bins(vals, lo, hi, bins, out)
    return out


def _budget() -> int:
    """Candidates per chunk: ten times the pair code's pair budget (a candidate costs a few bytes of
    count array instead of a stored pair), so tests that shrink _PAIR_BUDGET shrink chunks here too."""
    from georbias import sri as sri_mod

    return 10 * int(sri_mod._PAIR_BUDGET)
