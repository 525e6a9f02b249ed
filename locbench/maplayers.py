"""Map layers of a result: per-cell aggregates on a fixed 2° grid and LISA hot/cold-spot counts.

Computed once at scoring time from the result's own geo-bias values (hit@1, or absolute error),
with LISA on the neighbour count of the headline Moran's I (`results.MAP_NEIGHBOURS_K`), and
stored in the result file; the leaderboard draws its maps from these layers alone, never from
predictions.

Grid: cell (col, row) covers lon [-180 + 2 col, -178 + 2 col) x lat [-90 + 2 row, -88 + 2 row)
(lon 180 and lat 90 fall in the last cell). Only non-empty cells are stored, columnar and sorted
by (row, col). Cells with fewer than `min_count` samples are marked sparse so a page can draw them
as such instead of as 0 % or 100 %.
Hot spot: a sample in a significant LISA cluster of poor performance (errors among errors: "LL" of
hit@1, "HH" of absolute error); cold spot: a cluster of good performance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

CELL_DEG = 2.0
MIN_COUNT = 5
N_COLS, N_ROWS = int(360 / CELL_DEG), int(180 / CELL_DEG)
DIGITS = 6  # cell means are rounded: small files, and float summation order cannot show


@dataclass(frozen=True)
class MapLayers:
    """The `map_layers` block of a result (columnar cell lists, aligned by index)."""

    cell_deg: float
    value_name: str  # "hit@1" (mean = accuracy share) or "abs_error"
    higher_is_better: bool
    min_count: int
    n_located: int
    col: list[int]
    row: list[int]
    count: list[int]
    mean: list[float]
    hot: list[int] | None  # per cell: samples in poor-performance LISA clusters; None without geo-bias
    cold: list[int] | None
    lisa: dict[str, Any] | None  # how hot/cold were found: neighbours_k, permutations, seed, fdr_alpha, labels

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MapLayers:
        return cls(**d)

    def bounds(self, i: int) -> tuple[float, float, float, float]:
        """(lon0, lon1, lat0, lat1) of the i-th stored cell."""
        x0 = -180.0 + self.cell_deg * self.col[i]
        y0 = -90.0 + self.cell_deg * self.row[i]
        return x0, x0 + self.cell_deg, y0, y0 + self.cell_deg


def cell_index(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(col, row) of each located point on the fixed grid."""
    col = np.clip(np.floor((lon + 180.0) / CELL_DEG), 0, N_COLS - 1).astype(np.int64)
    row = np.clip(np.floor((lat + 90.0) / CELL_DEG), 0, N_ROWS - 1).astype(np.int64)
    return col, row


def build_layers(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, *, value_name: str, higher_is_better: bool,
                 lisa_labels: np.ndarray | None = None, lisa: dict[str, Any] | None = None) -> MapLayers | None:
    """Layers from located samples' values (and, when geo-bias ran, their LISA labels); None if nothing located."""
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(values)
    if not ok.any():
        return None
    col, row = cell_index(lon[ok], lat[ok])
    flat = row * N_COLS + col
    cells, inverse = np.unique(flat, return_inverse=True)
    count = np.bincount(inverse)
    total = np.bincount(inverse, weights=values[ok])
    mean = [round(float(x), DIGITS) for x in total / count]
    hot = cold = None
    if lisa_labels is not None:
        labels = np.asarray(lisa_labels, dtype=object)[ok]
        poor, good = ("LL", "HH") if higher_is_better else ("HH", "LL")
        hot = np.bincount(inverse, weights=(labels == poor)).astype(int).tolist()
        cold = np.bincount(inverse, weights=(labels == good)).astype(int).tolist()
        lisa = {**(lisa or {}), "hot_label": poor, "cold_label": good}
    return MapLayers(cell_deg=CELL_DEG, value_name=value_name, higher_is_better=higher_is_better,
                     min_count=MIN_COUNT, n_located=int(ok.sum()), col=(cells % N_COLS).astype(int).tolist(),
                     row=(cells // N_COLS).astype(int).tolist(), count=count.astype(int).tolist(), mean=mean,
                     hot=hot, cold=cold, lisa=lisa if lisa_labels is not None else None)
