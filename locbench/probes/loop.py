"""The one training loop of the probes that train an encoder (geo-prior and regression).

A probe supplies what differs — each epoch's row order and a batch's loss — and `fit` does the
rest identically: lr_e = lr·decay^e at the start of epoch e, batches of `batch_size` rows in that
order, Adam steps, the mean loss per epoch, progress callbacks and the wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from locbench.probes.common import ProgressFn
from locbench.training import TrainingConfig

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class FitLog:
    """What a training run reports: mean loss per epoch, rows seen over all epochs, seconds."""

    loss_per_epoch: list[float]
    samples: int
    seconds: float

    @property
    def samples_per_second(self) -> float | None:
        return self.samples / self.seconds if self.seconds > 0 else None


def fit(optimizer: torch.optim.Optimizer, training: TrainingConfig, *, epoch_order: Callable[[int], np.ndarray],
        batch_loss: Callable[[torch.Tensor], torch.Tensor], total_steps: int,
        progress: ProgressFn | None = None) -> FitLog:
    """Run `training.epochs` epochs; `epoch_order(e)` gives the row indices of epoch e (drawn in order)."""
    import torch

    t0 = time.perf_counter()
    losses: list[float] = []
    step = samples = 0
    bs = training.batch_size
    for epoch in range(training.epochs):
        for group in optimizer.param_groups:
            group["lr"] = training.lr_at(epoch)
        idx = epoch_order(epoch)
        samples += len(idx)
        run_loss, seen = 0.0, 0
        for start in range(0, len(idx), bs):
            bi = torch.from_numpy(idx[start:start + bs])
            loss = batch_loss(bi)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            run_loss += float(loss.detach()) * len(bi)
            seen += len(bi)
            step += 1
            if progress:
                progress("train", step, total_steps)
        losses.append(run_loss / max(seen, 1))
    return FitLog(losses, samples, time.perf_counter() - t0)
