"""Spatial Relative Information (SRI): per-ROI KL divergence between a ROI and its sub-partitions.

Every point is a ROI centre; the ROI holds all points within `radius_rad` (uncapped, centre
included). Three partitions of the neighbourhood: a scale grid, distance-lag rings and
direction sectors. For each kept partition j (n_j >= partition_min), KL_j = KL(global || local)
between `bins`-bin histograms of the ROI values and the partition values, with `smooth` added
to the local probabilities only. Per ROI:

    sri_raw        = sum_j KL_j * n_j / n_roi        (table era, not renormalised; 0 if no partition)
    sri_normalized = sum_j KL_j * w_j / sum_j w_j    (NaN if no partition)
    weight         = n_roi / N

Presets:
- ``torchspatial``: the table-era GeoBS 2808927 behaviour that produced the published tables,
  defects included (grid and rings over *all* points, raw radian lat/lon grid, per-array bin
  edges, `_get_arc_angles` sector angles with the sign(lat) mirror), computed without the
  N x N distance matrix. Where the reference would crash (mixed-sign angle wrap), the ROI's
  direction-sector score is NaN and counted.
- ``locbench``: partitions restricted to the ROI, equal-area local grid (Lambert azimuthal,
  cells centred on the ROI centre), true initial bearings with compass-centred sectors (the
  centre and its duplicates have no bearing), fixed global bin edges, smoothed local
  probabilities renormalised; headline per-ROI score = sri_normalized.

Two evaluations, equal bit for bit: a compiled kernel counts each ROI's members per partition and
value level (two-level values, locbench's fixed edges) or, for table-era per-array edges of values
with more levels, takes each partition's min / max and then its bin counts, without listing pairs
(georbias.sri_fast: O(n) memory). The pair code below, chunked so memory stays O(chunk pairs), is
kept as its reference (`_FAST = False`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import rel_entr

from georbias import geometry as geo
from georbias.config import DEFAULT_RADIUS_RAD, DEFAULTS
from georbias.errors import GeoBiasInputError
from georbias.neighbours import latlon_rad_to_xyz
from georbias.sri_near import chord_distance, rotate_near_centre
from georbias.sums import exact_mean, exact_sum

VARIANTS = ("scale_grid", "distance_lag", "direction_sector")
PRESETS = ("torchspatial", "locbench")
_WORKERS = 2             # threads over centre chunks
_PAIR_BUDGET = 300_000   # neighbour pairs per chunk: bounds memory; arrays this small reuse heap pages
_COUNT_SAMPLE = 100_000  # centres whose pairs are counted to plan the chunks (more: every step-th)
_FAST = True             # compiled counting (georbias.sri_fast) where it applies; False: the pair code (tests)


@dataclass
class SRIVariantResult:
    """One SRI variant: per-ROI arrays (one entry per input point) plus aggregates."""

    name: str
    sri_raw: np.ndarray          # sum KL_j n_j / n_roi; 0 where no partition kept; NaN where undefined
    sri_normalized: np.ndarray   # sum KL_j w_j / sum w_j; NaN where no partition kept or undefined
    n_partitions: np.ndarray     # kept partitions per ROI (int)
    score: np.ndarray            # the preset's headline per-ROI value (raw for torchspatial, normalized for locbench)
    aggregate: dict[str, float]
    n_undefined: int = 0         # ROIs whose score is undefined (reference would crash) -> NaN
    partitions: dict[str, np.ndarray] | None = None  # optional detail: roi, key, size, kl per kept partition


@dataclass
class SRIResult:
    """All SRI variants for one set of points; `params` records every parameter used."""

    preset: str
    n_roi: np.ndarray            # ROI size per point (centre included)
    weight: np.ndarray           # n_roi / N
    variants: dict[str, SRIVariantResult]
    params: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Flat {variant: headline aggregate} (the value a leaderboard shows)."""
        return {f"sri_{name}": v.aggregate["score"] for name, v in self.variants.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe nested dict without the per-ROI arrays."""
        return {
            "preset": self.preset,
            "params": dict(self.params),
            "counts": dict(self.counts),
            "aggregate": {name: dict(v.aggregate) for name, v in self.variants.items()},
            "n_undefined": {name: int(v.n_undefined) for name, v in self.variants.items()},
        }


def _check_settings(preset: str, variants: tuple[str, ...], radius_rad: float, scale: float, lag: float,
                    sectors: int, bins: int, partition_min: int) -> None:
    """GeoBiasInputError for a preset SRI does not offer, an unknown variant or a bad number."""
    if preset == "head" or preset == "pygbs":
        raise GeoBiasInputError(
            f"SRI preset {preset!r} is not offered: the HEAD SRIPartitioner returns k-NN list positions instead of "
            "dataset indices, so scale-grid SRI is always 0 and the other variants read the first rows of the file. "
            "Use preset='torchspatial' (table era, reproduces the published tables) or 'locbench'.")
    if preset not in PRESETS:
        raise GeoBiasInputError(f"unknown SRI preset {preset!r}; choose one of {', '.join(PRESETS)}")
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        raise GeoBiasInputError(f"unknown SRI variant(s) {bad}; choose from {', '.join(VARIANTS)} "
                                "(the defective HEAD variants are not offered)")
    for name, val in (("radius_rad", radius_rad), ("scale", scale), ("lag", lag)):
        if not (np.isfinite(val) and val > 0):
            raise GeoBiasInputError(f"SRI parameter {name} must be a positive number of radians, got {val!r}")
    if radius_rad > np.pi / 2:
        raise GeoBiasInputError(f"SRI radius_rad {radius_rad} exceeds pi/2; use a local radius (0.05 = 319 km)")
    if int(sectors) < 1 or int(bins) < 1 or int(partition_min) < 1:
        raise GeoBiasInputError("SRI sectors, bins and partition_min must be >= 1")


def _params(preset: str, radius_rad: float, scale: float, lag: float, sectors: int, partition_min: int, bins: int,
            smooth: float, variants: tuple[str, ...], kappa: int, n_rings: int) -> dict[str, Any]:
    """Every setting of an SRI run and the partition rules of its preset, as the report records them."""
    params: dict[str, Any] = {
        "preset": preset, "radius_rad": float(radius_rad), "scale": float(scale), "lag": float(lag),
        "sectors": int(sectors), "partition_min": int(partition_min), "bins": int(bins), "smooth": float(smooth),
        "variants": list(variants), "n_rings": n_rings,
        "roi": "all points within radius_rad (great circle, uncapped, centre included)",
    }
    if preset == "torchspatial":
        params.update({
            "grid": "raw radian lat/lon square cells, over all dataset points (GeoBS 2808927)",
            "n_grid_cells_per_axis": 2 * kappa,
            "lag_rings": "L*a <= d < L*(a+1), a < ceil(r/L), over all dataset points",
            "sectors_rule": "_get_arc_angles (sign(lat) mirror, longitude-dependent origin)",
            "bin_edges": "per array (numpy histogram)", "roi_score": "sri_raw", "dataset_score": "sum_raw_times_weight",
            "smoothing": "smooth added to local probabilities only, not renormalised (KL can be -2e-8)",
        })
    else:
        params.update({
            "grid": "Lambert azimuthal equal-area local frame, cells of side `scale` centred on the ROI centre, "
                    "ROI points only",
            "n_grid_cells_per_axis": 2 * int(math.ceil(radius_rad / scale - 0.5)) + 1,
            "lag_rings": "floor(d/L) over ROI points only (d = r joins the last ring)",
            "sectors_rule": "true initial bearing, sector 0 centred on north, ROI points at distance > 0",
            "bin_edges": "fixed, from the global min/max of values", "roi_score": "sri_normalized",
            "smoothing": "smooth added to local probabilities, then renormalised (KL >= 0)",
            "dataset_score": "mean_normalized_nan_skipped",
        })
    return params


def sri_scores(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, *, preset: str = DEFAULTS.preset,
               radius_rad: float = DEFAULT_RADIUS_RAD, scale: float = DEFAULTS.scale, lag: float = DEFAULTS.lag,
               sectors: int = DEFAULTS.sectors, partition_min: int = DEFAULTS.partition_min, bins: int = 2, smooth: float = 1e-8,
               variants: tuple[str, ...] = VARIANTS, details: bool = False,
               progress: Any = None) -> SRIResult:
    """SRI per ROI for the scale-grid, distance-lag and direction-sector partitions.

    `lon`, `lat` in degrees, `values` numeric (NaN coordinates must be dropped by the caller).
    `details=True` also keeps every kept partition (ROI, key, size, KL). `progress(done, total)`
    is called after each chunk of centres.
    """
    _check_settings(preset, variants, radius_rad, scale, lag, sectors, bins, partition_min)
    lon, lat, values = geo.validate_points(lon, lat, values, min_points=1, what="SRI")

    n = len(lon)
    lat_r = geo.deg_to_rad_reference(lat)
    lon_r = geo.deg_to_rad_reference(lon)
    kappa = int(math.ceil(radius_rad / scale))
    n_rings = int(math.ceil(radius_rad / lag))
    params = _params(preset, radius_rad, scale, lag, int(sectors), int(partition_min), int(bins), smooth, variants,
                     kappa, n_rings)

    calc = _Calculator(lat_r, lon_r, values, preset=preset, radius_rad=radius_rad, scale=scale, lag=lag,
                       sectors=int(sectors), partition_min=int(partition_min), bins=int(bins), smooth=smooth,
                       kappa=kappa, n_rings=n_rings, variants=variants, details=details)
    calc.run(progress)

    out: dict[str, SRIVariantResult] = {}
    for name in variants:
        out[name] = calc.finish_variant(name)
    counts = {"n_points": n, "n_pairs_roi": int(calc.n_roi.sum())}
    return SRIResult(preset=preset, n_roi=calc.n_roi, weight=calc.n_roi / n, variants=out, params=params,
                     counts=counts)


class _Calculator:
    """Chunked evaluation of all requested variants; accumulates per-ROI sums."""

    def __init__(self, lat_r: np.ndarray, lon_r: np.ndarray, values: np.ndarray, *, preset: str,
                 radius_rad: float, scale: float, lag: float, sectors: int, partition_min: int, bins: int,
                 smooth: float, kappa: int, n_rings: int, variants: tuple[str, ...], details: bool) -> None:
        self.lat, self.lon, self.v = lat_r, lon_r, values
        self.n = len(values)
        self.preset, self.r, self.s, self.lag = preset, radius_rad, scale, lag
        self.m, self.pmin, self.bins, self.smooth = sectors, partition_min, bins, smooth
        self.kappa, self.n_rings, self.variants, self.details = kappa, n_rings, variants, details
        # Cells per axis: 2 kappa edge-anchored (table era) or 2 ceil(r/s - 1/2) + 1 centred (locbench).
        self.grid_cells = 2 * kappa if preset == "torchspatial" else 2 * int(math.ceil(radius_rad / scale - 0.5)) + 1
        self.n_roi = np.zeros(self.n, dtype=np.int64)
        self.acc = {name: {"kl_w": np.zeros(self.n), "w": np.zeros(self.n),
                           "k": np.zeros(self.n, dtype=np.int64), "undef": np.zeros(self.n, dtype=bool),
                           "parts": []} for name in variants}
        # Fixed global bin edges (locbench preset).
        vmin, vmax = float(values.min()), float(values.max())
        self.global_edges = np.linspace(vmin, vmax, bins + 1) if vmax > vmin else None
        # Fast path for values with at most two levels (hit@1, +-1): a histogram is (n, n_high).
        self.two_valued = len(np.unique(values)) <= 2
        if self.two_valued:
            self.is_hi = (values == vmax).astype(np.float64)
            self.const_bin = tuple(int(_numpy_hist_index(np.zeros(1, dtype=np.int64), np.array([v]), 1, bins)[0])
                                   for v in (vmin, vmax))
            if self.global_edges is None:
                self.fixed_bin = (0, 0)
            else:
                self.fixed_bin = tuple(int(np.clip(np.searchsorted(self.global_edges, v, side="right") - 1, 0, bins - 1))
                                       for v in (vmin, vmax))
        self.coslat = np.cos(lat_r)
        self.sinlat = np.sin(lat_r)
        # Compiled counting (georbias.sri_fast); the pair code below is kept as its reference (tests).
        self.fast = _FAST
        if not self.fast:
            self._pair_setup()

    def _pair_setup(self) -> None:
        """Trees of the pair code (table-era preset, values with more than two levels)."""
        lat_r, lon_r, radius_rad, lag, n_rings, preset, variants = (self.lat, self.lon, self.r, self.lag,
                                                                     self.n_rings, self.preset, self.variants)
        self.xyz = latlon_rad_to_xyz(lat_r, lon_r)
        self.tree = cKDTree(self.xyz, leafsize=32, balanced_tree=False, compact_nodes=True)
        # Sphere query radius: the ROI, plus the rings' outer edge in the table era.
        reach = radius_rad
        if preset == "torchspatial" and "distance_lag" in variants:
            reach = max(reach, lag * n_rings)
        self.chord = float(geo.angle_to_chord_safe(reach))
        self.tree2d = None
        if preset == "torchspatial" and "scale_grid" in variants:
            self.tree2d = cKDTree(np.column_stack([lat_r, lon_r]), leafsize=32, balanced_tree=False)
        if preset == "torchspatial" and "direction_sector" in variants:
            self.xyz_ref = geo.xyz_reference(lat_r, lon_r)
            self.xyz_ref_cols = [self.xyz_ref[:, j].copy() for j in range(3)]

    # ---------------------------------------------------------------- driving
    def _chunks(self) -> list[np.ndarray]:
        """Consecutive centre ranges holding about _PAIR_BUDGET neighbour pairs each (bounds memory)."""
        from georbias.pool import ball_counts

        # Sliced (Ctrl-C is seen at once). Beyond _COUNT_SAMPLE centres only every step-th is counted and
        # stands for its step: a chunk's total (thousands of centres) is still close, the bound is soft,
        # and the chunking never changes a result (each centre's sums stay inside its own chunk).
        step = max(1, -(-self.n // _COUNT_SAMPLE))
        counts = np.repeat(ball_counts(self.tree, self.xyz[::step], self.chord), step)[:self.n]
        if self.tree2d is not None:
            # The lat/lon square holds at most (2 kappa s)^2 / (pi r^2) times the cap's points (cos lat <= 1).
            counts = counts * (1.0 + (2 * self.kappa * self.s) ** 2 / (np.pi * self.r ** 2))
        ends = np.cumsum(counts)
        bounds = [0]
        while bounds[-1] < self.n:
            start_total = ends[bounds[-1] - 1] if bounds[-1] > 0 else 0.0
            nxt = int(np.searchsorted(ends, start_total + _PAIR_BUDGET, side="right"))
            bounds.append(min(self.n, max(nxt, bounds[-1] + 1)))
        return [np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def run(self, progress: Any = None) -> None:
        """Process centre chunks on up to two threads (numpy and the tree release the GIL); each
        chunk writes only its own centres' slots, so the result does not depend on scheduling.
        The chunks' geometry comes from / goes to georbias.geometry_cache (same points, same settings)."""
        if self.fast:
            from georbias.sri_fast import FastRun

            FastRun(self).run(progress)
            return
        from georbias.geometry_cache import CACHE, Keeper, geometry_key
        from georbias.pool import run_chunks

        key = geometry_key("sri", (self.lat, self.lon), preset=self.preset, r=self.r, s=self.s, lag=self.lag,
                           m=self.m, variants=tuple(self.variants), n_rings=self.n_rings, kappa=self.kappa)
        cached = CACHE.get(key)
        chunks, geoms = cached if cached is not None else (self._chunks(), None)
        keeper = None if cached is not None else Keeper(len(chunks), CACHE.room_for(key))
        workers = max(1, min(_WORKERS, os.cpu_count() or 1, len(chunks)))
        done = [0]

        def one(i: int) -> np.ndarray:
            g = self._run_chunk(chunks[i], None if geoms is None else geoms[i])
            if keeper is not None:
                keeper.keep(i, g)
            return chunks[i]

        def finished(centres: np.ndarray) -> None:
            done[0] += len(centres)
            if progress is not None:
                progress(done[0], self.n)
        run_chunks(one, range(len(chunks)), workers, finished)
        if keeper is not None and keeper.items is not None:
            CACHE.put(key, (chunks, keeper.items))

    def _sphere_pairs(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(centre, point, great-circle distance) for every point within the query reach (any order).

        Distances come from the tree's chord (d = 2 asin(c / 2)); pairs within 1e-9 rad of a ring
        edge or of the radius are recomputed with the reference's haversine so that boundary
        membership is decided by the same arithmetic as the reference.
        """
        sub = cKDTree(self.xyz[centres], leafsize=32, balanced_tree=False)
        # Not dense: an ndarray of (i, j, chord) pairs within reach, for one chunk of centres sized
        # by _PAIR_BUDGET, so memory is O(chunk pairs).
        res = sub.sparse_distance_matrix(self.tree, self.chord * (1 + 1e-9) + 1e-15, output_type="ndarray")
        ci = centres[res["i"]]
        pj = res["j"]
        d = chord_distance(self, res["v"], ci, pj)
        del res
        return ci, pj, d

    def _run_chunk(self, centres: np.ndarray, geom: dict[str, Any] | None = None) -> dict[str, Any]:
        """Score one chunk of centres; `geom` is its pairs and partition keys when already built
        (geometry_cache: they depend on the coordinates only). Returns the geometry it used."""
        if geom is None:
            geom = self._chunk_geometry(centres)
        base, nc = int(centres[0]), len(centres)
        self.n_roi[base:base + nc] += geom["n_roi"]
        g_counts = self._hist(geom["roi_c"], geom["roi_p"], nc)                    # (nc, bins)
        g_n = g_counts.sum(axis=1)
        for name in self.variants:
            pc, pp, key, n_keys = geom[name]
            if "undef" in geom and name == "direction_sector":
                self.acc[name]["undef"][base:base + nc] |= geom["undef"]
            self._partitions(name, base, nc, pc, pp, key, n_keys, g_counts, g_n)
        return geom

    def _chunk_geometry(self, centres: np.ndarray) -> dict[str, Any]:
        """Everything of a chunk that does not depend on the values: ROI pairs and each variant's
        (centre, point, partition key) triples, centres relative to the chunk's first."""
        ci, pj, d = self._sphere_pairs(centres)
        in_roi = d <= self.r
        rc, rp, rd = ci[in_roi], pj[in_roi], d[in_roi]
        base, nc = int(centres[0]), len(centres)
        small = np.int32 if self.n < 2**31 else np.int64   # halves what the cache holds
        geom: dict[str, Any] = {"n_roi": np.bincount(rc - base, minlength=nc), "roi_c": (rc - base).astype(small),
                                "roi_p": rp.astype(small)}
        if self.preset == "locbench" and ("scale_grid" in self.variants or "direction_sector" in self.variants):
            # One local equal-area frame per pair serves the grid and (as atan2(east, north)) the bearings.
            dl = self.lon[rp] - self.lon[rc]
            east, north = geo.laea_from_trig(self.sinlat[rc], self.coslat[rc], self.sinlat[rp], self.coslat[rp],
                                             np.sin(dl), np.cos(dl))
            del dl
        for name in self.variants:
            if name == "distance_lag":
                if self.preset == "torchspatial":
                    edges = self.lag * np.arange(self.n_rings + 1)
                    ring = np.searchsorted(edges, d, side="right") - 1
                    ok = (ring >= 0) & (ring < self.n_rings)
                    pc, pp, key = ci[ok], pj[ok], ring[ok]
                else:
                    ring = np.minimum(np.floor(rd / self.lag).astype(np.int64), self.n_rings - 1)
                    pc, pp, key = rc, rp, ring
                n_keys = self.n_rings
            elif name == "scale_grid":
                if self.preset == "torchspatial":
                    pc, pp, key = self._grid_pairs_reference(centres)
                else:
                    pc, pp, key = self._grid_pairs_locbench(rc, rp, east, north)
                n_keys = self.grid_cells ** 2
            else:
                if self.preset == "torchspatial":
                    sector, geom["undef"] = self._sectors_reference(rc, rp, rd, base, nc)
                else:
                    sector = self._sectors_locbench(east, north, rd)
                ok = sector >= 0
                pc, pp, key, n_keys = rc[ok], rp[ok], sector[ok], self.m
            geom[name] = ((pc - base).astype(small), pp.astype(small), key.astype(np.int16 if n_keys < 2**15 else
                                                                                  np.int64), n_keys)
        return geom

    # ---------------------------------------------------------------- partitions
    def _grid_pairs_reference(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Table-era grid: cells [lat_c + a s, lat_c + (a+1) s) x [lon_c + b s, ...), over all points."""
        k2 = 2 * self.kappa
        sub = cKDTree(np.column_stack([self.lat[centres], self.lon[centres]]), leafsize=32, balanced_tree=False)
        # Not dense: (i, j, dist) pairs inside the grid square, for one budgeted chunk of centres.
        res = sub.sparse_distance_matrix(self.tree2d, self.kappa * self.s * (1 + 1e-9) + 1e-15, p=np.inf,
                                         output_type="ndarray")
        ci = centres[res["i"]]
        pj = res["j"]
        offs = self.s * np.arange(-self.kappa, self.kappa + 1)        # a * s for a = -kappa..kappa
        # Edge e_a = centre + a*s, compared exactly as the reference's masks do.
        a = _cell_index(self.lat[pj], self.lat[ci], offs)
        b = _cell_index(self.lon[pj], self.lon[ci], offs)
        ok = (a >= 0) & (a < k2) & (b >= 0) & (b < k2)
        return ci[ok], pj[ok], (a * k2 + b)[ok]

    def _grid_pairs_locbench(self, rc: np.ndarray, rp: np.ndarray, east: np.ndarray,
                             north: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Equal-area grid: square cells of side s in the centre's Lambert azimuthal frame (east, north),
        centred on the ROI centre so the centre never sits on a cell corner (mirror-symmetric)."""
        half = self.grid_cells // 2
        a = np.floor(north / self.s + 0.5).astype(np.int64) + half
        b = np.floor(east / self.s + 0.5).astype(np.int64) + half
        ok = (a >= 0) & (a < self.grid_cells) & (b >= 0) & (b < self.grid_cells)
        return rc[ok], rp[ok], (a * self.grid_cells + b)[ok]

    def _sectors_reference(self, rc: np.ndarray, rp: np.ndarray, rd: np.ndarray, base: int,
                           nc: int) -> tuple[np.ndarray, np.ndarray]:
        """`_get_arc_angles` sectors: rotate the mirrored xyz so the centre is the pole, angle = lon_rot - lon_c.

        The spec's NaN angle at distance 0 (arcsin(z > 1)) does not reach the angle: it is
        atan2(y', x') of the rotated point, and the 1,782-row conformance case matches every
        sector size only when the centre keeps that (noise) angle.
        """
        mats = geo.pole_rotation_matrices(self.lat[base:base + nc], self.lon[base:base + nc])
        lc = rc - base
        flat = mats.reshape(nc, 9)
        px, py, pz = self.xyz_ref_cols[0][rp], self.xyz_ref_cols[1][rp], self.xyz_ref_cols[2][rp]
        xr = flat[:, 0].copy()[lc] * px + flat[:, 1].copy()[lc] * py + flat[:, 2].copy()[lc] * pz
        yr = flat[:, 3].copy()[lc] * px + flat[:, 4].copy()[lc] * py + flat[:, 5].copy()[lc] * pz
        del px, py, pz
        rotate_near_centre(xr, yr, rd, lc, lambda crit: self.xyz_ref[rp[crit]], mats)
        ang = np.arctan2(yr, xr) - self.lon[rc]
        ang, undefined = wrap_reference_angles(ang, lc, nc)
        edges = -np.pi + 2 * np.pi * np.arange(self.m + 1) / self.m
        sector = np.searchsorted(edges, ang, side="right") - 1
        sector[np.isnan(ang) | (sector < 0) | (sector >= self.m) | undefined[lc]] = -1
        return sector, undefined

    def _sectors_locbench(self, east: np.ndarray, north: np.ndarray, rd: np.ndarray) -> np.ndarray:
        """True initial bearing (atan2(east, north) in the local frame), sectors of width 2 pi / m
        centred on north; the centre itself and its duplicates have no bearing."""
        width = 2 * np.pi / self.m
        brg = np.arctan2(east, north)
        sector = np.floor(np.mod(brg + width / 2, 2 * np.pi) / width).astype(np.int64) % self.m
        sector[rd <= 0] = -1
        return sector

    def _hist(self, group: np.ndarray, pts: np.ndarray, n_groups: int) -> np.ndarray:
        """(n_groups, bins) histogram counts of the values of points `pts`, by group, with the preset's edges."""
        if self.two_valued:
            n = np.bincount(group, minlength=n_groups)
            nh = np.rint(np.bincount(group, weights=self.is_hi[pts], minlength=n_groups)).astype(np.int64)
            return self._two_level_hist(n, nh)
        vals = self.v[pts]
        if self.preset == "torchspatial":
            idx = _numpy_hist_index(group, vals, n_groups, self.bins)
        elif self.global_edges is None:
            idx = np.zeros(len(vals), dtype=np.int64)
        else:
            idx = np.clip(np.searchsorted(self.global_edges, vals, side="right") - 1, 0, self.bins - 1)
        return np.bincount(group * self.bins + idx, minlength=n_groups * self.bins).reshape(n_groups, self.bins)

    def _two_level_hist(self, n: np.ndarray, nh: np.ndarray) -> np.ndarray:
        """Histograms of groups of two-level values from their sizes n and high-value counts nh."""
        n_groups = len(n)
        out = np.zeros((n_groups, self.bins), dtype=np.int64)
        if self.preset == "torchspatial":
            mixed = (nh > 0) & (nh < n)
            out[mixed, 0] = n[mixed] - nh[mixed]
            out[mixed, self.bins - 1] += nh[mixed]
            # A constant array gets edges (v - 0.5, v + 0.5): its bin does not depend on v's size.
            lo_only = (nh == 0) & (n > 0)
            hi_only = (nh == n) & (n > 0) & ~lo_only
            out[lo_only, self.const_bin[0]] += n[lo_only]
            out[hi_only, self.const_bin[1]] += n[hi_only]
        else:
            out[:, self.fixed_bin[0]] += n - nh
            out[:, self.fixed_bin[1]] += nh
        return out

    def _partitions(self, name: str, base: int, nc: int, pc: np.ndarray, pp: np.ndarray, key: np.ndarray,
                    n_keys: int, g_counts: np.ndarray, g_n: np.ndarray) -> None:
        """KL of every partition with >= partition_min points against its ROI; accumulate per ROI."""
        group = pc.astype(np.int64) * n_keys + key   # pc: centre relative to the chunk's first
        if self.two_valued:
            all_counts = self._hist(group, pp, nc * n_keys)
            sizes = all_counts.sum(axis=1)
            kept = np.nonzero(sizes >= self.pmin)[0]
            l_counts = all_counts[kept]
        else:
            sizes = np.bincount(group, minlength=nc * n_keys)
            kept = np.nonzero(sizes >= self.pmin)[0]
            sel = sizes[group] >= self.pmin
            remap = np.full(nc * n_keys, -1, dtype=np.int64)
            remap[kept] = np.arange(len(kept))
            l_counts = self._hist(remap[group[sel]], pp[sel], len(kept))
        self.accumulate(name, np.arange(base, base + nc), n_keys, kept, sizes, l_counts, g_counts, g_n)

    def accumulate_counts(self, rows: np.ndarray, cnt3: np.ndarray, lay: Any, undefined: np.ndarray | None) -> None:
        """One chunk of compiled counts (centre, key, value level) -> ROI sizes and every variant's KL sums.
        `rows`: the chunk's centres (input rows); `undefined`: table-era sector ROIs the reference crashed on."""
        if undefined is not None and "direction_sector" in self.variants:
            off = lay.off["direction_sector"]
            cnt3[undefined, off:off + self.m, :] = 0
            self.acc["direction_sector"]["undef"][rows] |= undefined
        roi_hist = self._level_hist(cnt3[:, 0, :])
        self.n_roi[rows] += roi_hist.sum(axis=1)
        g_counts = roi_hist
        g_n = g_counts.sum(axis=1)
        nc = len(rows)
        for name in self.variants:
            off, n_keys = lay.off[name], lay.n_keys[name]
            hist = self._level_hist(cnt3[:, off:off + n_keys, :].reshape(nc * n_keys, lay.L))
            sizes = hist.sum(axis=1)
            kept = np.nonzero(sizes >= self.pmin)[0]
            self.accumulate(name, rows, n_keys, kept, sizes, hist[kept], g_counts, g_n)

    def _level_hist(self, lv: np.ndarray) -> np.ndarray:
        """(groups, bins) histograms from counts per value level: (n - n_high, n_high) for two-level
        values (then the preset's edge rule), the fixed-edge bins themselves otherwise."""
        if not self.two_valued:
            return lv
        return self._two_level_hist(lv.sum(axis=1), lv[:, 1])

    def accumulate(self, name: str, rows: np.ndarray, n_keys: int, kept: np.ndarray, sizes: np.ndarray,
                   l_counts: np.ndarray, g_counts: np.ndarray, g_n: np.ndarray) -> None:
        """KL of each kept partition against its ROI, summed per ROI into the rows `rows` (the chunk's centres)."""
        acc = self.acc[name]
        nc = len(rows)
        if len(kept) == 0:
            return
        roi = kept // n_keys
        n_j = sizes[kept].astype(np.float64)
        n_roi = g_n[roi].astype(np.float64)
        p_l = l_counts / n_j[:, None] + self.smooth
        if self.preset == "locbench":
            p_l /= 1.0 + self.bins * self.smooth        # a distribution again, so KL >= 0 (reference: not)
        p_g = g_counts[roi] / n_roi[:, None]
        kl = rel_entr(p_g, p_l).sum(axis=1)
        w = n_j / n_roi
        acc["kl_w"][rows] += np.bincount(roi, weights=kl * w, minlength=nc)
        acc["w"][rows] += np.bincount(roi, weights=w, minlength=nc)
        acc["k"][rows] += np.bincount(roi, minlength=nc)
        if self.details:
            acc["parts"].append((rows[roi], kept % n_keys, sizes[kept], kl))

    # ---------------------------------------------------------------- results
    def finish_variant(self, name: str) -> SRIVariantResult:
        acc = self.acc[name]
        raw = acc["kl_w"].copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.where(acc["k"] > 0, acc["kl_w"] / np.where(acc["w"] > 0, acc["w"], 1.0), np.nan)
        undef = acc["undef"]
        raw[undef] = np.nan
        norm[undef] = np.nan
        weight = self.n_roi / self.n
        agg = {
            "sum_raw_times_weight": exact_sum(raw * weight),
            "mean_raw": exact_mean(raw),
            "mean_normalized_nan_skipped": exact_mean(norm),
            "sum_normalized_times_weight": exact_sum(norm * weight),
            "n_rois_with_partitions": int(np.sum(acc["k"] > 0)),
            "n_rois_undefined": int(undef.sum()),
        }
        if self.preset == "torchspatial":
            # The reference adds `smooth` to local probabilities without renormalising, so a partition
            # whose histogram equals its ROI's scores about -smooth per occupied bin instead of 0 (kept per
            # ROI for conformance). The ROI weights n_roi / N add up to the mean ROI size, so this artefact
            # alone can make the total negative (-2e-8 N on all-duplicate points); a KL divergence cannot be.
            score, agg["score"] = raw, max(agg["sum_raw_times_weight"], 0.0)
        else:
            score, agg["score"] = norm, agg["mean_normalized_nan_skipped"]
        parts = None
        if self.details:
            cols = list(zip(*acc["parts"])) if acc["parts"] else [[], [], [], []]
            parts = {k: (np.concatenate(c) if len(c) else np.empty(0)) for k, c in zip(("roi", "key", "size", "kl"), cols)}
            o = np.lexsort((parts["key"], parts["roi"]))
            parts = {k: a[o] for k, a in parts.items()}
        return SRIVariantResult(name=name, sri_raw=raw, sri_normalized=norm, n_partitions=acc["k"].copy(),
                                score=score, aggregate=agg, n_undefined=int(undef.sum()), partitions=parts)


def wrap_reference_angles(ang: np.ndarray, roi: np.ndarray, n_roi: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference's wrap of `lon_rot - lon_c` per ROI: angles beyond +pi lose 2 pi, beyond -pi gain
    2 pi; a ROI with overflows on *both* sides made the reference raise, so it is flagged undefined
    (its sector score becomes NaN) instead of crashing. `roi` holds each angle's ROI in [0, n_roi)."""
    pos = np.bincount(roi, weights=(ang > np.pi), minlength=n_roi) > 0
    neg = np.bincount(roi, weights=(ang < -np.pi), minlength=n_roi) > 0
    ang = np.where(ang > np.pi, ang - 2 * np.pi, ang)
    ang = np.where(ang < -np.pi, ang + 2 * np.pi, ang)
    return ang, pos & neg


def _cell_index(x: np.ndarray, centre: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """Index a with centre + offs[a] <= x < centre + offs[a+1]; -1 or len(offs)-1 when outside.

    floor() gives the index to within one; one exact pass against the reference's edge
    arithmetic (centre + a*s) settles points on or next to a boundary.
    """
    top = len(offs) - 1
    idx = np.floor((x - centre) / (offs[1] - offs[0])).astype(np.int64) + top // 2
    np.clip(idx, -1, top, out=idx)
    lo = centre + offs[np.clip(idx, 0, top)]
    idx -= (idx >= 0) & (x < lo)
    hi = centre + offs[np.clip(idx + 1, 0, top)]
    idx += (idx < top) & (x >= hi)
    return idx


def _numpy_hist_index(group: np.ndarray, vals: np.ndarray, n_groups: int, bins: int) -> np.ndarray:
    """Bin index of each value under `np.histogram(x_group, bins)` with each group's own edges.

    numpy uses linspace(min, max, bins+1) edges (min-0.5, max+0.5 for a constant array),
    the last bin closed: the bin is the i with e_i <= x < e_{i+1} (x = max -> last bin).
    """
    mn = np.full(n_groups, np.inf)
    mx = np.full(n_groups, -np.inf)
    np.minimum.at(mn, group, vals)
    np.maximum.at(mx, group, vals)
    const = mn == mx
    first = np.where(const, mn - 0.5, mn)
    last = np.where(const, mx + 0.5, mx)
    step = (last - first) / bins
    if bins == 2:
        # The middle edge is 1 * step + first (numpy linspace); x >= it -> upper bin (last bin closed).
        return (vals >= (step + first)[group]).astype(np.int64)
    f, st, la = first[group], step[group], last[group]
    with np.errstate(invalid="ignore", divide="ignore"):
        idx = np.floor((vals - f) / (la - f) * bins).astype(np.int64)
    idx = np.clip(idx, 0, bins - 1)

    def edge(i: np.ndarray) -> np.ndarray:
        return np.where(i >= bins, la, i * st + f)

    idx = np.where(vals < edge(idx), idx - 1, idx)
    idx = np.where((vals >= edge(idx + 1)) & (idx != bins - 1), idx + 1, idx)
    return np.clip(idx, 0, bins - 1)
