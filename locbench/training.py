"""`TrainingConfig`: how the probes train, with every training default declared once.

The geo-prior and regression probes train an encoder with this schedule, with early stopping on
validation rows carved from train (`epochs` is the cap; `patience`, `min_delta`) (the frozen `mlp` probe
uses `FROZEN_MLP_TRAINING`); encoder presets may set the schedule keys (`SCHEDULE_KEYS`, TorchSpatial's
per-dataset lr / batch size / epochs), explicit options override them. Kept free of heavy imports so
the encoder registry and the CLI can read the defaults cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

#: The keys an encoder preset (and `run_probe(..., lr=..., batch_size=...)`) may set.
SCHEDULE_KEYS = ("lr", "batch_size", "epochs", "lr_decay", "weight_decay")


def default_threads() -> int:
    """Torch intra-op threads: half the cores, at most 8.

    The probe layers are small; oversubscribing cores (other processes, hyper-threads) made
    training 3-4x slower on a shared 2-core machine, while half the cores loses little.
    """
    return max(1, min(8, (os.cpu_count() or 1) // 2))


@dataclass(frozen=True)
class TrainingConfig:
    """One training run's schedule and where it runs; `lr` decays as lr·lr_decay^epoch (TorchSpatial)."""

    epochs: int = 100  # a cap: early stopping ends training (issue 21: at 30, most regression runs were still improving)
    batch_size: int = 1024
    lr: float = 1e-3
    lr_decay: float = 0.98
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "cpu"
    # early stopping of a trained encoder (`locbench.probes.stopping`): `epochs` is then the cap
    # the sanity suite's convergence bar (`probes.sanity.CONVERGENCE_THRESHOLD`): 1 % relative per epoch
    patience: int = 5  # epochs in a row without a validation improvement of `min_delta` -> stop
    min_delta: float = 0.01  # relative improvement of the validation criterion that counts (1 %)
    early_stopping: bool = True  # False: train exactly `epochs` epochs on all training rows
    threads: int | None = None  # None: `default_threads()`

    def updated(self, values: Mapping[str, Any]) -> TrainingConfig:
        """A copy with the schedule keys of `values` that are not None (others are ignored)."""
        new = {k: v for k, v in values.items() if k in SCHEDULE_KEYS and v is not None}
        for key in ("epochs", "batch_size"):
            if key in new:
                new[key] = int(new[key])
        return replace(self, **new)

    def lr_at(self, epoch: int) -> float:
        """Learning rate at the start of epoch `epoch` (0-based)."""
        return self.lr * self.lr_decay**epoch

    def stopping(self) -> dict[str, Any]:
        """The early-stopping rule as recorded in run records (`max_epochs` is `epochs`)."""
        return {"early_stopping": self.early_stopping, "max_epochs": self.epochs, "patience": self.patience,
                "min_delta": self.min_delta}

    def schedule(self) -> dict[str, Any]:
        """The schedule keys and values (what presets may set and run records show)."""
        return {k: getattr(self, k) for k in SCHEDULE_KEYS}

    @property
    def torch_threads(self) -> int:
        return self.threads or default_threads()


#: The protocol defaults: what a run without overrides trains with.
DEFAULTS = TrainingConfig()
#: The frozen-embedding `mlp` probe: a longer, smaller-batch schedule (no lr decay is applied there).
FROZEN_MLP_TRAINING = TrainingConfig(epochs=50, batch_size=256)
