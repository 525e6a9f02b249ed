"""Result files: metrics equal closed forms, the geo-bias value rule, hashing, safe atomic writes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import georbias
from locbench.errors import InputError, ValidationError
from locbench.ids import id_problems
from locbench.predictions import canonical_rows
from locbench.results import Result, build_result, predictions_sha256, read_result, write_result
from test_probes_fixtures import synthetic_spec


# Real (unregistered) specs, so these tests need no registry data.
CLS = synthetic_spec("toy-cls", task_type="classification", primary_metric="top1", num_classes=None, version="1")
REG = synthetic_spec("toy-reg", task_type="regression", primary_metric="mae", targets=("y",), num_classes=None,
                     version="1")


def cls_frame(n: int = 120, seed: int = 0, n_unlocated: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rank = rng.integers(1, 6, n)
    y_true = rng.integers(0, 4, n).astype(str)
    hit = rank == 1
    lon, lat = rng.uniform(-20, 20, n), rng.uniform(-10, 30, n)
    lon[:n_unlocated] = np.nan
    lat[:n_unlocated] = np.nan
    return pd.DataFrame({"sample_id": [f"s{i}" for i in range(n)], "lon": lon, "lat": lat, "y_true": y_true,
                         "y_pred": np.where(hit, y_true, "9"), "true_class_prob": rng.uniform(0, 1, n),
                         "reciprocal_rank": 1.0 / rank, "hit@1": hit.astype(float), "hit@3": (rank <= 3).astype(float)})


def reg_frame(n: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 1, n)
    return pd.DataFrame({"sample_id": np.arange(n).astype(str), "lon": rng.uniform(-50, 50, n),
                         "lat": rng.uniform(-40, 40, n), "y_true": y, "y_pred": y + rng.normal(0, 0.5, n)})


def test_classification_metrics_and_counts() -> None:
    from sklearn.metrics import f1_score

    df = cls_frame()
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=df, seed=3, compute_geobias_scores=False)
    assert r.metrics["top1"] == pytest.approx(100 * df["hit@1"].mean(), abs=1e-12)
    assert r.metrics["top3"] == pytest.approx(100 * df["hit@3"].mean(), abs=1e-12)
    assert r.metrics["mrr"] == pytest.approx(df["reciprocal_rank"].mean(), abs=1e-12)
    assert r.metrics["macro_f1"] == pytest.approx(f1_score(df.y_true, df.y_pred, average="macro"), abs=1e-12)
    assert (r.n_rows, r.n_located, r.n_unlocated) == (120, 113, 7)
    assert r.primary_metric == "top1" and r.primary_value == r.metrics["top1"] and r.higher_is_better
    assert r.split == "test" and r.seed == 3 and r.dataset_version == "1"
    assert r.versions["locbench"] and r.versions["georbias"] == georbias.__version__
    assert r.verified_against_data is True


def test_regression_metrics_equal_sklearn() -> None:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    df = reg_frame()
    r = build_result(model_id="m-1", spec=REG, split="test", predictions=df, compute_geobias_scores=False)
    assert r.metrics["r2"] == pytest.approx(r2_score(df.y_true, df.y_pred), abs=1e-12)
    assert r.metrics["mae"] == pytest.approx(mean_absolute_error(df.y_true, df.y_pred), abs=1e-12)
    assert r.metrics["rmse"] == pytest.approx(np.sqrt(mean_squared_error(df.y_true, df.y_pred)), abs=1e-12)
    assert r.primary_metric == "mae" and r.higher_is_better is False


def test_unknown_labels_skip_macro_f1() -> None:
    df = cls_frame().assign(y_true="unknown")
    df["y_pred"] = np.where(df["hit@1"] == 1, "unknown", "other")
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=df, compute_geobias_scores=False)
    assert np.isnan(r.metrics["macro_f1"]) and r.metric_notes


def test_content_hash_is_format_independent_and_sensitive() -> None:
    df = cls_frame()
    h = predictions_sha256(df)
    assert h == predictions_sha256(df.copy())
    as_int = df.assign(**{"hit@1": df["hit@1"].astype(int)})
    assert predictions_sha256(as_int) == h  # 1 and 1.0 are the same value
    changed = df.copy()
    changed.loc[50, "true_class_prob"] += 1e-9
    assert predictions_sha256(changed) != h
    assert predictions_sha256(df[list(reversed(df.columns))]) != h  # column order is content


def test_invalid_predictions_are_rejected() -> None:
    df = cls_frame()
    df.loc[3, "hit@1"] = 1.0 - df.loc[3, "hit@1"]
    with pytest.raises(ValidationError):
        build_result(model_id="m-1", spec=CLS, split=None, predictions=df, compute_geobias_scores=False)


class _Report:
    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        self.params = {"radius": 0.05}
        self.counts = {"n_input": 0}
        self.engine_version = "fake"
        self.per_roi = pd.DataFrame()  # no per-sample LISA: the map layers then carry no hot/cold spots

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "per_roi": [1, 2, 3]}


def test_geobias_value_rule_classification(monkeypatch: pytest.MonkeyPatch) -> None:
    """hit@1 of the located rows only (in sample_id order), higher is better, no threshold."""
    calls = []

    def fake(lon, lat, values, **kw):  # type: ignore[no-untyped-def]
        calls.append((np.asarray(lon), np.asarray(lat), np.asarray(values), kw))
        return _Report({"marked_ssi": 1.5, "morans_i": 0.1})

    monkeypatch.setattr(georbias, "score", fake)
    df = cls_frame()
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=df)
    [(lon, lat, values, kw)] = calls
    df = canonical_rows(df)
    located = df.lon.notna().to_numpy()
    np.testing.assert_array_equal(values, df["hit@1"].to_numpy()[located])
    np.testing.assert_array_equal(lon, df.lon.to_numpy()[located])
    assert kw["lower_is_better"] is False and kw.get("threshold") is None and kw["seed"] == 0
    gb = r.geobias
    assert gb["status"] == "ok" and gb["value_name"] == "hit@1" and gb["n_unlocated_excluded"] == 7
    assert gb["summary"] == {"marked_ssi": 1.5, "morans_i": 0.1}
    assert "per_roi" not in gb["detail"]["all"]  # per-sample arrays stay out of result files


def test_geobias_value_rule_regression(monkeypatch: pytest.MonkeyPatch) -> None:
    """SSI/SRI on |error| thresholded at the median (lower is better); autocorrelation on raw |error|."""
    calls = []

    def fake(lon, lat, values, **kw):  # type: ignore[no-untyped-def]
        calls.append((np.asarray(values), kw))
        return _Report({"marked_ssi": 2.0, "morans_i": 0.3} if "ssi" in kw["scores"] else
                       {"marked_ssi": 99.0, "morans_i": 0.7, "gearys_c": 0.9})

    monkeypatch.setattr(georbias, "score", fake)
    df = reg_frame()
    r = build_result(model_id="m-1", spec=REG, split=None, predictions=df)
    df = canonical_rows(df)  # scored in sample_id order
    err = np.abs(df.y_true - df.y_pred).to_numpy()
    (v1, kw1), (v2, kw2) = calls
    np.testing.assert_allclose(v1, err)
    np.testing.assert_allclose(v2, err)
    assert set(kw1["scores"]) == {"ssi", "sri"} and kw1["threshold"] == pytest.approx(np.median(err))
    assert kw1["lower_is_better"] is True
    assert kw2["scores"] == ("autocorr",) and kw2.get("threshold") is None
    assert r.geobias["summary"] == {"marked_ssi": 2.0, "morans_i": 0.7, "gearys_c": 0.9}


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_scoring_is_invariant_to_row_order(task: str) -> None:
    """A shuffled file gives the same numbers to the last bit: metrics, geo-bias (LISA permutations and the
    reference preset's SSI on tied rows included), map layers, regions and bootstrap; only the content hash
    (of the rows as given) differs. Most rows share a location with others, as on real files."""
    df = cls_frame() if task == "classification" else reg_frame()
    located = df["lon"].notna().to_numpy()
    sites = df.loc[located, ["lon", "lat"]].to_numpy()[:20]
    df.loc[located, ["lon", "lat"]] = sites[np.arange(located.sum()) % 20]  # ~6 rows on each of 20 sites
    spec = CLS if task == "classification" else REG
    shuffled = df.iloc[np.random.default_rng(11).permutation(len(df))].reset_index(drop=True)
    a, b = (build_result(model_id="m-1", spec=spec, split=None, predictions=f, geobias_kwargs={"permutations": 19})
            for f in (df, shuffled))
    assert a.geobias["status"] == "ok"
    for block in ("metrics", "geobias", "bootstrap", "regions"):
        assert json.dumps(getattr(a, block), sort_keys=True) == json.dumps(getattr(b, block), sort_keys=True), block
    assert a.map_layers == b.map_layers and a.map_layers is not None
    assert a.predictions_sha256 != b.predictions_sha256


def test_real_engine_small_input() -> None:
    """Integration with the real georbias engine on 120 points: the contract keys come back."""
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(),
                     geobias_kwargs={"permutations": 9})
    gb = r.geobias
    assert gb["status"] == "ok", gb
    for key in ("unmarked_ssi", "marked_ssi", "sri_distance_lag", "morans_i"):
        assert key in gb["summary"]
    assert gb["params"]["all"]["permutations"] == 9  # our setting is recorded with every parameter
    assert gb["n_located"] == 113 and gb["engine_version"]
    json.dumps(gb, allow_nan=True)  # JSON-safe


def test_write_and_read_roundtrip(tmp_path: Path) -> None:
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), compute_geobias_scores=False)
    path = write_result(tmp_path, r)
    assert path == tmp_path / "results" / "m-1" / "toy-cls.json"
    back = read_result(path)
    assert back.metrics["top1"] == r.metrics["top1"] and back.predictions_sha256 == r.predictions_sha256
    assert [p.name for p in path.parent.iterdir()] == ["toy-cls.json"]  # no temp files left


def test_text_that_looks_like_a_number_list_is_written_verbatim(tmp_path: Path) -> None:
    """Number lists are inlined by structure, never by pattern: a card text '[-1,1]' stays as it is,
    so the sealed hash matches the file (the rff card once failed the build this way)."""
    from locbench import integrity

    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), compute_geobias_scores=False)
    r = dataclasses.replace(r, run={"note": "x scaled to [-1,1] by extent", "cells": [1, 2.5, None, -3e-05]})
    path = write_result(tmp_path, r)
    text = path.read_text(encoding="utf-8")
    assert '"x scaled to [-1,1] by extent"' in text and '"cells": [1, 2.5, null, -3e-05]' in text
    data = json.loads(text)
    body = {k: v for k, v in data.items() if k != "integrity"}
    assert integrity.content_sha256(body) == data["integrity"]["content_sha256"]
    assert read_result(path).to_json() == text


@pytest.mark.parametrize("bad", ["../escape", "a/b", "a\\b", "..", "", "x" * 81, "bell\x07", ".hidden", "sp ace"])
def test_unsafe_model_ids_are_refused(bad: str, tmp_path: Path) -> None:
    assert id_problems(bad)
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), compute_geobias_scores=False)
    with pytest.raises(InputError):
        write_result(tmp_path, dataclasses.replace(r, model_id=bad))
    assert not (tmp_path / "escape").exists() and not (tmp_path / "results").exists()


def test_read_result_checks_location(tmp_path: Path) -> None:
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), compute_geobias_scores=False)
    wrong = tmp_path / "results" / "other" / "toy-cls.json"
    wrong.parent.mkdir(parents=True)
    wrong.write_text(r.to_json())
    with pytest.raises(InputError, match="stored under"):
        read_result(wrong)


def test_result_json_roundtrip_and_v1_migration(tmp_path: Path) -> None:
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), compute_geobias_scores=False)
    back = Result.from_json(json.loads(r.to_json()))
    assert back.to_json() == r.to_json() and back.schema == "locbench.result/2"
    v1 = {k: v for k, v in json.loads(r.to_json()).items() if k != "comparability"} | {"schema": "locbench.result/1"}
    old = Result.from_json(v1)
    assert old.schema == "locbench.result/2" and old.comparability is None and old.ranked  # verified -> ranked
    assert not Result.from_json(v1 | {"verified_against_data": False}).ranked


@pytest.mark.parametrize("change, column", [({"schema": "locbench.result/9"}, "schema"), ({"extra_field": 1}, "extra_field"),
                                            ({"n_rows": "12"}, "n_rows"), ({"higher_is_better": 1}, "higher_is_better")])
def test_result_from_json_refuses_bad_files(change: dict, column: str) -> None:
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), compute_geobias_scores=False)
    with pytest.raises(InputError) as err:
        Result.from_json(json.loads(r.to_json()) | change)
    assert err.value.problems[0].column == column


def test_comparability_rule() -> None:
    """Full published set: ranked; partial: refused; size unknown and not verified: unranked with the reason."""
    known = dataclasses.replace(CLS, n_eval_rows=120)
    assert build_result(model_id="m-1", spec=known, split=None, predictions=cls_frame(), verified=False,
                        compute_geobias_scores=False).comparability.ranked
    with pytest.raises(InputError, match="partial evaluation set"):
        build_result(model_id="m-1", spec=known, split=None, predictions=cls_frame(n=60), verified=False,
                     compute_geobias_scores=False)
    r = build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(), verified=False,
                     compute_geobias_scores=False)
    assert not r.ranked and "not published" in r.comparability.unranked_reason


def test_geobias_warnings_are_recorded_not_emitted() -> None:
    """An all-correct model: the engine's 'constant values' warning lands in the result, not on stderr per file,
    and the importers say it once per dataset with a count."""
    import warnings

    from locbench.importers.common import geobias_warning_lines

    df = cls_frame()
    df["y_pred"], df["hit@1"], df["hit@3"], df["reciprocal_rank"] = df["y_true"], 1.0, 1.0, 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any Python warning fails the test
        a = build_result(model_id="m-1", spec=CLS, split=None, predictions=df, geobias_kwargs={"permutations": 9})
        b = build_result(model_id="m-2", spec=CLS, split=None, predictions=df, geobias_kwargs={"permutations": 9})
    assert a.geobias["status"] == "ok" and any("constant" in w for w in a.geobias_warnings)
    assert len(set(a.geobias_warnings)) == len(a.geobias_warnings)  # each once
    lines = geobias_warning_lines([a, b])
    assert len(lines) == len(a.geobias_warnings) and all(line.endswith("(2 results)") for line in lines)
    assert lines[0].startswith(f"{CLS.name}: ")
    assert build_result(model_id="m-1", spec=CLS, split=None, predictions=cls_frame(),
                        geobias_kwargs={"permutations": 9}).geobias_warnings == ()
