"""Country maps drawn from the results' `regions` blocks: inline SVG, no per-sample file, no network.

Why SVG from the country table: the pages are built from result files alone, and a country map of the
primary metric is what "where on Earth do models fail" needs at a glance. The polygons (Natural Earth
1:110m, `locbench.regions`) are written once per page as `<defs>`, and each map only `<use>`s them with a
fill, so a page with ten maps stays small. Countries with fewer than the minimum samples are hatched
(their value is not shown as a colour), countries without samples are pale grey.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import shapely

from locbench.regions import RegionBreakdown, country_table

SIMPLIFY_DEG = 0.25
VIEW = "0 8 360 160"  # equirectangular, x = lon + 180, y = 90 - lat; Antarctica cropped below -78°
FEW = "url(#few)"
NO_DATA = "#eef0f3"


@dataclass(frozen=True)
class MapCountry:
    code: str
    fill: str
    title: str


@functools.lru_cache(maxsize=1)
def country_paths() -> dict[str, str]:
    """ISO A3 (or name) -> SVG path data in map units, simplified for the page."""
    world, _ = country_table()
    out: dict[str, str] = {}
    for name, code, geom in zip(world["name"], world["iso_a3"], world.geometry):
        parts = []
        for poly in shapely.get_parts(geom.simplify(SIMPLIFY_DEG, preserve_topology=True)):
            pts = [f"{x + 180:.1f} {90 - y:.1f}" for x, y in poly.exterior.coords]
            if len(pts) >= 3:
                parts.append("M" + "L".join(pts) + "Z")
        out[_key(code, name)] = "".join(parts)
    return out


def _key(code: str, name: str) -> str:
    return code if code and code != "-99" else "n-" + "".join(ch for ch in name if ch.isalnum())


def _ramp(t: float) -> str:
    """0 = worst (red) ... 1 = best (blue), through a pale middle."""
    t = min(1.0, max(0.0, t))
    lo, mid, hi = (178, 24, 43), (247, 247, 247), (33, 102, 172)
    a, b, u = (lo, mid, t * 2) if t < 0.5 else (mid, hi, (t - 0.5) * 2)
    return "#" + "".join(f"{round(x + (y - x) * u):02x}" for x, y in zip(a, b))


def dataset_map(breakdowns: list[RegionBreakdown], higher_is_better: bool, fmt) -> list[MapCountry]:
    """Mean over models of each country's primary metric, coloured from the worst to the best country."""
    vals: dict[str, list[float]] = {}
    few: dict[str, str] = {}
    for rb in breakdowns:
        for c in rb.countries:
            k = _key(c.code, c.name)
            if c.few or c.value is None:
                few[k] = c.name
            else:
                vals.setdefault(k, []).append(c.value)
    means = {k: sum(v) / len(v) for k, v in vals.items()}
    out = [MapCountry(k, FEW, f"{few[k]}: too few samples") for k in few if k not in means]
    if means:
        lo, hi = min(means.values()), max(means.values())
        for k, m in means.items():
            t = (m - lo) / (hi - lo) if hi > lo else 0.5
            name = next(c.name for rb in breakdowns for c in rb.countries if _key(c.code, c.name) == k)
            out.append(MapCountry(k, _ramp(t if higher_is_better else 1 - t),
                                  f"{name}: {fmt(m)} (mean of {len(vals[k])} model(s))"))
    return out


def difference_map(model: RegionBreakdown, baseline: RegionBreakdown, higher_is_better: bool,
                   fmt) -> tuple[list[MapCountry], float]:
    """Each country's metric minus the no-prior baseline's there: blue = better than no-prior, red = worse."""
    base = {_key(c.code, c.name): c for c in baseline.countries}
    diffs: dict[str, tuple[float, str]] = {}
    out: list[MapCountry] = []
    for c in model.countries:
        k, b = _key(c.code, c.name), base.get(_key(c.code, c.name))
        if c.few or c.value is None or b is None or b.value is None:
            out.append(MapCountry(k, FEW, f"{c.name}: too few samples"))
            continue
        diffs[k] = (c.value - b.value, c.name)
    scale = max((abs(d) for d, _ in diffs.values()), default=0.0) or 1.0
    for k, (d, name) in diffs.items():
        t = 0.5 + 0.5 * d / scale
        out.append(MapCountry(k, _ramp(t if higher_is_better else 1 - t), f"{name}: {'+' if d >= 0 else ''}{fmt(d)} "
                                                                            "vs no-prior"))
    return out, scale
