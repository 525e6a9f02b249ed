"""Checks that do not stop scoring but that a user needs to hear about (issued as GeoBiasWarning).

Each returns a list of messages (empty when all is well) so `georbias.score` can both warn and
keep them in the report.
"""

from __future__ import annotations

import math

import numpy as np

from georbias.surprisal import SATURATION

RADIAN_MIN_POINTS = 10      # fewer points than this: too few to judge the coordinate unit
SATURATION_WARN_SHARE = 0.10  # warn when at least this share of ROIs sits at the surprisal cap


def coordinate_warnings(lon_deg: np.ndarray, lat_deg: np.ndarray, coords_unit: str) -> list[str]:
    """Degree coordinates that all fit inside [-pi, pi] x [-pi/2, pi/2] are probably radians."""
    if coords_unit != "deg" or len(lon_deg) < RADIAN_MIN_POINTS:
        return []
    lon_max, lat_max = float(np.max(np.abs(lon_deg))), float(np.max(np.abs(lat_deg)))
    if lon_max > math.pi or lat_max > math.pi / 2:
        return []
    return [f"coordinates look like radians: all {len(lon_deg):,} |lon| <= {lon_max:.3g} (<= pi) and |lat| <= "
            f"{lat_max:.3g} (<= pi/2) while degrees are expected; if they are radians, convert them (or pass "
            "coords_unit='rad'), otherwise every ROI of radius 0.05 rad covers the whole data set"]


def value_warnings(values: np.ndarray, value_name: str) -> list[str]:
    """A constant value column: every spatial score of it is degenerate (no pattern to place)."""
    if len(values) and float(np.min(values)) == float(np.max(values)):
        return [f"column {value_name!r} is constant ({float(values[0]):g} in all {len(values):,} used rows): "
                "there is no performance pattern, so geo-bias scores are undefined or reflect only the locations"]
    return []


def saturation_warnings(n_saturated: int, n_rois: int) -> list[str]:
    """Many (or all) SSI ROIs at the surprisal cap: the SSI mean is set by the cap, not by the data."""
    if n_rois == 0 or n_saturated < SATURATION_WARN_SHARE * n_rois:
        return []
    which = "every ROI" if n_saturated == n_rois else f"{n_saturated:,} of {n_rois:,} ROIs ({n_saturated / n_rois:.1%})"
    hint = " (radian coordinates read as degrees do this)" if n_saturated == n_rois else ""
    return [f"SSI: {which} at the {SATURATION:.2f} surprisal cap (p < 1e-256){hint}; marked/unmarked SSI means are "
            "dominated by the cap"]
