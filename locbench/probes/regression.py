"""Regression probe (MOSAIKS protocol, spec §C2) and location-only regression for embedded tasks.

Protocol (fixed defaults):

* Targets are standardised with the training mean and standard deviation for training (so one
  learning rate suits every target scale) and predictions are mapped back to target units before
  they are written; metrics are therefore in the dataset's own units. Image features, when present,
  are standardised with training statistics too.
* With image features F: `img = MLP(F -> 256 -> E)` (LeakyReLU, dropout 0.1);
  location: `loc = sigmoid(Linear(D, E))(enc(lon, lat))`; `concat(img, loc) -> MLP(2E -> 256 -> T)`.
  Without image features (embedded tasks): `loc -> MLP(E -> 256 -> T)`, i.e. location-only regression.
  E = 64 (TorchSpatial's default `embed_dim_before_regress`), T = number of targets.
* Loss MSE on the standardised targets, Adam (weight decay 0), lr_e = 1e-3 * 0.98^e, batch 1024,
  shuffled, trained end to end on the located training rows less 20 % carved for validation
  (`--holdout`, seeded); early stopping on the validation MSE after `patience` epochs without a
  relative improvement of `min_delta`, at most `epochs` (default 100); the same initial weights are
  then trained on all located training rows for the best epoch count (`locbench.training.TrainingConfig`
  defaults; the loop is `locbench.probes.loop.fit_and_refit`; `info["training"]`).
  The encoder's architecture comes from its preset for the dataset (its defaults when it has none);
  the preset's training keys (lr, epochs) are tuned for geo-prior classification and are not used.
* Frozen (pretrained) encoder: the same network on embeddings computed once and standardised on the
  training rows; lr, weight decay and epochs chosen on validation rows carved from train with early
  stopping, refit on all training rows (`locbench.probes.frozen_head`; `info["selection"]`).
* No prior: the image-only MLP (`img -> MLP(E -> 256 -> T)`), or the training mean when there are no
  image features. Unlocated test rows (rare for regression sets) get the training mean and are
  counted in `info["n_test_fallback"]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from locbench.datasets.spec import DatasetSplit
from locbench.errors import InputError
from locbench.probes.common import (EVAL_CHUNK, BuiltEncoder, EncoderRef, ProgressFn, ProtocolConstants,
                                    build_encoder, check_split, located_mask, regression_frame)
from locbench.probes.loop import FitLog, fit_and_refit
from locbench.training import TrainingConfig


@dataclass(frozen=True)
class RegressionHead(ProtocolConstants):
    """Widths of the §C2 network (E = `embed_dim`, hidden layers `hidden`, dropout)."""

    embed_dim: int = 64
    hidden: int = 256
    dropout: float = 0.1



@dataclass
class _Data:
    """Standardised training/test arrays of one regression run."""

    y_tr: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    f_tr: np.ndarray | None
    f_te: np.ndarray | None
    tr_loc: np.ndarray
    te_loc: np.ndarray


def _mlp(d_in: int, hidden: int, d_out: int, dropout: float) -> Any:
    import torch

    return torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.LeakyReLU(0.2),
                               torch.nn.Dropout(dropout), torch.nn.Linear(hidden, d_out))


class RegressNet:  # built lazily so importing the module does not import torch
    """Factory for the §C2 network; returns a torch.nn.Module."""

    @staticmethod
    def make(enc: Any, enc_dim: int, n_feat: int, n_targets: int, cfg: RegressionHead) -> Any:
        import torch

        e, h, dr = int(cfg.embed_dim), int(cfg.hidden), float(cfg.dropout)

        class _Net(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.enc = enc
                self.img = _mlp(n_feat, h, e, dr) if n_feat else None
                self.loc = torch.nn.Sequential(torch.nn.Linear(enc_dim, e), torch.nn.Sigmoid()) if enc is not None else None
                width = e * ((self.img is not None) + (self.loc is not None))
                self.out = _mlp(width, h, n_targets, dr)

            def forward(self, lonlat: Any, feats: Any) -> Any:
                parts = []
                if self.img is not None:
                    parts.append(self.img(feats))
                if self.loc is not None:
                    parts.append(self.loc(self.enc(lonlat)))
                return self.out(torch.cat(parts, dim=1))

        return _Net()


def run(encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *, training: TrainingConfig,
        overrides: Mapping[str, Any] | None = None, progress: ProgressFn | None = None,
        hparams: dict[str, Any] | None = None, preset: str | None = None, holdout: str = "random",
        **options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Train the regressor on `train`, predict `test`; returns (predictions, info).

    A frozen encoder goes through the frozen-head protocol (`frozen_head`): the same network on
    standardised embeddings computed once, lr / weight decay / epochs chosen on validation rows.

    The encoder preset's schedule keys are tuned for geo-prior classification and are not used:
    the schedule is `training` updated with the explicit `overrides`.
    """
    check_split(train, role="train", task_type="regression")
    check_split(test, role="test", task_type="regression")
    head_cfg = RegressionHead.from_options(options)
    d = _standardised(train, test)
    built = build_encoder(encoder, seed=training.seed,
                          train_lonlat=np.stack([train.lon, train.lat], axis=1)[d.tr_loc],
                          hparams=hparams, preset=preset or train.spec.name)
    cfg = training.updated(overrides or {})
    n_test, n_t = len(test.sample_ids), d.y_tr.shape[1]
    info: dict[str, Any] = {
        "probe": "regression", "encoder": built.name, "n_targets": n_t,
        "n_train": int(len(train.sample_ids)), "n_test": int(n_test),
        "n_test_located": int(d.te_loc.sum()), "image_features": d.f_tr is not None,
        "target_mean": d.mu.tolist(), "target_std": d.sd.tolist(), "encoder_hparams": dict(built.hparams),
    }
    if built.is_no_prior and d.f_tr is None:
        info.update({"config": {"fallback": "train_mean"}, "n_parameters": 0, "train_seconds": 0.0,
                     "n_test_fallback": int(n_test), "location_only": None})
        return regression_frame(test, np.broadcast_to(d.mu, (n_test, n_t))), info
    if built.module is not None and not built.trainable:
        pred, ok, sel, n_params = _frozen(built, train, test, d, cfg, head_cfg, holdout,
                                          (overrides or {}).get("epochs"), progress)
        info.update({"config": {"protocol": "frozen-head", **sel["selected"], **asdict(head_cfg)},
                     "selection": sel, "train_seconds": sel["seconds"], "loss_per_epoch": sel["loss_per_epoch"]})
    else:
        net, log, n_params, n_val = _train(built, train, d, cfg, head_cfg, holdout, progress)
        pred, ok = _predict(net, built, test, d, cfg.device)
        info.update({"config": {**cfg.schedule(), **asdict(head_cfg), "epochs_run": len(log.loss_per_epoch),
                                "best_epoch": log.best_epoch},
                     "training": log.summary(cfg, n_val), "train_seconds": log.seconds,
                     "samples_per_second": log.samples_per_second, "loss_per_epoch": log.loss_per_epoch})
    if progress:
        progress("predict", 1, 1)
    info.update({"n_parameters": int(n_params), "n_test_fallback": int((~ok).sum())})
    df = regression_frame(test, pred)
    info["location_only"] = None
    if d.f_tr is None and not built.is_no_prior and d.te_loc.any():  # the model *is* location-only
        from locbench.metrics import regression_metrics

        names = list(df.columns[3:][::2].str.replace("y_true:", "", regex=False)) if n_t > 1 else None
        info["location_only"] = {**regression_metrics(df[d.te_loc], names), "n": int(d.te_loc.sum())}
    return df, info


def _standardised(train: DatasetSplit, test: DatasetSplit) -> _Data:
    """Targets' training mean/sd and image features standardised with training statistics."""
    y_tr = np.asarray(train.targets, dtype=np.float64).reshape(len(train.sample_ids), -1)
    mu, sd = y_tr.mean(axis=0), y_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    f_tr = None if train.image_features is None else np.asarray(train.image_features, dtype=np.float32)
    f_te = None if test.image_features is None else np.asarray(test.image_features, dtype=np.float32)
    if (f_tr is None) != (f_te is None):
        raise InputError("image_features must be given for both train and test or for neither",
                         column="image_features")
    if f_tr is not None:
        fm, fs = f_tr.mean(axis=0), f_tr.std(axis=0)
        fs = np.where(fs > 0, fs, 1.0)
        f_tr = ((f_tr - fm) / fs).astype(np.float32)
        f_te = ((f_te - fm) / fs).astype(np.float32)
    return _Data(y_tr, mu, sd, f_tr, f_te, located_mask(train), located_mask(test))


def _train(built: BuiltEncoder, train: DatasetSplit, d: _Data, cfg: TrainingConfig, head_cfg: RegressionHead,
           holdout: str, progress: ProgressFn | None) -> tuple[Any, FitLog, int, int]:
    """The §C2 network trained end to end (MSE on standardised targets) on the located training rows.

    With early stopping (`cfg.early_stopping`) 20 % of those rows are carved for validation
    (`holdout`, seeded), the network trains on the rest and stops on their MSE; the same initial
    weights are then trained on all those rows for the best epoch count
    (`loop.fit_and_refit`). Returns (network, log, parameters, validation rows).
    """
    import torch

    from locbench.datasets.holdout import carve_validation

    use = d.tr_loc if not built.is_no_prior else np.ones(len(d.tr_loc), dtype=bool)
    torch.manual_seed(cfg.seed)
    n_feat = 0 if d.f_tr is None else d.f_tr.shape[1]
    net = RegressNet.make(built.module, built.output_dim, n_feat, d.y_tr.shape[1], head_cfg).to(cfg.device)
    if built.module is not None and not built.trainable:
        for p in built.module.parameters():
            p.requires_grad_(False)
    params = [p for p in net.parameters() if p.requires_grad]
    lonlat = np.stack([np.nan_to_num(train.lon), np.nan_to_num(train.lat)], axis=1)[use].astype(np.float32)
    x_all = torch.from_numpy(lonlat)
    f_all = None if d.f_tr is None else torch.from_numpy(d.f_tr[use])
    y_all = torch.from_numpy(((d.y_tr - d.mu) / d.sd)[use].astype(np.float32))
    val = (carve_validation(lonlat[:, 0], lonlat[:, 1], seed=cfg.seed, method=holdout)
           if cfg.early_stopping else np.zeros(len(y_all), dtype=bool))
    fit_rows, all_rows = np.flatnonzero(~val), np.arange(len(y_all))
    rng = np.random.default_rng(cfg.seed)

    def mse(bi: Any) -> Any:
        out = net(x_all[bi].to(cfg.device), None if f_all is None else f_all[bi].to(cfg.device))
        return torch.nn.functional.mse_loss(out, y_all[bi].to(cfg.device))

    def validate() -> float:
        net.eval()
        with torch.no_grad():
            loss = float(mse(torch.from_numpy(np.flatnonzero(val))))
        _train_mode(net, built)
        return loss

    _train_mode(net, built)
    log = fit_and_refit(lambda: torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay), cfg,
                        epoch_order=lambda epoch: rng.permutation(fit_rows),
                        refit_order=lambda epoch: rng.permutation(all_rows), batch_loss=mse,
                        samples_per_epoch=len(fit_rows), refit_samples_per_epoch=len(all_rows),
                        refit_rows=len(all_rows), modules=(net,), progress=progress,
                        validate=validate if val.any() else None)
    return net, log, sum(p.numel() for p in params), int(val.sum())


def _train_mode(net: Any, built: BuiltEncoder) -> None:
    """Training mode, except a frozen encoder, which stays in eval mode."""
    net.train()
    if built.module is not None and not built.trainable:
        built.module.eval()


def _predict(net: Any, built: BuiltEncoder, test: DatasetSplit, d: _Data, device: str) -> tuple[np.ndarray, np.ndarray]:
    """Predictions in target units; rows the model cannot score (unlocated) get the training mean."""
    import torch

    net.eval()
    n_test = len(test.sample_ids)
    pred = np.broadcast_to(d.mu, (n_test, d.y_tr.shape[1])).copy()
    ok = d.te_loc if not built.is_no_prior else np.ones(n_test, dtype=bool)
    x_te = np.stack([np.nan_to_num(test.lon), np.nan_to_num(test.lat)], axis=1).astype(np.float32)
    rows = np.flatnonzero(ok)
    with torch.no_grad():
        for s in range(0, len(rows), EVAL_CHUNK):
            r = rows[s:s + EVAL_CHUNK]
            out = net(torch.from_numpy(x_te[r]).to(device),
                      None if d.f_te is None else torch.from_numpy(d.f_te[r]).to(device))
            pred[r] = out.double().cpu().numpy() * d.sd + d.mu
    return pred, ok


def _frozen(built: BuiltEncoder, train: DatasetSplit, test: DatasetSplit, d: _Data, cfg: TrainingConfig,
            head_cfg: RegressionHead, holdout: str, max_epochs: int | None,
            progress: ProgressFn | None) -> tuple[np.ndarray, np.ndarray, dict[str, Any], int]:
    """The §C2 network on once-computed, standardised embeddings of a frozen encoder (located rows).

    Returns (test predictions in target units, rows predicted, selection record, head parameters).
    """
    import torch

    from locbench.datasets.holdout import carve_validation
    from locbench.probes import frozen_head as fh

    def lonlat(split: DatasetSplit, rows: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(split.lon)[rows], np.asarray(split.lat)[rows]], axis=1).astype(np.float32)

    tr, te = np.flatnonzero(d.tr_loc), np.flatnonzero(d.te_loc)
    raw = fh.embed(built.module, lonlat(train, tr), cfg.device)
    std = fh.Standardiser.fit(raw)
    xs = (torch.from_numpy(std(raw)),) + (() if d.f_tr is None else (torch.from_numpy(d.f_tr[tr]),))
    y = torch.from_numpy(((d.y_tr - d.mu) / d.sd)[tr].astype(np.float32))
    n_feat = 0 if d.f_tr is None else d.f_tr.shape[1]

    def forward(net: Any, x: tuple[Any, ...]) -> Any:
        return net(x[0], x[1] if len(x) > 1 else None)

    def r2(net: Any, x: tuple[Any, ...], yb: Any) -> float:
        out = forward(net, x)
        return float((1.0 - ((yb - out) ** 2).sum(0) / ((yb - yb.mean(0)) ** 2).sum(0).clamp_min(1e-12)).mean())

    task = fh.HeadTask(
        make=lambda: RegressNet.make(torch.nn.Identity(), raw.shape[1], n_feat, y.shape[1], head_cfg),
        loss=lambda net, x, yb, gen: torch.nn.functional.mse_loss(forward(net, x), yb), metric=r2, metric_name="r2")
    val = carve_validation(np.asarray(train.lon)[tr], np.asarray(train.lat)[tr], seed=cfg.seed, method=holdout)
    net, record = fh.select_and_fit(task, xs, y, val, search=fh.HeadSearch().capped(max_epochs), seed=cfg.seed,
                                    progress=progress)
    pred = np.broadcast_to(d.mu, (len(test.sample_ids), d.y_tr.shape[1])).copy()
    x_te = (torch.from_numpy(std(fh.embed(built.module, lonlat(test, te), cfg.device))),) + \
        (() if d.f_te is None else (torch.from_numpy(d.f_te[te]),))
    with torch.no_grad():
        pred[te] = forward(net, x_te).double().numpy() * d.sd + d.mu
    return pred, d.te_loc.copy(), record, sum(p.numel() for p in net.parameters())
