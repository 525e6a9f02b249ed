"""`locbench sweep summarize`: per-seed runs -> one submission per model with the `seeds` block (contract C3)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from locbench.cli import main
from locbench.errors import InputError
from locbench.results import Result, read_result
from locbench.sweep import LocalExecutor, SweepSpec, expand, job_dir, run_sweep
from locbench.sweep.summarize import SeedStat, combined_result, seeds_block, summarize

DS = "embedded-cities-continent"


def test_seed_stat_is_mean_and_sample_sd():
    values = [35.5, 41.25, 38.0, 36.75]
    s = SeedStat.of(values)
    assert s.mean == pytest.approx(np.mean(values), abs=1e-12)
    assert s.sd == pytest.approx(np.std(values, ddof=1), abs=1e-12)
    assert s.per_seed == tuple(values)
    assert SeedStat.of([2.0]) == SeedStat(2.0, None, (2.0,))
    # undefined for one seed -> undefined overall (a mean over the other seeds would mislead)
    assert SeedStat.of([1.0, float("nan"), 3.0]) == SeedStat(None, None, (1.0, None, 3.0))
    assert SeedStat.of([1.0, None]).mean is None


def _result(seed: int, top1: float, headline: float | None = None) -> Result:
    summary = {"marked_ssi": 0.1 * seed}
    if headline is not None:
        summary["headline_value"] = headline
    return Result(model_id="m", dataset="d", dataset_version="1", group="embedded", task_type="classification",
                  split="test", primary_metric="top1", primary_value=top1, higher_is_better=True,
                  metrics={"top1": top1, "mrr": top1 / 100}, n_rows=1, n_located=1, n_unlocated=0,
                  predictions_sha256="0" * 64, source="evaluate", verified_against_data=True, verification_note="-",
                  seed=seed, date="2026-12-01", versions={}, geobias={"summary": summary})


def test_seeds_block_follows_contract_c3_and_carries_the_headline_when_present():
    results = [_result(2, 30.0, 0.5), _result(0, 40.0, 0.25), _result(1, 50.0, 0.75)]
    block = seeds_block(results).to_dict()
    assert set(block) == {"n", "seeds", "metrics", "headline"}
    assert block["n"] == 3 and block["seeds"] == [0, 1, 2]
    assert block["metrics"]["top1"] == {"mean": 40.0, "sd": 10.0, "per_seed": [40.0, 50.0, 30.0]}
    assert block["headline"] == {"mean": 0.5, "sd": 0.25, "per_seed": [0.25, 0.75, 0.5]}
    assert seeds_block([_result(0, 1.0), _result(1, 2.0)]).headline is None
    combined = combined_result(results)
    assert combined.primary_value == 40.0 and combined.metrics == {"mrr": pytest.approx(0.4), "top1": 40.0}
    assert combined.seed == 0 and combined.geobias["summary"]["marked_ssi"] == 0.0  # lowest seed's detail
    assert "means over 3 seed(s) [0, 1, 2]" in combined.metric_notes[-1]
    assert Result.from_json(combined.to_dict()).seeds == block  # the type carries the block through JSON
    stamped = [dataclasses.replace(r, integrity={"content_sha256": "ab" * 32, "method": "x"}) for r in results]
    assert combined_result(stamped).integrity is None  # one seed's content hash does not describe the means


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep")
    spec = SweepSpec(encoders=("xyz", "no_prior"), datasets=(DS,), seeds=(0, 1, 2), epochs=1, max_train_rows=400,
                     geobias=False, out=str(out))
    assert run_sweep(expand(spec), out, LocalExecutor()).ok
    return out


def test_summarize_writes_one_submission_per_model_with_means_over_seeds(sweep_dir, tmp_path, capsys):
    subs, board = tmp_path / "submissions", tmp_path / "board"
    code = main(["sweep", "summarize", str(sweep_dir), "--out", str(subs), "--results-root", str(board)])
    printed = capsys.readouterr().out
    assert code == 0 and "locbench sweep summarize" in printed and "mean ± sd" in printed
    jobs = expand(SweepSpec(encoders=("xyz",), datasets=(DS,), seeds=(0, 1, 2), epochs=1, max_train_rows=400,
                            geobias=False, out=str(sweep_dir)))
    per_seed = [json.loads((job_dir(sweep_dir, j) / f"{DS}.result.json").read_text()) for j in jobs]
    folder = subs / "locbench-xyz"
    assert sorted(p.name for p in folder.iterdir()) == [f"{DS}.csv", f"{DS}.result.json", f"{DS}.run.json",
                                                      "submission.json"]
    result = json.loads((folder / f"{DS}.result.json").read_text())
    top1 = [r["metrics"]["top1"] for r in per_seed]
    seeds = result["seeds"]
    assert seeds["n"] == 3 and seeds["seeds"] == [0, 1, 2] and seeds["headline"] is None
    assert seeds["metrics"]["top1"]["per_seed"] == top1
    assert seeds["metrics"]["top1"]["mean"] == pytest.approx(float(np.mean(top1)), abs=1e-12)
    assert seeds["metrics"]["top1"]["sd"] == pytest.approx(float(np.std(top1, ddof=1)), abs=1e-12)
    assert set(seeds["metrics"]) == set(per_seed[0]["metrics"])
    assert result["primary_value"] == seeds["metrics"]["top1"]["mean"]
    assert (folder / f"{DS}.csv").read_bytes() == (job_dir(sweep_dir, jobs[0]) / f"{DS}.csv").read_bytes()
    stored = read_result(board / "results" / "locbench-xyz" / f"{DS}.json")
    assert stored.seeds == seeds and math.isclose(stored.primary_value, float(np.mean(top1)))
    assert (subs / "locbench-no_prior" / f"{DS}.result.json").is_file()
    # a second summarize replaces the folder (no error, no leftovers)
    summarize(sweep_dir, subs)
    assert sorted(p.name for p in subs.iterdir()) == ["locbench-no_prior", "locbench-xyz"]


def test_summarize_refuses_seeds_from_different_settings(sweep_dir, tmp_path):
    mixed = tmp_path / "mixed"
    spec = SweepSpec(encoders=("xyz",), datasets=(DS,), seeds=(5,), epochs=2, max_train_rows=400, geobias=False,
                     out=str(mixed))
    assert run_sweep(expand(spec), mixed, LocalExecutor()).ok
    import shutil

    shutil.copytree(sweep_dir / "locbench-xyz" / DS / "seed-0", mixed / "locbench-xyz" / DS / "seed-0")
    with pytest.raises(InputError, match="different settings"):
        summarize(mixed, tmp_path / "subs")
    with pytest.raises(InputError, match="no finished sweep jobs"):
        summarize(tmp_path / "empty", tmp_path / "subs")
