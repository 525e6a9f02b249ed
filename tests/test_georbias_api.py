"""georbias.score(): the public contract (summary keys, per-input-row table, counts, errors, JSON)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import georbias
from georbias.errors import GeoBiasInputError
from georbias.report import PER_ROI_COLUMNS, SUMMARY_KEYS


def synth(n: int = 240, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(7.0, 13.0, n)
    lat = rng.uniform(37.5, 42.5, n)
    hit = (rng.random(n) < np.where(lon > 11, 0.3, 0.9)).astype(float)
    return lon, lat, hit


@pytest.fixture(scope="module")
def full_report() -> georbias.GeoBiasReport:
    lon, lat, hit = synth()
    lon[[5, 17]] = np.nan  # unlocated rows are dropped and counted
    return georbias.score(lon, lat, hit, permutations=19)


def test_summary_keys_and_counts(full_report: georbias.GeoBiasReport) -> None:
    r = full_report
    assert tuple(r.summary) == SUMMARY_KEYS
    assert r.counts == {"n_input": 240, "n_dropped_nan": 2, "n_used": 238}
    for key in ("unmarked_ssi", "marked_ssi", "sri_scale_grid", "morans_i", "join_count_bb_z"):
        assert math.isfinite(r.summary[key]), key
    assert isinstance(r.summary["ssi_n_nan"], int)
    assert r.engine_version.startswith(f"georbias {georbias.__version__}")


def test_per_roi_one_row_per_input_row(full_report: georbias.GeoBiasReport) -> None:
    per = full_report.per_roi
    assert list(per.columns[:len(PER_ROI_COLUMNS)]) == list(PER_ROI_COLUMNS)
    assert any(c.startswith("lisa_") for c in per.columns)
    assert len(per) == 240 and list(per["row"]) == list(range(240))
    assert per.loc[[5, 17], ["unmarked_ssi", "marked_ssi", "sri_weight"]].isna().all().all()
    assert per.drop(index=[5, 17])["marked_ssi"].notna().all()
    # the summary is the mean / n-weighted mean of the per-ROI column
    m = per["marked_ssi"].dropna()
    n = per.loc[m.index, "n_roi"].astype(float)
    assert full_report.summary["marked_ssi"] == pytest.approx(m.mean(), rel=1e-12)
    assert full_report.summary["marked_ssi_weighted"] == pytest.approx((m * n).sum() / n.sum(), rel=1e-12)


def test_json_round_trip(full_report: georbias.GeoBiasReport) -> None:
    d = json.loads(full_report.to_json())
    assert d == full_report.to_dict()
    for key in ("preset", "radius", "radius_unit", "roi_k", "weight_k", "threshold", "scale", "lag", "sectors",
                "partition_min", "permutations", "seed", "value_name"):
        assert key in d["params"], key
    assert d["counts"]["n_dropped_nan"] == 2 and d["engine_version"]
    assert set(d["scores"]) == {"ssi", "sri", "autocorr"}


def test_nan_rows_do_not_change_scores() -> None:
    lon, lat, hit = synth()
    a = georbias.score(lon, lat, hit, scores="ssi")
    lon2 = np.insert(lon, 3, np.nan)
    lat2 = np.insert(lat, 3, 50.0)
    b = georbias.score(lon2, lat2, np.insert(hit, 3, 1.0), scores="ssi")
    assert b.counts["n_dropped_nan"] == 1
    assert np.array_equal(a.per_roi["marked_ssi"].to_numpy(), b.per_roi["marked_ssi"].drop(index=3).to_numpy())
    assert b.per_roi.loc[4, "row"] == 4


def test_radians_equal_degrees_and_km_radius() -> None:
    lon, lat, hit = synth()
    a = georbias.score(lon, lat, hit, scores="ssi")
    b = georbias.score(lon / 180 * np.pi, lat / 180 * np.pi, hit, scores="ssi", coords_unit="rad")
    assert np.allclose(a.per_roi["unmarked_ssi"], b.per_roi["unmarked_ssi"], rtol=1e-9)
    c = georbias.score(lon, lat, hit, scores="ssi", radius=0.05 * 6371.0, radius_unit="km")
    assert c.params["radius_rad"] == pytest.approx(0.05)
    assert np.array_equal(a.per_roi["n_roi"], c.per_roi["n_roi"])


def test_threshold_binarises_like_the_reference_reader() -> None:
    lon, lat, _ = synth()
    err = np.random.default_rng(1).gamma(2.0, 400.0, len(lon))
    a = georbias.score(lon, lat, err, scores="ssi", threshold=750, lower_is_better=True)
    b = georbias.score(lon, lat, np.where(err < 750, 1.0, -1.0), scores="ssi")
    assert np.array_equal(a.per_roi["marked_ssi"], b.per_roi["marked_ssi"])
    assert a.params["threshold"] == 750 and a.params["lower_is_better"] is True


def test_pygbs_offers_no_sri() -> None:
    lon, lat, hit = synth(80)
    r = georbias.score(lon, lat, hit, preset="pygbs", scores=None, permutations=0)
    assert "sri" not in r.scores and math.isnan(r.summary["sri_scale_grid"])
    with pytest.raises(GeoBiasInputError, match="defective"):
        georbias.score(lon, lat, hit, preset="pygbs", scores=["ssi", "sri"])


@pytest.mark.parametrize("bad,match", [
    (dict(lat_value=95.0), "row 3, column 'lat'"),
    (dict(lon_value=-181.0), "row 3, column 'lon'"),
    (dict(value="x"), "row 3, column 'hit'"),
    (dict(value=np.nan), "row 3, column 'hit'"),
])
def test_bad_input_names_row_and_column(bad: dict, match: str) -> None:
    lon, lat, hit = synth(40)
    lon, lat = lon.astype(object), lat.astype(object)
    vals = hit.astype(object)
    if "lat_value" in bad:
        lat[3] = bad["lat_value"]
    if "lon_value" in bad:
        lon[3] = bad["lon_value"]
    if "value" in bad:
        vals[3] = bad["value"]
    with pytest.raises(GeoBiasInputError, match=match):
        georbias.score(lon, lat, vals, scores="ssi", value_name="hit")


def test_too_few_points_and_bad_parameters() -> None:
    lon, lat, hit = synth(6)
    lat[:2] = np.nan
    with pytest.raises(GeoBiasInputError, match="at least weight_k"):
        georbias.score(lon, lat, hit, scores="ssi")
    lon, lat, hit = synth(40)
    for kw, match in ((dict(preset="nope"), "unknown preset"), (dict(scores="ssi,foo"), "unknown score"),
                      (dict(radius_unit="deg"), "radius unit"), (dict(weight_k=0), "weight_k")):
        with pytest.raises(GeoBiasInputError, match=match):
            georbias.score(lon, lat, hit, **kw)
