"""Headline geo-bias score (contract C2), degenerate scores shown as undefined, and input warnings."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import georbias
from georbias.errors import GeoBiasWarning
from georbias.headline import HEADLINE_K, HEADLINE_SCORE, HEADLINE_SUMMARY_KEYS, Headline, headline_score
from georbias.neighbours import knn_weights
from test_probes_fixtures import synthetic_spec


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-40, 40, n), rng.uniform(-30, 50, n)


def _quiet_score(*args, **kwargs) -> georbias.GeoBiasReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeoBiasWarning)
        return georbias.score(*args, **kwargs)


def test_headline_equals_esda_moran_on_a_tie_free_graph() -> None:
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    lon, lat = _points(600, 0)
    y = (lon + np.random.default_rng(1).normal(0, 20, 600) > 0).astype(float)
    h = headline_score(lon, lat, y)
    w = libpysal.weights.WSP(knn_weights(lon, lat, HEADLINE_K)).to_W(silence_warnings=True)
    m = esda.Moran(y, w, transformation="r", permutations=0)
    assert h.value == pytest.approx(m.I, rel=1e-10)
    assert h.z == pytest.approx(m.z_rand, rel=1e-8)
    assert h.p == pytest.approx(m.p_rand, rel=1e-8)
    assert h.significant and h.higher_is_more_biased and h.reason is None


def test_headline_reads_errors_either_way_round() -> None:
    lon, lat = _points(500, 2)
    hit = (lat > 10).astype(float)
    a, b = headline_score(lon, lat, hit), headline_score(lon, lat, 1.0 - hit)
    assert a.value == pytest.approx(b.value, rel=1e-12) and a.z > 10


def test_contract_c2_report_summary_json() -> None:
    lon, lat = _points(300, 3)
    hit = (lon > 0).astype(float)
    rep = _quiet_score(lon, lat, hit, scores="ssi")
    assert isinstance(rep.headline, Headline) and rep.headline.score == HEADLINE_SCORE
    d = json.loads(rep.to_json())
    assert set(d["headline"]) == {"score", "value", "z", "p", "significant", "higher_is_more_biased", "reason"}
    assert d["headline"]["value"] == rep.headline.value and d["headline"]["higher_is_more_biased"] is True
    for key in HEADLINE_SUMMARY_KEYS:
        assert key in rep.summary
    assert rep.summary["headline_value"] == rep.headline.value and rep.summary["headline_significant"] is True
    with pytest.raises(Exception):
        rep.headline.value = 0.0  # frozen


def test_headline_undefined_with_reason() -> None:
    lon, lat = _points(100, 4)
    h = headline_score(lon, lat, np.ones(100))
    assert h.value is None and h.z is None and not h.significant and "every per-sample value" in h.reason
    rep = _quiet_score(np.full(50, 3.0), np.full(50, 4.0), np.r_[np.ones(25), np.zeros(25)], scores="ssi")
    assert rep.headline.value is None and "same location" in rep.headline.reason
    assert rep.undefined["headline_value"] == rep.headline.reason
    assert json.loads(rep.to_json())["summary"]["headline_value"] is None


def test_headline_refuses_huge_duplicate_groups() -> None:
    """Two locations holding 4,000 samples each would need 32M tie-shared links: undefined, with the reason."""
    lon, lat = np.repeat([1.0, 2.0], 4000), np.zeros(8000)
    h = headline_score(lon, lat, np.tile([0.0, 1.0], 4000))
    assert h.value is None and "largest group 4,000" in h.reason




def test_result_files_carry_headline_keys_for_both_task_types() -> None:
    from locbench.results import build_result

    rng = np.random.default_rng(5)
    n = 150
    lon, lat = rng.uniform(-50, 50, n), rng.uniform(-40, 40, n)
    y = rng.integers(0, 3, n).astype(str)
    hit = lon > 0
    cls = pd.DataFrame({"sample_id": [f"s{i}" for i in range(n)], "lon": lon, "lat": lat, "y_true": y,
                        "y_pred": np.where(hit, y, "9"), "true_class_prob": np.where(hit, 0.9, 0.1),
                        "reciprocal_rank": np.where(hit, 1.0, 0.5), "hit@1": hit.astype(float), "hit@3": np.ones(n)})
    reg = pd.DataFrame({"sample_id": [f"s{i}" for i in range(n)], "lon": lon, "lat": lat, "y_true": lat,
                        "y_pred": lat + np.abs(lon) / 10})
    for spec, df, values in ((synthetic_spec("toy-cls", num_classes=None, version="1"), cls, hit.astype(float)),
                             (synthetic_spec("toy-reg", task_type="regression", primary_metric="mae", targets=("y",), num_classes=None,
                                            version="1"), reg, np.abs(lon) / 10)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GeoBiasWarning)
            r = build_result(model_id="m-1", spec=spec, split=None, predictions=df, geobias_kwargs={"permutations": 9})
        s = r.geobias["summary"]
        assert s["headline_score"] == HEADLINE_SCORE
        # regression: on the raw absolute error, not the median-thresholded +-1
        assert s["headline_value"] == pytest.approx(headline_score(lon, lat, values).value, rel=1e-12)
        assert s["headline_significant"] is True


# ------------------------------------------------------------------ degenerate scores (issue 12 item 4)
def test_sri_without_any_partition_is_undefined_with_reason() -> None:
    lon, lat = _points(200, 6)
    rep = _quiet_score(lon, lat, (lon > 0).astype(float), scores="sri", partition_min=10_000)
    for key in ("sri_scale_grid", "sri_distance_lag", "sri_direction_sector"):
        assert np.isnan(rep.summary[key]) and "partition_min" in rep.undefined[key]


def test_sri_on_all_duplicates_is_not_negative() -> None:
    """The reference's unrenormalised smoothing gave -2e-8 per ROI, summed to -2e-8 N (here -6e-6)."""
    v = np.random.default_rng(7).integers(0, 2, 300).astype(float)
    rep = _quiet_score(np.full(300, 10.0), np.full(300, 20.0), v, scores="sri")
    from georbias.sri import sri_scores

    raw = sri_scores(np.full(300, 10.0), np.full(300, 20.0), v).variants["scale_grid"]
    assert raw.aggregate["sum_raw_times_weight"] < 0  # the artefact is still visible in the reference aggregate
    for key in ("sri_scale_grid", "sri_distance_lag", "sri_direction_sector"):
        assert rep.summary[key] == 0.0 and not np.signbit(rep.summary[key])


def test_negative_zero_is_normalised() -> None:
    from georbias.report import clean_summary

    out = clean_summary({"a": -0.0, "b": np.float64(-0.0), "c": True, "d": "x", "e": np.int64(3), "f": None})
    assert not np.signbit(out["a"]) and not np.signbit(out["b"])
    assert out["c"] is True and out["d"] == "x" and out["e"] == 3 and np.isnan(out["f"])


def test_permutation_floor_is_flagged() -> None:
    lon, lat = _points(400, 8)
    rep = _quiet_score(lon, lat, (lat > 10).astype(float), scores="autocorr", permutations=99)
    s = rep.summary
    assert s["morans_i_p_floor"] == pytest.approx(0.01) and s["morans_i_p_sim"] == pytest.approx(0.01)
    assert s["morans_i_p_at_floor"] is True
    rnd = _quiet_score(lon, lat, np.random.default_rng(0).integers(0, 2, 400).astype(float), scores="autocorr")
    assert rnd.summary["morans_i_p_at_floor"] is False


# ------------------------------------------------------------------ warnings (issue 12 item 5)
def test_radian_looking_coordinates_warn() -> None:
    lon, lat = np.radians(_points(200, 9)[0]), np.radians(_points(200, 9)[1])
    with pytest.warns(GeoBiasWarning, match="look like radians"):
        rep = georbias.score(lon, lat, (lon > 0).astype(float), scores="ssi")
    assert any("radians" in w for w in rep.warnings)
    deg = _quiet_score(*_points(200, 9), np.ones(200) * (np.arange(200) % 2), scores="ssi")
    assert not any("radians" in w for w in deg.warnings)
    rad = _quiet_score(lon, lat, (lon > 0).astype(float), scores="ssi", coords_unit="rad")
    assert not any("radians" in w for w in rad.warnings)


def test_constant_values_warn() -> None:
    lon, lat = _points(100, 10)
    with pytest.warns(GeoBiasWarning, match="constant"):
        rep = georbias.score(lon, lat, np.ones(100), scores="ssi")
    assert any("constant" in w for w in rep.warnings)


def test_saturation_warning_states_the_count() -> None:
    from georbias.input_checks import saturation_warnings

    assert saturation_warnings(11_970, 24_343) == [
        "SSI: 11,970 of 24,343 ROIs (49.2%) at the 589.46 surprisal cap (p < 1e-256); marked/unmarked SSI means are "
        "dominated by the cap"]
    assert "every ROI" in saturation_warnings(50, 50)[0]
    assert saturation_warnings(1, 50) == []


def test_nan_threshold_is_an_input_error() -> None:
    lon, lat = _points(50, 11)
    with pytest.raises(georbias.GeoBiasInputError, match="threshold must be a finite number"):
        georbias.score(lon, lat, np.ones(50), threshold=float("nan"))
