"""Where on Earth a model fails: the primary metric per continent and per country, at scoring time.

Country polygons: Natural Earth 1:110m admin-0 (public domain), derived once by
`tools/build_country_polygons.py` into `locbench/leaderboard/data/countries_ne110m.json`.
Points are matched with a geopandas spatial join (point within polygon); points just off the
coarse 1:110m coastline (islands, coastal cities) go to the nearest country within
`NEAREST_MAX_DEG` degrees; the rest are counted as unassigned (open sea). Regions with fewer
than `RenderConfig.region_min_count` samples keep their count but are flagged `few` and never
listed as "worst"; the breakdown records the threshold it used.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from locbench.groupmetrics import grouped_metric, metric_inputs
from locbench.leaderboard.config import DEFAULTS as RENDER

DATA_FILE = Path(__file__).parent / "leaderboard" / "data" / "countries_ne110m.json"
NEAREST_MAX_DEG = 2.0
UNASSIGNED = "unassigned (open sea)"


@dataclass(frozen=True)
class RegionScore:
    """The primary metric on one region's samples."""

    name: str
    n: int
    value: float | None
    few: bool
    code: str = ""  # ISO A3 for a country
    continent: str = ""


@dataclass(frozen=True)
class RegionBreakdown:
    """The `regions` block of a result file."""

    metric: str
    source: str
    licence: str
    min_count: int
    n_located: int
    n_unassigned: int
    continents: tuple[RegionScore, ...]
    countries: tuple[RegionScore, ...]

    def to_dict(self) -> dict:
        """The block as JSON holds it: region lists as lists, so a row read back compares equal."""
        return {**asdict(self), "continents": [asdict(c) for c in self.continents],
                "countries": [asdict(c) for c in self.countries]}

    @classmethod
    def from_dict(cls, d: dict) -> RegionBreakdown:
        return cls(**{**d, "continents": tuple(RegionScore(**c) for c in d["continents"]),
                      "countries": tuple(RegionScore(**c) for c in d["countries"])})

    def worst(self, higher_is_better: bool, level: str = "countries", n: int = 5) -> list[RegionScore]:
        """The n regions worst by evidence among those with at least `min_count` samples (`worst_by_evidence`)."""
        regions = self.countries if level == "countries" else self.continents
        return [r for r, _ in worst_by_evidence([[r] for r in regions], self.metric, higher_is_better, n)]


def worst_by_evidence(regions: list[list[RegionScore]], metric: str, higher_is_better: bool,
                      n: int = 5) -> list[tuple[RegionScore, tuple[float, float] | None]]:
    """Worst regions ranked by evidence, not by point estimate (issue 20.4).

    Each entry lists one region's scores (one per model); a region counts when every score has its
    sample minimum, and is represented by the median model. With a 95 % interval (shares:
    `mapscale.interval`) the ranking key is the interval's better end, so a region is "worst" only when
    even its optimistic value is low: Armenia at n = 45 no longer outranks a large country that is
    surely bad. Without an interval (R²) the key is the bounded value. Returns (region, interval)."""
    import statistics

    from locbench.leaderboard import mapscale

    scored = []
    for scores in regions:
        ok = [s for s in scores if not s.few and s.value is not None]
        if not ok or len(ok) < len(scores):
            continue
        s0 = ok[0]
        rep = RegionScore(s0.name, s0.n, statistics.median(s.value for s in ok), False, s0.code,  # type: ignore
                          s0.continent)
        ci = mapscale.interval(metric, rep.n, rep.value)
        point = mapscale.display_value(metric, rep.value)  # type: ignore[arg-type]
        best_end = point if ci is None else (ci[1] if higher_is_better else ci[0])
        scored.append(((best_end if higher_is_better else -best_end), rep.name, rep, ci))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [(rep, ci) for _, _, rep, ci in scored[:n]]


@functools.lru_cache(maxsize=1)
def country_table() -> tuple[object, dict]:
    import geopandas as gpd
    import shapely

    doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    rows = doc["countries"]
    gdf = gpd.GeoDataFrame({"name": [r["name"] for r in rows], "iso_a3": [r["iso_a3"] for r in rows],
                            "continent": [r["continent"] for r in rows]},
                           geometry=shapely.from_wkb([r["wkb"] for r in rows]))
    return gdf, {"source": doc["source"], "licence": doc["licence"]}


def assign_countries(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index into the country table for each point (degrees); -1 where no country is near.

    Every model of a dataset has the same coordinates, so the last few assignments are kept by content hash.
    """
    key = hashlib.sha1(np.ascontiguousarray(lon, dtype=np.float64).tobytes()
                       + np.ascontiguousarray(lat, dtype=np.float64).tobytes()).hexdigest()
    if key not in _ASSIGNED:
        if len(_ASSIGNED) >= _CACHE_SIZE:
            _ASSIGNED.pop(next(iter(_ASSIGNED)))
        _ASSIGNED[key] = _join_countries(lon, lat)
    return _ASSIGNED[key].copy()


_ASSIGNED: dict[str, np.ndarray] = {}
_CACHE_SIZE = 4


def _join_countries(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    import geopandas as gpd

    world, _ = country_table()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat))
    inside = gpd.sjoin(pts, world[["geometry"]], how="inner", predicate="within")
    out = np.full(len(lon), -1, dtype=np.int64)
    first = inside.reset_index().groupby("index")["index_right"].min()
    out[first.index.to_numpy()] = first.to_numpy()
    rest = np.nonzero(out < 0)[0]
    if len(rest):
        near = gpd.sjoin_nearest(pts.iloc[rest], world[["geometry"]], how="inner", max_distance=NEAREST_MAX_DEG)
        pick = near.reset_index().groupby("index")["index_right"].min()
        out[pick.index.to_numpy()] = pick.to_numpy()
    return out


def region_breakdown(df: pd.DataFrame, metric: str, targets: tuple[str, ...] | list[str] | None = None,
                     *, min_count: int = RENDER.region_min_count) -> RegionBreakdown:
    """The `metric` per continent and per country over the located rows of a predictions frame."""
    world, meta = country_table()
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=np.float64)
    located = np.nonzero(np.isfinite(lon) & np.isfinite(lat))[0]
    if len(located) == 0:
        return RegionBreakdown(metric, meta["source"], meta["licence"], min_count, 0, 0, (), ())
    country = assign_countries(lon[located], lat[located])
    inp = metric_inputs(df, metric, targets)
    assigned = country >= 0
    rows = located[assigned]
    countries = _scores(inp, rows, country[assigned], list(world["name"]), min_count,
                        codes=list(world["iso_a3"]), continents=list(world["continent"]))
    cont_names = sorted(set(world["continent"]))
    cont_of = np.array([cont_names.index(c) for c in world["continent"]], dtype=np.int64)
    continents = _scores(inp, rows, cont_of[country[assigned]], cont_names, min_count)
    return RegionBreakdown(metric=metric, source=meta["source"], licence=meta["licence"], min_count=min_count,
                           n_located=int(len(located)), n_unassigned=int((~assigned).sum()),
                           continents=continents, countries=countries)


def _scores(inp, rows: np.ndarray, groups: np.ndarray, names: list[str], min_count: int, *,
            codes: list[str] | None = None, continents: list[str] | None = None) -> tuple[RegionScore, ...]:
    counts = np.bincount(groups, minlength=len(names))
    values = grouped_metric(inp, rows, groups, len(names))
    out = []
    for g in np.nonzero(counts)[0]:
        v = float(values[g])
        out.append(RegionScore(name=names[g], n=int(counts[g]), value=v if np.isfinite(v) else None,
                               few=bool(counts[g] < min_count), code=codes[g] if codes else "",
                               continent=continents[g] if continents else ""))
    return tuple(sorted(out, key=lambda r: r.name))
