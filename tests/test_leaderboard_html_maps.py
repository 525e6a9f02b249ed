"""World maps for model pages: cell means, extents, LISA labels, SVG maps from the result file alone."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.leaderboard import maps, worldsvg
from locbench.leaderboard.rows import ScoreRow


def test_fixed_grid_cells_closed_form() -> None:
    from locbench.maplayers import build_layers

    lon = np.array([-179.0, -178.5, 10.0, 10.5, 180.0, np.nan])
    lat = np.array([-89.0, -88.2, 1.0, 1.2, 90.0, 3.0])
    vals = np.array([1.0, 3.0, 10.0, 20.0, 5.0, 7.0])
    layers = build_layers(lon, lat, vals, value_name="abs_error", higher_is_better=False)
    cells = list(zip(layers.col, layers.row, layers.count, layers.mean))
    assert cells == [(0, 0, 2, 2.0), (95, 45, 2, 15.0), (179, 89, 1, 5.0)]  # sorted by (row, col); 180/90 in the last
    assert layers.n_located == 5 and layers.hot is None and layers.lisa is None
    assert layers.bounds(1) == (10.0, 12.0, 0.0, 2.0)
    assert build_layers(lon[-1:], lat[-1:], vals[-1:], value_name="x", higher_is_better=True) is None


def test_extent_fits_the_data() -> None:
    """Global data get the world (Antarctica cropped); a region gets a window around it, inside the globe."""
    assert maps.extent_for(np.array([-170.0, 170.0]), np.array([-50.0, 60.0])) == (-180.0, 180.0, -60.0, 85.0)
    lon, lat = np.array([-125.0, -67.0]), np.array([25.0, 50.0])
    x0, x1, y0, y1 = maps.extent_for(lon, lat)
    assert x0 <= -125 and x1 >= -67 and y0 <= 25 and y1 >= 50
    assert maps.ASPECT[0] - 1e-9 <= (x1 - x0) / (y1 - y0) <= maps.ASPECT[1] + 1e-9
    assert (x1 - x0) < 100  # a window, not the world
    x0, x1, y0, y1 = maps.extent_for(np.array([175.0, 179.0]), np.array([80.0, 89.0]))
    assert x1 <= 180 and y1 <= 90 and x0 <= 175 and y0 <= 80
    # a stray sample holding under 0.5 % of the weight does not zoom the window out to the world
    lon = np.r_[np.full(999, 10.0), 150.0]
    lat = np.r_[np.full(999, 50.0), -30.0]
    assert maps.extent_for(lon, lat)[1] < 60


def _clustered_result(n: int = 1200, seed: int = 0, geobias: bool = True):  # type: ignore[no-untyped-def]
    """A scored result whose errors crowd into the east of its region."""
    from test_probes_fixtures import synthetic_spec

    from locbench.results import build_result

    rng = np.random.default_rng(seed)
    lon = rng.uniform(-120, -70, n)
    lat = rng.uniform(25, 50, n)
    hit = (rng.random(n) >= np.where(lon > -95, 0.85, 0.1)).astype(float)
    df = pd.DataFrame({"sample_id": np.arange(n).astype(str), "lon": lon, "lat": lat, "y_true": "1",
                       "y_pred": np.where(hit > 0, "1", "2"), "true_class_prob": 0.5,
                       "reciprocal_rank": np.where(hit > 0, 1.0, 0.25), "hit@1": hit, "hit@3": hit})
    return build_result(model_id="m", spec=synthetic_spec("toy", num_classes=None, version="1"), split=None, predictions=df, compute_geobias_scores=geobias,
                        geobias_kwargs={"scores": ("autocorr",)})


def test_hot_spots_fall_where_errors_cluster() -> None:
    layers = _clustered_result().map_layers
    assert layers.lisa["neighbours_k"] == 8 and layers.lisa["hot_label"] == "LL"
    west = np.asarray(layers.col) * 2 - 180 + 1 < -95  # cell centre west of -95
    hot, cold = np.asarray(layers.hot), np.asarray(layers.cold)
    assert hot.sum() > 50 and cold.sum() > 50
    assert hot[~west].sum() > 0.9 * hot.sum() and cold[west].sum() > 0.9 * cold.sum()
    assert _clustered_result().map_layers == layers  # seeded
    assert _clustered_result(geobias=False).map_layers.hot is None  # no geo-bias: cells only


def test_maps_are_small_svgs_with_absolute_legends() -> None:
    """Each map is a few KB of SVG: a one-pixel-per-cell layer, shared land/coast files, 12 px legend text in %."""
    import base64
    import re

    from PIL import Image

    layers = _clustered_result().map_layers
    perf, lisa = maps.performance_map(layers, "synthetic: performance"), maps.lisa_map(layers, "synthetic: LISA")
    for svg in (perf, lisa):
        assert len(svg) < 12_000 and svg.startswith('<svg class="map"')
        # land and coastlines: the page's shared layers (declared once by worldsvg.page_defs), no URL of their own
        assert '<use href="#lb-land"/>' in svg and '<use href="#lb-coast"/>' in svg and "http" not in svg.replace(
            'xmlns="http://www.w3.org/2000/svg"', "")
        sizes = {float(x) for x in re.findall(r'font-size="([0-9.]+)"', svg)}
        assert sizes and min(sizes) >= 11
        png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", svg).group(1))
        img = Image.open(io.BytesIO(png))
        x0, x1, y0, y1 = maps.layer_extent(layers)
        assert img.size == (round((x1 - x0) / layers.cell_deg), round((y1 - y0) / layers.cell_deg))  # one pixel a cell
    assert "Top-1 accuracy per cell (%)" in perf and ">90–100<" in perf and ">0–10<" in perf  # absolute classes
    assert "worst" not in perf and "hot spot" in lisa
    defs = worldsvg.page_defs()
    assert 'id="lb-land"' in defs and 'id="lb-coast"' in defs and "assets/land-" in defs and "assets/coast-" in defs


def test_maps_come_from_the_result_file_alone(tmp_path: Path) -> None:
    """No predictions file anywhere: both maps are drawn from the result's layers; without LISA, a note says so."""
    from locbench.results import write_result

    write_result(tmp_path, _clustered_result())
    row = ScoreRow("m", "toy")
    out = maps.maps_for(row, tmp_path, dataset_label="toy", model_label="m")
    assert len(out["images"]) == 2 and out["notes"] == []
    lisa = out["images"][1]
    assert "8-nearest-neighbour" in lisa["method"]
    _, _, c = maps._lisa_index(_clustered_result().map_layers)
    assert lisa["caption"] == (f"Hot spots (clusters of errors): {c['hot_cells']:,} cells ({c['hot_samples']:,} "
                               f"samples); cold spots (clusters of successes): {c['cold_cells']:,} cells "
                               f"({c['cold_samples']:,} samples).") and c["hot_cells"] > 0 and c["cold_cells"] > 0
    write_result(tmp_path, _clustered_result(geobias=False))
    out = maps.maps_for(row, tmp_path, dataset_label="toy", model_label="m")
    assert len(out["images"]) == 1 and "geo-bias was not computed" in out["notes"][0]


def test_regression_layers_use_absolute_error() -> None:
    from locbench.results import map_layers_for

    df = pd.DataFrame({"sample_id": ["a", "b", "c"], "lon": [0.5, 0.7, np.nan], "lat": [0.5, 0.9, np.nan],
                       "y_true:x": [1.0, 2.0, 3.0], "y_pred:x": [2.0, 2.0, 3.0],
                       "y_true:y": [0.0, 0.0, 0.0], "y_pred:y": [3.0, -1.0, 0.0]})
    layers = map_layers_for(df.lon.to_numpy(), df.lat.to_numpy(), df, "regression", ("x", "y"), lisa=False)
    assert layers.value_name == "abs_error" and not layers.higher_is_better
    assert (layers.count, layers.mean) == ([2], [1.25])  # mean over targets, then cells: (2 + 0.5) / 2
