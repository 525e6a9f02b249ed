"""Exact re-check of the members the SRI kernel found near a boundary, with the pair code's numpy formulas.

Few members per chunk land here: those within 2e-9 of a ring edge or the radius (distances from
the chord, then the reference's haversine within 1e-9, as before), of a grid-cell or sector
edge, or of the centre without being an exact copy of it, and table-era sector members within 1e-6 rad of the centre
(their angle is rounding noise that only scipy's rotation applied as one BLAS product
reproduces). Each is classified exactly as georbias.sri's pair code did; the caller adds it to its partitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from georbias import geometry as geo


def near_keys(run: Any, c0: int, mats: np.ndarray, ci: np.ndarray, j: np.ndarray, pos: np.ndarray,
              neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local centre, key, sorted point) of every partition (ROI = key 0) each near member (ci, j) joins."""
    calc, ix, lay = run.calc, run.index, run.lay
    rc, rp = ix.order[c0 + ci], ix.order[j]
    d = _distance(calc, ix.xyz[:, c0 + ci], ix.xyz[:, j], rc, rp)
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(mask: np.ndarray, key: np.ndarray | int, cc: np.ndarray, jj: np.ndarray) -> None:
        out.append((cc[mask], np.broadcast_to(key, mask.shape)[mask], jj[mask]))

    in_roi = d <= calc.r
    add(in_roi, 0, ci, j)
    if "distance_lag" in calc.variants:
        off = lay.off["distance_lag"]
        if calc.preset == "torchspatial":
            ring = np.searchsorted(calc.lag * np.arange(calc.n_rings + 1), d, side="right") - 1
            add((ring >= 0) & (ring < calc.n_rings), off + ring, ci, j)
        else:
            ring = np.minimum(np.floor(d / calc.lag).astype(np.int64), calc.n_rings - 1)
            add(in_roi, off + ring, ci, j)
    ci, j, rc, rp, d = ci[in_roi], j[in_roi], rc[in_roi], rp[in_roi], d[in_roi]
    if calc.preset == "torchspatial":
        if "direction_sector" in calc.variants:
            sector = _ts_sectors(calc, ix, mats, ci, j, rc, d, pos, neg)
            add(sector >= 0, lay.off["direction_sector"] + sector, ci, j)
    else:
        _locbench_keys(calc, lay, ci, j, rc, rp, d, add)
    if not out:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    return tuple(np.concatenate([o[k] for o in out]).astype(np.int64) for k in range(3))  # type: ignore[return-value]


def _locbench_keys(calc: Any, lay: Any, ci: np.ndarray, j: np.ndarray, rc: np.ndarray, rp: np.ndarray,
                   d: np.ndarray, add: Any) -> None:
    """locbench grid cells and sectors of near ROI members (the pair code's equal-area frame)."""
    if "scale_grid" not in calc.variants and "direction_sector" not in calc.variants:
        return
    dl = calc.lon[rp] - calc.lon[rc]
    east, north = geo.laea_from_trig(calc.sinlat[rc], calc.coslat[rc], calc.sinlat[rp], calc.coslat[rp],
                                     np.sin(dl), np.cos(dl))
    if "scale_grid" in calc.variants:
        half, g = calc.grid_cells // 2, calc.grid_cells
        a = np.floor(north / calc.s + 0.5).astype(np.int64) + half
        b = np.floor(east / calc.s + 0.5).astype(np.int64) + half
        add((a >= 0) & (a < g) & (b >= 0) & (b < g), lay.off["scale_grid"] + a * g + b, ci, j)
    if "direction_sector" in calc.variants:
        sector = calc._sectors_locbench(east, north, d)
        add(sector >= 0, lay.off["direction_sector"] + sector, ci, j)


def _distance(calc: Any, pc: np.ndarray, pp: np.ndarray, rc: np.ndarray, rp: np.ndarray) -> np.ndarray:
    """Great-circle distance as the pair code had it: from the chord, the reference's haversine within
    1e-9 of a ring edge or the radius (elsewhere a last-bit difference of the chord changes nothing)."""
    diff = pp - pc
    return chord_distance(calc, np.sqrt(diff[0] * diff[0] + diff[1] * diff[1] + diff[2] * diff[2]), rc, rp)


def chord_distance(calc: Any, chord: np.ndarray, rc: np.ndarray, rp: np.ndarray) -> np.ndarray:
    """Angle from the chord of each (centre rc, member rp) pair; pairs within 1e-9 rad of a lag ring edge
    or the radius get the reference's haversine instead, so they fall on the same side as in the tables."""
    d = 2.0 * np.arcsin(np.minimum(chord * 0.5, 1.0))
    near = np.abs(d - calc.lag * np.rint(d / calc.lag)) < 1e-9
    near |= np.abs(d - calc.r) < 1e-9
    idx = np.nonzero(near)[0]
    c, p = rc[idx], rp[idx]
    d[idx] = geo.haversine_rad(calc.lat[c], calc.lon[c], calc.lat[p], calc.lon[p],
                               cos_lat1=calc.coslat[c], cos_lat2=calc.coslat[p])
    return d


def rotate_near_centre(xr: np.ndarray, yr: np.ndarray, rd: np.ndarray, owner: np.ndarray,
                       points_of: Any, mats: np.ndarray) -> None:
    """Members within 1e-6 rad of their centre: their angle is rounding noise, so (xr, yr) are recomputed in
    place with the reference's own arithmetic, one BLAS product per centre. `owner` is each member's centre
    (0..len(mats)-1), `points_of(rows)` their unit vectors (rows x 3), `mats` the centres' 3x3 rotations. A
    row's result does not depend on the other rows once there are 2+ rows (checked on the conformance
    case), so a spare zero row is appended."""
    crit = np.nonzero(rd < 1e-6)[0]
    crit = crit[np.argsort(owner[crit], kind="stable")]
    pts = np.vstack([points_of(crit), np.zeros((1, 3))])
    bounds = np.searchsorted(owner[crit], np.arange(len(mats) + 1))
    for c in np.nonzero(np.diff(bounds))[0]:
        a, b = bounds[c], bounds[c + 1]
        block = pts[a:max(b, a + 2)] @ mats[c].T
        rows = crit[a:b]
        xr[rows] = block[:b - a, 0]
        yr[rows] = block[:b - a, 1]


def _ts_sectors(calc: Any, ix: Any, mats: np.ndarray, ci: np.ndarray, j: np.ndarray, rc: np.ndarray,
                rd: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Table-era sectors of ROI members (georbias.sri._Calculator._sectors_reference arithmetic); marks
    each centre's raw-angle overflows in pos / neg (both: the reference crashed, the ROI is undefined)."""
    flat = mats
    px, py, pz = ix.xyz_ref[0][j], ix.xyz_ref[1][j], ix.xyz_ref[2][j]
    xr = flat[:, 0].copy()[ci] * px + flat[:, 1].copy()[ci] * py + flat[:, 2].copy()[ci] * pz
    yr = flat[:, 3].copy()[ci] * px + flat[:, 4].copy()[ci] * py + flat[:, 5].copy()[ci] * pz
    rotate_near_centre(xr, yr, rd, ci, lambda crit: np.ascontiguousarray(ix.xyz_ref[:, j[crit]].T),
                       mats.reshape(-1, 3, 3))
    ang = np.arctan2(yr, xr) - calc.lon[rc]
    pos |= np.bincount(ci, weights=(ang > np.pi), minlength=len(pos)) > 0
    neg |= np.bincount(ci, weights=(ang < -np.pi), minlength=len(neg)) > 0
    ang = np.where(ang > np.pi, ang - 2 * np.pi, ang)
    ang = np.where(ang < -np.pi, ang + 2 * np.pi, ang)
    edges = -np.pi + 2 * np.pi * np.arange(calc.m + 1) / calc.m
    sector = np.searchsorted(edges, ang, side="right") - 1
    sector[np.isnan(ang) | (sector < 0) | (sector >= calc.m)] = -1
    return sector
