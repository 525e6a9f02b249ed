"""Re-submitting a model brings the other results' records of it up to date (issue 21 re-run).

A result's `checks.peers` holds its paired comparison with every other model of the dataset, made when it
was scored. When a model is re-run and re-submitted, the others' records of it describe its *old* rows; the
rank rule reads the lower model's record of the leader, so a stale record once let GeoCLIP (91.54) tie
with rff (92.96) on land-sea because it still compared GeoCLIP with rff's old 83.65 run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.resultchecks import mirror_pair
from locbench.submissions import submit


def _labels() -> pd.DataFrame:
    from locbench.datasets import load_split

    test = load_split("embedded-land-sea", split="test")
    return pd.DataFrame({"sample_id": test.sample_ids, "lon": test.lon, "lat": test.lat,
                         "y_true": np.asarray(test.labels).astype(int)})


def _folder(root: Path, model: str, base: pd.DataFrame, hit_rate: float, seed: int) -> Path:
    """A submission whose top-1 hits fall on a seeded random `hit_rate` of the rows (two classes)."""
    hit = np.random.default_rng(seed).random(len(base)) < hit_rate
    df = base.copy()
    df["y_pred"] = np.where(hit, df["y_true"], 1 - df["y_true"])
    df["true_class_prob"] = np.where(hit, 0.9, 0.1)
    df["reciprocal_rank"] = np.where(hit, 1.0, 0.5)
    df["hit@1"], df["hit@3"] = hit.astype(int), 1
    folder = root / "submissions" / model
    folder.mkdir(parents=True, exist_ok=True)
    df.to_csv(folder / "embedded-land-sea.csv", index=False)
    card = {"model_id": model, "name": model, "authors": ["Test"], "description": "controlled hits",
            "encoder_family": "2D", "licence": "MIT", "date": "2026-12-07", "code_url": None, "contact": None,
            "n_parameters": 1, "paper_url": None, "pretraining_data": None}
    (folder / "submission.json").write_text(json.dumps(card), encoding="utf-8")
    return folder


def _peers(root: Path, model: str) -> dict:
    return json.loads((root / "results" / model / "embedded-land-sea.json").read_text())["checks"]["peers"]


@pytest.mark.parametrize("rows_on_disk", [True, False])
def test_resubmitting_a_model_refreshes_the_others_records_of_it(tmp_path: Path, rows_on_disk: bool) -> None:
    base = _labels()
    for model, rate, seed in (("m-low", 0.6, 1), ("m-mid", 0.7, 2), ("m-high", 0.8, 3)):
        submit(_folder(tmp_path, model, base, rate, seed), root=tmp_path, geobias=False)
    before = _peers(tmp_path, "m-low")["m-high"]
    assert before["diff"] < 0  # m-low is worse than m-high
    if not rows_on_disk:  # m-low's rows are gone (like an imported result's): no comparison with it is possible
        (tmp_path / "submissions" / "m-low" / "embedded-land-sea.csv").unlink()
    submit(_folder(tmp_path, "m-high", base, 0.4, 9), root=tmp_path, geobias=False)  # re-run: now the worst
    fresh = _peers(tmp_path, "m-high")
    for other in ("m-low", "m-mid") if rows_on_disk else ("m-mid",):
        record = _peers(tmp_path, other)["m-high"]
        assert record == mirror_pair(fresh[other])  # both sides describe the same, current rows
        assert record["diff"] > 0  # the other model is now better than m-high
    if not rows_on_disk:  # m-low's old record of m-high described rows that are gone: dropped, not kept
        assert "m-low" not in fresh and "m-high" not in _peers(tmp_path, "m-low")
        assert "m-mid" in _peers(tmp_path, "m-low")  # its other records stay
    from locbench.results import load_results
    from locbench.integrity import verify_content

    for r in load_results(tmp_path):  # every rewritten peer is sealed again
        path = tmp_path / "results" / r.model_id / "embedded-land-sea.json"
        verify_content(json.loads(path.read_text()), path)


def test_mirror_pair_negates_the_difference_and_keeps_r_and_n() -> None:
    rec = {"r": 0.4, "n": 100, "diff": 2.5, "diff_low": 1.0, "diff_high": 4.0}
    assert mirror_pair(rec) == {"r": 0.4, "n": 100, "diff": -2.5, "diff_low": -4.0, "diff_high": -1.0}
    assert mirror_pair(mirror_pair(rec)) == rec
    assert mirror_pair({"r": 0.1, "n": 50}) == {"r": 0.1, "n": 50}  # regression: no paired difference
