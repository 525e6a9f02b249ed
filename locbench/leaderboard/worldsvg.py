"""Country maps drawn from the results' `regions` blocks: inline SVG, no per-sample file, no network.

Why SVG from the country table: the pages are built from a version's frozen tables alone, and a country
map of the primary metric is what "where on Earth do models fail" needs at a glance. The polygons
(Natural Earth 1:110m, `locbench.regions`) live once in the version's shared map script (`assets`); a map
carries only its compact data (code, class, the numbers of its tooltip) and the script `<use>`s the outlines
with fills from an absolute scale (`mapscale`). Land and coastlines under every map come from two shared,
content-hashed files in the version's `assets/`. A country is coloured only with
at least the breakdown's minimum of samples (hatched otherwise); its tooltip gives n and the 95 %
interval where one exists; R² is drawn in its bounded form, and the window is fitted to the data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import statistics
from dataclasses import dataclass
from html import escape
from pathlib import Path

import shapely
from markupsafe import Markup

from locbench.leaderboard import mapscale
from locbench.regions import RegionBreakdown, RegionScore, country_table

SIMPLIFY_DEG = 0.25
OCEAN = "#f4f8fc"
LAND = "#e7eaee"
COAST = "#8f98a8"
WIDTH_PX = 900
EXTENT_SHARE = 0.01  # countries holding less than this share of the samples do not widen the window
FEW_PATTERN = ('<pattern id="few" width="3" height="3" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
               '<rect width="3" height="3" fill="#e3e6ec"/><line x1="0" y1="0" x2="0" y2="3" stroke="#9aa3b2" '
               'stroke-width="1.2"/></pattern>')


@dataclass(frozen=True)
class MapCountry:
    """One country of a map: its fill and its tooltip, a template ("{n}" = name, "{0}"... = parts) and parts."""

    code: str
    fill: str
    template: str
    parts: tuple[str, ...]
    name: str

    @property
    def title(self) -> str:
        return expand(self.template, self.parts, self.name)


def expand(template: str, parts: tuple[str, ...] | list[str], name: str, constants: dict[str, str] | None = None
           ) -> str:
    """The tooltip text (what the map script writes): name, parts and the map's constants put into the template."""
    def one(m: re.Match) -> str:
        key = m.group(1)
        return name if key == "n" else str(parts[int(key)]) if key.isdigit() else (constants or {})[key]
    return re.sub(r"\{(n|b|\d+)\}", one, template)


@functools.lru_cache(maxsize=1)
def _geometry() -> tuple[dict[str, str], dict[str, tuple[float, float, float, float]], dict[str, str]]:
    """ISO A3 (or name) -> SVG path data in map units (x = lon + 180, y = 90 - lat), its mainland bbox, its name."""
    world, _ = country_table()
    paths: dict[str, str] = {}
    names: dict[str, str] = {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for name, code, geom in zip(world["name"], world["iso_a3"], world.geometry):
        parts = []
        polys = list(shapely.get_parts(geom.simplify(SIMPLIFY_DEG, preserve_topology=True)))
        for poly in polys:
            d = _relative_path([(round((x + 180) * 10), round((90 - y) * 10)) for x, y in poly.exterior.coords])
            if d:
                parts.append(d)
        key = _key(code, name)
        paths[key] = "".join(parts)
        names[key] = str(name)
        main = max(shapely.get_parts(geom), key=lambda g: g.area)
        boxes[key] = tuple(float(v) for v in main.bounds)  # type: ignore[assignment]
    return paths, boxes, names


def _relative_path(pts: list[tuple[int, int]]) -> str:
    """SVG path data in tenths of a degree: the first point absolute, the rest relative (about half the bytes)."""
    pts = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
    if len(pts) < 4:  # a closed ring needs three distinct corners
        return ""

    def num(t: int) -> str:
        text = f"{abs(t) / 10:g}"
        return ("-" if t < 0 else " ") + (text.removeprefix("0") if 0 < abs(t) < 10 else text)

    out = [f"M{pts[0][0] / 10:g} {pts[0][1] / 10:g}l"]
    out += [(num(x - px) + num(y - py)) for (px, py), (x, y) in zip(pts, pts[1:-1])]
    return "".join(out).replace("l ", "l") + "z"


def country_paths() -> dict[str, str]:
    return _geometry()[0]


def country_names() -> dict[str, str]:
    return _geometry()[2]


def _key(code: str, name: str) -> str:
    return code if code and code != "-99" else "n-" + "".join(ch for ch in name if ch.isalnum())


# ---------------------------------------------------------------- shared assets


@functools.lru_cache(maxsize=1)
def _asset_texts() -> dict[str, str]:
    d = "".join(country_paths().values())
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180" width="360" height="180">'
    land = f'{head}<path d="{d}" fill="{LAND}" stroke="none"/></svg>\n'
    coast = f'{head}<path d="{d}" fill="none" stroke="{COAST}" stroke-width="0.15"/></svg>\n'
    out = {}
    for kind, text in (("land", land), ("coast", coast)):
        out[f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.svg"] = text
    return out


def asset_refs(prefix: str = "assets/") -> tuple[str, str]:
    """Relative hrefs of the shared land fill and coastline files (content-hashed names)."""
    names = sorted(_asset_texts())
    return prefix + next(n for n in names if n.startswith("land-")), prefix + next(n for n in names
                                                                                if n.startswith("coast-"))


def write_assets(version_dir: Path) -> list[Path]:
    """Write the shared map files into `version_dir/assets/` (identical bytes in every version: git stores them once)."""
    from locbench import atomic

    return [atomic.write_text(Path(version_dir) / "assets" / name, text) for name, text in _asset_texts().items()]


# ---------------------------------------------------------------- one map


def region_extent(breakdowns: list[RegionBreakdown]) -> tuple[float, float, float, float]:
    """(lon0, lon1, lat0, lat1) around the mainland of the countries the map colours (those with at least the
    sample minimum; all countries with samples when none has)."""
    from locbench.leaderboard.maps import extent_for

    boxes = _geometry()[1]
    n: dict[str, int] = {}
    valued = [c for rb in breakdowns for c in rb.countries if not c.few and c.value is not None]
    for c in valued or [c for rb in breakdowns for c in rb.countries]:
        n[_key(c.code, c.name)] = max(n.get(_key(c.code, c.name), 0), c.n)
    total = sum(n.values()) or 1
    keep = [k for k, v in n.items() if k in boxes and v >= EXTENT_SHARE * total] or [k for k in n if k in boxes]
    if not keep:
        return -180.0, 180.0, -60.0, 85.0
    lon = [b for k in keep for b in (boxes[k][0], boxes[k][2])]
    lat = [b for k in keep for b in (boxes[k][1], boxes[k][3])]
    return extent_for(lon, lat)  # type: ignore[arg-type]


BASE_IDS = ("lb-land", "lb-coast")  # the page-level land (ocean + land fill) and coastline layers every map uses


def page_defs(assets: str = "assets/") -> Markup:
    """Once per page with maps: the hatch of the legends' "too few samples" swatch, and the ocean + land and the
    coastline layers (shared files) that each map `<use>`s instead of repeating them."""
    land, coast = asset_refs(assets)
    img = 'x="0" y="0" width="360" height="180" preserveAspectRatio="none"'
    return Markup(f'<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">'
                  f'<defs>{FEW_PATTERN}<g id="{BASE_IDS[0]}"><rect x="0" y="0" width="360" height="180" '
                  f'fill="{OCEAN}"/><image href="{land}" {img}/></g><image id="{BASE_IDS[1]}" href="{coast}" {img}/>'
                  f'</defs></svg>')


def map_data(countries: list[MapCountry], hatch: str, constants: dict[str, str] | None = None,
             hatch_scale: str = "1") -> dict:
    """The compact data the map script draws: fills and templates once, then one short entry per country (the
    script draws the too-few hatch `hatch` at `hatch_scale` once per page: FEW_PATTERN's shape)."""
    names = country_names()
    fills = list(dict.fromkeys(c.fill for c in countries if c.fill != mapscale.FEW_FILL))
    templates = list(dict.fromkeys(c.template for c in countries if c.fill != mapscale.FEW_FILL))
    few = [c for c in countries if c.fill == mapscale.FEW_FILL]
    data: dict = {"f": fills, "t": templates, "c": [_entry(c.code, fills.index(c.fill), templates.index(c.template),
                                                           *c.parts) for c in countries if c.fill != mapscale.FEW_FILL]}
    if few:  # one group and one tooltip for every country under the sample minimum
        data.update(h=hatch, hs=hatch_scale, ft=FEW_TEMPLATE, w=[_entry(c.code, *c.parts) for c in few])
    renamed = {c.code: c.name for c in countries if names.get(c.code) != c.name}
    if renamed:
        data["nm"] = renamed
    if constants:
        data["k"] = constants
    return data


def _entry(*fields: object) -> str:
    """One country's fields joined by "|" (codes and formatted numbers never hold one)."""
    text = [str(f) for f in fields]
    if any("|" in t for t in text):
        raise ValueError(f"a map field holds '|': {text}")
    return "|".join(text)


def read_map(svg: str) -> dict[str, tuple[str, str]]:
    """code -> (fill, tooltip) as the map script draws them, read back from a map's markup (countries under the
    sample minimum: the hatch fill and their shared tooltip)."""
    import html

    data = json.loads(html.unescape(re.search(r"data-map='([^']*)'", svg).group(1)))  # type: ignore[union-attr]
    names = {**country_names(), **data.get("nm", {})}
    k = data.get("k", {})

    def text(tpl: str, code: str, parts: list) -> str:
        return expand(tpl, parts, names.get(code, code), k)
    coloured = [e.split("|") for e in data["c"]]
    few = [e.split("|") for e in data.get("w", [])]
    shared = "; ".join(text(data["ft"], e[0], e[1:]) for e in few)
    return {**{e[0]: (data["f"][int(e[1])], text(data["t"][int(e[2])], e[0], e[3:])) for e in coloured},
            **{e[0]: (mapscale.FEW_FILL, shared) for e in few}}


def _attr_json(data: dict) -> str:
    """JSON inside a single-quoted attribute: only `&`, `'` and `<` need escaping."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;")


def country_map(countries: list[MapCountry], scale: mapscale.Scale, extent: tuple[float, float, float, float], *,
                title: str, extra: tuple[tuple[str, str], ...] = (), constants: dict[str, str] | None = None) -> Markup:
    """One map: the page's ocean + land, the coloured countries (drawn by the map script from `data-map`; hover:
    value, n, interval), the page's coastlines (`page_defs`), then the legend. The `<title>` names the map."""
    x0, x1, y0, y1 = extent
    h = round(WIDTH_PX * (y1 - y0) / (x1 - x0), 1)
    unit = (x1 - x0) / WIDTH_PX  # map units per pixel: the hatch is drawn 4 px wide at any zoom
    hatch = f"few-{round(unit * 1e4)}"
    data = _attr_json(map_data(countries, hatch, constants, f"{unit * 1.4:.4g}"))  # the script draws the hatch
    legend, lh = mapscale.legend_svg(scale, 0, 0, (*extra, (mapscale.FEW_FILL, "too few samples (not coloured "
                                                            "as a value)"), (LAND, "no samples")))
    world = (f'<svg x="0" y="0" width="{WIDTH_PX}" height="{h:g}" viewBox="{x0 + 180:g} {90 - y1:g} {x1 - x0:g} '
             f'{y1 - y0:g}" preserveAspectRatio="none">'
             f'<use href="#{BASE_IDS[0]}"/><g stroke="#fff" stroke-width="0.15" data-map=\'{data}\'></g>'
             f'<use href="#{BASE_IDS[1]}"/></svg>')
    total = h + 12 + lh
    return Markup(f'<svg class="map" viewBox="0 0 {WIDTH_PX} {total:g}" width="{WIDTH_PX}" height="{total:g}" '
                  f'role="img" font-family="system-ui, sans-serif"><title>'
                  f'{escape(title)}</title>{world}<rect x="0.5" y="0.5" width="{WIDTH_PX - 1}" height="{h - 1:g}" '
                  f'fill="none" stroke="#c9cfd9"/><g transform="translate(6 {h + 10:g})">{legend}</g></svg>')


# ---------------------------------------------------------------- what is drawn


def value_scale(metric: str, values: list[float], higher_is_better: bool, label: str) -> mapscale.Scale:
    """R²: the bounded form on fixed classes; shares in %: absolute classes at least 20 points wide."""
    if metric == "r2":
        return mapscale.BOUNDED_R2
    if mapscale.is_percent(metric):
        return mapscale.absolute(values, title=f"{label} per country (%)", higher_is_better=higher_is_better,
                                 min_span=20.0, domain=(0.0, 100.0))
    return mapscale.absolute(values, title=f"{label} per country", higher_is_better=higher_is_better,
                             min_span=1e-6)


FEW_TEMPLATE = "{n}: n = {0}, too few samples for a value"


def _few(k: str, c: RegionScore) -> MapCountry:
    return MapCountry(k, mapscale.FEW_FILL, FEW_TEMPLATE, (str(c.n),), c.name)


def _median_country(k: str, cs: list[RegionScore], m: float, metric: str, fmt, fill: str) -> MapCountry:
    """Tooltip of the dataset map: the median model's value, n, its interval and the models' range."""
    ci = mapscale.interval(metric, cs[0].n, m)
    bounded = f" (bounded {mapscale.bounded_r2(m):.2f})" if metric == "r2" else ""
    head = "{n}: median of {0} model(s) {1}{2}, n = {3}"
    tail = " (models range {%d}–{%d})"
    spread = (fmt(min(c.value for c in cs)), fmt(max(c.value for c in cs)))  # type: ignore[type-var]
    base = (str(len(cs)), fmt(m), bounded, f"{cs[0].n:,}")
    if ci:
        return MapCountry(k, fill, head + ", 95% interval {4}–{5}" + tail % (6, 7),
                          (*base, fmt(ci[0]), fmt(ci[1]), *spread), cs[0].name)
    return MapCountry(k, fill, head + ", no interval for this metric" + tail % (4, 5), (*base, *spread), cs[0].name)


def dataset_map(breakdowns: list[RegionBreakdown], metric: str, higher_is_better: bool, fmt, label: str, *,
                title: str) -> dict:
    """The median model per country (not a mean painted on a relative scale), on an absolute scale."""
    per: dict[str, list[RegionScore]] = {}
    few: dict[str, RegionScore] = {}
    for rb in breakdowns:
        for c in rb.countries:
            k = _key(c.code, c.name)
            if c.few or c.value is None:
                few[k] = c
            else:
                per.setdefault(k, []).append(c)
    med = {k: statistics.median(c.value for c in cs) for k, cs in per.items()}  # type: ignore[misc]
    scale = value_scale(metric, [mapscale.display_value(metric, v) for v in med.values()], higher_is_better, label)
    out = [_few(k, c) for k, c in sorted(few.items()) if k not in med]
    out += [_median_country(k, per[k], med[k], metric, fmt, scale.colour(mapscale.display_value(metric, med[k])))
            for k in sorted(med)]
    svg = country_map(out, scale, region_extent(breakdowns), title=title)
    return {"svg": svg, "codes": sorted({c.code for c in out}), "label": scale.title}


def _difference_template(ci: bool, sig: bool) -> str:
    return ("{n}: {0} vs {b}, n = {1}" + (", 95% interval {2} to {3}" if ci else " (no interval for this metric)")
            + ("" if sig else ": not significant"))


def difference_map(model: RegionBreakdown, baseline: RegionBreakdown, metric: str, higher_is_better: bool, fmt,
                   *, title: str, baseline_name: str) -> dict:
    """Each country's metric minus the baseline's there, on fixed absolute classes; shares only where the
    difference's 95 % interval excludes 0 (others drawn as 'no significant difference')."""
    base = {_key(c.code, c.name): c for c in baseline.countries}
    pct = mapscale.is_percent(metric)
    scale = mapscale.diverging(f"{'Points' if pct else 'Bounded R² skill'} better (+) or worse (−) than "
                               f"{baseline_name}", (-20, -10, -5, -2, 2, 5, 10, 20) if pct else
                               (-0.5, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.5), 0 if pct else 2)
    out: list[MapCountry] = []
    for c in model.countries:
        k, b = _key(c.code, c.name), base.get(_key(c.code, c.name))
        if c.few or c.value is None or b is None or b.value is None or b.few:
            out.append(_few(k, c))
            continue
        d = mapscale.display_value(metric, c.value) - mapscale.display_value(metric, b.value)
        signed = d if higher_is_better else -d
        ci = mapscale.difference_interval(metric, (c.n, c.value), (b.n, b.value))
        sig = ci is None or ci[0] > 0 or ci[1] < 0
        parts = (f"{'+' if d >= 0 else ''}{fmt(d)}", f"{c.n:,}", *((fmt(ci[0]), fmt(ci[1])) if ci else ()))
        out.append(MapCountry(k, scale.colour(signed) if sig else mapscale.NOT_SIGNIFICANT,
                              _difference_template(ci is not None, sig), parts, c.name))
    extra = ((mapscale.NOT_SIGNIFICANT, "no significant difference"),) if pct else ()
    svg = country_map(out, scale, region_extent([model]), title=title, extra=extra, constants={"b": baseline_name})
    return {"svg": svg, "codes": sorted({c.code for c in out}), "label": scale.title}
