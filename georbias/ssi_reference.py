"""SSI of single ROIs through the reference recipe's own library calls (``reference_ties=True``).

Where equal distances meet, the reference's result is decided by the order in which
scikit-learn's BallTree returns equal distances and by whether a row's k+1 query returns the
row itself. That order is a property of the tree built on the exact same float inputs, so it
can only be reproduced by building the same trees on the same inputs (spec §1.1-1.3):

* ROI members in the order ``BallTree(all (lat, lon) rows, leaf_size=30, haversine).query(k=K)``
  returns them, kept where the returned distance is <= r;
* background rings in the pole frame (ring i at colatitude i d, ceil(2 pi i) points from
  lon -pi), to xyz with the reference's sign(lat) factor, rotated by scipy's
  ``Rotation.from_euler("yz", [pi/2 - lat_c, lon_c])``, back through arcsin / arctan2;
* points = presence in ROI order, then background in ring order;
  ``BallTree(points, leaf_size=30, haversine).query(k=k+1)``; every returned index other than the
  row itself is an edge, so a row that does not get itself back keeps k+1 edges.

The trigonometry of the rings goes through the C library (``math``), not numpy's AVX-512
kernels, which round some values differently in the last bit: a one-ulp move of a ring point
changes how BallTree splits its nodes and so its order among equal distances (with numpy's
AVX-512 sin/cos, 236 of the 244 tied ROIs of ``ssi_inat2018_nerf_europe`` matched; with the C
library's, all). This costs a tree per ROI (milliseconds), so the SSI engine only sends ROIs
with a tie here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from georbias.ssi import ring_colatitudes, ring_layout

LEAF_SIZE = 30  # scikit-learn's default, which the reference uses


@dataclass(frozen=True)
class ReferenceROI:
    """Everything of one ROI that depends on the reference's tie order."""

    members: np.ndarray  # dataset rows in BallTree order
    n_background: int
    density: int
    i_unmarked: float  # X'WX with presence 1, background 0
    i_marked: float  # X'WX with presence = mark, background 0


def reference_members(lat: np.ndarray, lon: np.ndarray, centres: np.ndarray, radius_rad: float,
                      roi_k: int) -> list[np.ndarray]:
    """ROI members of each centre row, in the order the reference's K-NN BallTree returns them."""
    from sklearn.neighbors import BallTree

    coords = np.column_stack([lat, lon])
    tree = BallTree(coords, leaf_size=LEAF_SIZE, metric="haversine")
    k_eff = min(int(roi_k), len(coords))
    out: list[np.ndarray] = []
    for s in range(0, len(centres), 20_000):
        dist, idx = tree.query(coords[centres[s:s + 20_000]], k=k_eff)
        out += [row[d <= radius_rad] for d, row in zip(dist, idx)]
    return out


# The C library's sin/cos/asin/atan2 (what numpy calls on CPUs without AVX-512). numpy's own
# AVX-512 kernels round differently in the last bit, which moves ring points by an ulp and so
# changes the reference's tie order; the reference's recorded runs match the C library's bits.
_SIN, _COS, _ASIN = (np.frompyfunc(f, 1, 1) for f in (math.sin, math.cos, math.asin))
_ATAN2 = np.frompyfunc(math.atan2, 2, 1)


def _f64(obj: np.ndarray) -> np.ndarray:
    return obj.astype(np.float64)


@lru_cache(maxsize=256)
def ring_xyz_pole(n: int, radius_rad: float) -> tuple[np.ndarray, int]:
    """Pole-frame ring xyz by the reference's lat/lon -> xyz (sign(lat) factor), C-library trig.

    Cached per (n, r): callers must not modify it."""
    lat_p, lon_p, density = ring_latlon_pole(n, radius_rad)
    cl = _f64(_COS(lat_p))
    xyz = np.column_stack([cl * _f64(_COS(lon_p)), np.sign(lat_p) * cl * _f64(_SIN(lon_p)), _f64(_SIN(lat_p))])
    return xyz, density


def ring_latlon_pole(n: int, radius_rad: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Pole-frame ring (lat, lon) of a ROI of n points, and the density (spec §1.2)."""
    density, spacing, counts = ring_layout(n, radius_rad)
    # lon j 2pi/m_i - pi, in numpy's linspace rounding (the reference's)
    lon = np.concatenate([np.linspace(-np.pi, np.pi, m_i, endpoint=False) for m_i in counts])
    return ring_colatitudes(spacing, counts), lon, density


def background_latlon(lat_c: float, lon_c: float, n: int, radius_rad: float) -> tuple[np.ndarray, int]:
    """(m, 2) background (lat, lon) around a centre, through scipy's Rotation, and the density."""
    from scipy.spatial.transform import Rotation

    xyz, density = ring_xyz_pole(int(n), float(radius_rad))
    rotated = Rotation.from_euler("yz", [np.pi / 2 - lat_c, lon_c]).apply(xyz)
    lat_b = _f64(_ASIN(rotated[:, 2]))
    lon_b = _f64(_ATAN2(rotated[:, 1], rotated[:, 0]))
    return np.column_stack([lat_b, lon_b]), density


def reference_edges(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges (rows, cols) of the reference's k-NN graph: the k+1 query minus self by index."""
    from sklearn.neighbors import BallTree

    tree = BallTree(points, leaf_size=LEAF_SIZE, metric="haversine")
    kq = min(k + 1, len(points))
    _, idx = tree.query(points, k=kq)
    rows = np.repeat(np.arange(len(points)), kq)
    cols = idx.ravel()
    keep = cols != rows
    return rows[keep], cols[keep]


def moran_on_edges(rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> float:
    """I = X'WX with X = values - mean(values) over all points, W binary on the given edges."""
    x = values - values.mean()
    return float(np.dot(x[rows], x[cols]))


def reference_roi(lat: np.ndarray, lon: np.ndarray, marks: np.ndarray, centre: int, members: np.ndarray,
                  radius_rad: float, k: int) -> ReferenceROI:
    """One ROI by the reference recipe (members from `reference_members`)."""
    n = len(members)
    bg, density = background_latlon(float(lat[centre]), float(lon[centre]), n, radius_rad)
    points = np.vstack([np.column_stack([lat[members], lon[members]]), bg])
    rows, cols = reference_edges(points, k)
    m = len(bg)
    unmarked = np.concatenate([np.ones(n), np.zeros(m)])
    marked = np.concatenate([marks[members].astype(np.float64), np.zeros(m)])
    return ReferenceROI(members=members, n_background=m, density=density,
                        i_unmarked=moran_on_edges(rows, cols, unmarked), i_marked=moran_on_edges(rows, cols, marked))


@dataclass(frozen=True)
class ResolvedTies:
    """Per-ROI replacements for the ROIs sent through the reference recipe (rows `centres`)."""

    centres: np.ndarray
    n_roi: np.ndarray
    density: np.ndarray
    n_background: np.ndarray
    i_unmarked: np.ndarray
    i_marked: np.ndarray
    moments_unmarked: tuple[np.ndarray, np.ndarray]  # (mean, var)
    moments_marked: tuple[np.ndarray, np.ndarray]


def resolve_ties(lat: np.ndarray, lon: np.ndarray, marks: np.ndarray, centres: np.ndarray, *, radius_rad: float,
                 roi_k: int, weight_k: int, degree: int,
                 progress: Callable[[int, int], None] | None = None) -> ResolvedTies:
    """Every ROI in `centres` by the reference recipe; the analytic moments follow its ROI size.

    `progress(done, total)` every 200 ROIs (this path takes milliseconds per ROI)."""
    from georbias.ssi import BACKGROUND_VALUE, _classes
    from georbias.surprisal import moran_moments

    centres = np.asarray(centres, dtype=np.int64)
    members = reference_members(lat, lon, centres, radius_rad, roi_k)
    rois = []
    for c, mem in zip(centres, members):
        rois.append(reference_roi(lat, lon, marks, int(c), mem, radius_rad, weight_k))
        if progress is not None and (len(rois) % 200 == 0 or len(rois) == len(centres)):
            progress(len(rois), len(centres))
    n = np.array([len(r.members) for r in rois], dtype=np.int64)
    m = np.array([r.n_background for r in rois], dtype=np.int64)
    mom_u = moran_moments(np.tile([BACKGROUND_VALUE, 1.0], (len(rois), 1)), np.column_stack([m, n]).astype(float),
                          degree)
    mu_m, var_m = np.empty(len(rois)), np.empty(len(rois))
    for j, r in enumerate(rois):
        cs, ns = _classes(marks[r.members][None, :].astype(np.float64), r.n_background)
        mu, var = moran_moments(cs, ns, degree)
        mu_m[j], var_m[j] = mu[0], var[0]
    return ResolvedTies(centres=centres, n_roi=n, density=np.array([r.density for r in rois], dtype=np.int64),
                        n_background=m, i_unmarked=np.array([r.i_unmarked for r in rois]),
                        i_marked=np.array([r.i_marked for r in rois]), moments_unmarked=mom_u,
                        moments_marked=(mu_m, var_m))


__all__ = ["ReferenceROI", "ResolvedTies", "resolve_ties", "reference_members", "reference_roi", "background_latlon",
           "reference_edges", "moran_on_edges", "LEAF_SIZE"]
