"""Fixture tests of the three GAIR segmentation layouts, on fake data in the published on-disk formats."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasterio")

from locbench.datasets import load_split  # noqa: E402
from locbench.datasets.fake_segmentation import (  # noqa: E402
    write_ai4smallfarms, write_croptype_south_sudan, write_hls_burn_scars, write_tif)
from locbench.errors import DataMissingError, InputError  # noqa: E402


def _hls(tmp_path, **kw):
    write_hls_burn_scars(tmp_path / "gair" / "hls-burn-scars", size=32, **kw)
    return tmp_path / "gair" / "hls-burn-scars"


def _load_hls(tmp_path, split):
    """The registered layout with 32 px chips (the published 512 px is checked on its own below)."""
    import dataclasses

    from locbench.datasets.hls_burn_scars import HlsBurnScarsTiff
    from locbench.datasets.registry import get_dataset

    spec = dataclasses.replace(get_dataset("gair-hls-burn-scars"), loader=HlsBurnScarsTiff(size=(32, 32)))
    return spec.loader.load(spec, split, tmp_path, None)


def test_hls_chip_centroid_and_footprint_from_utm_georeference(tmp_path):
    import rasterio.warp

    root = _hls(tmp_path)
    split = _load_hls(tmp_path, "test")
    assert split.masks.shape == (3, 32, 32) and split.masks.dtype == np.int64
    assert set(np.unique(split.masks)) <= {-1, 0, 1} and split.located.all()
    first = sorted((root / "validation").glob("*_merged.tif"))[0]
    assert split.sample_ids[0] == first.name[: -len("_merged.tif")]
    # chip 0: EPSG:32610, upper-left (600000, 4300000), 32 px of 30 m -> centre (600480, 4299520)
    lon, lat = rasterio.warp.transform("EPSG:32610", "EPSG:4326", [600480.0], [4299520.0])
    assert split.lon[0] == pytest.approx(lon[0], abs=1e-9) and split.lat[0] == pytest.approx(lat[0], abs=1e-9)
    b = split.chip_bounds[0]
    assert b[0] < split.lon[0] < b[2] and b[1] < split.lat[0] < b[3]
    assert -123.0 < lon[0] < -121.0 and 38.0 < lat[0] < 39.5  # UTM zone 10 N, northern California


def test_hls_missing_mask_names_the_chip(tmp_path):
    root = _hls(tmp_path)
    mask = sorted((root / "training").glob("*_mask.tif"))[1]
    mask.unlink()
    with pytest.raises(DataMissingError, match="mask .* missing") as exc:
        _load_hls(tmp_path, "train")
    assert mask.name.replace("_mask.tif", "_merged.tif") in str(exc.value)


def test_hls_wrong_crs_names_the_file(tmp_path):
    root = _hls(tmp_path)
    image = sorted((root / "validation").glob("*_merged.tif"))[0]
    write_tif(image, np.zeros((6, 32, 32), np.float32), 4326, -122.0, 38.0, 0.0003)  # geographic, not UTM
    with pytest.raises(InputError, match="not a WGS 84 / UTM zone") as exc:
        _load_hls(tmp_path, "test")
    assert image.name in str(exc.value)


def test_hls_size_mismatch_names_the_mask(tmp_path):
    root = _hls(tmp_path)
    mask = sorted((root / "validation").glob("*_mask.tif"))[2]
    write_tif(mask, np.zeros((1, 16, 16), np.int16), 32613, 500000.0, 4000000.0, 30.0)
    with pytest.raises(InputError, match="mask is 16x16") as exc:
        _load_hls(tmp_path, "test")
    assert mask.name in str(exc.value)


def test_hls_published_chip_size_is_enforced(tmp_path):
    write_hls_burn_scars(tmp_path / "gair" / "hls-burn-scars", size=32)
    from locbench.datasets.hls_burn_scars import HlsBurnScarsTiff
    from locbench.datasets.registry import get_dataset

    spec = get_dataset("gair-hls-burn-scars")
    with pytest.raises(InputError, match="published layout's chips are 512x512"):
        HlsBurnScarsTiff().load(spec, "test", tmp_path, None)


def test_ai4smallfarms_masks_255_to_class_1_and_val_reads_validate(tmp_path):
    write_ai4smallfarms(tmp_path / "gair" / "ai4smallfarms", size=16, seed=3)
    val = load_split("gair-ai4smallfarms", "val", tmp_path)
    assert val.masks.shape == (3, 16, 16) and set(np.unique(val.masks)) == {0, 1}
    assert val.located.all() and (val.lon > 100).all() and (val.lat > 5).all() and (val.lat < 20).all()
    import rasterio

    with rasterio.open(val.meta["mask_path"][0]) as src:
        np.testing.assert_array_equal(val.masks[0], (src.read(1) == 255).astype(np.int64))


def test_ai4smallfarms_mask_crs_differs_names_the_mask(tmp_path):
    root = write_ai4smallfarms(tmp_path / "gair" / "ai4smallfarms", size=16)
    mask = sorted((root / "sentinel-2-asia" / "test" / "masks").glob("*.tif"))[0]
    write_tif(mask, np.zeros((1, 16, 16), np.uint8), 32649, 600000.0, 1200000.0, 10.0)
    with pytest.raises(InputError, match="mask CRS EPSG:32649 differs") as exc:
        load_split("gair-ai4smallfarms", "test", tmp_path)
    assert mask.name in str(exc.value)


def test_ai4smallfarms_missing_mask(tmp_path):
    root = write_ai4smallfarms(tmp_path / "gair" / "ai4smallfarms", size=16)
    (root / "sentinel-2-asia" / "train" / "masks" / "train_tile_001.tif").unlink()
    with pytest.raises(DataMissingError, match="train_tile_001.tif"):
        load_split("gair-ai4smallfarms", "train", tmp_path)


def test_croptype_codes_map_to_four_classes_and_chips_are_unlocated(tmp_path):
    root = write_croptype_south_sudan(tmp_path / "gair" / "crop-type-south-sudan", size=64, seed=1)
    split = load_split("gair-crop-type-south-sudan", "test", tmp_path)
    assert list(split.sample_ids) == ["001014", "001035", "001056"]  # partition 2 rows, ids 1000 + 7k
    truth = np.load(root / "southsudan" / "truth" / "southsudan_001014.npz")["truth"]
    expected = np.where((truth >= 1) & (truth <= 4), truth - 1, -1)
    np.testing.assert_array_equal(split.masks[0], expected)
    assert not split.located.any() and np.isnan(split.chip_bounds).all()


def test_croptype_size_mismatch_and_missing_truth(tmp_path):
    root = write_croptype_south_sudan(tmp_path / "gair" / "crop-type-south-sudan", size=64)
    s2 = root / "southsudan" / "npy" / "southsudan_001000.npz"
    np.savez(s2, s1=np.zeros((3, 64, 64, 2)), s2=np.zeros((10, 32, 32, 2)))
    with pytest.raises(InputError, match="s2 stack has shape") as exc:
        load_split("gair-crop-type-south-sudan", "train", tmp_path)
    assert s2.name in str(exc.value)
    (root / "southsudan" / "truth" / "southsudan_001007.npz").unlink()
    with pytest.raises(DataMissingError, match="southsudan_001007.npz"):
        load_split("gair-crop-type-south-sudan", "val", tmp_path)
