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
  shuffled, a fixed number of epochs (default 30), trained end to end on the located training rows.
  The encoder's architecture comes from its preset for the dataset (its defaults when it has none);
  the preset's training keys (lr, epochs) are tuned for geo-prior classification and are not used.
* No prior: the image-only MLP (`img -> MLP(E -> 256 -> T)`), or the training mean when there are no
  image features. Unlocated test rows (rare for regression sets) get the training mean and are
  counted in `info["n_test_fallback"]`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from locbench.probes.common import (
    EVAL_CHUNK,
    ProgressFn,
    build_encoder,
    check_split,
    located_mask,
    lr_at_epoch,
    regression_frame,
)

DEFAULTS: dict[str, Any] = {
    "epochs": 30, "lr": 1e-3, "batch_size": 1024, "embed_dim": 64, "hidden": 256,
    "dropout": 0.1, "lr_decay": 0.98,
}


def _mlp(d_in: int, hidden: int, d_out: int, dropout: float) -> Any:
    import torch

    return torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.LeakyReLU(0.2),
                               torch.nn.Dropout(dropout), torch.nn.Linear(hidden, d_out))


class RegressNet:  # built lazily so importing the module does not import torch
    """Factory for the §C2 network; returns a torch.nn.Module."""

    @staticmethod
    def make(enc: Any, enc_dim: int, n_feat: int, n_targets: int, cfg: dict[str, Any]) -> Any:
        import torch

        e, h, dr = int(cfg["embed_dim"]), int(cfg["hidden"]), float(cfg["dropout"])

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


def run(encoder: Any, train: Any, test: Any, *, seed: int = 0, device: str = "cpu",
        epochs: int | None = None, progress: ProgressFn | None = None,
        hparams: dict[str, Any] | None = None, preset: str | None = None,
        **options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Train the regressor on `train`, predict `test`; returns (predictions, info)."""
    import torch

    check_split(train, role="train", task_type="regression")
    check_split(test, role="test", task_type="regression")
    dataset = str(getattr(getattr(train, "spec", None), "name", ""))
    overrides = {k: v for k, v in options.items() if k in DEFAULTS and v is not None}
    y_tr = np.asarray(train.targets, dtype=np.float64).reshape(len(train.sample_ids), -1)
    n_t = y_tr.shape[1]
    mu, sd = y_tr.mean(axis=0), y_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    tr_loc = located_mask(train)
    te_loc = located_mask(test)
    f_tr = None if train.image_features is None else np.asarray(train.image_features, dtype=np.float32)
    f_te = None if test.image_features is None else np.asarray(test.image_features, dtype=np.float32)
    if (f_tr is None) != (f_te is None):
        from locbench.errors import InputError

        raise InputError("image_features must be given for both train and test or for neither",
                         column="image_features")
    built = build_encoder(encoder, seed=seed,
                          train_lonlat=np.stack([train.lon, train.lat], axis=1)[tr_loc],
                          hparams=hparams, preset=preset or dataset or None)
    # the encoder preset's training keys are tuned for geo-prior classification: not used here
    cfg = {**DEFAULTS, **overrides}
    if epochs is not None:
        cfg["epochs"] = int(epochs)
    n_test = len(test.sample_ids)
    info: dict[str, Any] = {
        "probe": "regression", "encoder": built.name, "n_targets": n_t,
        "n_train": int(len(train.sample_ids)), "n_test": int(n_test),
        "n_test_located": int(te_loc.sum()), "image_features": f_tr is not None,
        "target_mean": mu.tolist(), "target_std": sd.tolist(), "encoder_hparams": dict(built.hparams),
    }
    if built.is_no_prior and f_tr is None:
        pred = np.broadcast_to(mu, (n_test, n_t))
        info.update({"config": {"fallback": "train_mean"}, "n_parameters": 0, "train_seconds": 0.0,
                     "n_test_fallback": int(n_test), "location_only": None})
        return regression_frame(test, pred), info

    if f_tr is not None:
        fm, fs = f_tr.mean(axis=0), f_tr.std(axis=0)
        fs = np.where(fs > 0, fs, 1.0)
        f_tr = ((f_tr - fm) / fs).astype(np.float32)
        f_te = ((f_te - fm) / fs).astype(np.float32)
    use = tr_loc if not built.is_no_prior else np.ones(len(tr_loc), dtype=bool)
    torch.manual_seed(seed)
    net = RegressNet.make(built.module, built.output_dim, 0 if f_tr is None else f_tr.shape[1], n_t, cfg).to(device)
    if built.module is not None and not built.trainable:
        for p in built.module.parameters():
            p.requires_grad_(False)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg["lr"], weight_decay=0.0)
    x_all = torch.from_numpy(np.stack([np.nan_to_num(train.lon), np.nan_to_num(train.lat)], axis=1)[use].astype(np.float32))
    f_all = None if f_tr is None else torch.from_numpy(f_tr[use])
    y_all = torch.from_numpy(((y_tr - mu) / sd)[use].astype(np.float32))
    rng = np.random.default_rng(seed)
    bs = int(cfg["batch_size"])
    n_b = -(-len(y_all) // bs)
    total = n_b * cfg["epochs"]
    step = 0
    losses: list[float] = []
    t0 = time.perf_counter()
    net.train()
    if built.module is not None and not built.trainable:
        built.module.eval()
    for epoch in range(cfg["epochs"]):
        for g in opt.param_groups:
            g["lr"] = lr_at_epoch(cfg["lr"], epoch, cfg["lr_decay"])
        idx = torch.from_numpy(rng.permutation(len(y_all)))
        tot, seen = 0.0, 0
        for s in range(0, len(idx), bs):
            bi = idx[s:s + bs]
            out = net(x_all[bi].to(device), None if f_all is None else f_all[bi].to(device))
            loss = torch.nn.functional.mse_loss(out, y_all[bi].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += float(loss.detach()) * len(bi)
            seen += len(bi)
            step += 1
            if progress:
                progress("train", step, total)
        losses.append(tot / max(seen, 1))
    train_s = time.perf_counter() - t0

    net.eval()
    pred = np.broadcast_to(mu, (n_test, n_t)).copy()
    ok = te_loc if not built.is_no_prior else np.ones(n_test, dtype=bool)
    x_te = np.stack([np.nan_to_num(test.lon), np.nan_to_num(test.lat)], axis=1).astype(np.float32)
    rows = np.flatnonzero(ok)
    with torch.no_grad():
        for s in range(0, len(rows), EVAL_CHUNK):
            r = rows[s:s + EVAL_CHUNK]
            out = net(torch.from_numpy(x_te[r]).to(device),
                      None if f_te is None else torch.from_numpy(f_te[r]).to(device))
            pred[r] = out.double().cpu().numpy() * sd + mu
    if progress:
        progress("predict", 1, 1)
    info.update({
        "config": cfg, "n_parameters": int(sum(p.numel() for p in params)), "train_seconds": train_s,
        "samples_per_second": (len(y_all) * cfg["epochs"] / train_s) if train_s > 0 else None,
        "loss_per_epoch": losses, "n_test_fallback": int((~ok).sum()),
    })
    df = regression_frame(test, pred)
    info["location_only"] = None
    if f_tr is None and not built.is_no_prior and te_loc.any():  # the model *is* location-only
        from locbench.metrics import regression_metrics

        names = list(df.columns[3:][::2].str.replace("y_true:", "", regex=False)) if n_t > 1 else None
        info["location_only"] = {**regression_metrics(df[te_loc], names), "n": int(te_loc.sum())}
    return df, info
