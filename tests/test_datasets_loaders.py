"""Every registered on-disk dataset loads from a seeded fixture in its exact layout, and bad data fails clearly."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_dataset_fixtures import corrupt, corruptions_for, region_boxes, write_fixture  # noqa: E402

from locbench.datasets import list_datasets, load_split  # noqa: E402
from locbench.errors import DataMissingError, InputError, LocbenchError  # noqa: E402

from make_dataset_fixtures import _kind  # noqa: E402

# Layouts with a writer here; the chip and Global Streetscapes layouts have their own fixture tests.
ON_DISK = [s.name for s in list_datasets() if _kind(s) != "embedded"]


def _compare(split, exp):
    assert split.sample_ids.dtype.kind == "U"
    assert split.sample_ids.tolist() == exp["sample_ids"].tolist()
    assert len(set(split.sample_ids.tolist())) == len(split)
    assert split.lon.dtype == np.float64 and split.lat.dtype == np.float64
    np.testing.assert_array_equal(split.lon, exp["lon"])
    np.testing.assert_array_equal(split.lat, exp["lat"])
    np.testing.assert_array_equal(split.located, exp["located"])
    assert np.isnan(split.lon[~split.located]).all() and np.isnan(split.lat[~split.located]).all()
    if "labels" in exp:
        assert split.labels.dtype == np.int64 and split.targets is None
        np.testing.assert_array_equal(split.labels, exp["labels"])
    else:
        assert split.targets.dtype == np.float64 and split.targets.shape == exp["targets"].shape
        np.testing.assert_array_equal(split.targets, exp["targets"])
    if exp.get("image_probs") is not None:
        assert split.image_probs.dtype == np.float32
        np.testing.assert_array_equal(split.image_probs, exp["image_probs"])


@pytest.mark.parametrize("name", ON_DISK)
def test_every_dataset_loads_what_the_generator_wrote(name, tmp_path):
    fx = write_fixture(name, tmp_path, seed=3, n=30)
    spec = list_datasets()[[s.name for s in list_datasets()].index(name)]
    assert set(fx.splits) >= {spec.train_split, spec.reported_split}
    for split_name, exp in fx.splits.items():
        split = load_split(name, split_name, tmp_path)
        assert split.split == split_name and split.spec is spec
        _compare(split, exp)
        if fx.class_names is not None:
            assert split.class_names == fx.class_names
    default = load_split(name, data_root=tmp_path)
    assert default.split == spec.reported_split


def test_birds_eval_keeps_unlocated_and_train_drops_invalid(tmp_path):
    fx = write_fixture("birdsnap", tmp_path, seed=1, n=50)
    test = load_split("birdsnap", "test", tmp_path)
    assert (~test.located).any() and len(test) == fx.splits["test"]["n_valid"]
    train = load_split("birdsnap", "train", tmp_path)
    assert train.located.all() and (train.meta["user_id"] >= 0).all() and np.isfinite(train.meta["date"]).all()
    train_all = load_split("birdsnap", "train", tmp_path, remove_invalid=False)
    assert len(train_all) == fx.splits["train"]["n_valid"] > len(train)
    np.testing.assert_array_equal(test.meta["im_path"], fx.splits["test"]["im_path"])


def test_birds_orig_and_ebird_share_images_and_predictions(tmp_path):
    write_fixture("birdsnap-ebird", tmp_path, seed=2, n=30)
    ebird = load_split("birdsnap-ebird", "test", tmp_path)
    orig = load_split("birdsnap", "test", tmp_path)  # same JSON, the other metadata block
    np.testing.assert_array_equal(orig.sample_ids, ebird.sample_ids)
    np.testing.assert_array_equal(orig.labels, ebird.labels)
    np.testing.assert_array_equal(orig.image_probs, ebird.image_probs)
    assert not np.array_equal(orig.lon, ebird.lon, equal_nan=True)


def test_birds_prediction_matrix_with_one_row_per_entry(tmp_path):
    fx = write_fixture("nabirds-ebird", tmp_path, seed=4, n=30, preds_rows="all")
    split = load_split("nabirds-ebird", "test", tmp_path, features=True)
    np.testing.assert_array_equal(split.image_probs, fx.splits["test"]["image_probs"])
    np.testing.assert_array_equal(split.image_features, fx.splits["test"]["features"])


def test_optional_features_and_train_probs(tmp_path):
    fx = write_fixture("inat2018", tmp_path, seed=5, n=25)
    train = load_split("inat2018", "train", tmp_path, image_probs=True, features=True)
    np.testing.assert_array_equal(train.image_probs, fx.splits["train"]["image_probs_all"])
    np.testing.assert_array_equal(train.image_features, fx.splits["train"]["features"])
    assert load_split("inat2018", "train", tmp_path).image_probs is None  # train probs are not densified by default


def test_yfcc_any_split_value_and_fmow_dense(tmp_path):
    write_fixture("yfcc", tmp_path, seed=6, n=20)
    valid = load_split("yfcc", "valid", tmp_path)
    assert len(valid) == 20 and valid.image_probs is None  # no YFCC_valid_preds.npy written
    with pytest.raises(InputError, match="the file has test, train, valid"):
        load_split("yfcc", "holdout", tmp_path)


def test_mosaiks_subsample_is_seeded_and_keeps_csv_order(tmp_path):
    write_fixture("mosaiks-population", tmp_path, seed=7, n=200)
    full = load_split("mosaiks-population", "test", tmp_path)
    a = load_split("mosaiks-population", "test", tmp_path, subsample=1 / 20, seed=1)
    b = load_split("mosaiks-population", "test", tmp_path, subsample=1 / 20, seed=1)
    c = load_split("mosaiks-population", "test", tmp_path, subsample=1 / 20, seed=2)
    assert len(a) == len(full) // 20
    np.testing.assert_array_equal(a.sample_ids, b.sample_ids)
    assert not np.array_equal(a.sample_ids, c.sample_ids)
    ids = a.sample_ids.astype(int)
    assert (np.diff(ids) > 0).all() and set(ids) <= set(full.sample_ids.astype(int))
    pos = np.searchsorted(full.sample_ids.astype(int), ids)
    np.testing.assert_array_equal(a.image_features, full.image_features[pos])
    with pytest.raises(InputError, match="subsample"):
        load_split("mosaiks-population", "test", tmp_path, subsample=1.5)


def test_sustainbench_drops_nan_targets_and_exposes_nightlights(tmp_path):
    fx = write_fixture("sustainbench-women-bmi", tmp_path, seed=8, n=40)
    split = load_split("sustainbench-women-bmi", "test", tmp_path)
    assert len(split) < 40 and np.isfinite(split.targets).all()
    np.testing.assert_array_equal(split.image_features, fx.splits["test"]["features"])
    assert split.target_names == ("women_bmi_normalized",)


def test_gair_parquet_embeddings_keyed_by_sample_id(tmp_path):
    fx = write_fixture("geobs-eurosat", tmp_path, seed=9, n=20)
    exp = fx.splits["test"]
    order = np.random.default_rng(0).permutation(20)
    pq = tmp_path / "emb.parquet"
    pd.DataFrame({"sample_id": exp["sample_ids"][order], "embedding": list(exp["features"][order])}).to_parquet(pq)
    split = load_split("geobs-eurosat", "test", tmp_path, embeddings=pq)
    np.testing.assert_array_equal(split.image_features, exp["features"])
    wide = tmp_path / "wide.parquet"
    df = pd.DataFrame(exp["features"][order], columns=[f"e{i}" for i in range(5)])
    df.insert(0, "sample_id", exp["sample_ids"][order])
    df.to_parquet(wide)
    np.testing.assert_array_equal(load_split("geobs-eurosat", "test", tmp_path, embeddings=wide).image_features,
                                  exp["features"])
    df.iloc[1:].to_parquet(wide)
    with pytest.raises(InputError, match="have no embedding") as err:
        load_split("geobs-eurosat", "test", tmp_path, embeddings=wide)
    assert "wide.parquet" in str(err.value)


def test_gair_without_embeddings_is_location_only(tmp_path):
    write_fixture("geobs-eurosat", tmp_path, seed=10, n=15)
    for f in (tmp_path / "geobs" / "eurosat" / "embeddings").iterdir():
        f.unlink()
    split = load_split("geobs-eurosat", "test", tmp_path)
    assert split.image_features is None and len(split) == 15


def test_class_regions_put_each_class_in_its_box(tmp_path):
    fx = write_fixture("inat2017", tmp_path, seed=11, n=60, num_classes=4, class_regions="auto", image_signal=3.0)
    split = load_split("inat2017", "train", tmp_path)
    boxes = region_boxes(4)
    for lon, lat, y in zip(split.lon, split.lat, split.labels, strict=True):
        lo0, lo1, la0, la1 = boxes[int(y)]
        assert lo0 <= lon <= lo1 and la0 <= lat <= la1
    val = load_split("inat2017", "val", tmp_path)
    assert (val.image_probs.argmax(1) == val.labels).mean() > 0.6  # the image signal is informative
    assert fx.class_names == val.class_names


def test_coordinate_out_of_range_names_row_and_column(tmp_path):
    write_fixture("yfcc", tmp_path, seed=12, n=10)
    path = tmp_path / "yfcc" / "train_test_split.csv"
    df = pd.read_csv(path)
    r = int(np.flatnonzero(df["split"].to_numpy() == "test")[2])
    df.loc[r, "lat"] = 123.0
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        load_split("yfcc", "test", tmp_path)
    assert err.value.problem.row == r and err.value.problem.column == "lat" and "train_test_split.csv" in str(err.value)


def test_unknown_split_is_an_input_error(tmp_path):
    write_fixture("fmow", tmp_path, n=5)
    with pytest.raises(InputError, match="splits train, val"):
        load_split("fmow", "test", tmp_path)


def test_missing_root_says_where_to_get_the_data(tmp_path):
    with pytest.raises(DataMissingError) as err:
        load_split("inat2018", data_root=tmp_path)
    assert "10.6084/m9.figshare.26026798" in str(err.value) and "inat_2018" in str(err.value)


MALFORMED = [(name, kind) for name in ("birdsnap-ebird", "inat2018", "fmow", "yfcc", "mosaiks-elevation",
                                       "sustainbench-asset-index", "gair-socioeconomic", "geobs-worldstrat-lccs")
             for kind in corruptions_for(name)]


@pytest.mark.parametrize(("name", "kind"), MALFORMED, ids=[f"{n}-{k}" for n, k in MALFORMED])
def test_malformed_variants_raise_typed_errors(name, kind, tmp_path):
    fx = write_fixture(name, tmp_path, seed=13, n=12)
    path, phrase = corrupt(fx, kind)
    expected = DataMissingError if kind == "missing-file" else InputError
    spec = fx.name
    split = "test" if kind in ("wrong-shape", "truncated-npy", "row-mismatch") and name.startswith(("gair", "geobs")) else None
    with pytest.raises(expected) as err:
        load_split(spec, split, tmp_path, **({"features": True} if name.startswith(("birdsnap", "inat")) else {}))
    assert isinstance(err.value, LocbenchError)
    assert path.name in str(err.value), str(err.value)
    assert phrase.lower() in str(err.value).lower(), str(err.value)


def test_sparse_prediction_matrix_truncated_or_short(tmp_path):
    import scipy.sparse

    write_fixture("birdsnap", tmp_path, seed=14, n=12)
    path = tmp_path / "birdsnap" / "features_inception" / "birdsnap_test_preds_sparse.npz"
    mat = scipy.sparse.load_npz(path)
    scipy.sparse.save_npz(path, mat[:-2])
    with pytest.raises(InputError, match="row counts disagree") as err:
        load_split("birdsnap", "test", tmp_path)
    assert path.name in str(err.value)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputError, match="truncated") as err:
        load_split("birdsnap", "test", tmp_path)
    assert path.name in str(err.value)


def test_image_without_location_entry(tmp_path):
    import json

    write_fixture("inat2017", tmp_path, seed=15, n=8)
    path = tmp_path / "inat_2017" / "val2017_locations.json"
    locs = json.loads(path.read_text())
    path.write_text(json.dumps(locs[1:]))
    with pytest.raises(InputError, match="has no entry in val2017_locations.json"):
        load_split("inat2017", "val", tmp_path)


def test_subset_keeps_rows_aligned(tmp_path):
    write_fixture("birdsnap-ebird", tmp_path, seed=16, n=20)
    split = load_split("birdsnap-ebird", "test", tmp_path)
    part = split.subset(split.located)
    assert len(part) == int(split.located.sum()) and part.located.all()
    np.testing.assert_array_equal(part.image_probs, split.image_probs[split.located])
    np.testing.assert_array_equal(part.meta["im_path"], split.meta["im_path"][split.located])
    np.testing.assert_array_equal(part.lonlat, np.stack([split.lon, split.lat], 1)[split.located])


def test_unknown_option_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not take option"):
        load_split("inat2018", data_root=tmp_path, holdout="spatial-block")
    with pytest.raises(InputError, match="subsample"):
        load_split("embedded-land-sea", "test", tmp_path, subsample=0.5)


def test_numeric_column_names_the_file_row_of_bad_cells() -> None:
    """One reader for dataset files and `locbench geobias`: text, infinity and (when not allowed) NaN are
    refused at the file's own row, also for a subset of rows."""
    import pandas as pd

    from locbench.datasets.readers import numeric_column

    df = pd.DataFrame({"v": ["1", "2", "inf", "x"]})
    with pytest.raises(InputError, match="infinite value") as info:
        numeric_column(df, "v", Path("f.csv"))
    assert (info.value.problem.row, info.value.problem.column) == (2, "v")
    with pytest.raises(InputError, match="not a number") as info:
        numeric_column(df.iloc[3:], "v", Path("f.csv"))
    assert info.value.problem.row == 3
    with pytest.raises(InputError, match="missing value"):
        numeric_column(pd.DataFrame({"v": [1.0, None]}), "v", Path("f.csv"), allow_nan=False)
    assert numeric_column(pd.DataFrame({"v": ["1.5", None]}), "v", Path("f.csv")).tolist()[0] == 1.5
