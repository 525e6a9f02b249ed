"""Registry facts: names, groups, required fields, published numbers, typo suggestions, data root."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from locbench.datasets import data_root, get_dataset, list_datasets
from locbench.errors import NotFoundError

LOCBENCH = ["birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018", "yfcc", "fmow",
            "mosaiks-population", "mosaiks-elevation", "mosaiks-forest-cover", "mosaiks-nightlights"]
GAIR = ["gair-socioeconomic", "gair-sv-perception", "gair-sv-view-direction", "gair-sv-platform", "gair-hls-burn-scars",
        "gair-crop-type-south-sudan", "gair-ai4smallfarms"]
GEOBS = ["geobs-fmow-sentinel", "geobs-eurosat", "geobs-worldstrat-ipcc", "geobs-worldstrat-lccs"]


def test_names_unique_and_groups_complete():
    names = [s.name for s in list_datasets()]
    assert len(names) == len(set(names))
    assert [s.name for s in list_datasets("locbench")] == LOCBENCH
    assert [s.name for s in list_datasets("gair")] == GAIR
    assert [s.name for s in list_datasets("geobs")] == GEOBS
    assert len(list_datasets("sustainbench")) == 6
    assert {s.name for s in list_datasets("embedded")} == {
        "embedded-cities-continent", "embedded-cities-population", "embedded-land-sea",
        "embedded-koppen", "embedded-elevation", "embedded-elevation-location", "embedded-koppen-seg"}


@pytest.mark.parametrize("spec", list_datasets(), ids=lambda s: s.name)
def test_required_fields(spec):
    for field in ("name", "group", "task_type", "modality", "reported_split", "train_split", "primary_metric",
                  "citation", "licence", "source", "version", "provenance", "description", "loader", "id_rule"):
        assert getattr(spec, field), field
    assert spec.reported_split in spec.splits and spec.train_split in spec.splits
    if spec.task_type in ("classification", "segmentation"):
        assert spec.num_classes and spec.num_classes >= 2 and spec.targets == ()
        if spec.class_names is not None:
            assert len(spec.class_names) == spec.num_classes == len(set(spec.class_names))
    else:
        assert spec.targets and spec.num_classes is None
    assert bool(spec.expected_files) == (spec.group != "embedded")
    assert len(spec.coord_bounds) == 4
    spec.to_dict()  # JSON-safe view does not fail


def test_published_facts():
    rows = {n: get_dataset(n).n_eval_rows for n in LOCBENCH}
    assert rows == {"birdsnap": 2262, "birdsnap-ebird": 2262, "nabirds-ebird": 24633, "inat2017": 95986,
                    "inat2018": 24426, "yfcc": 17798, "fmow": 53041, "mosaiks-population": None,
                    "mosaiks-elevation": None, "mosaiks-forest-cover": None, "mosaiks-nightlights": None}
    classes = {n: get_dataset(n).num_classes for n in LOCBENCH[:7]}
    assert classes == {"birdsnap": 500, "birdsnap-ebird": 500, "nabirds-ebird": 555, "inat2017": 5089,
                       "inat2018": 8142, "yfcc": 100, "fmow": 62}
    assert [get_dataset(n).reported_split for n in LOCBENCH[:7]] == ["test", "test", "test", "val", "val", "test", "val"]
    assert get_dataset("birdsnap").params["meta_type"] == "orig_meta"
    assert get_dataset("birdsnap-ebird").params["meta_type"] == "ebird_meta"
    assert get_dataset("mosaiks-forest-cover").expected_files == ("mosaiks/Y_forest.csv", "mosaiks/X_forest.npy")
    assert all("10.6084/m9.figshare.26026798" in get_dataset(n).source for n in LOCBENCH)
    assert all(get_dataset(n).inferred for n in GAIR)
    assert get_dataset("gair-sv-perception").targets == ("beautiful", "boring", "depressing", "lively", "safe", "wealthy")
    assert len(get_dataset("gair-socioeconomic").targets) == 10


def test_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_dataset("yfcc").name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        get_dataset("yfcc").params["x"] = 1  # type: ignore[index]


def test_typo_suggests_close_names():
    with pytest.raises(NotFoundError) as err:
        get_dataset("inat218")
    assert "Did you mean: inat2018" in str(err.value)
    with pytest.raises(NotFoundError):
        list_datasets("gairr")


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("LOCBENCH_DATA", raising=False)
    assert data_root() == Path("~/.locbench/data").expanduser()
    monkeypatch.setenv("LOCBENCH_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"


def test_protocol_facts_are_spec_fields():
    from locbench.probes import default_probe

    assert {s.name for s in list_datasets() if s.in_species_average} == {
        "birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018"}
    assert {s.name for s in list_datasets() if not s.balanced_sampler} == {
        "yfcc", *(s.name for s in list_datasets("embedded"))}
    assert {s.name for s in list_datasets() if s.unranked_reason} == {n for n in LOCBENCH if n.startswith("mosaiks")}
    probes = {s.name: default_probe(s.task_type, s) for s in list_datasets() if s.group in ("gair", "geobs")
              and s.task_type != "segmentation"}
    assert set(probes.values()) == {"linear"}
    assert [s.name for s in list_datasets() if s.assigns_splits] == [
        "gair-sv-perception", *(s.name for s in list_datasets("embedded"))]


def test_loader_options_are_typed_per_layout(tmp_path):
    from locbench.datasets import load_split
    from locbench.datasets.torchspatial import DenseNpy, ImageOptions, SparseNpz
    from locbench.errors import InputError

    spec = get_dataset("birdsnap")
    assert spec.loader.options("birdsnap", features=True) == ImageOptions(features=True)
    with pytest.raises(InputError, match="does not take option.*subsample; it takes remove_invalid, image_probs, features"):
        load_split("birdsnap", data_root=tmp_path, subsample=0.5)
    with pytest.raises(InputError, match="it takes subsample, seed, features"):
        load_split("mosaiks-elevation", data_root=tmp_path, holdout="random")
    assert spec.to_dict()["loader"] == "BirdsJson"
    assert isinstance(get_dataset("fmow").loader.predictions, DenseNpy)
    assert isinstance(get_dataset("inat2018").loader.predictions, SparseNpz)
    assert get_dataset("fmow").to_dict()["params"] == {"year": None, "predictions": "DenseNpy", "train_rows": 363571}


def test_gair_group_is_the_ten_v1_tasks_referencing_one_definition_of_each_dataset():
    from locbench.datasets.catalog_gair import GAIR_TASKS, FOLLOWS

    assert len(GAIR_TASKS) == 10 and [t.family for t in GAIR_TASKS].count("location") == 3
    by_key = {t.key: t for t in GAIR_TASKS}
    assert by_key["species"].datasets == ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018")
    assert by_key["flickr"].datasets == ("yfcc",)
    assert all(get_dataset(d).group == "locbench" for d in by_key["image-regression"].datasets)
    # every GAIR-group spec is used by exactly one task; location tasks add no copies of LocBench specs
    used = [d for t in GAIR_TASKS for d in t.datasets]
    assert sorted(d for d in used if get_dataset(d).group == "gair") == sorted(GAIR)
    assert not any(s.name.startswith("gair-") for s in list_datasets() if s.group != "gair")
    assert "v1" in FOLLOWS and "9 tasks and 22 datasets" in FOLLOWS


def test_every_dataset_names_source_licence_and_how_to_obtain():
    for s in list_datasets():
        assert s.source and s.licence and s.citation, s.name
    seg = [s for s in list_datasets("gair") if s.task_type == "segmentation"]
    assert [s.name for s in seg] == ["gair-hls-burn-scars", "gair-crop-type-south-sudan", "gair-ai4smallfarms"]
    assert [s.ignore_index for s in seg] == [-1, -1, None] and [s.num_classes for s in seg] == [2, 4, 2]
    assert "ibm-nasa-geospatial/hls_burn_scars" in seg[0].source and "dans-xy6-ngg6" in seg[2].source


def test_geobs_ids_migration_table():
    from locbench.datasets.catalog_geobs import ID_MIGRATION
    from locbench.importers.geobs import DATASETS

    assert set(ID_MIGRATION.values()) == set(GEOBS) == set(DATASETS.values())
    assert ID_MIGRATION["gair-eurosat"] == "geobs-eurosat"


def test_readme_dataset_section_matches_the_registry():
    import re

    from locbench.datasets.catalog_gair import GAIR_TASKS

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (SV|RS|location) \| ([^|]+) \| ([^|]+) \|$", text, flags=re.M)
    assert [(f, t.strip(), tuple(re.findall(r"`([^`]+)`", d))) for f, t, d in rows] == [
        (t.family, t.title, t.datasets) for t in GAIR_TASKS]
    geobs = re.search(r"\*\*GeoBS\*\*(.*?)\n\n", text, flags=re.S).group(1)
    assert re.findall(r"`(geobs-[a-z-]+)`", geobs) == [s.name for s in list_datasets("geobs")]


def test_leaderboard_family_lists_ten_tasks_with_how_to_submit():
    from locbench.datasets.catalog_gair import leaderboard_family

    fam = leaderboard_family()
    assert len(fam) == 10 and fam[6]["datasets"][0]["name"] == "gair-ai4smallfarms"
    assert "no results yet" in fam[0]["datasets"][0]["empty"] and "-d gair-socioeconomic" in fam[0]["datasets"][0]["empty"]
