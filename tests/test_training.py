"""TrainingConfig (one declaration of the training defaults) and the probes' one training loop."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from test_probes_fixtures import classification_splits, tiny_spec

from locbench.encoders import TRAINING_KEYS
from locbench.encoders.builders import TRAIN_DEFAULTS
from locbench.probes import run_probe
from locbench.probes.loop import fit, fit_and_refit
from locbench.training import FROZEN_MLP_TRAINING, SCHEDULE_KEYS, TrainingConfig


def test_defaults_are_declared_once_and_read_by_the_encoder_presets():
    cfg = TrainingConfig()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.lr_decay, cfg.weight_decay) == (100, 1024, 1e-3, 0.98, 0.0)
    assert TRAIN_DEFAULTS == cfg.schedule() and tuple(TRAINING_KEYS) == SCHEDULE_KEYS
    assert (FROZEN_MLP_TRAINING.epochs, FROZEN_MLP_TRAINING.batch_size) == (50, 256)


def test_run_defaults_are_the_config_defaults():
    """seed / device / out / holdout defaults of run_probe, evaluate and `locbench evaluate` are declared once."""
    import inspect

    import typer.main

    from locbench.cli import app
    from locbench.datasets.holdout import HOLDOUTS
    from locbench.evaluate import DEFAULT_OUT, evaluate
    from locbench.training import DEFAULTS

    assert DEFAULTS == TrainingConfig()
    for fn in (run_probe, evaluate):
        params = inspect.signature(fn).parameters
        assert (params["seed"].default, params["device"].default) == (DEFAULTS.seed, DEFAULTS.device), fn
    cli = {p.name: p.default for p in typer.main.get_command(app).commands["evaluate"].params}
    assert (cli["seed"], cli["device"], cli["out"], cli["holdout"]) == (DEFAULTS.seed, DEFAULTS.device, DEFAULT_OUT,
                                                                        HOLDOUTS[0])
    assert inspect.signature(evaluate).parameters["holdout"].default == HOLDOUTS[0]


def test_updated_applies_only_schedule_keys_that_are_set():
    cfg = TrainingConfig(seed=4).updated({"lr": 0.01, "epochs": 5.0, "batch_size": None, "embed_dim": 3})
    assert (cfg.lr, cfg.epochs, cfg.batch_size, cfg.seed) == (0.01, 5, 1024, 4)
    assert isinstance(cfg.epochs, int)
    assert cfg.lr_at(3) == pytest.approx(0.01 * 0.98**3)


def test_fit_visits_every_row_per_epoch_with_the_decayed_lr():
    """A 1-parameter model: each batch's loss records (rows, lr) so the loop's contract can be read back."""
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=123.0)
    cfg = TrainingConfig(epochs=3, batch_size=4, lr=0.5, lr_decay=0.5)
    seen: list[tuple[list[int], float]] = []
    orders = [np.arange(10)[::-1].copy(), np.arange(10), np.roll(np.arange(10), 3)]
    steps: list[tuple[str, int, int]] = []

    def batch_loss(bi: torch.Tensor) -> torch.Tensor:
        seen.append((bi.tolist(), opt.param_groups[0]["lr"]))
        return ((w - 1.0) ** 2).sum() * float(len(bi))

    log = fit(opt, cfg, epoch_order=lambda e: orders[e], batch_loss=batch_loss, total_steps=9,
              progress=lambda *a: steps.append(a))
    for e in range(3):
        batches = seen[3 * e:3 * e + 3]
        assert sum((b for b, _ in batches), []) == orders[e].tolist()  # the epoch's order, batches of <= 4
        assert [len(b) for b, _ in batches] == [4, 4, 2]
        assert {lr for _, lr in batches} == {0.5 * 0.5**e}
    assert log.samples == 30 and len(log.loss_per_epoch) == 3
    assert steps[-1] == ("train", 9, 9) and len(steps) == 9
    assert log.loss_per_epoch[0] > log.loss_per_epoch[-1]  # it really optimises


def test_balanced_sampler_is_the_spec_field():
    from dataclasses import replace

    tr, te = classification_splits(seed=0, n_train=1200, n_test=100)
    assert tr.spec.balanced_sampler is False
    _, off = run_probe("geoprior", tiny_spec(), tr, te, seed=0, epochs=1, threads=1, early_stopping=False)
    assert off["balanced_sampler"] is False and off["samples_per_epoch"] == len(tr)
    spec = replace(tr.spec, balanced_sampler=True)
    tr2, te2 = (type(s)(**{**s.__dict__, "spec": spec}) for s in (tr, te))
    _, on = run_probe("geoprior", tiny_spec(), tr2, te2, seed=0, epochs=1, threads=1, max_per_class=50,
                      early_stopping=False)
    counts = np.bincount(tr.labels, minlength=8)
    assert on["balanced_sampler"] is True and on["samples_per_epoch"] == int(np.minimum(counts, 50).sum())
    assert on["config"]["max_per_class"] == 50


def test_fit_stops_early_and_restores_the_best_epoch():
    """w climbs 0.1 per epoch; the validation loss (w - 0.32)^2 is lowest at epoch 3 (w = 0.3), so with
    patience 2 training stops after epoch 5 and w is restored to 0.3."""
    lin = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(lin.weight)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    cfg = TrainingConfig(epochs=10, batch_size=8, lr=0.1, lr_decay=1.0, patience=2, min_delta=0.01)
    log = fit(opt, cfg, epoch_order=lambda e: np.arange(4), batch_loss=lambda bi: -lin.weight.sum(), total_steps=10,
              validate=lambda: float((lin.weight.item() - 0.32) ** 2), modules=(lin,))
    assert log.best_epoch == 3 and len(log.loss_per_epoch) == 5 and log.stopped_early
    assert lin.weight.item() == pytest.approx(0.3)
    assert log.val_per_epoch == pytest.approx([(w - 0.32) ** 2 for w in (0.1, 0.2, 0.3, 0.4, 0.5)], abs=1e-6)
    summary = log.summary(cfg, validation_rows=7)
    assert summary["final_relative_change"] == pytest.approx(0.1 / 0.3)  # batch losses -0.3, -0.4 (before the step)
    assert (summary["epochs_run"], summary["max_epochs"], summary["patience"], summary["validation_rows"]) == (5, 10, 2, 7)


def test_refit_trains_the_initial_weights_on_all_rows_for_the_best_epoch_count():
    """Selection as above (4 rows, 1 step per epoch, best epoch 3, stop after 5); the refit restarts from
    w = 0 on 20 rows (3 steps of +0.1 per epoch) for 3 epochs: w = 0.9, not 0.3 + 0.9 (no warm start)."""
    lin = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(lin.weight)
    cfg = TrainingConfig(epochs=10, batch_size=8, lr=0.1, lr_decay=1.0, patience=2, min_delta=0.01)
    steps: list[tuple[str, int, int]] = []
    log = fit_and_refit(lambda: torch.optim.SGD(lin.parameters(), lr=0.1), cfg,
                        epoch_order=lambda e: np.arange(4), refit_order=lambda e: np.arange(20),
                        batch_loss=lambda bi: -lin.weight.sum(), samples_per_epoch=4, refit_samples_per_epoch=20,
                        refit_rows=20, modules=(lin,), progress=lambda *a: steps.append(a),
                        validate=lambda: float((lin.weight.item() - 0.32) ** 2))
    assert log.best_epoch == 3 and len(log.loss_per_epoch) == 5
    assert lin.weight.item() == pytest.approx(0.9)
    assert log.refit_loss_per_epoch == pytest.approx([-0.08, -0.38, -0.68])  # row-weighted mean over batches of 8, 8, 4
    assert log.samples == 5 * 4 + 3 * 20
    assert log.summary(cfg, validation_rows=1)["refit"] == {"epochs": 3, "rows": 20,
                                                            "loss_per_epoch": log.refit_loss_per_epoch}
    assert ("refit", 9, 9) in steps and ("train", 10, 10) in steps  # the refit has its own progress stage
    lin2 = torch.nn.Linear(1, 1, bias=False)  # without validation: plain `fit` on the refit rows
    torch.nn.init.zeros_(lin2.weight)
    plain = fit_and_refit(lambda: torch.optim.SGD(lin2.parameters(), lr=0.1), replace(cfg, epochs=2),
                          epoch_order=lambda e: np.arange(4), refit_order=lambda e: np.arange(20),
                          batch_loss=lambda bi: -lin2.weight.sum(), samples_per_epoch=4, refit_samples_per_epoch=20,
                          refit_rows=20, modules=(lin2,))
    assert lin2.weight.item() == pytest.approx(0.6) and plain.refit_loss_per_epoch is None and plain.best_epoch is None


def test_fit_without_improvement_stop_runs_to_the_cap():
    """A validation loss that keeps falling by more than min_delta never stops training early."""
    lin = torch.nn.Linear(1, 1, bias=False)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    cfg = TrainingConfig(epochs=6, batch_size=8, lr=0.1, lr_decay=1.0, patience=1, min_delta=0.01)
    vals = iter([1.0 * 0.9**e for e in range(6)])
    log = fit(opt, cfg, epoch_order=lambda e: np.arange(4), batch_loss=lambda bi: -lin.weight.sum(), total_steps=6,
              validate=lambda: next(vals), modules=(lin,))
    assert len(log.loss_per_epoch) == 6 and log.best_epoch == 6 and not log.stopped_early


@pytest.mark.parametrize("probe", ["geoprior", "regression"])
def test_trained_encoder_carves_validation_and_records_stopping(probe: str):
    from test_probes_fixtures import regression_splits

    tr, te = classification_splits(seed=0, n_train=1000, n_test=100) if probe == "geoprior" else \
        regression_splits(seed=0, n_train=1000, n_test=100)
    _, info = run_probe(probe, tiny_spec(), tr, te, seed=0, epochs=40, threads=1)
    t = info["training"]
    assert t["validation_rows"] == 200 and t["max_epochs"] == 40 and t["early_stopping"] is True
    assert len(info["loss_per_epoch"]) == len(t["val_per_epoch"]) == t["epochs_run"] <= 40
    assert 1 <= t["best_epoch"] <= t["epochs_run"]
    if t["stopped_early"]:  # stopped `patience` epochs after the kept one
        assert t["epochs_run"] == t["best_epoch"] + t["patience"]
    losses = info["loss_per_epoch"]
    assert t["final_relative_change"] == pytest.approx(abs(losses[-1] - losses[-2]) / losses[-2])
    from locbench.runrecord import Schedule

    recorded = Schedule.of_run(quick=False, probe=probe, epochs=None, max_train_rows=None, probe_info=info).training
    assert t["refit"]["epochs"] == t["best_epoch"] and t["refit"]["rows"] == 1000  # all located training rows
    assert len(t["refit"]["loss_per_epoch"]) == t["best_epoch"]
    carried = {k: v for k, v in t.items() if k != "val_per_epoch"}
    carried["refit"] = {"epochs": t["best_epoch"], "rows": 1000}
    assert recorded == carried  # what the result file carries: no curves
    _, off = run_probe(probe, tiny_spec(), tr, te, seed=0, epochs=3, threads=1, early_stopping=False)
    assert off["training"]["validation_rows"] == 0 and len(off["loss_per_epoch"]) == 3
    assert off["training"]["best_epoch"] is None and not off["training"]["stopped_early"]
    assert off["training"]["refit"] is None
