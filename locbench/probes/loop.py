"""The one training loop of the probes that train an encoder (geo-prior and regression).

A probe supplies what differs — each epoch's row order, a batch's loss and, for early stopping, a
validation criterion — and `fit` does the rest identically: lr_e = lr·decay^e at the start of epoch e,
batches of `batch_size` rows in that order, Adam steps, the mean loss per epoch, progress callbacks
and the wall time. With `validate`, the validation criterion (a loss, or the top-1 error where
the loss and the ranked metric part ways) is measured after every epoch and training
stops by `locbench.probes.stopping` (at most `training.epochs` epochs); the best epoch's weights of
`modules` are restored. `fit_and_refit` then trains the same initial weights again on *all* training
rows for the selected number of epochs: the validation rows choose the schedule, they are not lost
to the model (issue 21: tile on Köppen, stopped at epoch 12 on 80 % of the rows, 76.8 % top-1 against
78.7 % for 10 epochs on all rows).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
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
    refit_loss_per_epoch: list[float] | None = None  # the refit on all rows (None: the kept model is the stopped one)
    refit_rows: int | None = None

    @property
    def samples_per_second(self) -> float | None:
        return self.samples / self.seconds if self.seconds > 0 else None

    def summary(self, training: TrainingConfig, validation_rows: int) -> dict[str, Any]:
        """The run record's `training` block: the rule, what happened, and the final loss change."""
        return {**training.stopping(), "validation_rows": int(validation_rows),
                "epochs_run": len(self.loss_per_epoch), "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early,
                "final_relative_change": relative_change(self.loss_per_epoch),
                "criterion": self.criterion, "val_per_epoch": self.val_per_epoch,
                "refit": None if self.refit_loss_per_epoch is None else {
                    "epochs": len(self.refit_loss_per_epoch), "rows": self.refit_rows,
                    "loss_per_epoch": self.refit_loss_per_epoch}}


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


def fit_and_refit(make_optimizer: Callable[[], torch.optim.Optimizer], training: TrainingConfig, *,
                  epoch_order: Callable[[int], np.ndarray], refit_order: Callable[[int], np.ndarray],
                  batch_loss: Callable[[torch.Tensor], torch.Tensor], samples_per_epoch: int,
                  refit_samples_per_epoch: int, refit_rows: int, modules: Sequence[Any], progress: ProgressFn | None = None,
                  validate: Callable[[], float] | None = None, criterion: str = "validation loss") -> FitLog:
    """`fit` with early stopping on `epoch_order`'s rows, then the same initial weights trained again for
    the best epoch count on `refit_order`'s rows (all training rows) with a fresh optimiser.

    Without `validate` it is plain `fit` on `refit_order` for `training.epochs` epochs. `modules`
    must hold every trained parameter (their initial state is what the refit starts from).
    `samples_per_epoch` / `refit_samples_per_epoch` size the progress bars; `refit_rows` is recorded.
    """
    steps_per_epoch = -(-samples_per_epoch // training.batch_size)
    refit_steps_per_epoch = -(-refit_samples_per_epoch // training.batch_size)
    if validate is None:
        return fit(make_optimizer(), training, epoch_order=refit_order, batch_loss=batch_loss,
                   total_steps=refit_steps_per_epoch * training.epochs, progress=progress)
    initial = [copy.deepcopy(m.state_dict()) for m in modules]
    log = fit(make_optimizer(), training, epoch_order=epoch_order, batch_loss=batch_loss,
              total_steps=steps_per_epoch * training.epochs, progress=progress, validate=validate,
              modules=modules, criterion=criterion)
    epochs = log.best_epoch or len(log.loss_per_epoch)
    for module, state in zip(modules, initial):
        module.load_state_dict(state)
    stage = None if progress is None else (lambda _stage, done, total: progress("refit", done, total))
    again = fit(make_optimizer(), replace(training, epochs=epochs), epoch_order=refit_order,
                batch_loss=batch_loss, total_steps=refit_steps_per_epoch * epochs, progress=stage)
    return replace(log, samples=log.samples + again.samples, seconds=log.seconds + again.seconds,
                   refit_loss_per_epoch=again.loss_per_epoch, refit_rows=int(refit_rows))


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
