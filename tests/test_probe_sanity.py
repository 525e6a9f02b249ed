"""Probe sanity on small subsets: a frozen encoder's locbench probe reaches the best plain scikit-learn
read-out of the same embeddings (within 1 top-1 point / 0.01 R²); trained runs' convergence is judged.

The full table (every embedded dataset, all rows): `python benchmarks/probe_sanity.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from locbench.datasets import load_split
from locbench.probes.sanity import (CONVERGENCE_THRESHOLD, R2_TOLERANCE, TOP1_TOLERANCE, check_frozen, convergence,
                                    frozen_random_control, sklearn_best)


def _subset(name: str, n_train: int, n_test: int, seed: int = 0):
    train, test = load_split(name, split="train"), load_split(name, split="test")
    rng = np.random.default_rng(seed)
    return (train.subset(np.sort(rng.choice(len(train.sample_ids), n_train, replace=False))),
            test.subset(np.sort(rng.choice(len(test.sample_ids), n_test, replace=False))))


@pytest.mark.parametrize("dataset, n_train", [("embedded-land-sea", 3000), ("embedded-elevation-location", 2500),
                                             ("embedded-koppen", 4000)])
def test_frozen_random_control_reaches_sklearn(dataset: str, n_train: int) -> None:
    train, test = _subset(dataset, n_train, 1000)
    row = check_frozen("control", frozen_random_control(dataset), train, test)
    tol = TOP1_TOLERANCE if row.metric == "top1" else R2_TOLERANCE
    assert row.locbench >= row.sklearn_best - tol, row
    assert row.ok and row.selection is not None
    if row.selection.get("loss") == "logistic":  # the frozen geo-prior's multinomial read-out won on validation
        from locbench.probes.frozen_logistic import C_GRID

        assert row.selection["C"] in C_GRID
    else:
        assert row.selection["epochs"] >= 1


def test_frozen_geoclip_reaches_sklearn_on_continents() -> None:
    from locbench.encoders.geoclip import geoclip_available, load_geoclip

    if not geoclip_available():
        pytest.skip("geoclip wheel (weights) not installed")
    train, test = _subset("embedded-cities-continent", 3000, 1000)
    row = check_frozen("GeoCLIP", load_geoclip(), train, test)
    assert row.sklearn_best > 95.0  # the embeddings do separate continents
    assert row.locbench >= row.sklearn_best - TOP1_TOLERANCE, row


def test_sklearn_best_is_the_best_of_its_grid() -> None:
    """The ceiling is a real fit: on separable classes it is ~100 %, and it never undercuts one C."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    best, setting = sklearn_best("classification", x[:300], y[:300], x[300:], y[300:])
    xs = (x - x[:300].mean(0)) / x[:300].std(0)
    one = 100.0 * LogisticRegression(C=1.0, max_iter=1000).fit(xs[:300], y[:300]).score(xs[300:], y[300:])
    assert best >= one and setting.startswith("LogisticRegression")


def test_convergence_threshold(tmp_path: Path) -> None:
    def record(losses: list[float], stopped: bool = False) -> Path:
        p = tmp_path / f"r{len(list(tmp_path.iterdir()))}.run.json"
        info = {"loss_per_epoch": losses, "selection": {"stopped_early": stopped} if stopped else None}
        p.write_text(json.dumps({"model_id": "m", "dataset": "d", "probe_info": info}))
        return p

    still_falling = convergence(record([2.0, 1.8, 1.6]))
    flat = convergence(record([2.0, 1.0, 1.0 * (1 - CONVERGENCE_THRESHOLD / 2)]))
    stopped = convergence(record([2.0, 1.8, 1.6], stopped=True))
    assert not still_falling.converged and abs(still_falling.final_relative_change - 0.2 / 1.8) < 1e-12
    assert flat.converged and stopped.converged
    p = tmp_path / "trained.run.json"  # a trained encoder's early stop (probe_info.training) counts too
    p.write_text(json.dumps({"probe_info": {"loss_per_epoch": [2.0, 1.8, 1.6], "training": {"stopped_early": True}}}))
    assert convergence(p).converged and convergence(p).stopped_early
    assert convergence(record([])) is None
