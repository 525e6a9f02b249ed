"""TrainingConfig (one declaration of the training defaults) and the probes' one training loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_probes_fixtures import classification_splits, tiny_spec

from locbench.encoders import TRAINING_KEYS
from locbench.encoders.builders import TRAIN_DEFAULTS
from locbench.probes import run_probe
from locbench.probes.loop import fit
from locbench.training import FROZEN_MLP_TRAINING, SCHEDULE_KEYS, TrainingConfig


def test_defaults_are_declared_once_and_read_by_the_encoder_presets():
    cfg = TrainingConfig()
    assert (cfg.epochs, cfg.batch_size, cfg.lr, cfg.lr_decay, cfg.weight_decay) == (30, 1024, 1e-3, 0.98, 0.0)
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
    _, off = run_probe("geoprior", tiny_spec(), tr, te, seed=0, epochs=1, threads=1)
    assert off["balanced_sampler"] is False and off["samples_per_epoch"] == len(tr)
    spec = replace(tr.spec, balanced_sampler=True)
    tr2, te2 = (type(s)(**{**s.__dict__, "spec": spec}) for s in (tr, te))
    _, on = run_probe("geoprior", tiny_spec(), tr2, te2, seed=0, epochs=1, threads=1, max_per_class=50)
    counts = np.bincount(tr.labels, minlength=8)
    assert on["balanced_sampler"] is True and on["samples_per_epoch"] == int(np.minimum(counts, 50).sum())
    assert on["config"]["max_per_class"] == 50
