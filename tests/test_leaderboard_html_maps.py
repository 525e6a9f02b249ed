"""World maps for model pages: land grid, cell means, extents, LISA labels, predictions lookup."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from locbench.leaderboard import land, maps


def test_bundled_land_grid_knows_land_from_sea() -> None:
    g = land.load()
    assert g.fraction.shape == (360, 720) and g.step == 0.5
    assert 0.25 < float(g.fraction.mean()) < 0.40  # ~29 % land + lakes and Antarctica on a lat/lon grid
    land_pts = [(2.35, 48.85), (116.4, 39.9), (-74.0, 40.75), (134.0, -25.0), (-60.0, -10.0), (20.0, 0.0)]
    sea_pts = [(-30.0, 0.0), (-150.0, 0.0), (0.0, 0.0), (80.0, -30.0), (-40.0, 40.0), (170.0, 30.0)]
    lon, lat = np.array(land_pts + sea_pts).T
    assert g.is_land(lon, lat).tolist() == [True] * 6 + [False] * 6


def test_reduce_mask_is_a_block_mean() -> None:
    m = np.zeros((4, 6), dtype=bool)
    m[0:2, 0:2] = True
    m[2, 5] = True
    out = land.reduce_mask(m, 2)
    assert out.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 0.25]]


def test_grid_means_closed_form() -> None:
    lon = np.array([-179.0, -178.0, 10.0, 10.5, 179.0])
    lat = np.array([-89.0, -88.0, 1.0, 1.2, 89.0])
    vals = np.array([1.0, 3.0, 10.0, 20.0, 5.0])
    xe, ye, mean, count = maps.grid_means(lon, lat, vals, (-180, 180, -90, 90), n_cols=36)
    assert len(xe) == 37 and len(ye) == 19  # 10° cells
    assert mean[0, 0] == 2.0 and count[0, 0] == 2
    assert mean[9, 19] == 15.0 and count[9, 19] == 2
    assert mean[-1, -1] == 5.0
    assert int(count.sum()) == 5 and np.isnan(mean).sum() == mean.size - 3


def test_extent_covers_the_data_at_two_to_one() -> None:
    assert maps.extent_for(np.array([-170.0, 170.0]), np.array([-50.0, 60.0])) == (-180.0, 180.0, -90.0, 90.0)
    lon, lat = np.array([-125.0, -67.0]), np.array([25.0, 50.0])
    x0, x1, y0, y1 = maps.extent_for(lon, lat)
    assert x0 <= -125 and x1 >= -67 and y0 <= 25 and y1 >= 50
    assert (x1 - x0) == pytest.approx(2 * (y1 - y0))
    x0, x1, y0, y1 = maps.extent_for(np.array([175.0, 179.0]), np.array([80.0, 89.0]))
    assert x1 <= 180 and y1 <= 90 and x0 <= 175 and y0 <= 80


def test_lisa_labels_read_from_result_objects() -> None:
    res = SimpleNamespace(lisa=SimpleNamespace(label=np.array(["HH", "ns", "LL", "LH", "HL"])))
    assert maps._lisa_from_result(res, 5).tolist() == [1, 0, 3, 2, 4]
    res = SimpleNamespace(lisa=SimpleNamespace(q=np.array([1, 2, 3, 4]), significant=np.array([1, 0, 1, 0], bool)))
    assert maps._lisa_from_result(res, 4).tolist() == [1, 0, 3, 0]
    assert maps._lisa_from_result(SimpleNamespace(), 3) is None


def _clustered(n: int = 1200, seed: int = 0) -> maps.PerSample:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-120, -70, n)
    lat = rng.uniform(25, 50, n)
    err = (rng.random(n) < np.where(lon > -95, 0.85, 0.1)).astype(float)  # errors crowd into the east
    return maps.PerSample(lon, lat, 100 * (1 - err), err, "Top-1 accuracy (%) per cell", True, n)


def test_lisa_hot_spots_fall_where_errors_cluster() -> None:
    pytest.importorskip("georbias.autocorrelation")
    ps = _clustered()
    lon, lat, labels, note = maps.lisa_labels(ps, seed=0)
    hh, ll = labels == 1, labels == 3
    assert hh.sum() > 50 and ll.sum() > 50 and note == ""
    assert np.mean(lon[hh] > -95) > 0.9 and np.mean(lon[ll] < -95) > 0.9
    again = maps.lisa_labels(ps, seed=0)[2]
    assert np.array_equal(labels, again)  # seeded


def test_performance_map_is_a_small_900x450_png() -> None:
    from PIL import Image

    png = maps.performance_map(_clustered(), "synthetic: performance")
    img = Image.open(io.BytesIO(png))
    assert img.size == (maps.WIDTH_PX, maps.HEIGHT_PX) and img.format == "PNG"
    assert len(png) < 150_000
    assert maps.data_uri(png).startswith("data:image/png;base64,iVBOR")


def test_predictions_path_resolution(tmp_path: Path) -> None:
    row = {"model_id": "m", "dataset": "d"}
    assert maps.predictions_path(row, tmp_path) == (None, "no result file results/m/d.json")
    res = tmp_path / "results" / "m" / "d.json"
    res.parent.mkdir(parents=True)
    res.write_text(json.dumps({"predictions_file": None}))
    assert maps.predictions_path(row, tmp_path)[1] == "its result file names no predictions_file"
    pred = tmp_path / "submissions" / "m" / "d.csv"
    pred.parent.mkdir(parents=True)
    pred.write_text("sample_id,lon,lat\n")
    res.write_text(json.dumps({"predictions_file": "submissions/m/d.csv"}))  # relative to the root
    assert maps.predictions_path(row, tmp_path) == (pred, "")
    (res.parent / "p.csv").write_text("x\n")
    res.write_text(json.dumps({"predictions_file": "p.csv"}))  # relative to the result file
    assert maps.predictions_path(row, tmp_path) == (res.parent / "p.csv", "")
    res.write_text(json.dumps({"predictions_file": str(pred)}))  # absolute
    assert maps.predictions_path(row, tmp_path) == (pred, "")
    res.write_text(json.dumps({"predictions_file": "gone.csv"}))
    assert maps.predictions_path(row, tmp_path) == (None, "the predictions file gone.csv is not on disk")


def test_maps_for_explains_what_it_skips(tmp_path: Path) -> None:
    pred = tmp_path / "p.csv"
    pd.DataFrame({"sample_id": ["a", "b"], "lon": [np.nan, np.nan], "lat": [np.nan, np.nan],
                  "y_true": [1.0, 2.0], "y_pred": [1.5, 2.5]}).to_csv(pred, index=False)
    row = {"model_id": "m", "dataset": "d", "task_type": "regression", "predictions_file": str(pred)}
    out = maps.maps_for(row, tmp_path, dataset_label="d", model_label="m")
    assert out["images"] == [] and out["notes"] == ["no located samples."]
    pred.write_bytes(b"\xff\xfe\x00bad")
    out = maps.maps_for(row, tmp_path, dataset_label="d", model_label="m")
    assert out["images"] == [] and "could not be read" in out["notes"][0]


def test_regression_per_sample_uses_absolute_error() -> None:
    df = pd.DataFrame({"sample_id": ["a", "b", "c"], "lon": [0.0, 1.0, np.nan], "lat": [0.0, 1.0, np.nan],
                       "y_true:x": [1.0, 2.0, 3.0], "y_pred:x": [2.0, 2.0, 3.0],
                       "y_true:y": [0.0, 0.0, 0.0], "y_pred:y": [3.0, -1.0, 0.0]})
    ps = maps.per_sample(df, "regression")
    assert ps.error.tolist() == [2.0, 0.5] and not ps.higher_is_better and ps.n_total == 3
