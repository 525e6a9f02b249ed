"""Embedded offline datasets: real facts, deterministic splits, holdouts that really hold out, meaningful labels."""

from __future__ import annotations

import time

import numpy as np
import pytest

from locbench.datasets import get_dataset, load_split
from locbench.datasets.holdout import assign, equal_area_block_ids
from locbench.datasets.landmask import is_land
from locbench.errors import InputError

EMBEDDED = ["embedded-cities-continent", "embedded-cities-population", "embedded-land-sea"]


def _all_splits(name, tmp_path, **kw):
    return {s: load_split(name, s, tmp_path, **kw) for s in ("train", "val", "test")}


@pytest.mark.parametrize("name", EMBEDDED)
def test_splits_partition_and_are_deterministic(name, tmp_path):
    spec = get_dataset(name)
    parts = _all_splits(name, tmp_path)
    ids = np.concatenate([p.sample_ids for p in parts.values()])
    assert len(ids) == len(set(ids.tolist()))
    assert 10_000 <= len(ids) <= 100_000
    assert len(parts["test"]) == spec.n_eval_rows
    assert abs(len(parts["train"]) / len(ids) - 0.7) < 0.01
    again = load_split(name, "test", tmp_path)
    np.testing.assert_array_equal(again.sample_ids, parts["test"].sample_ids)
    other = load_split(name, "test", tmp_path, seed=1)
    assert not np.array_equal(other.sample_ids, parts["test"].sample_ids)
    s = parts["test"]
    assert s.located.all() and s.lon.dtype == np.float64
    assert (np.abs(s.lon) <= 180).all() and (np.abs(s.lat) <= 90).all()
    assert (s.labels is not None) == (spec.task_type == "classification")


@pytest.mark.parametrize("name", EMBEDDED)
def test_spatial_block_holdout_shares_no_block(name, tmp_path):
    parts = _all_splits(name, tmp_path, holdout="spatial-block", seed=3)
    blocks = {k: set(equal_area_block_ids(p.lon, p.lat).tolist()) for k, p in parts.items()}
    assert not blocks["train"] & blocks["test"] and not blocks["train"] & blocks["val"] and not blocks["val"] & blocks["test"]
    n = sum(len(p) for p in parts.values())
    assert 0.1 < len(parts["test"]) / n < 0.35


def test_block_grid_is_equal_area_ish():
    lat_centres = np.array([5.0, 45.0, 85.0])
    ids = equal_area_block_ids(np.zeros(3), lat_centres)
    # 10-degree bands: 36 cells at the equator band, round(360 cos 45 / 10) = 25, round(360 cos 85 / 10) = 3
    lon = np.linspace(-179.99, 179.99, 2001)
    for lat, cells in ((5.0, 36), (45.0, 25), (85.0, 3)):
        assert len(np.unique(equal_area_block_ids(lon, np.full_like(lon, lat)))) == cells
    assert len(set(ids.tolist())) == 3
    with pytest.raises(InputError):
        assign(np.zeros(3), np.zeros(3), holdout="kfold")


def test_cities_known_facts(tmp_path):
    cont = load_split("embedded-cities-continent", "all", tmp_path)
    pop = load_split("embedded-cities-population", "all", tmp_path)
    assert len(cont) == 34006 and len(pop) == 34003
    where = {gid: i for i, gid in enumerate(cont.sample_ids)}
    names = cont.class_names
    # geonameid -> continent: London, New York City, Tokyo, Nairobi, Sydney, Sao Paulo
    for gid, continent in (("2643743", "Europe"), ("5128581", "North America"), ("1850147", "Asia"),
                           ("184745", "Africa"), ("2147714", "Oceania"), ("3448439", "South America")):
        assert names[cont.labels[where[gid]]] == continent
    i = where["2643743"]
    assert abs(cont.lon[i] - (-0.12574)) < 0.01 and abs(cont.lat[i] - 51.50853) < 0.01
    j = int(np.flatnonzero(pop.sample_ids == "2643743")[0])
    assert 6.8 < pop.targets[j, 0] < 7.1 and pop.target_names == ("log10_population",)
    # cities15000 = population > 15,000 or an administrative seat, so a few are small; none is <= 0
    assert pop.targets.min() >= 0 and np.median(pop.targets) > np.log10(15000)


def test_land_sea_labels_known_points_and_cache(tmp_path):
    all_pts = load_split("embedded-land-sea", "all", tmp_path)
    assert len(all_pts) == 40_000 and all_pts.sample_ids[0] == "p00000"
    assert 0.26 < all_pts.labels.mean() < 0.32  # Earth is ~29 % land
    # one pass over the mask: Paris, mid-Pacific, Gulf of Guinea, Moscow, South Atlantic, central Australia,
    # plus every 97th dataset point (must equal the dataset's labels)
    known_lon = np.array([2.35, -150.0, 0.0, 37.62, -30.0, 135.0])
    known_lat = np.array([48.85, 0.0, 0.0, 55.75, -30.0, -25.0])
    sub = np.arange(0, 40_000, 97)
    land = is_land(np.concatenate([known_lon, all_pts.lon[sub]]), np.concatenate([known_lat, all_pts.lat[sub]]))
    np.testing.assert_array_equal(land[:6], [True, False, False, True, False, True])
    np.testing.assert_array_equal(land[6:].astype(int), all_pts.labels[sub])
    with pytest.raises(InputError):
        is_land(np.array([200.0]), np.array([0.0]))


def test_land_sea_disk_cache_is_written_then_reused(tmp_path, monkeypatch):
    from locbench.datasets import embedded, landmask

    fake = np.random.default_rng(0).random(embedded.LANDSEA_N) < 0.3
    monkeypatch.setattr(landmask, "is_land", lambda lon, lat: fake)
    first = embedded._landsea_compute(str(tmp_path))
    assert (tmp_path / "embedded-land-sea-1.0.npz").is_file()

    def boom(*a, **k):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(landmask, "is_land", boom)
    np.testing.assert_array_equal(embedded._landsea_compute(str(tmp_path)), first)
    np.testing.assert_array_equal(first, fake)
    (tmp_path / "embedded-land-sea-1.0.npz").write_bytes(b"broken")
    monkeypatch.setattr(landmask, "is_land", lambda lon, lat: fake)
    np.testing.assert_array_equal(embedded._landsea_compute(str(tmp_path)), fake)  # a broken cache is rebuilt


def test_location_predicts_the_labels(tmp_path):
    from sklearn.metrics import r2_score
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    def xyz(s):
        lo, la = np.radians(s.lon), np.radians(s.lat)
        return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], 1)

    for name, floor in (("embedded-cities-continent", 0.95), ("embedded-land-sea", 0.85)):
        tr, te = load_split(name, "train", tmp_path), load_split(name, "test", tmp_path)
        acc = KNeighborsClassifier(5).fit(xyz(tr), tr.labels).score(xyz(te), te.labels)
        majority = np.bincount(te.labels).max() / len(te)
        assert acc > floor and acc > majority + 0.1, (name, acc, majority)
    tr, te = load_split("embedded-cities-population", "train", tmp_path), load_split("embedded-cities-population", "test", tmp_path)
    pred = KNeighborsRegressor(25).fit(xyz(tr), tr.targets[:, 0]).predict(xyz(te))
    assert r2_score(te.targets[:, 0], pred) > 0.02


def test_warm_load_is_fast(tmp_path):
    load_split("embedded-cities-continent", "test", tmp_path)
    t = time.perf_counter()
    split = load_split("embedded-cities-continent", "train", tmp_path, holdout="spatial-block")
    assert time.perf_counter() - t < 1.0 and len(split) > 20_000
    split.lon[:] = 0.0  # callers get copies: the cache is not modified
    assert load_split("embedded-cities-continent", "train", tmp_path, holdout="spatial-block").lon.std() > 1


def test_unknown_split_or_holdout(tmp_path):
    with pytest.raises(InputError, match="splits train, val, test"):
        load_split("embedded-land-sea", "valid", tmp_path)
    with pytest.raises(InputError, match="unknown holdout"):
        load_split("embedded-cities-continent", "test", tmp_path, holdout="kfold")


@pytest.mark.slow
def test_land_mask_equals_global_land_mask_package():
    from global_land_mask import globe

    rng = np.random.default_rng(0)
    lon = rng.uniform(-180, 180, 3000)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 3000)))
    lon[:4], lat[:4] = [180, -180, 0, 179.999], [90, -90, 0, -89.999]
    np.testing.assert_array_equal(is_land(lon, lat), globe.is_land(lat.copy(), lon.copy()))


def test_golden_ids_and_points_are_stable(tmp_path):
    """Stored results refer to these ids: a change here changes every embedded leaderboard row."""
    pts = load_split("embedded-land-sea", "all", tmp_path)
    assert pts.lon[0] == pytest.approx(105.0556705468777, abs=1e-12)
    assert pts.lat[0] == pytest.approx(66.3430691985944, abs=1e-12)
    assert pts.labels[:10].tolist() == [1, 0, 0, 0, 0, 0, 1, 0, 0, 0] and int(pts.labels.sum()) == 11637
    assert load_split("embedded-cities-continent", "test", tmp_path).sample_ids[:3].tolist() == ["10570", "32767", "32900"]
    assert load_split("embedded-land-sea", "test", tmp_path).sample_ids[:3].tolist() == ["p00002", "p00009", "p00012"]
    block = load_split("embedded-cities-population", "test", tmp_path, holdout="spatial-block")
    assert block.sample_ids[:3].tolist() == ["55671", "56055", "99446"] and len(block) == 7033
