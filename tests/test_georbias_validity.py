"""Validity suite V1-V5 for the headline geo-bias score, on small seeded subsets of real locations.

The full suite with printed tables is benchmarks/geobias_validity.py. Project data (embedded
GeoNames cities, embedded land/sea) always runs; iNat2018 locations and the 16 TorchSpatial models
need ../shared (the `shared_dir` fixture skips otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import georbias
from georbias.headline import headline_score
from georbias.validity import (concentrated_errors, densest_cell, nearest_label, null_band, spearman,
                               uniform_errors)

EUROPE = 3
SUBSET = 6000
TS = "reference/torchspatial/classification"


def _value(lon: np.ndarray, lat: np.ndarray, hit: np.ndarray) -> float:
    return headline_score(lon, lat, hit).value


@pytest.fixture(scope="module")
def cities() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from locbench.datasets import load_split

    c = load_split("embedded-cities-continent", "all")
    idx = np.sort(np.random.default_rng(0).choice(len(c.lon), SUBSET, replace=False))
    return c.lon[idx], c.lat[idx], c.labels[idx]


@pytest.fixture(scope="module")
def inat(shared_dir, cities) -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(shared_dir / TS / "eval_inat_2018__val_rbf.csv.gz")
    ok = np.isfinite(df["lon"]) & np.isfinite(df["lat"])
    lon, lat = df["lon"].to_numpy()[ok], df["lat"].to_numpy()[ok]
    idx = np.sort(np.random.default_rng(1).choice(len(lon), SUBSET, replace=False))
    return lon[idx], lat[idx]


def _v1(lon: np.ndarray, lat: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    hit = uniform_errors(len(lon), 0.3, rng)
    perm = rng.permutation(len(lon))
    assert headline_score(lon, lat, hit) == headline_score(lon[perm], lat[perm], hit[perm])


def test_v1_row_order_bit_identical_cities(cities) -> None:
    _v1(cities[0], cities[1])


def test_v1_row_order_bit_identical_inat(inat) -> None:
    lon, lat = inat
    assert len(np.unique(np.c_[lon, lat], axis=0)) < len(lon)  # real duplicate locations are in play
    _v1(lon, lat)


def test_v2_rate_invariance_inside_the_permutation_band(cities) -> None:
    lon, lat, _ = cities
    rng = np.random.default_rng(3)
    draws, bands = [], []
    for rate in (0.1, 0.3, 0.5, 0.7):
        hit = uniform_errors(len(lon), rate, rng)
        draws.append(_value(lon, lat, hit))
        bands.append(null_band(_value, lon, lat, hit, 12, rng))
    no_structure = -1.0 / (len(lon) - 1)
    for band in bands:
        assert band.sd > 0
        assert all(band.contains(x) for x in [*draws, no_structure]), (band, draws)


def _v3(lon: np.ndarray, lat: np.ndarray, region: np.ndarray, band_high: float) -> None:
    rng = np.random.default_rng(4)
    vals = [_value(lon, lat, concentrated_errors(region, 0.3, c, rng)) for c in (0.0, 0.5, 1.0)]
    assert vals[0] < vals[1] < vals[2], vals
    assert vals[1] > band_high and vals[2] > 5 * band_high, (vals, band_high)


def test_v3_concentrated_errors_score_higher_and_grow(cities) -> None:
    lon, lat, continent = cities
    rng = np.random.default_rng(5)
    band = null_band(_value, lon, lat, uniform_errors(len(lon), 0.3, rng), 12, rng)
    _v3(lon, lat, continent == EUROPE, band.high)
    _v3(lon, lat, densest_cell(lon, lat)[0], band.high)


def test_v3_on_inat_locations(inat, cities) -> None:
    lon, lat = inat
    rng = np.random.default_rng(6)
    band = null_band(_value, lon, lat, uniform_errors(len(lon), 0.3, rng), 12, rng)
    _v3(lon, lat, nearest_label(lon, lat, *cities) == EUROPE, band.high)
    _v3(lon, lat, densest_cell(lon, lat)[0], band.high)


def test_v5_no_prior_on_land_sea_is_strongly_biased() -> None:
    from locbench.datasets import load_split

    ls = load_split("embedded-land-sea", "test")
    hit = (ls.labels == np.bincount(ls.labels).argmax()).astype(float)
    h = headline_score(ls.lon, ls.lat, hit)
    assert h.significant and h.z > 10 and h.value > 0.5


@pytest.mark.slow
def test_v4_headline_is_less_confounded_with_accuracy_than_marked_ssi(shared_dir) -> None:
    """BirdSnap† (2,262 samples, 16 models): marked SSI re-encodes top-1, the headline does not."""
    d = shared_dir / TS
    base = pd.read_csv(d / "eval_birdsnap_ebird_meta_test_rbf.csv.gz")
    lon, lat = base["lon"].to_numpy(), base["lat"].to_numpy()
    ok = np.isfinite(lon) & np.isfinite(lat)
    top1, head, ssi = [], [], []
    for path in sorted(d.glob("eval_birdsnap_ebird_meta_test_*.csv.gz")):
        hit = pd.read_csv(path)["hit@1"].to_numpy(float)
        top1.append(hit.mean())
        head.append(_value(lon[ok], lat[ok], hit[ok]))
        ssi.append(georbias.score(lon, lat, hit, scores="ssi").summary["marked_ssi"])
    assert len(top1) == 16
    assert spearman(ssi, top1) > 0.9
    assert abs(spearman(head, top1)) < 0.5
