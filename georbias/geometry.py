"""Small spherical-geometry helpers for SRI partitions (all angles in radians).

Two families live here on purpose:
- *reference* helpers that reproduce the table-era GeoBS arithmetic, defects included
  (haversine on (lat, lon) radians, the sign(lat)-mirrored xyz, the Euler rotation that
  sends the centre to the pole), so `preset="torchspatial"` matches the published tables;
- *true* helpers (initial bearing, Lambert azimuthal equal-area projection) used by
  `preset="locbench"`, which are correct in both hemispheres and across the antimeridian.
"""

from __future__ import annotations

import numpy as np


def deg_to_rad_reference(x_deg: np.ndarray) -> np.ndarray:
    """Degrees -> radians exactly as the reference reader does it (x / 180 * pi, in that order)."""
    return np.asarray(x_deg, dtype=np.float64) / 180 * np.pi


def haversine_rad(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray, *,
                  cos_lat1: np.ndarray | None = None, cos_lat2: np.ndarray | None = None) -> np.ndarray:
    """Great-circle angle between radian (lat, lon) points, in the haversine form the reference uses.

    Precomputed cosines may be passed (same values, saves two cos per pair).
    """
    c1 = np.cos(lat1) if cos_lat1 is None else cos_lat1
    c2 = np.cos(lat2) if cos_lat2 is None else cos_lat2
    s0 = np.sin(0.5 * (lat1 - lat2))
    s1 = np.sin(0.5 * (lon1 - lon2))
    h = s0 * s0 + c1 * c2 * s1 * s1
    return 2.0 * np.arcsin(np.sqrt(h))


def xyz_reference(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The reference `_latlon_to_xyz`: y carries a sign(lat) factor, mirroring longitude south of the equator."""
    cl = np.cos(lat)
    return np.column_stack([cl * np.cos(lon), np.sign(lat) * cl * np.sin(lon), np.sin(lat)])


def pole_rotation_matrices(lat_c: np.ndarray, lon_c: np.ndarray) -> np.ndarray:
    """(M, 3, 3) matrices of scipy `from_euler('zy', [-lon_c, -(pi/2 - lat_c)])`: centre -> north pole.

    scipy's Rotation is used (not a hand-written matrix) so the rounding of the
    rotated coordinates matches the reference's bit for bit where that matters
    (the centre's own point sits at distance 0 and its angle is float noise).
    """
    from scipy.spatial.transform import Rotation

    lat_c = np.atleast_1d(np.asarray(lat_c, dtype=np.float64))
    lon_c = np.atleast_1d(np.asarray(lon_c, dtype=np.float64))
    angles = np.column_stack([-lon_c, -(np.pi / 2 - lat_c)])
    return Rotation.from_euler("zy", angles).as_matrix().reshape(-1, 3, 3)


def initial_bearing(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """True initial bearing from point 1 to point 2, clockwise from north, in [0, 2*pi).

    N = 0, E = pi/2, S = pi, W = 3*pi/2 in either hemisphere; longitude differences wrap
    naturally through sin/cos, so the antimeridian needs no special case.
    """
    dlon = lon2 - lon1
    y = np.sin(dlon) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.mod(np.arctan2(y, x), 2.0 * np.pi)


def laea_local(lat_c: np.ndarray, lon_c: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lambert azimuthal equal-area coordinates (east, north) of points around a centre, unit sphere.

    The projection preserves area exactly, so square cells of side s in (east, north)
    cover s^2 steradians on the sphere at any latitude (the cos-latitude factor is built in).
    """
    dlon = lon - lon_c
    cos_c = np.sin(lat_c) * np.sin(lat) + np.cos(lat_c) * np.cos(lat) * np.cos(dlon)
    k = np.sqrt(2.0 / np.maximum(1.0 + cos_c, 1e-300))
    east = k * np.cos(lat) * np.sin(dlon)
    north = k * (np.cos(lat_c) * np.sin(lat) - np.sin(lat_c) * np.cos(lat) * np.cos(dlon))
    return east, north


def laea_from_trig(s1: np.ndarray, c1: np.ndarray, s2: np.ndarray, c2: np.ndarray, sdl: np.ndarray,
                   cdl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`laea_local` from precomputed sin/cos of the centre latitude (1), point latitude (2) and
    longitude difference; atan2(east, north) of the result is the true initial bearing."""
    u = c1 * s2 - s1 * c2 * cdl                      # the bearing's x term
    cos_c = s1 * s2 + c1 * c2 * cdl
    k = np.sqrt(2.0 / np.maximum(1.0 + cos_c, 1e-300))
    return k * c2 * sdl, k * u


def validate_points(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, *, min_points: int = 1,
                    what: str = "geo-bias score") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check degree coordinates and values; return float64 copies or raise GeoBiasInputError naming the row."""
    from georbias.errors import GeoBiasInputError

    try:
        lon = np.asarray(lon, dtype=np.float64).ravel()
        lat = np.asarray(lat, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise GeoBiasInputError(f"{what}: lon/lat must be numeric degrees ({exc})") from exc
    try:
        values = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise GeoBiasInputError(f"{what}: values must be numeric ({exc})") from exc
    if not (len(lon) == len(lat) == len(values)):
        raise GeoBiasInputError(f"{what}: lon, lat and values differ in length ({len(lon)}, {len(lat)}, {len(values)})")
    for name, arr, lim in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        bad = np.nonzero(~np.isfinite(arr) | (np.abs(arr) > lim))[0]
        if len(bad):
            raise GeoBiasInputError(f"{what}: row {bad[0]} column {name}: {float(arr[bad[0]])!r} is not a finite degree "
                                    f"value in [-{lim:g}, {lim:g}] ({len(bad)} such rows; drop unlocated rows first)")
    bad = np.nonzero(~np.isfinite(values))[0]
    if len(bad):
        raise GeoBiasInputError(f"{what}: row {bad[0]} column value: {float(values[bad[0]])!r} is not finite ({len(bad)} such rows)")
    if len(lon) < min_points:
        raise GeoBiasInputError(f"{what}: need at least {min_points} points, got {len(lon)}")
    return lon, lat, values


def angle_to_chord_safe(angle: float) -> float:
    """Chord length of a great-circle angle (angles past pi clamp to the diameter)."""
    return float(2.0 * np.sin(min(float(angle), np.pi) / 2.0))
