"""Global Streetscapes layouts on a tiny tree in the published file layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from locbench.datasets import load_split
from locbench.errors import InputError


def _tree(root, n=40):
    base = root / "gair" / "streetscapes"
    rng = np.random.default_rng(0)
    uuids = [f"u{i:03d}" for i in range(n)]
    (base / "data").mkdir(parents=True)
    pd.DataFrame({"uuid": uuids, "source": "Mapillary", "lat": rng.uniform(-50, 60, n),
                  "lon": rng.uniform(-170, 170, n)}).to_csv(base / "data" / "metadata_common_attributes.csv", index=False)
    scores = {c: rng.normal(5, 1, n) for c in ("Beautiful", "Boring", "Depressing", "Lively", "Safe", "Wealthy")}
    pd.DataFrame({"uuid": uuids, **scores}).to_csv(base / "data" / "perception.csv", index=False)
    for split, rows in (("train", range(0, 30)), ("test", range(30, 40))):
        (base / "manual_labels" / split).mkdir(parents=True)
        pd.DataFrame({"uuid": [uuids[i] for i in rows][::-1], "source": "Mapillary",
                      "view_direction": ["side" if i % 3 else "front/back" for i in rows][::-1]}
                     ).to_csv(base / "manual_labels" / split / "view_direction.csv", index=False)
    return base


def test_manual_labels_join_coordinates_by_uuid(tmp_path):
    base = _tree(tmp_path)
    meta = pd.read_csv(base / "data" / "metadata_common_attributes.csv").set_index("uuid")
    split = load_split("gair-sv-view-direction", "test", tmp_path)
    assert list(split.sample_ids) == [f"u{i:03d}" for i in range(39, 29, -1)]
    np.testing.assert_array_equal(split.lon, meta.loc[split.sample_ids, "lon"].to_numpy())
    assert split.labels.tolist() == [0 if int(u[1:]) % 3 == 0 else 1 for u in split.sample_ids]


def test_perception_assigns_a_seeded_split_and_matches_columns_case_insensitively(tmp_path):
    _tree(tmp_path)
    parts = {s: load_split("gair-sv-perception", s, tmp_path, seed=1) for s in ("train", "val", "test")}
    assert sum(len(p) for p in parts.values()) == 40 and len(parts["test"]) == 8
    assert set(np.concatenate([p.sample_ids for p in parts.values()])) == {f"u{i:03d}" for i in range(40)}
    assert parts["train"].targets.shape == (28, 6)
    again = load_split("gair-sv-perception", "test", tmp_path, seed=1)
    assert list(again.sample_ids) == list(parts["test"].sample_ids)


def test_unknown_view_direction_names_file_and_row(tmp_path):
    base = _tree(tmp_path)
    path = base / "manual_labels" / "train" / "view_direction.csv"
    df = pd.read_csv(path)
    df.loc[4, "view_direction"] = "upward"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="unknown class 'upward'") as exc:
        load_split("gair-sv-view-direction", "train", tmp_path)
    assert "view_direction.csv" in str(exc.value) and "row 4" in str(exc.value)
