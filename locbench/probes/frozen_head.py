"""The frozen-encoder protocol: train only a head on fixed embeddings, to convergence, chosen on validation.

A pretrained, frozen encoder's embeddings never change, so the geo-prior and regression probes
embed every row ONCE (train, test and the geo-prior's background pool), standardise them with the
training rows' mean and standard deviation (GeoCLIP's raw embeddings have magnitudes ~0.01, so one
learning rate cannot suit every encoder otherwise), and train only the probe's head on them:

* validation rows are carved from train (`locbench.datasets.holdout.carve_validation`, random rows or
  whole 10° cells by `--holdout`); the reported split is never seen;
* for every (loss, lr, weight decay) of `HeadSearch` the head trains with Adam, lr_e = lr·decay^e, and
  early stopping: the validation loss is measured after every epoch, the best epoch kept, training
  stops after `patience` epochs without a relative improvement of `min_delta`;
* the setting with the best validation metric (top-1 / R²; ties → lower validation loss) wins and
  the head is refit on all training rows for that setting's best epoch count;
* everything chosen (the grid, each setting's best epoch, validation loss and metric, the refit's
  loss curve) is returned as a JSON-safe record for the run record and the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from locbench.probes.common import EVAL_CHUNK, ProgressFn
from locbench.probes.stopping import Stopper


@dataclass(frozen=True)
class HeadSearch:
    """The frozen protocol's search grid and stopping rule (one declaration, recorded in every run)."""

    lrs: tuple[float, ...] = (1e-2, 3e-2)
    weight_decays: tuple[float, ...] = (0.0, 1e-4)
    losses: tuple[str, ...] = ("default",)  # names in `HeadTask.losses` ("default": `HeadTask.loss`)
    max_epochs: int = 100
    patience: int = 5
    min_delta: float = 1e-3  # relative validation-loss improvement that resets the patience
    batch_size: int = 1024
    lr_decay: float = 0.98

    def capped(self, epochs: int | None) -> HeadSearch:
        """`--epochs` caps the epochs a frozen head may train (quick runs)."""
        from dataclasses import replace

        return self if epochs is None else replace(self, max_epochs=int(epochs))


@dataclass
class HeadTask:
    """What differs between probes: the head, a batch's loss and the selection metric (higher is better)."""

    make: Callable[[], Any]
    loss: Callable[[Any, tuple[Any, ...], Any, Any], Any]  # (head, inputs, targets, torch generator)
    metric: Callable[[Any, tuple[Any, ...], Any], float]  # (head, inputs, targets)
    metric_name: str
    losses: dict[str, Callable[[Any, tuple[Any, ...], Any, Any], Any]] | None = None  # alternatives to search

    def loss_for(self, name: str) -> Callable[[Any, tuple[Any, ...], Any, Any], Any]:
        return self.loss if name == "default" else (self.losses or {})[name]


def embed(module: Any, lonlat: np.ndarray, device: str) -> np.ndarray:
    """The frozen encoder's embedding of (N, 2) lon/lat rows, float64, chunk by chunk (no grad)."""
    import torch

    module = module.to(device).eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(lonlat), EVAL_CHUNK):
            chunk = torch.from_numpy(np.ascontiguousarray(lonlat[s:s + EVAL_CHUNK], dtype=np.float32)).to(device)
            out.append(module(chunk).double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


@dataclass(frozen=True)
class Standardiser:
    """Mean and standard deviation of the training rows (constant columns keep sd 1)."""

    mean: np.ndarray
    sd: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardiser:
        sd = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(np.isfinite(sd) & (sd > 0), sd, 1.0))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.sd).astype(np.float32)


def _rows(xs: tuple[Any, ...], idx: Any) -> tuple[Any, ...]:
    return tuple(t[idx] for t in xs)


def _train(task: HeadTask, xs: tuple[Any, ...], y: Any, train_idx: np.ndarray, val_idx: np.ndarray | None, *,
           lr: float, wd: float, epochs: int, search: HeadSearch, seed: int,
           loss_name: str = "default") -> tuple[Any, dict[str, Any]]:
    """Adam on `train_idx`; with `val_idx`, early stopping on the validation loss (best epoch restored)."""
    import torch

    loss_fn = task.loss_for(loss_name)
    torch.manual_seed(seed)
    head = task.make()
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=wd)
    rng, gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed + 2)
    losses: list[float] = []
    stopper, best_metric = Stopper(search.patience, search.min_delta), None
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr * search.lr_decay**epoch
        order = rng.permutation(train_idx)
        head.train()
        total = 0.0
        for s in range(0, len(order), search.batch_size):
            bi = torch.from_numpy(order[s:s + search.batch_size])
            loss = loss_fn(head, _rows(xs, bi), y[bi], gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(bi)
        losses.append(total / max(len(order), 1))
        if val_idx is None:
            continue
        v_loss, v_metric = _validate(task, head, xs, y, val_idx, seed, loss_fn)
        if stopper.improves(v_loss):
            best_metric = v_metric
        if stopper.update(epoch, v_loss, (head,)):
            break
    log = {"loss_per_epoch": losses, "epochs_run": len(losses)}
    if val_idx is not None:
        stopper.restore((head,))
        log.update({"best_epoch": stopper.best_epoch + 1, "val_loss": stopper.best, "val_metric": best_metric,
                    "stopped_early": len(losses) < epochs})
    return head.eval(), log


def _validate(task: HeadTask, head: Any, xs: tuple[Any, ...], y: Any, val_idx: np.ndarray, seed: int,
              loss_fn: Callable[..., Any]) -> tuple[float, float]:
    """Validation loss (a fixed background draw, so epochs compare) and metric."""
    import torch

    head.eval()
    vi = torch.from_numpy(val_idx)
    with torch.no_grad():
        loss = float(loss_fn(head, _rows(xs, vi), y[vi], torch.Generator().manual_seed(seed + 3)))
        metric = float(task.metric(head, _rows(xs, vi), y[vi]))
    return loss, metric


def select_and_fit(task: HeadTask, xs: tuple[Any, ...], y: Any, val: np.ndarray, *, search: HeadSearch, seed: int,
                   progress: ProgressFn | None = None) -> tuple[Any, dict[str, Any]]:
    """Grid search with early stopping on `val` rows, then refit on all rows; (head, selection record)."""
    t0 = time.perf_counter()
    tr_idx, val_idx, all_idx = np.flatnonzero(~val), np.flatnonzero(val), np.arange(len(val))
    grid = [(ls, lr, wd) for ls in search.losses for lr in search.lrs for wd in search.weight_decays]
    trials = []
    for i, (ls, lr, wd) in enumerate(grid):
        _, log = _train(task, xs, y, tr_idx, val_idx, lr=lr, wd=wd, epochs=search.max_epochs, search=search, seed=seed,
                        loss_name=ls)
        trials.append({"loss": ls, "lr": lr, "weight_decay": wd, **{k: log[k] for k in
                                                       ("best_epoch", "epochs_run", "val_loss", "val_metric",
                                                        "stopped_early")}})
        if progress:
            progress("select", i + 1, len(grid) + 1)
    win = max(trials, key=lambda t: (t["val_metric"], -t["val_loss"]))  # first best on exact ties
    head, log = _train(task, xs, y, all_idx, None, lr=win["lr"], wd=win["weight_decay"], epochs=win["best_epoch"],
                       search=search, seed=seed, loss_name=win["loss"])
    if progress:
        progress("select", len(grid) + 1, len(grid) + 1)
    record = {"protocol": "frozen-head", "search": asdict(search), "selection_metric": task.metric_name,
              "validation_rows": int(val.sum()), "trials": trials,
              "selected": {"loss": win["loss"], "lr": win["lr"], "weight_decay": win["weight_decay"],
                           "epochs": win["best_epoch"]},
              "stopped_early": bool(win["stopped_early"]), "loss_per_epoch": log["loss_per_epoch"],
              "seconds": time.perf_counter() - t0}
    return head, record
