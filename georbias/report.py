"""GeoBiasReport: every score, every parameter and every count of one `georbias.score` call.

The flat `summary` is what results files and the leaderboard store; `scores` keeps the detail
per score; `per_roi` has one row per *input* row (dropped rows carry NaN scores).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SUMMARY_KEYS = (
    "unmarked_ssi", "marked_ssi", "unmarked_ssi_weighted", "marked_ssi_weighted", "ssi_n_nan", "ssi_n_saturated",
    "sri_scale_grid", "sri_distance_lag", "sri_direction_sector",
    "morans_i", "morans_i_p", "gearys_c", "getis_ord_g_z", "lisa_low_cluster_share", "join_count_bb_z",
)
PER_ROI_COLUMNS = ("row", "lon", "lat", "n_roi", "unmarked_ssi", "marked_ssi", "sri_scale_grid",
                   "sri_distance_lag", "sri_direction_sector", "sri_weight")


def json_safe(obj: Any) -> Any:
    """Recursively convert numpy scalars/arrays to Python, and NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


@dataclass
class GeoBiasReport:
    """Result of `georbias.score`: summary (flat), scores (nested), params, counts, per-ROI table."""

    summary: dict[str, float | int | None]
    scores: dict[str, Any]
    params: dict[str, Any]
    counts: dict[str, int]
    per_roi: Any  # pandas.DataFrame
    engine_version: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of everything except the per-ROI table (NaN -> None)."""
        return json_safe({
            "engine_version": self.engine_version,
            "summary": self.summary,
            "scores": self.scores,
            "params": self.params,
            "counts": self.counts,
            "notes": self.notes,
        })

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, allow_nan=False) + "\n"
