"""Segmentation probe on frozen patch embeddings, with or without a location encoder.

Protocol (fixed defaults):

* Input: the split's `image_features` as a token grid (N, h, w, D) — a frozen image encoder's patch
  embeddings, e.g. a ViT GeoFM's (`read_token_grid` reads an .npy aligned with the sample ids) —
  and the split's `masks` (N, H, W); pixels equal to the spec's `ignore_index` (or outside
  0..C-1) are not trained on or scored. Tokens are standardised per channel with training statistics.
* Location ("image ⊕ location", the LocBench way): `loc = sigmoid(Linear(D_enc, E))(enc(lon, lat))`
  of the chip centroid, E = 32, concatenated to every token; the encoder trains with the head (as in
  the regression probe); an unlocated chip (NaN lon/lat) gets a zero location embedding. No prior =
  tokens only.
* Head: a light per-token network, 1 x 1 conv (D [+ E] -> 64), ReLU, 1 x 1 conv (64 -> C); its
  logits are upsampled bilinearly to the mask size; pixel cross-entropy over labelled pixels.
* Training: Adam, batch 64 chips, lr_e = lr · 0.98^e; validation chips carved from train with the
  seed (`carve_validation`, 20 %, random or spatial-block); for each lr in `LR_GRID` (3e-3, 1e-2) up to
  `epochs` epochs (default `MAX_EPOCHS` = 20) with early stopping after `PATIENCE` = 4 epochs without a
  better validation mIoU;
  the (lr, epoch) with the best validation mIoU is kept (its weights; no refit on the validation
  chips) and predicts the reported split. Seeded: same seed, same numbers.
* Output rows: per chip and class the tp/fp/fn pixel counts (`locbench.tasks.segmentation`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from locbench.datasets.holdout import carve_validation
from locbench.datasets.spec import DatasetSplit
from locbench.errors import InputError
from locbench.probes.common import BuiltEncoder, EncoderRef, ProgressFn, build_encoder
from locbench.probes.loop import fit
from locbench.tasks.segmentation import confusion_counts, counts_frame, scores_from_totals
from locbench.training import TrainingConfig

LR_GRID = (3e-3, 1e-2)
MAX_EPOCHS = 20  # the probe's own default (`--epochs` overrides): with early stopping, 20 suffice for a light head
PATIENCE = 4
BATCH_CHIPS = 64
LOC_DIM = 32
HIDDEN = 64


@dataclass
class _Arrays:
    """Standardised tokens (N, D, h, w), long masks with -100 for unscored pixels, chip lon/lat (+ 5th column:
    1 located, 0 unlocated, which zeroes the location embedding)."""

    tokens: np.ndarray
    masks: np.ndarray
    lonlat: np.ndarray


def read_token_grid(path: str | Path, n_rows: int) -> np.ndarray:
    """A user's (N, h, w, D) token embeddings from .npy (memory-mapped), row i = sample i of the split."""
    path = Path(path)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read token embeddings: {exc}", file=path) from exc
    if arr.ndim != 4 or arr.shape[0] != n_rows:
        raise InputError(f"token embeddings must have shape (N={n_rows}, h, w, D), got {arr.shape}", file=path)
    if not np.issubdtype(arr.dtype, np.floating):
        raise InputError(f"token embeddings must be floating point, got {arr.dtype}", file=path)
    return arr


def check_segmentation_split(split: DatasetSplit, *, role: str) -> None:
    """Masks and a token grid for every chip, of consistent sizes; names the split and column."""
    where, n = f"{split.spec.name}/{split.split}", len(split.sample_ids)
    if split.masks is None or np.asarray(split.masks).ndim != 3 or len(split.masks) != n:
        raise InputError("segmentation split needs an (N, H, W) mask per chip", file=where, column="masks")
    tok = split.image_features
    if tok is None or np.asarray(tok).ndim != 4 or len(tok) != n:
        raise InputError("the segmentation probe needs a token grid (N, h, w, D) per chip in image_features "
                         "(a frozen image encoder's patch embeddings)", file=where, column="image_features")
    finite = np.isfinite(np.asarray(tok, dtype=np.float32)).reshape(n, -1).all(axis=1)
    if not finite.all():
        raise InputError("token embedding is not finite", file=where, row=int(np.argmin(finite)),
                         column="image_features")
    if n == 0:
        raise InputError(f"{role} split has no rows", file=where)


def _arrays(split: DatasetSplit, n_classes: int, mu: np.ndarray, sd: np.ndarray) -> _Arrays:
    masks = np.asarray(split.masks).astype(np.int64)
    unscored = (masks < 0) | (masks >= n_classes)
    if split.spec.ignore_index is not None:
        unscored |= masks == split.spec.ignore_index
    tokens = ((np.asarray(split.image_features, dtype=np.float32) - mu) / sd).transpose(0, 3, 1, 2)
    located = (np.isfinite(split.lon) & np.isfinite(split.lat)).astype(np.float64)
    lonlat = np.stack([np.nan_to_num(split.lon), np.nan_to_num(split.lat), located], axis=1).astype(np.float32)
    return _Arrays(np.ascontiguousarray(tokens, dtype=np.float32), np.where(unscored, -100, masks), lonlat)


def make_net(built: BuiltEncoder, d_tok: int, n_classes: int) -> Any:
    """Token head (+ location branch); forward(tokens (B, D, h, w), lonlat (B, 3), size) -> logits (B, C, H, W)."""
    import torch

    class _Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = built.module
            self.loc = (torch.nn.Sequential(torch.nn.Linear(built.output_dim, LOC_DIM), torch.nn.Sigmoid())
                        if built.module is not None else None)
            width = d_tok + (LOC_DIM if self.loc is not None else 0)
            self.head = torch.nn.Sequential(torch.nn.Conv2d(width, HIDDEN, 1), torch.nn.ReLU(),
                                            torch.nn.Conv2d(HIDDEN, n_classes, 1))

        def forward(self, tokens: Any, lonlat: Any, size: tuple[int, int]) -> Any:
            x = tokens
            if self.loc is not None:
                emb = self.loc(self.enc(lonlat[:, :2])) * lonlat[:, 2:]
                emb = emb[:, :, None, None].expand(-1, -1, *tokens.shape[2:])
                x = torch.cat([tokens, emb], dim=1)
            return torch.nn.functional.interpolate(self.head(x), size=size, mode="bilinear", align_corners=False)

    return _Net()


def _predict(net: Any, a: _Arrays, rows: np.ndarray, device: str) -> np.ndarray:
    """Predicted class masks (len(rows), H, W) of chips `rows`."""
    import torch

    net.eval()
    out = np.empty((len(rows), *a.masks.shape[1:]), dtype=np.int64)
    with torch.no_grad():
        for s in range(0, len(rows), 256):
            r = rows[s:s + 256]
            logits = net(torch.from_numpy(a.tokens[r]).to(device), torch.from_numpy(a.lonlat[r]).to(device),
                         a.masks.shape[1:])
            out[s:s + len(r)] = logits.argmax(dim=1).cpu().numpy()
    return out


def _miou(pred: np.ndarray, masks: np.ndarray, n_classes: int) -> float:
    """mIoU (%) of predicted masks against masks with -100 for unscored pixels."""
    tp, fp, fn = confusion_counts(np.where(masks < 0, n_classes, masks), pred, n_classes).sum(axis=0)
    iou = scores_from_totals(tp, fp, fn)["iou"]
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def _train_one(built: BuiltEncoder, a: _Arrays, tr: np.ndarray, va: np.ndarray, n_classes: int, lr: float,
               cfg: TrainingConfig, progress: ProgressFn | None) -> tuple[Any, float, int, list[float]]:
    """One lr: epochs with early stopping; returns (best net, best validation mIoU, its epoch, curve)."""
    import torch

    torch.manual_seed(cfg.seed)
    net = make_net(copy.deepcopy(built), a.tokens.shape[1], n_classes).to(cfg.device)
    if net.enc is not None and not built.trainable:  # a pretrained encoder stays frozen
        for p in net.enc.parameters():
            p.requires_grad_(False)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, weight_decay=cfg.weight_decay)
    tok, ll, y = (torch.from_numpy(x[tr]) for x in (a.tokens, a.lonlat, a.masks))
    rng = np.random.default_rng(cfg.seed)

    def batch_loss(bi: Any) -> Any:
        out = net(tok[bi].to(cfg.device), ll[bi].to(cfg.device), a.masks.shape[1:])
        return torch.nn.functional.cross_entropy(out, y[bi].to(cfg.device), ignore_index=-100)

    best, best_state, best_epoch, curve = -1.0, None, 0, []
    for epoch in range(cfg.epochs):
        net.train()
        one = cfg.updated({"epochs": 1, "lr": cfg.lr_at(epoch) / cfg.lr * lr, "batch_size": BATCH_CHIPS})
        fit(opt, one, epoch_order=lambda _e: rng.permutation(len(tr)), batch_loss=batch_loss,
            total_steps=-(-len(tr) // BATCH_CHIPS))
        score = _miou(_predict(net, a, va, cfg.device), a.masks[va], n_classes)
        curve.append(score)
        if progress:
            progress("train", epoch + 1, cfg.epochs)
        if score > best:
            best, best_state, best_epoch = score, copy.deepcopy(net.state_dict()), epoch + 1
        elif epoch + 1 - best_epoch >= PATIENCE:
            break
    net.load_state_dict(best_state)
    return net, best, best_epoch, curve


def run(encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *, training: TrainingConfig,
        overrides: Mapping[str, Any] | None = None, progress: ProgressFn | None = None, holdout: str = "random",
        hparams: dict[str, Any] | None = None, preset: str | None = None,
        **options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Select lr and epoch on validation chips carved from `train`, predict `test`'s masks as pixel counts."""
    check_segmentation_split(train, role="train")
    check_segmentation_split(test, role="test")
    c = int(train.spec.num_classes or int(np.asarray(train.masks).max()) + 1)
    cfg = training.updated({**(overrides or {}), "epochs": (overrides or {}).get("epochs") or MAX_EPOCHS})
    built = build_encoder(encoder, seed=training.seed, train_lonlat=np.stack([train.lon, train.lat], axis=1),
                          hparams=hparams, preset=preset or train.spec.name)
    tok = np.asarray(train.image_features, dtype=np.float32)
    mu = tok.reshape(-1, tok.shape[-1]).mean(axis=0)
    sd = tok.reshape(-1, tok.shape[-1]).std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    a_tr, a_te = _arrays(train, c, mu, sd), _arrays(test, c, mu, sd)
    val = carve_validation(train.lon, train.lat, seed=training.seed, method=holdout)
    t0 = time.perf_counter()
    runs = {lr: _train_one(built, a_tr, np.flatnonzero(~val), np.flatnonzero(val), c, lr, cfg, progress)
            for lr in LR_GRID}
    best_lr = max(LR_GRID, key=lambda lr: (runs[lr][1], -LR_GRID.index(lr)))  # first best on ties
    net = runs[best_lr][0]
    pred = _predict(net, a_te, np.arange(len(test.sample_ids)), cfg.device)
    counts = confusion_counts(np.asarray(test.masks), pred, c, test.spec.ignore_index)
    info = {"probe": "segmentation", "encoder": built.name, "n_train": int(len(train.sample_ids)),
            "n_test": int(len(test.sample_ids)), "holdout": holdout, "encoder_hparams": dict(built.hparams),
            "config": {"lr_grid": list(LR_GRID), "selected_lr": best_lr, "selected_epoch": runs[best_lr][2],
                       "max_epochs": cfg.epochs, "patience": PATIENCE, "batch_chips": BATCH_CHIPS,
                       "loc_dim": LOC_DIM, "hidden": HIDDEN, "validation_rows": int(val.sum()),
                       "selection_metric": "miou", "token_grid": list(tok.shape[1:3]), "token_dim": int(tok.shape[3])},
            "validation_scores": {str(lr): {"best_miou": runs[lr][1], "per_epoch": runs[lr][3]} for lr in LR_GRID},
            "n_parameters": int(sum(p.numel() for p in net.parameters())),
            "train_seconds": time.perf_counter() - t0, "location_only": None}
    return counts_frame(test, counts), info
