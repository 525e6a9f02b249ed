"""World maps for per-model pages: where a model succeeds or fails, and LISA hot/cold spots of errors.

Why static matplotlib PNGs (base64 in the page): they work offline, weigh ~30–80 KB each after
palette quantisation, and need no tile server. Land comes from the bundled grid in `land.py`.
The maps live only on per-model pages so the overview stays small.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

WIDTH_PX, HEIGHT_PX, DPI = 900, 450, 100
LISA_MAX_POINTS = 3_000  # seeded subsample beyond this: plenty for a 900-px map, and LISA stays ~1 s
# 16 neighbours, not the engine's 8: per-sample errors are 0/1, and with 8 neighbours and 99 permutations
# the FDR step left no significant sample even on strongly clustered synthetic errors (measured); 30
# neighbours cost ~10x more time in georbias's permutation sampler for similar maps.
LISA_K = 16
LISA_PERMUTATIONS = 99
LAND_RGB = (0.905, 0.918, 0.933)
OCEAN_RGB = (0.976, 0.984, 0.996)
COAST = "#8f98a8"


@dataclass(frozen=True)
class PerSample:
    """Located per-sample values of one model on one dataset."""

    lon: np.ndarray
    lat: np.ndarray
    perf: np.ndarray  # the value shown on the performance map
    error: np.ndarray  # higher = worse; what LISA looks for clusters of
    perf_label: str
    higher_is_better: bool
    n_total: int


# ---------------------------------------------------------------- finding and reading predictions


def predictions_path(row: dict, root: Path) -> tuple[Path | None, str]:
    """The predictions file of a leaderboard row, via its result file; returns (path or None, reason)."""
    root = Path(root)
    direct = row.get("predictions_file")
    result_file = row.get("result_file")
    res = root / result_file if result_file else root / "results" / row["model_id"] / f"{row['dataset']}.json"
    ref = direct
    base_dirs = [root]
    if not ref:
        if not res.exists():
            return None, f"no result file {res.relative_to(root) if res.is_relative_to(root) else res}"
        try:
            doc = json.loads(res.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, "its result file is not valid JSON"
        ref = doc.get("predictions_file")
        if ref is None and isinstance(doc.get("predictions"), dict):
            ref = doc["predictions"].get("file") or doc["predictions"].get("path")
        base_dirs.append(res.parent)
        if not ref:
            return None, "its result file names no predictions_file"
    p = Path(str(ref))
    candidates = [p] if p.is_absolute() else [b / p for b in base_dirs]
    for c in candidates:
        if c.exists():
            return c, ""
    return None, f"the predictions file {ref} is not on disk"


def per_sample(df: Any, task_type: str) -> PerSample:
    """Located rows' performance (hit@1 % or absolute error) and error values."""
    from locbench.metrics import per_sample_performance

    lon = df["lon"].to_numpy(dtype=np.float64)
    lat = df["lat"].to_numpy(dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if task_type == "classification":
        hit = df["hit@1"].to_numpy(dtype=np.float64)
        perf, err, label, hib = 100.0 * hit, 1.0 - hit, "Top-1 accuracy (%) per cell", True
    else:
        targets = [c.split(":", 1)[1] for c in df.columns if str(c).startswith("y_true:")] or None
        ae = per_sample_performance(df, "regression", targets)["abs_error"]
        perf, err, label, hib = ae, ae, "Mean absolute error per cell", False
    ok &= np.isfinite(err)
    return PerSample(lon[ok], lat[ok], perf[ok], err[ok], label, hib, len(df))


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


def grid_means(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, extent: tuple[float, float, float, float],
               n_cols: int = 72) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean of `values` per cell of a regular lon/lat grid over `extent` (NaN where empty), plus counts."""
    x0, x1, y0, y1 = extent
    cell = (x1 - x0) / n_cols
    n_rows = max(1, int(round((y1 - y0) / cell)))
    xe = np.linspace(x0, x1, n_cols + 1)
    ye = np.linspace(y0, y1, n_rows + 1)
    total, _, _ = np.histogram2d(lat, lon, bins=(ye, xe), weights=values)
    count, _, _ = np.histogram2d(lat, lon, bins=(ye, xe))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return xe, ye, mean, count


def performance_map(ps: PerSample, title: str) -> bytes:
    """Mean per-sample performance per grid cell over land outlines."""
    import matplotlib.pyplot as plt

    ext = extent_for(ps.lon, ps.lat)
    fig, ax = _figure(ext, title)
    n_cols = int(np.clip(2.5 * np.sqrt(len(ps.lon)), 24, 90))  # sparse data: bigger cells, fewer single-sample cells
    xe, ye, mean, _ = grid_means(ps.lon, ps.lat, ps.perf, ext, n_cols=n_cols)
    if ps.higher_is_better:
        cmap, vmin, vmax = plt.get_cmap("RdYlBu"), 0.0, 100.0
    else:
        finite = mean[np.isfinite(mean)]
        cmap, vmin = plt.get_cmap("YlOrRd"), 0.0
        vmax = float(np.percentile(finite, 95)) if finite.size else 1.0
        vmax = vmax if vmax > 0 else 1.0
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(mean), cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.9,
                         edgecolors="none", zorder=2)
    cax = fig.add_axes((0.88, 0.12, 0.018, 0.76))
    cb = fig.colorbar(mesh, cax=cax)
    cb.set_label(ps.perf_label, fontsize=8)
    cb.ax.tick_params(labelsize=8)
    return _png(fig)


def lisa_labels(ps: PerSample, *, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """LISA quadrant (1 HH, 2 LH, 3 LL, 4 HL; 0 = not significant) of errors via georbias, or None if unavailable.

    Returns (lon, lat, labels, note). Large inputs use a seeded subsample of LISA_MAX_POINTS.
    """
    try:
        from georbias.autocorrelation import autocorrelation_scores
    except ImportError:
        return None
    lon, lat, err = ps.lon, ps.lat, ps.error
    note = ""
    if len(lon) > LISA_MAX_POINTS:
        idx = np.sort(np.random.default_rng(seed).choice(len(lon), LISA_MAX_POINTS, replace=False))
        lon, lat, err = lon[idx], lat[idx], err[idx]
        note = f" (seeded subsample of {LISA_MAX_POINTS:,} of {len(ps.lon):,} located samples)"
    if np.nanstd(err) == 0 or len(lon) <= LISA_K + 1:
        return lon, lat, np.zeros(len(lon), dtype=int), "errors are constant or too few samples: no clusters" + note
    res = autocorrelation_scores(lon, lat, err, k=LISA_K, permutations=LISA_PERMUTATIONS, seed=seed)
    labels = _lisa_from_result(res, len(lon))
    if labels is None:
        return None
    return lon, lat, labels, note


def _lisa_from_result(res: Any, n: int) -> np.ndarray | None:
    """Read per-sample LISA quadrants + significance from an AutocorrelationResult, tolerating field names."""
    def get(*names: str) -> Any:
        for name in names:
            val = getattr(res, name, None)
            if val is None and isinstance(res, dict):
                val = res.get(name)
            if val is None and isinstance(getattr(res, "lisa", None), dict):
                val = res.lisa.get(name)
            if val is None and getattr(res, "lisa", None) is not None:
                val = getattr(res.lisa, name, None)
            if val is not None:
                return val
        return None

    label = get("label", "lisa_label", "lisa_cluster", "cluster", "labels")
    if label is not None:
        arr = np.asarray(label)
        if arr.shape == (n,) and arr.dtype.kind in "OUS":
            mapping = {"hh": 1, "high-high": 1, "lh": 2, "low-high": 2, "ll": 3, "low-low": 3, "hl": 4, "high-low": 4}
            return np.array([mapping.get(str(a).lower(), 0) for a in arr], dtype=int)
        if arr.shape == (n,):
            return arr.astype(int)
    q = get("lisa_q", "lisa_quadrant", "quadrant", "q")
    sig = get("lisa_significant", "significant", "lisa_sig", "sig")
    if q is None:
        return None
    q = np.asarray(q).astype(int)
    if q.shape != (n,):
        return None
    if sig is None:
        p = get("lisa_p_fdr", "lisa_p", "p_sim", "lisa_p_sim")
        if p is None:
            return None
        sig = np.asarray(p, dtype=np.float64) < 0.05
    return np.where(np.asarray(sig, dtype=bool), q, 0)


def lisa_map(lon: np.ndarray, lat: np.ndarray, labels: np.ndarray, title: str) -> bytes:
    """Significant local clusters of errors: hot spots (errors among errors) red, cold spots blue."""
    from matplotlib.lines import Line2D

    ext = extent_for(lon, lat)
    fig, ax = _figure(ext, title, width=0.64)
    styles = {0: ("#aab2bf", 3, "not significant"), 2: ("#9ecae1", 9, "success among errors (LH)"),
              4: ("#fdae6b", 9, "error among successes (HL)"), 3: ("#2166ac", 11, "cold spot: cluster of successes (LL)"),
              1: ("#d7301f", 11, "hot spot: cluster of errors (HH)")}
    handles = []
    for lab in (0, 2, 4, 3, 1):
        color, size, text = styles[lab]
        m = labels == lab
        ax.scatter(lon[m], lat[m], s=size, c=color, linewidths=0, alpha=0.85 if lab else 0.5, zorder=3 + (lab > 0))
        handles.append(Line2D([], [], marker="o", ls="", color=color, label=f"{text}: {int(m.sum()):,}"))
    fig.legend(handles=handles[::-1], loc="center left", fontsize=8, frameon=False, bbox_to_anchor=(0.71, 0.5),
               handletextpad=0.3, borderaxespad=0.0)
    return _png(fig)


def maps_for(row: dict, root: Path, *, dataset_label: str, model_label: str, seed: int = 0,
             lisa: bool = True) -> dict:
    """Both maps for one (model, dataset) row as data URIs, plus notes explaining anything skipped."""
    from locbench.errors import LocbenchError
    from locbench.predictions import read_table

    out: dict = {"dataset": dataset_label, "images": [], "notes": []}
    path, why = predictions_path(row, root)
    if path is None:
        out["notes"].append(f"{why}.")
        return out
    try:
        ps = per_sample(read_table(path), str(row.get("task_type", "classification")))
    except (LocbenchError, KeyError, ValueError) as exc:
        out["notes"].append(f"the predictions file could not be read ({exc}).")
        return out
    if len(ps.lon) == 0:
        out["notes"].append("no located samples.")
        return out
    n_un = ps.n_total - len(ps.lon)
    where = f"{len(ps.lon):,} located samples" + (f"; {n_un:,} unlocated left out" if n_un else "")
    out["images"].append(_image(performance_map(ps, f"{model_label} on {dataset_label}: performance"),
                                alt=f"World map of {ps.perf_label.lower()} for {model_label} on {dataset_label}",
                                caption=f"{ps.perf_label} ({'blue = better' if ps.higher_is_better else 'red = larger error'}); "
                                        f"{where}."))
    if not lisa:
        out["notes"].append("LISA hot/cold spots not drawn for this build (maps='performance').")
        return out
    lisa = lisa_labels(ps, seed=seed)
    if lisa is None:
        out["notes"].append("LISA hot/cold spots skipped: georbias.autocorrelation is not available in this install.")
        return out
    lon, lat, labels, note = lisa
    what = "1 − hit@1" if ps.higher_is_better else "absolute error"
    out["images"].append(_image(lisa_map(lon, lat, labels, f"{model_label} on {dataset_label}: LISA of errors"),
                                alt=f"Map of local Moran clusters of errors for {model_label} on {dataset_label}",
                                caption=f"Local Moran's I of per-sample error ({what}) on a {LISA_K}-nearest-neighbour "
                                        f"graph, {LISA_PERMUTATIONS} permutations, seed {seed}, significant at 0.05 "
                                        f"after FDR{note}."))
    return out


def _image(png: bytes, *, alt: str, caption: str) -> dict:
    return {"uri": data_uri(png), "width": WIDTH_PX, "height": HEIGHT_PX, "alt": alt, "caption": caption,
            "bytes": len(png)}
