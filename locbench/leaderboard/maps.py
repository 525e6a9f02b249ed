"""World maps for per-model pages, drawn from a result's map layers alone (never from predictions).

Why light SVG (issue 24): v0002 inlined two ~40 KB base64 PNG renderings per result (70 % of a 1.1 MB
page). A map is now a small SVG: the data layer is the grid itself, one pixel per cell of the result's
own grid inside the window (a palette PNG of a few hundred bytes, `pngpack`, drawn with `image-rendering:
pixelated`), over land and coastlines that every map shares from one content-hashed file in the
version's `assets/` (`worldsvg.write_assets`), declared once per page (`worldsvg.page_defs`) and `<use>`d. Legends are vector text (12 px) with absolute classes
and units (`mapscale`), and the window is fitted to where the samples are (EuroSAT shows Europe).
The layers (`locbench.maplayers`) are computed once at scoring time, so a clone without any
per-sample file draws the same maps, with the same neighbour graph as the tables.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import numpy as np
from markupsafe import Markup

from locbench.leaderboard import mapscale, worldsvg
from locbench.leaderboard.rows import ScoreRow
from locbench.maplayers import MapLayers

WIDTH_PX = 900
SPARSE_RGB = "#c3c8d1"
HOT, COLD, QUIET = "#d7301f", "#2166ac", "#d9dde4"
EXTENT_TRIM = 0.005  # share of samples allowed outside the window on each side (a few strays do not zoom out)
ASPECT = (1.6, 3.2)  # width / height of a map window, in degrees


def extent_for(lon: np.ndarray, lat: np.ndarray, weight: np.ndarray | None = None
               ) -> tuple[float, float, float, float]:
    """(lon0, lon1, lat0, lat1) around the data: weighted 0.5-99.5 % quantiles, padded, aspect in ASPECT."""
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    w = np.ones_like(lon) if weight is None else np.asarray(weight, dtype=np.float64)
    x0, x1 = _wquantile(lon, w, EXTENT_TRIM), _wquantile(lon, w, 1 - EXTENT_TRIM)
    y0, y1 = _wquantile(lat, w, EXTENT_TRIM), _wquantile(lat, w, 1 - EXTENT_TRIM)
    pw, ph = max(x1 - x0, 10.0) * 1.1, max(y1 - y0, 6.0) * 1.1
    pw, ph = max(pw, ASPECT[0] * ph), max(ph, pw / ASPECT[1])
    if pw >= 300:
        return -180.0, 180.0, (-60.0 if y0 > -60 else -90.0), (85.0 if y1 < 85 else 90.0)
    return _fit((x0 + x1) / 2, pw, -180.0, 180.0) + _fit((y0 + y1) / 2, ph, -90.0, 90.0)


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    return float(x[order][min(int(np.searchsorted(cw, q * cw[-1])), len(x) - 1)])


def _fit(centre: float, size: float, lo: float, hi: float) -> tuple[float, float]:
    size = min(size, hi - lo)
    a = min(max(centre - size / 2, lo), hi - size)
    return round(a, 3), round(a + size, 3)


def layer_extent(layers: MapLayers) -> tuple[float, float, float, float]:
    """The window around the stored cells (their centres, weighted by samples), snapped to the grid."""
    d = layers.cell_deg
    x = -180.0 + d * (np.asarray(layers.col, dtype=np.float64) + 0.5)
    y = -90.0 + d * (np.asarray(layers.row, dtype=np.float64) + 0.5)
    x0, x1, y0, y1 = extent_for(np.r_[x - d / 2, x + d / 2], np.r_[y - d / 2, y + d / 2],
                                np.r_[layers.count, layers.count])
    return (max(-180.0, np.floor(x0 / d) * d), min(180.0, np.ceil(x1 / d) * d),
            max(-90.0, np.floor(y0 / d) * d), min(90.0, np.ceil(y1 / d) * d))


def layer_grids(layers: MapLayers) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full (rows, cols) grids of cell mean, count, hot and cold counts (NaN / 0 where empty), on the layers' grid."""
    shape = (layers.n_rows, layers.n_cols)
    mean = np.full(shape, np.nan)
    count = np.zeros(shape, dtype=np.int64)
    hot = np.zeros(shape, dtype=np.int64)
    cold = np.zeros(shape, dtype=np.int64)
    r, c = np.asarray(layers.row, dtype=np.int64), np.asarray(layers.col, dtype=np.int64)
    mean[r, c] = layers.mean
    count[r, c] = layers.count
    if layers.hot is not None and layers.cold is not None:
        hot[r, c] = layers.hot
        cold[r, c] = layers.cold
    return mean, count, hot, cold


def _png(index: np.ndarray, colours: list[str]) -> bytes:
    """A palette PNG of class indices (0 = transparent, i = colours[i - 1]); row 0 is the north edge."""
    from locbench.leaderboard.pngpack import palette_png

    return palette_png(index.astype(np.uint8), colours)


def _window(layers: MapLayers, extent: tuple[float, float, float, float]) -> tuple[slice, slice]:
    d = layers.cell_deg
    x0, x1, y0, y1 = extent
    return slice(int(round((y0 + 90) / d)), int(round((y1 + 90) / d))), \
        slice(int(round((x0 + 180) / d)), int(round((x1 + 180) / d)))


def svg_map(index: np.ndarray, colours: list[str], extent: tuple[float, float, float, float], *, title: str,
            legend: str, legend_h: float) -> Markup:
    """The map: shared land, the class-index grid as pixels, shared coastlines, then the legend below."""
    x0, x1, y0, y1 = extent
    h = round(WIDTH_PX * (y1 - y0) / (x1 - x0), 1)
    uri = "data:image/png;base64," + base64.b64encode(_png(index[::-1], colours)).decode("ascii")
    total = h + 12 + legend_h
    land, coast = worldsvg.BASE_IDS  # the page's shared layers (worldsvg.page_defs)
    world = (f'<svg x="0" y="0" width="{WIDTH_PX}" height="{h:g}" viewBox="{x0 + 180:g} {90 - y1:g} {x1 - x0:g} '
             f'{y1 - y0:g}" preserveAspectRatio="none"><use href="#{land}"/>'
             f'<image href="{uri}" x="{x0 + 180:g}" y="{90 - y1:g}" width="{x1 - x0:g}" height="{y1 - y0:g}" '
             f'preserveAspectRatio="none" style="image-rendering:pixelated" opacity="0.92"/><use href="#{coast}"/></svg>')
    return Markup(f'<svg class="map" viewBox="0 0 {WIDTH_PX} {total:g}" width="{WIDTH_PX}" height="{total:g}" '
                  f'role="img" font-family="system-ui, sans-serif"><title>'
                  f'{escape(title)}</title>{world}<rect x="0.5" y="0.5" width="{WIDTH_PX - 1}" height="{h - 1:g}" '
                  f'fill="none" stroke="#c9cfd9"/>{_degree_ticks(extent, h)}'
                  f'<g transform="translate(6 {h + 10:g})">{legend}</g></svg>')


def _degree_ticks(extent: tuple[float, float, float, float], h: float) -> str:
    """Small lon/lat labels in the corners, so a reader knows the window without axes."""
    x0, x1, y0, y1 = extent

    def deg(v: float, pos: str, neg: str) -> str:
        return f"{abs(v):g}°{pos if v >= 0 else neg}"
    return (f'<text x="6" y="{h - 6:g}" font-size="11" fill="#5b6475">{deg(x0, "E", "W")} to {deg(x1, "E", "W")}, '
            f'{deg(y0, "N", "S")} to {deg(y1, "N", "S")}</text>')


def performance_scale(layers: MapLayers, shown: np.ndarray) -> mapscale.Scale:
    if layers.higher_is_better:
        return mapscale.Scale("Top-1 accuracy per cell (%)", tuple(float(x) for x in range(0, 101, 10)),
                              mapscale.pick(mapscale.YLGNBU, 10), 0)
    finite = [float(x) for x in shown[np.isfinite(shown)]]
    return mapscale.absolute(finite, title="Mean absolute error per cell (in the target's units)",
                             higher_is_better=False, min_span=1e-6, domain=(0.0, float("inf")))


def performance_map(layers: MapLayers, title: str) -> Markup:
    """Mean per-sample performance per cell of the layers' own grid; cells under `min_count` samples grey."""
    extent = layer_extent(layers)
    mean, count, _, _ = layer_grids(layers)
    rs, cs = _window(layers, extent)
    mean, count = mean[rs, cs], count[rs, cs]
    shown = 100.0 * mean if layers.higher_is_better else mean
    dense = count >= layers.min_count
    scale = performance_scale(layers, np.where(dense, shown, np.nan))
    index = np.zeros(mean.shape, dtype=np.int64)
    index[(count > 0) & ~dense] = 1
    for i, v in zip(*np.nonzero(dense)):
        index[i, v] = 2 + scale.index(float(shown[i, v]))
    legend, lh = mapscale.legend_svg(scale, 0, 0, ((SPARSE_RGB, f"fewer than {layers.min_count} samples"),))
    return svg_map(index, [SPARSE_RGB, *scale.colours], extent, title=title, legend=legend, legend_h=lh)


def perf_label(layers: MapLayers) -> str:
    """Colour-bar label: the task type's whose geo-bias value the layers hold (`locbench.tasks`)."""
    from locbench.tasks import task_for_value

    return task_for_value(layers.value_name, layers.higher_is_better).map_label()


def _lisa_index(layers: MapLayers) -> tuple[np.ndarray, tuple[float, float, float, float], dict[str, int]]:
    """Class per window cell (0 empty, 1 quiet, 2 cold, 3 hot), the window, and the cells / samples in each spot."""
    extent = layer_extent(layers)
    _, count, hot, cold = layer_grids(layers)
    rs, cs = _window(layers, extent)
    count, hot, cold = count[rs, cs], hot[rs, cs], cold[rs, cs]
    index = np.zeros(count.shape, dtype=np.int64)
    index[count > 0] = 1
    index[(cold > 0) & (cold >= hot)] = 2
    index[(hot > 0) & (hot > cold)] = 3
    counts = {"hot_cells": int((index == 3).sum()), "hot_samples": int(hot.sum()),
              "cold_cells": int((index == 2).sum()), "cold_samples": int(cold.sum())}
    return index, extent, counts


LISA_LEGEND = ((HOT, "hot spot: cluster of errors"), (COLD, "cold spot: cluster of successes"),
               (QUIET, "no significant cluster"))


def lisa_map(layers: MapLayers, title: str) -> Markup:
    """Cells holding significant LISA clusters: hot spots (poor performance) red, cold spots blue. The legend is
    the same for every LISA map (the page draws it once); the counts are in `lisa_counts` (the caption)."""
    index, extent, _ = _lisa_index(layers)
    scale = mapscale.Scale("Local Moran (LISA) clusters of per-sample performance", (0.0,), (), 0)
    legend, lh = mapscale.legend_svg(scale, 0, 0, LISA_LEGEND)
    return svg_map(index, [QUIET, COLD, HOT], extent, title=title, legend=legend, legend_h=lh)


def lisa_counts(layers: MapLayers) -> str:
    c = _lisa_index(layers)[2]
    return (f"Hot spots (clusters of errors): {c['hot_cells']:,} cells ({c['hot_samples']:,} samples); cold spots "
            f"(clusters of successes): {c['cold_cells']:,} cells ({c['cold_samples']:,} samples).")


def maps_for(row: ScoreRow, root: Path, *, dataset_label: str, model_label: str, lisa: bool = True) -> dict:
    """Both maps of one (model, dataset) row as SVG markup, from its result file's map layers."""
    from locbench.results import find_result, result_path

    out: dict = {"dataset": dataset_label, "images": [], "notes": []}
    path = result_path(root, row.model_id, row.dataset)
    if not path.is_file():  # rendering a version whose results are not in this root
        out["notes"].append(f"no result file {path.relative_to(root).as_posix()}.")
        return out
    layers = find_result(root, row.model_id, row.dataset).map_layers
    if layers is None:
        out["notes"].append("no map layers in the result file (no located samples, or scored before map layers).")
        return out
    perf = perf_label(layers)
    out["images"].append(_image(performance_map(layers, f"{model_label} on {dataset_label}: performance"),
                                alt=f"Map of {perf.lower()} for {model_label} on {dataset_label}",
                                caption=f"{perf} on a {layers.cell_deg:g}° grid, absolute classes; grey: fewer "
                                        f"than {layers.min_count} samples; {layers.n_located:,} located samples."))
    if not lisa:
        out["notes"].append("LISA hot/cold spots not drawn for this build (maps='performance').")
    elif layers.lisa is None:
        out["notes"].append("LISA hot/cold spots not available: geo-bias was not computed for this result.")
    else:
        p = layers.lisa
        out["images"].append(_image(lisa_map(layers, f"{model_label} on {dataset_label}: LISA hot/cold spots"),
                                    alt=f"Map of local Moran clusters of performance for {model_label} on "
                                        f"{dataset_label}",
                                    caption=lisa_counts(layers),
                                    method=f"Cells holding samples in significant local Moran clusters of "
                                           f"{layers.value_name} ({p['neighbours_k']}-nearest-neighbour graph, "
                                           f"{p['permutations']} permutations, seed {p['seed']}, FDR {p['fdr_alpha']:g}: the "
                                           f"neighbour count of the headline Moran's I)."))
    return out


def _image(svg: Markup, *, alt: str, caption: str, method: str = "") -> dict:
    """One map; `method` (how it is drawn) is said once per page when it repeats (`render._captions_once`)."""
    return {"svg": svg, "width": WIDTH_PX, "alt": alt, "caption": caption, "method": method, "bytes": len(svg)}
