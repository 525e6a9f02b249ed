"""What the leaderboard draws, declared once: map grid, sparse cells, LISA spots, regions, map mode.

The map and region settings are applied when a result is scored and recorded in it
(`map_layers.cell_deg`, `.min_count`, `.lisa`; `regions.min_count`), so a page drawn from a result
reads them from the result, never from this install's defaults: a version stays a function of its
result files. `maps` and `worst_regions_listed` apply when a version is built; the
`locbench leaderboard build --maps` option takes its choices and default from here (tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass

from georbias.headline import HEADLINE_K

from locbench.errors import InputError

MAPS_MODES = ("all", "performance", "none")  # every map / performance maps only (no LISA) / no maps


@dataclass(frozen=True)
class RenderConfig:
    """Every setting of the leaderboard's pictures and regional tables, with its default."""

    map_cell_deg: float = 2.0         # map layers' grid cell side (degrees); must divide 180
    map_min_count: int = 5            # cells with fewer samples are drawn grey, not as 0 % or 100 %
    map_lisa_k: int = HEADLINE_K      # LISA hot/cold spots on the headline Moran's I graph (one neighbour count)
    map_lisa_alpha: float = 0.05      # Benjamini-Hochberg FDR level of the LISA spots
    region_min_count: int = 30        # regions with fewer samples are flagged `few` and never listed as worst
    worst_regions_listed: int = 3     # worst countries named per (model, dataset) on a model page
    maps: str = "all"                 # which maps a build draws: one of MAPS_MODES

    def __post_init__(self) -> None:
        if self.maps not in MAPS_MODES:
            raise InputError(f"maps must be one of {', '.join(MAPS_MODES)}, got {self.maps!r}", column="maps")
        if not (0 < self.map_cell_deg <= 180 and (180 / self.map_cell_deg).is_integer()):
            raise InputError(f"map_cell_deg must divide 180, got {self.map_cell_deg}", column="map_cell_deg")
        if self.map_min_count < 1 or self.region_min_count < 1 or self.map_lisa_k < 1:
            raise InputError("map_min_count, region_min_count and map_lisa_k must be at least 1")


DEFAULTS = RenderConfig()
