"""Coordinate unit mistakes: radians for degrees, longitudes in 0–360, lat and lon swapped.

Each passes the plain range checks often enough (radians always lie within ±180/±90) and then
silently ruins every geo-bias score (every ROI saturates), so the submission and `geobias` readers
name the likely mistake: a warning, or an error under `--strict`.

Rules (on located rows only, at least MIN_ROWS of them):
- radians: every |lon| <= pi and |lat| <= pi/2 although the dataset's extent (published bounds, or
  the whole globe when none) is wider than that box by more than a degree;
- 0–360: every lon >= 0, some lon > 180, all <= 360;
- swapped: fewer than half the points inside the dataset's bounds as given, but at least 95% inside
  once lon and lat are exchanged.
"""

from __future__ import annotations

import math

import numpy as np

MIN_ROWS = 10
GLOBE = (-180.0, 180.0, -90.0, 90.0)
Bounds = tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max


def _inside(lon: np.ndarray, lat: np.ndarray, b: Bounds, slack: float) -> np.ndarray:
    return (lon >= b[0] - slack) & (lon <= b[1] + slack) & (lat >= b[2] - slack) & (lat <= b[3] + slack)


def unit_mistakes(lon: np.ndarray, lat: np.ndarray, bounds: Bounds | None = None, *,
                  slack: float = 0.05) -> list[str]:
    """Messages naming each likely unit mistake in these coordinates (empty when they look like degrees)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = lon[ok], lat[ok]
    if len(x) < MIN_ROWS:
        return []
    extent = bounds or GLOBE
    out: list[str] = []
    wider = (extent[1] - extent[0] > 2 * math.pi + 1.0) or (extent[3] - extent[2] > math.pi + 1.0)
    if wider and np.all(np.abs(x) <= math.pi + 1e-9) and np.all(np.abs(y) <= math.pi / 2 + 1e-9):
        out.append(f"coordinates look like radians, not degrees: all {len(x)} located rows lie within "
                   f"lon ±pi, lat ±pi/2, while the expected extent is lon {extent[0]:g}..{extent[1]:g}, "
                   f"lat {extent[2]:g}..{extent[3]:g} degrees; convert with numpy.degrees")
    if np.all((x >= 0) & (x <= 360)) and np.any(x > 180):
        out.append("longitudes look like 0..360 instead of -180..180; convert with lon = ((lon + 180) % 360) - 180")
    if bounds is not None:
        as_given = _inside(x, y, bounds, slack).mean()
        swapped = _inside(y, x, bounds, slack).mean()
        if as_given < 0.5 and swapped >= 0.95:
            out.append(f"lon and lat look swapped: {100 * as_given:.0f}% of the points lie inside the dataset's "
                       f"extent as given, {100 * swapped:.0f}% once lon and lat are exchanged")
            return out
    msg = swapped_message(x, y)
    if msg:
        out.append(f"{msg}; exchange the two columns")
    return out


def swapped_message(lon: np.ndarray, lat: np.ndarray) -> str:
    """'looks like lon and lat are swapped ...' when some latitudes pass ±90 but every value fits once the
    two are exchanged (every 'lon' within ±90); '' otherwise. Any extent: the globe is the one bound used."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = lon[ok], lat[ok]
    over = int(np.sum(np.abs(y) > 90))
    if over == 0 or not (np.all(np.abs(x) <= 90) and np.all(np.abs(y) <= 180)):
        return ""
    return (f"looks like lon and lat are swapped: {over} 'lat' value(s) lie beyond ±90 while every 'lon' value "
            "lies within ±90")
