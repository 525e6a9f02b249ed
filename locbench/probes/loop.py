"""The one training loop of the probes that train an encoder (geo-prior and regression).

A probe supplies what differs — each epoch's row order, a batch's loss and, for early stopping, a
validation criterion — and `fit` does the rest identically: lr_e = lr·decay^e at the start of epoch e,
batches of `batch_size` rows in that order, Adam steps, the mean loss per epoch, progress callbacks
and the wall time. With `validate`, the validation criterion (a loss, or the top-1 error where
the loss and the ranked metric part ways) is measured after every epoch and training
stops by `locbench.probes.stopping` (at most `training.epochs` epochs); the best epoch's weights of
`modules` are restored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from locbench.probes.common import ProgressFn
from locbench.probes.stopping import Stopper, relative_change
from locbench.training import TrainingConfig

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class FitLog:
    """What a training run reports: mean loss per epoch, rows seen over all epochs, seconds, stopping."""

    loss_per_epoch: list[float]
    samples: int
    seconds: float
    val_per_epoch: list[float] = field(default_factory=list)  # the stopping criterion after each epoch
    best_epoch: int | None = None  # 1-based; None without validation
    stopped_early: bool = False
    criterion: str = "validation loss"  # what val_per_epoch measures (lower is better)

    @property
    def samples_per_second(self) -> float | None:
        return self.samples / self.seconds if self.seconds > 0 else None

    def summary(self, training: TrainingConfig, validation_rows: int) -> dict[str, Any]:
        """The run record's `training` block: the rule, what happened, and the final loss change."""
        return {**training.stopping(), "validation_rows": int(validation_rows),
                "epochs_run": len(self.loss_per_epoch), "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early,
                "final_relative_change": relative_change(self.loss_per_epoch),
                "criterion": self.criterion, "val_per_epoch": self.val_per_epoch}


def fit(optimizer: torch.optim.Optimizer, training: TrainingConfig, *, epoch_order: Callable[[int], np.ndarray],
        batch_loss: Callable[[torch.Tensor], torch.Tensor], total_steps: int,
        progress: ProgressFn | None = None, validate: Callable[[], float] | None = None,
        modules: Sequence[Any] = (), criterion: str = "validation loss") -> FitLog:
    """Run up to `training.epochs` epochs; `epoch_order(e)` gives the row indices of epoch e (drawn in order)."""
    t0 = time.perf_counter()
    losses: list[float] = []
    val: list[float] = []
    stopper = Stopper(training.patience, training.min_delta) if validate is not None else None
    samples = stopped = 0
    for epoch in range(training.epochs):
        for group in optimizer.param_groups:
            group["lr"] = training.lr_at(epoch)
        idx = epoch_order(epoch)
        samples += len(idx)
        losses.append(_epoch(optimizer, idx, training.batch_size, batch_loss, progress, total_steps,
                             step0=epoch * -(-len(idx) // training.batch_size)))
        if stopper is not None:
            val.append(float(validate()))
            if stopper.update(epoch, val[-1], modules):
                stopped = epoch + 1 < training.epochs
                break
    if stopper is not None:
        stopper.restore(modules)
        if progress and stopped:
            progress("train", total_steps, total_steps)
    return FitLog(losses, samples, time.perf_counter() - t0, val,
                  None if stopper is None else stopper.best_epoch + 1, bool(stopped), criterion)


def _epoch(optimizer: Any, idx: np.ndarray, bs: int, batch_loss: Callable[[Any], Any],
           progress: ProgressFn | None, total_steps: int, step0: int) -> float:
    """One pass over `idx` in batches of `bs`; the mean training loss."""
    import torch

    run_loss, seen, step = 0.0, 0, step0
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
    return run_loss / max(seen, 1)
