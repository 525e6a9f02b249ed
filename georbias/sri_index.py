"""Latitude-band index of the points for SRI: O(n) memory, no pairs.

Points are sorted by (latitude band, longitude). A centre's candidates are, per band its
search box crosses, one or two contiguous longitude slices (two across the antimeridian), found
by binary search; the compiled kernel (georbias.sri_kernel) walks them in memory order. Only
this index (and no pair list) is what a shared-geometry run keeps for the next value column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from georbias.neighbours import latlon_rad_to_xyz


@dataclass
class BandIndex:
    """Sorted copies of every per-point array the kernel reads, and where each band starts."""

    order: np.ndarray        # sorted position -> input row
    band_start: np.ndarray   # (n_bands + 1,) first sorted position of each band
    band_h: float            # band height (rad)
    lat: np.ndarray          # radians (reference conversion), sorted
    lon: np.ndarray
    xyz: np.ndarray          # (3, n) unit vectors, sorted
    xyz_ref: np.ndarray      # (3, n) the reference's sign(lat)-mirrored xyz (table-era sectors), or (3, 0)


def build_index(lat_r: np.ndarray, lon_r: np.ndarray, half_height: float, with_ref: bool) -> BandIndex:
    """Bands of a quarter of the search box's half-height: the box then scans <= 25 % extra latitude."""
    from georbias import geometry as geo

    h = max(float(half_height) / 4.0, 1e-6)
    n_bands = max(1, int(math.ceil(math.pi / h)))
    band = np.minimum(np.floor((lat_r + math.pi / 2) / h).astype(np.int64), n_bands - 1)
    order = np.lexsort((lon_r, band))
    band_start = np.searchsorted(band[order], np.arange(n_bands + 1), side="left").astype(np.int64)
    lat, lon = lat_r[order], lon_r[order]
    # Computed in input order, then permuted: the very values the pair-based code and the exact
    # re-check of boundary pairs use, whatever numpy's vector loops do at array ends.
    xyz = np.ascontiguousarray(latlon_rad_to_xyz(lat_r, lon_r)[order].T)
    ref = np.ascontiguousarray(geo.xyz_reference(lat_r, lon_r)[order].T) if with_ref else np.zeros((3, 0))
    return BandIndex(order=order, band_start=band_start, band_h=h, lat=lat, lon=lon, xyz=xyz, xyz_ref=ref)
