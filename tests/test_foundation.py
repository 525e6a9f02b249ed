"""The shared contracts every area relies on: errors, atomic writes, neighbours, prediction schema, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, mean_absolute_error, r2_score

from georbias.neighbours import SphereIndex, haversine, knn_weights, lonlat_to_xyz
from locbench import atomic
from locbench.cli import main
from locbench.errors import ValidationError
from locbench.metrics import classification_metrics, regression_metrics
from locbench.predictions import check_predictions, read_predictions


def test_xyz_of_origin_and_pole():
    np.testing.assert_allclose(lonlat_to_xyz(np.array([0.0, 0.0]), np.array([0.0, 90.0])),
                               [[1, 0, 0], [0, 0, 1]], atol=1e-15)


def test_knn_matches_brute_force_haversine_with_index_tiebreak():
    rng = np.random.default_rng(0)
    lon = rng.uniform(-180, 180, 400)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 400)))
    lon[10], lat[10] = lon[3], lat[3]  # a duplicate: tie must break by row index
    ang, idx = SphereIndex(lon, lat).knn(6)
    for i in range(400):
        d = haversine(lon[i], lat[i], lon, lat)
        order = np.lexsort((np.arange(400), np.round(d, 12)))[:6]
        np.testing.assert_array_equal(np.sort(idx[i]), np.sort(order))
        np.testing.assert_allclose(ang[i], d[idx[i]], atol=1e-9)
    assert list(idx[3][:2]) == [3, 10] and list(idx[10][:2]) == [3, 10]


def test_knn_weights_sparse_and_degree():
    rng = np.random.default_rng(1)
    w = knn_weights(rng.uniform(-10, 10, 50), rng.uniform(-10, 10, 50), 4)
    assert w.shape == (50, 50) and w.nnz == 200
    assert np.all(w.diagonal() == 0)


def test_within_radius_antimeridian():
    lon = np.array([179.9, -179.9, 0.0])
    lat = np.zeros(3)
    near = SphereIndex(lon, lat).within(np.radians(0.5))
    assert list(near[0]) == [0, 1] and list(near[2]) == [2]


def test_atomic_staged_dir_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "v0001"
    with pytest.raises(RuntimeError):
        with atomic.staged_dir(target) as d:
            (d / "a.txt").write_text("x")
            raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic.staged_dir(target) as d:
        (d / "a.txt").write_text("x")
    assert (target / "a.txt").read_text() == "x"
    with pytest.raises(FileExistsError):
        with atomic.staged_dir(target):
            pass


def _cls_frame():
    return pd.DataFrame({
        "sample_id": ["a", "b", "c", "d"], "lon": [0.0, 1.0, np.nan, 3.0], "lat": [0.0, 1.0, np.nan, 3.0],
        "y_true": [0, 1, 2, 1], "y_pred": [0, 2, 2, 1], "true_class_prob": [0.9, 0.2, 0.5, 0.7],
        "reciprocal_rank": [1.0, 0.5, 1.0, 1.0], "hit@1": [1, 0, 1, 1], "hit@3": [1, 1, 1, 1],
    })


def test_classification_metrics_match_sklearn():
    df = _cls_frame()
    m = classification_metrics(df)
    assert m["top1"] == pytest.approx(75.0) and m["top3"] == pytest.approx(100.0)
    assert m["mrr"] == pytest.approx(0.875)
    assert m["macro_f1"] == pytest.approx(f1_score(df.y_true.astype(str), df.y_pred.astype(str), average="macro"))


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(2)
    yt, yp = rng.normal(size=50), rng.normal(size=50)
    m = regression_metrics(pd.DataFrame({"y_true": yt, "y_pred": yp}))
    assert m["r2"] == pytest.approx(r2_score(yt, yp), rel=1e-12)
    assert m["mae"] == pytest.approx(mean_absolute_error(yt, yp), rel=1e-12)
    multi = regression_metrics(pd.DataFrame({"y_true:a": yt, "y_pred:a": yp, "y_true:b": yt, "y_pred:b": yt}), ["a", "b"])
    assert multi["r2:b"] == 1.0 and multi["r2"] == pytest.approx((r2_score(yt, yp) + 1) / 2)


def test_prediction_checks_report_every_problem_with_location(tmp_path):
    df = _cls_frame()
    df.loc[1, "sample_id"] = "a"
    df.loc[3, "lat"] = 95.0
    df.loc[0, "hit@1"] = 0  # disagrees with reciprocal_rank 1
    problems = check_predictions(df, "classification", file="p.csv")
    text = [p.format() for p in problems.items]
    assert any("duplicate sample_id" in t and "row 1" in t for t in text)
    assert any("outside [-90.0, 90.0]" in t and "'lat'" in t and "row 3" in t for t in text)
    assert any("hit@1" in t and "row 0" in t for t in text)
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    with pytest.raises(ValidationError):
        read_predictions(path, "classification")


def test_cli_version_runs():
    assert main(["version"]) == 0


def test_atomic_files_are_world_readable(tmp_path):
    import os
    import stat

    p = atomic.write_text(tmp_path / "x.json", "{}")
    assert stat.S_IMODE(os.stat(p).st_mode) & 0o044 == 0o044
