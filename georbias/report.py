"""GeoBiasReport: every score, every parameter and every count of one `georbias.score` call.

`headline` is the one geo-bias number to show (georbias.headline); `undefined` says, per summary
key, why a score is NaN; `warnings` lists what the user should check in the input.

The flat `summary` is what results files and the leaderboard store; `scores` keeps the detail
per score; `per_roi` has one row per *input* row (dropped rows carry NaN scores).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from georbias.headline import Headline

# Derived from the score groups' declarations (georbias.groups), never written out again here.
from georbias.groups import PER_ROI_COLUMNS, SUMMARY_KEYS  # noqa: E402


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
        return f + 0.0 if math.isfinite(f) else None  # + 0.0: -0.0 -> 0.0
    return obj


def clean_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """Python scalars: ints stay int, bools and strings stay, floats become float with -0.0 -> 0.0, None -> NaN."""
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, str):
            out[k] = v
        elif isinstance(v, (int, np.integer)):
            out[k] = int(v)
        else:
            out[k] = float("nan") if v is None else float(v) + 0.0
    return out


@dataclass
class GeoBiasReport:
    """Result of `georbias.score`: summary (flat), scores (nested), params, counts, per-ROI table."""

    summary: dict[str, float | int | None]
    scores: dict[str, Any]
    params: dict[str, Any]
    counts: dict[str, int]
    per_roi: Any  # pandas.DataFrame
    engine_version: str
    headline: Headline
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # also issued as GeoBiasWarning
    undefined: dict[str, str] = field(default_factory=dict)  # summary key -> why it is NaN

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of everything except the per-ROI table (NaN -> None)."""
        return json_safe({
            "engine_version": self.engine_version,
            "summary": self.summary,
            "scores": self.scores,
            "params": self.params,
            "counts": self.counts,
            "notes": self.notes,
            "headline": self.headline.to_dict(),
            "warnings": self.warnings,
            "undefined": self.undefined,
        })

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, allow_nan=False) + "\n"
