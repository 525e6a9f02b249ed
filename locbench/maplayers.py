"""Map layers of a result: per-cell aggregates on a lon/lat grid and LISA hot/cold-spot counts.

Computed once at scoring time from the result's own geo-bias values (hit@1, or absolute error),
with LISA on the neighbour count of the headline Moran's I (`RenderConfig.map_lisa_k`), and
stored in the result file with the grid they use; the leaderboard draws its maps from these
layers alone, never from predictions or from this install's defaults.

Grid (cell side d = `cell_deg`, 2° by default): cell (col, row) covers lon [-180 + d col, -180 + d (col + 1))
x lat [-90 + d row, -90 + d (row + 1)) (lon 180 and lat 90 fall in the last cell). Only non-empty cells are stored, columnar and sorted
by (row, col). Cells with fewer than `min_count` samples are marked sparse so a page can draw them
as such instead of as 0 % or 100 %.
Hot spot: a sample in a significant LISA cluster of poor performance (errors among errors: "LL" of
hit@1, "HH" of absolute error); cold spot: a cluster of good performance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from locbench.leaderboard.config import DEFAULTS

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

    @property
    def n_cols(self) -> int:
        return grid_shape(self.cell_deg)[1]

    @property
    def n_rows(self) -> int:
        return grid_shape(self.cell_deg)[0]

    def bounds(self, i: int) -> tuple[float, float, float, float]:
        """(lon0, lon1, lat0, lat1) of the i-th stored cell."""
        x0 = -180.0 + self.cell_deg * self.col[i]
        y0 = -90.0 + self.cell_deg * self.row[i]
        return x0, x0 + self.cell_deg, y0, y0 + self.cell_deg


def grid_shape(cell_deg: float) -> tuple[int, int]:
    """(rows, cols) of the global grid of `cell_deg` cells."""
    return int(round(180 / cell_deg)), int(round(360 / cell_deg))


def cell_index(lon: np.ndarray, lat: np.ndarray, cell_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(col, row) of each located point on the grid of `cell_deg` cells."""
    n_rows, n_cols = grid_shape(cell_deg)
    col = np.clip(np.floor((lon + 180.0) / cell_deg), 0, n_cols - 1).astype(np.int64)
    row = np.clip(np.floor((lat + 90.0) / cell_deg), 0, n_rows - 1).astype(np.int64)
    return col, row


def build_layers(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, *, value_name: str, higher_is_better: bool,
                 lisa_labels: np.ndarray | None = None, lisa: dict[str, Any] | None = None,
                 cell_deg: float = DEFAULTS.map_cell_deg, min_count: int = DEFAULTS.map_min_count) -> MapLayers | None:
    """Layers from located samples' values (and, when geo-bias ran, their LISA labels); None if nothing located."""
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(values)
    if not ok.any():
        return None
    n_cols = grid_shape(cell_deg)[1]
    col, row = cell_index(lon[ok], lat[ok], cell_deg)
    flat = row * n_cols + col
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
    return MapLayers(cell_deg=cell_deg, value_name=value_name, higher_is_better=higher_is_better,
                     min_count=min_count, n_located=int(ok.sum()), col=(cells % n_cols).astype(int).tolist(),
                     row=(cells // n_cols).astype(int).tolist(), count=count.astype(int).tolist(), mean=mean,
                     hot=hot, cold=cold, lisa=lisa if lisa_labels is not None else None)
