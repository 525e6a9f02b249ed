"""Many value columns, one geometry: a second `georbias.score` on the same coordinates reuses the
neighbour graphs (ROI members, per-ROI k-NN graph summaries, SRI pairs and partition keys) and gives
the same numbers, bit for bit, as a call that builds them afresh; other settings or points miss."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import georbias
from georbias import geometry_cache
from georbias.geometry_cache import CACHE, GeometryCache, Keeper, geometry_key


def _points(n: int = 900, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = np.concatenate([rng.normal(10, 1.0, n // 2), rng.uniform(-20, 40, n - n // 2)])
    lat = np.concatenate([rng.normal(45, 0.8, n // 2), rng.uniform(30, 60, n - n // 2)])
    lon[:30] = lon[30:60]   # exact duplicates: the tie rules must see the same graph on reuse
    lat[:30] = lat[30:60]
    return lon, lat


def _score(lon: np.ndarray, lat: np.ndarray, v: np.ndarray, **kw) -> georbias.GeoBiasReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return georbias.score(lon, lat, v, permutations=19, **kw)


def _same(a: georbias.GeoBiasReport, b: georbias.GeoBiasReport) -> None:
    assert a.summary.keys() == b.summary.keys()
    for k in a.summary:
        x, y = a.summary[k], b.summary[k]
        assert x == y or (x != x and y != y), (k, x, y)
    pd.testing.assert_frame_equal(a.per_roi, b.per_roi, check_exact=True)


@pytest.fixture
def cache_budget():
    old = CACHE.budget
    CACHE.clear()
    with georbias.shared_geometry():
        yield
    CACHE.budget = old
    assert CACHE.used == 0 and not CACHE.enabled   # freed and off again after the block


@pytest.mark.parametrize("preset", ["torchspatial", "locbench"])
def test_reused_geometry_gives_identical_reports(cache_budget, preset: str) -> None:
    lon, lat = _points()
    rng = np.random.default_rng(7)
    cols = [(rng.random(len(lon)) < p).astype(float) for p in (0.3, 0.6, 0.8)]
    CACHE.budget = 0                      # every call builds its own graphs
    fresh = [_score(lon, lat, v, preset=preset) for v in cols]
    CACHE.budget = 512 * 2**20
    hits = CACHE.hits
    shared = [_score(lon, lat, v, preset=preset) for v in cols]
    assert CACHE.used > 0
    if preset == "torchspatial":          # locbench orders rows by value too, so each column is its own geometry
        assert CACHE.hits - hits == 2 * (len(cols) - 1)   # SSI and SRI of columns 2 and 3
    for a, b in zip(fresh, shared):
        _same(a, b)


def test_other_settings_or_points_miss(cache_budget) -> None:
    lon, lat = _points()
    v = (np.random.default_rng(3).random(len(lon)) < 0.5).astype(float)
    CACHE.budget = 512 * 2**20
    _score(lon, lat, v, scores="ssi")
    hits = CACHE.hits
    _score(lon, lat, v, scores="ssi", roi_k=50)
    _score(lon + 1e-9, lat, v, scores="ssi")
    assert CACHE.hits == hits
    CACHE.budget = 0
    _same(_score(lon, lat, v, scores="ssi", roi_k=50), _score(lon, lat, v, scores="ssi", roi_k=50))


def test_off_outside_shared_geometry() -> None:
    lon, lat = _points(300)
    v = (np.random.default_rng(4).random(len(lon)) < 0.5).astype(float)
    _score(lon, lat, v, scores="ssi")
    assert not CACHE.enabled and CACHE.used == 0


def test_key_cache_and_keeper_rules() -> None:
    a = np.arange(6.0)
    assert geometry_key("ssi", (a, a), r=1) == geometry_key("ssi", (a.copy(), a.copy()), r=1)
    assert geometry_key("ssi", (a, a), r=1) != geometry_key("ssi", (a, a), r=2)
    assert geometry_key("ssi", (a, a), r=1).split(":")[0] == geometry_key("sri", (a, a), r=9).split(":")[0]
    c = GeometryCache(1000)
    c.enabled = True
    c.put(geometry_key("ssi", (a,)), np.zeros(50))          # 400 bytes
    c.put(geometry_key("sri", (a,)), np.zeros(50))
    assert c.used == 800
    c.put(geometry_key("big", (a,)), np.zeros(200))         # larger than the budget: not kept
    assert c.used == 800
    assert c.room_for(geometry_key("ssi", (a + 1,))) == 1000   # a new point set evicts the old one
    k = Keeper(10, 1000)                                   # projected from the chunks seen: gives up early
    for i in range(4):
        k.keep(i, np.zeros(20))                            # 160 bytes each -> 1,600 projected for 10 chunks
    assert k.items is None
    k2 = Keeper(3, 0)
    assert k2.items is None
    assert geometry_cache.nbytes({"a": [np.zeros(3)], "b": (np.zeros(2, dtype=np.int32),)}) == 32
