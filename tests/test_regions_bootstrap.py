"""Regional breakdown and bootstrap intervals: grouped metrics equal locbench.metrics, seeded, order-free."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from locbench import bootstrap, metrics, regions
from locbench.groupmetrics import grouped_metric, metric_inputs


def _cls(n: int, seed: int = 0, n_classes: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    hit = rng.random(n) < 0.6
    pred = np.where(hit, y, (y + rng.integers(1, n_classes, n)) % n_classes)
    rank = np.where(hit, 1, rng.integers(2, 6, n))
    return pd.DataFrame({"sample_id": [f"s{i:05d}" for i in range(n)], "lon": rng.uniform(-10, 30, n),
                         "lat": rng.uniform(36, 60, n), "y_true": y.astype(str), "y_pred": pred.astype(str),
                         "true_class_prob": rng.random(n), "reciprocal_rank": 1.0 / rank,
                         "hit@1": hit.astype(float), "hit@3": (rank <= 3).astype(float)})


def _reg(n: int, seed: int = 0, targets: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"sample_id": [f"r{i}" for i in range(n)], "lon": rng.uniform(-120, -70, n),
                       "lat": rng.uniform(25, 49, n)})
    for t in targets or ("",):
        suffix = f":{t}" if t else ""
        y = rng.normal(1e4, 30, n)  # a large offset: SS_tot must not cancel
        df[f"y_true{suffix}"] = y
        df[f"y_pred{suffix}"] = y + rng.normal(0, 15, n)
    return df


@pytest.mark.parametrize("metric", ["top1", "top3", "mrr", "macro_f1"])
def test_grouped_classification_metric_equals_metrics_module(metric: str) -> None:
    df = _cls(600)
    inp = metric_inputs(df, metric)
    groups = np.arange(600) % 3
    got = grouped_metric(inp, np.arange(600), groups, 4)
    for g in range(3):
        want = metrics.classification_metrics(df[groups == g])[metric]
        assert got[g] == pytest.approx(want, rel=1e-12)
    assert np.isnan(got[3])  # empty group


@pytest.mark.parametrize("metric", ["r2", "mae", "rmse"])
@pytest.mark.parametrize("targets", [(), ("a", "b")])
def test_grouped_regression_metric_equals_metrics_module(metric: str, targets: tuple[str, ...]) -> None:
    df = _reg(500, targets=targets)
    inp = metric_inputs(df, metric, targets or None)
    groups = (np.arange(500) * 7) % 2
    got = grouped_metric(inp, np.arange(500), groups, 2)
    for g in range(2):
        want = metrics.regression_metrics(df[groups == g].reset_index(drop=True), targets or None)[metric]
        assert got[g] == pytest.approx(want, rel=1e-9)


def test_grouped_metric_counts_repeated_rows() -> None:
    df = _cls(50)
    inp = metric_inputs(df, "top1")
    rows = np.array([0, 0, 0, 1])
    want = 100 * np.mean(df["hit@1"].to_numpy()[rows])
    assert grouped_metric(inp, rows, np.zeros(4, dtype=np.int64), 1)[0] == pytest.approx(want)


def test_countries_and_continents_of_known_places() -> None:
    # Paris, Nairobi, Lima, Tokyo, Sydney, mid-Pacific
    lon = np.array([2.35, 36.82, -77.04, 139.69, 151.21, -150.0])
    lat = np.array([48.86, -1.29, -12.05, 35.68, -33.87, 0.0])
    world, _ = regions.country_table()
    idx = regions.assign_countries(lon, lat)
    assert [world["iso_a3"][i] for i in idx[:5]] == ["FRA", "KEN", "PER", "JPN", "AUS"]
    assert idx[5] == -1


def test_region_breakdown_values_counts_and_worst() -> None:
    df = _cls(900)
    df.loc[df["lon"] > 20, "hit@1"] = 0.0  # east of 20°E fails
    rb = regions.region_breakdown(df, "top1", min_count=20)
    assert sum(r.n for r in rb.countries) + rb.n_unassigned == rb.n_located == 900
    assert sum(r.n for r in rb.continents) == sum(r.n for r in rb.countries)
    by = {r.code: r for r in rb.countries}
    world, _ = regions.country_table()
    fra = regions.assign_countries(df["lon"].to_numpy(), df["lat"].to_numpy())
    sel = np.array([world["iso_a3"][i] == "FRA" if i >= 0 else False for i in fra])
    assert by["FRA"].value == pytest.approx(100 * df.loc[sel, "hit@1"].mean()) and by["FRA"].n == sel.sum()
    worst = rb.worst(higher_is_better=True, n=3)
    assert all(not r.few for r in worst) and worst[0].value <= worst[-1].value
    assert {"POL", "ROU", "UKR", "BLR", "GRC", "BGR", "LTU"} & {r.code for r in worst if r.value == 0.0}
    assert regions.RegionBreakdown.from_dict(rb.to_dict()) == rb
    assert "Natural Earth" in rb.source and "public domain" in rb.licence


def test_region_breakdown_is_row_order_free() -> None:
    df = _cls(400, seed=3)
    a = regions.region_breakdown(df, "macro_f1").to_dict()
    b = regions.region_breakdown(df.sample(frac=1.0, random_state=1).reset_index(drop=True), "macro_f1").to_dict()
    assert a == b


def test_bootstrap_seeded_order_free_and_covering() -> None:
    df = _cls(3000, seed=5)
    ci = bootstrap.bootstrap_ci(df, "top1", seed=7)
    assert ci.n_resamples == 1000 and ci.level == 0.95 and ci.seed == 7
    shuffled = df.sample(frac=1.0, random_state=2).reset_index(drop=True)
    assert bootstrap.bootstrap_ci(shuffled, "top1", seed=7) == ci
    assert bootstrap.bootstrap_ci(df, "top1", seed=8) != ci
    p = df["hit@1"].mean()
    half = 1.96 * 100 * np.sqrt(p * (1 - p) / len(df))  # normal approximation of the binomial interval
    assert ci.low < 100 * p < ci.high
    assert (ci.high - ci.low) / 2 == pytest.approx(half, rel=0.1)


def test_bootstrap_regression_and_ties() -> None:
    ci = bootstrap.bootstrap_ci(_reg(800), "r2", n_resamples=200)
    full = metrics.regression_metrics(_reg(800))["r2"]
    assert ci.low < full < ci.high
    a = bootstrap.BootstrapCI("top1", 1000, 0, 0.95, 70.0, 72.0)
    b = bootstrap.BootstrapCI("top1", 1000, 0, 0.95, 71.5, 73.0)
    c = bootstrap.BootstrapCI("top1", 1000, 0, 0.95, 60.0, 69.9)
    assert bootstrap.tied_with_leader({"a": a, "b": b, "c": c, "d": None}, "b") == {"a", "b"}
    assert bootstrap.tied_with_leader({"a": a}, "zzz") == set()
