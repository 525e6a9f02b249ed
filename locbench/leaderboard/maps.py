"""World maps for per-model pages, drawn from a result's map layers alone (never from predictions).

Why static matplotlib PNGs (base64 in the page): they work offline, weigh ~30–80 KB each after
palette quantisation, and need no tile server. Land comes from the bundled grid in `land.py`.
The layers (`locbench.maplayers`: per-cell aggregates on a fixed 2° grid, LISA hot/cold-spot
counts from the result's own geo-bias run) are computed once at scoring time, so a clone without
any per-sample file draws the same maps, with the same neighbour graph as the tables.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np

from locbench.leaderboard.rows import ScoreRow
from locbench.maplayers import MapLayers

WIDTH_PX, HEIGHT_PX, DPI = 900, 450, 100
LAND_RGB = (0.905, 0.918, 0.933)
OCEAN_RGB = (0.976, 0.984, 0.996)
COAST = "#8f98a8"
SPARSE_RGB = "#c3c8d1"
HOT, COLD, QUIET = "#d7301f", "#2166ac", "#d9dde4"


# ---------------------------------------------------------------- drawing


def extent_for(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    """A 2:1 lon/lat window around the data (whole world when the data span most of it)."""
    lo0, lo1 = float(np.min(lon)), float(np.max(lon))
    la0, la1 = float(np.min(lat)), float(np.max(lat))
    w = max(lo1 - lo0, 10.0) * 1.15
    h = max(la1 - la0, 5.0) * 1.15
    w, h = max(w, 2 * h), max(h, w / 2)
    if w >= 300:
        return -180.0, 180.0, -90.0, 90.0
    cx, cy = (lo0 + lo1) / 2, (la0 + la1) / 2
    x0, x1 = cx - w / 2, cx + w / 2
    if x0 < -180:
        x0, x1 = -180.0, -180.0 + w
    if x1 > 180:
        x0, x1 = 180.0 - w, 180.0
    y0, y1 = cy - h / 2, cy + h / 2
    if y0 < -90:
        y0, y1 = -90.0, min(90.0, -90.0 + h)
    if y1 > 90:
        y0, y1 = max(-90.0, 90.0 - h), 90.0
    return x0, x1, y0, y1


def _figure(extent: tuple[float, float, float, float], title: str, width: float = 0.80):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from locbench.leaderboard import land

    fig = plt.figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    ax = fig.add_axes((0.06, 0.1, width, 0.8))
    x0, x1, y0, y1 = extent
    g = land.load()
    lat_c, lon_c = g.lat_centres, g.lon_centres
    rs = (lat_c >= y0 - 1) & (lat_c <= y1 + 1)
    cs = (lon_c >= x0 - 1) & (lon_c <= x1 + 1)
    frac = g.fraction[np.ix_(rs, cs)]
    rgb = np.empty(frac.shape + (3,), dtype=np.float32)
    for i in range(3):
        rgb[..., i] = OCEAN_RGB[i] + (LAND_RGB[i] - OCEAN_RGB[i]) * np.clip(frac * 1.6 - 0.3, 0, 1)
    half = g.step / 2
    ax.imshow(rgb, extent=(lon_c[cs][0] - half, lon_c[cs][-1] + half, lat_c[rs][-1] - half, lat_c[rs][0] + half),
              origin="upper", interpolation="bilinear", zorder=0)
    if frac.shape[0] > 1 and frac.shape[1] > 1:
        ax.contour(lon_c[cs], lat_c[rs], frac, levels=[0.5], colors=COAST, linewidths=0.5, zorder=1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("auto")
    ax.set_title(title, fontsize=11, loc="left")
    ax.tick_params(labelsize=8, colors="#5b6475")
    ax.set_xlabel("longitude (°)", fontsize=8, color="#5b6475")
    ax.set_ylabel("latitude (°)", fontsize=8, color="#5b6475")
    for s in ax.spines.values():
        s.set_color("#c9cfd9")
    return fig, ax


def _png(fig) -> bytes:
    """Save, then palette-quantise: maps have few colours, so this cuts the size ~3× with no visible loss."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = io.BytesIO()
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True)
    return out.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


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


def layer_extent(layers: MapLayers) -> tuple[float, float, float, float]:
    """The map window around the stored cells (their corners), 2:1 as the page expects."""
    d = layers.cell_deg
    x = -180.0 + d * np.asarray(layers.col, dtype=np.float64)
    y = -90.0 + d * np.asarray(layers.row, dtype=np.float64)
    return extent_for(np.r_[x, x + d], np.r_[y, y + d])


def _edges(layers: MapLayers) -> tuple[np.ndarray, np.ndarray]:
    return np.linspace(-180.0, 180.0, layers.n_cols + 1), np.linspace(-90.0, 90.0, layers.n_rows + 1)


def performance_map(layers: MapLayers, title: str) -> bytes:
    """Mean per-sample performance per cell of the layers' own grid; cells under `min_count` samples drawn sparse."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, ax = _figure(layer_extent(layers), title)
    mean, count, _, _ = layer_grids(layers)
    dense = np.where(count >= layers.min_count, mean, np.nan)
    sparse = np.where((count > 0) & (count < layers.min_count), 1.0, np.nan)
    xe, ye = _edges(layers)
    if layers.higher_is_better:
        shown, cmap, vmin, vmax = 100.0 * dense, plt.get_cmap("RdYlBu"), 0.0, 100.0
    else:
        finite = dense[np.isfinite(dense)]
        shown, cmap, vmin = dense, plt.get_cmap("YlOrRd"), 0.0
        vmax = float(np.percentile(finite, 95)) if finite.size else 1.0
        vmax = vmax if vmax > 0 else 1.0
    ax.pcolormesh(xe, ye, np.ma.masked_invalid(sparse), cmap=ListedColormap([SPARSE_RGB]), vmin=0, vmax=1,
                  alpha=0.9, edgecolors="none", zorder=2)
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(shown), cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.9,
                         edgecolors="none", zorder=3)
    cax = fig.add_axes((0.88, 0.12, 0.018, 0.76))
    cb = fig.colorbar(mesh, cax=cax)
    cb.set_label(perf_label(layers), fontsize=8)
    cb.ax.tick_params(labelsize=8)
    return _png(fig)


def perf_label(layers: MapLayers) -> str:
    """Colour-bar label: the task type's whose geo-bias value the layers hold (`locbench.tasks`)."""
    from locbench.tasks import task_for_value

    return task_for_value(layers.value_name, layers.higher_is_better).map_label()


def lisa_map(layers: MapLayers, title: str) -> bytes:
    """Cells holding significant LISA clusters: hot spots (poor performance) red, cold spots blue."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    fig, ax = _figure(layer_extent(layers), title, width=0.64)
    _, count, hot, cold = layer_grids(layers)
    kind = np.full(count.shape, np.nan)
    kind[count > 0] = 0.0
    kind[(cold > 0) & (cold >= hot)] = 1.0
    kind[(hot > 0) & (hot > cold)] = 2.0
    xe, ye = _edges(layers)
    ax.pcolormesh(xe, ye, np.ma.masked_invalid(kind), cmap=ListedColormap([QUIET, COLD, HOT]), vmin=-0.5, vmax=2.5,
                  edgecolors="none", zorder=2)
    handles = [Patch(color=HOT, label=f"hot spot cells: {int((kind == 2).sum()):,} ({int(hot.sum()):,} samples)"),
               Patch(color=COLD, label=f"cold spot cells: {int((kind == 1).sum()):,} ({int(cold.sum()):,} samples)"),
               Patch(color=QUIET, label=f"no significant cluster: {int((kind == 0).sum()):,} cells")]
    fig.legend(handles=handles, loc="center left", fontsize=8, frameon=False, bbox_to_anchor=(0.71, 0.5),
               handletextpad=0.3, borderaxespad=0.0)
    return _png(fig)


def maps_for(row: ScoreRow, root: Path, *, dataset_label: str, model_label: str, lisa: bool = True) -> dict:
    """Both maps of one (model, dataset) row as data URIs, from its result file's map layers."""
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
                                alt=f"World map of {perf.lower()} for {model_label} on {dataset_label}",
                                caption=f"{perf} on a {layers.cell_deg:g}° grid "
                                        f"({'blue = better' if layers.higher_is_better else 'red = larger error'}; "
                                        f"grey: fewer than {layers.min_count} samples); "
                                        f"{layers.n_located:,} located samples."))
    if not lisa:
        out["notes"].append("LISA hot/cold spots not drawn for this build (maps='performance').")
    elif layers.lisa is None:
        out["notes"].append("LISA hot/cold spots not available: geo-bias was not computed for this result.")
    else:
        p = layers.lisa
        out["images"].append(_image(lisa_map(layers, f"{model_label} on {dataset_label}: LISA hot/cold spots"),
                                    alt=f"Map of local Moran clusters of performance for {model_label} on "
                                        f"{dataset_label}",
                                    caption=f"Cells holding samples in significant local Moran clusters of "
                                            f"{layers.value_name} ({p['neighbours_k']}-nearest-neighbour graph, "
                                            f"{p['permutations']} permutations, seed {p['seed']}, FDR {p['fdr_alpha']:g}: the "
                                            f"neighbour count of the headline Moran's I)."))
    return out


def _image(png: bytes, *, alt: str, caption: str) -> dict:
    return {"uri": data_uri(png), "width": WIDTH_PX, "height": HEIGHT_PX, "alt": alt, "caption": caption,
            "bytes": len(png)}
