"""Shared pieces of every probe: seeding, encoder construction, ranking and the per-sample rows.

Kept in one place so every protocol ranks classes, breaks ties and writes the
`locbench.predictions` schema identically; a probe only decides *how scores are made*.

Tie rule (documented contract): classes are ranked by descending score; among equal
scores the lower class id ranks first. So `rank = 1 + #{c : s_c > s_y} + #{c < y : s_c == s_y}`,
`y_pred` is the lowest class id with the maximal score, `hit@k = rank <= k`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd

from locbench.datasets.spec import DatasetSplit
from locbench.errors import InputError
from locbench.training import SCHEDULE_KEYS, default_threads

if TYPE_CHECKING:
    import torch

    from locbench.encoders.spec import EncoderSpec

# progress(stage, completed, total): stage is a short label such as "train" or "predict".
ProgressFn = Callable[[str, int, int], None]

EVAL_CHUNK = 2048  # rows scored at once: bounds memory at chunk x classes floats

#: What a probe accepts as the location encoder: a registered spec, a ready module, a name, or None (no prior).
EncoderRef = Union["EncoderSpec", "torch.nn.Module", str, None]


@contextlib.contextmanager
def deterministic_torch(seed: int, threads: int | None = None) -> Iterator[None]:
    """Seed torch, fix thread count and request deterministic kernels; restore afterwards.

    Same seed and thread count → bit-identical predictions on CPU (checked by tests).
    """
    import torch

    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads or default_threads())
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


def resolve_device(device: str) -> str:
    """'cpu' or 'cuda' (or 'cuda:N'); InputError if CUDA is asked for but absent."""
    import torch

    if device == "cpu":
        return device
    if device.startswith("cuda"):
        # deterministic cuBLAS needs a fixed workspace; must be set before the first CUDA call
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        if not torch.cuda.is_available():
            raise InputError(f"--device {device}: CUDA is not available on this machine (use --device cpu)")
        return device
    raise InputError(f"device must be 'cpu' or 'cuda', got {device!r}")


class ProtocolConstants:
    """Mixin of a probe's frozen dataclass of protocol constants, overridable by `run_probe` options."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Any:
        """Defaults, with the options named like a field that are not None (other options are not ours)."""
        return cls(**{f.name: options[f.name] for f in fields(cls) if options.get(f.name) is not None})


@dataclass
class BuiltEncoder:
    """A location encoder ready for a probe (None module = no prior)."""

    name: str
    module: torch.nn.Module | None
    output_dim: int
    trainable: bool
    hparams: dict[str, Any]
    training: dict[str, Any] = field(default_factory=dict)  # schedule keys from the encoder preset

    @property
    def is_no_prior(self) -> bool:
        return self.module is None


def build_encoder(encoder: EncoderRef, *, seed: int, train_lonlat: np.ndarray | None,
                  hparams: dict[str, Any] | None = None, preset: str | None = None) -> BuiltEncoder:
    """Turn an encoder reference into a module.

    Accepts None (no prior), an `EncoderSpec`, a ready `torch.nn.Module` (its `output_dim`, else
    probed on one point), or a registry name / `module:factory`. `preset` is the dataset name: the
    encoder's TorchSpatial preset for it (defaults when it has none) sets the model hyper-parameters,
    and its schedule keys (lr, batch_size, epochs, lr_decay, weight_decay) are returned in `.training`
    for the probe; explicit `hparams` override both.
    """
    import torch

    from locbench.encoders import resolve_encoder

    hparams = dict(hparams or {})
    if encoder is None:
        return BuiltEncoder("no_prior", None, 0, False, {})
    if isinstance(encoder, torch.nn.Module):
        trainable = any(p.requires_grad for p in encoder.parameters())
        return BuiltEncoder(type(encoder).__name__, encoder, _output_dim(encoder), trainable, hparams)
    spec = resolve_encoder(encoder)
    module = spec.build(seed=seed, preset=preset,
                        train_lonlat=train_lonlat if spec.needs_train_locations else None, **hparams)
    if module is None:
        return BuiltEncoder(spec.name, None, 0, False, {})
    if not preset:
        return BuiltEncoder(spec.name, module, _output_dim(module), spec.trainable, hparams)
    merged = {**spec.preset(preset), **hparams}
    training = {k: merged[k] for k in SCHEDULE_KEYS if k in merged}
    model_hp = {k: v for k, v in merged.items() if k not in SCHEDULE_KEYS}
    return BuiltEncoder(spec.name, module, _output_dim(module), spec.trainable, model_hp, training)


def _output_dim(module: Any) -> int:
    import torch

    dim = getattr(module, "output_dim", None)
    if dim is None:
        was = module.training
        module.eval()
        with torch.no_grad():
            dim = int(module(torch.zeros(1, 2)).shape[-1])
        module.train(was)
    return int(dim)


def uniform_sphere(n: int, generator: Any) -> Any:
    """n (lon, lat) degree pairs uniform on the sphere (area-uniform: lat = asin(U[-1, 1]))."""
    import torch

    u = torch.rand(n, 2, generator=generator, dtype=torch.float32)
    lon = u[:, 0] * 360.0 - 180.0
    lat = torch.rad2deg(torch.asin(u[:, 1] * 2.0 - 1.0))
    return torch.stack([lon, lat], dim=1)


def rank_chunk(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rank, y_pred, true score) for one chunk of a score matrix, with the documented tie rule."""
    n, c = scores.shape
    rows = np.arange(n)
    true = scores[rows, y]
    greater = (scores > true[:, None]).sum(axis=1)
    ties_before = ((scores == true[:, None]) & (np.arange(c)[None, :] < y[:, None])).sum(axis=1)
    rank = 1 + greater + ties_before
    y_pred = np.argmax(scores, axis=1)  # numpy: first (lowest) index of the max
    return rank.astype(np.int64), y_pred.astype(np.int64), true


def classification_frame(split: DatasetSplit, y_pred: np.ndarray, true_prob: np.ndarray, rank: np.ndarray) -> pd.DataFrame:
    """Rows in the `locbench.predictions` classification schema, in split order."""
    rank = np.asarray(rank, dtype=np.int64)
    return pd.DataFrame({
        "sample_id": np.asarray(split.sample_ids).astype(str),
        "lon": np.asarray(split.lon, dtype=np.float64),
        "lat": np.asarray(split.lat, dtype=np.float64),
        "y_true": np.asarray(split.labels, dtype=np.int64),
        "y_pred": np.asarray(y_pred, dtype=np.int64),
        "true_class_prob": np.clip(np.asarray(true_prob, dtype=np.float64), 0.0, 1.0),
        "reciprocal_rank": 1.0 / rank,
        "hit@1": (rank <= 1).astype(np.int64),
        "hit@3": (rank <= 3).astype(np.int64),
    })


def regression_frame(split: DatasetSplit, y_pred: np.ndarray) -> pd.DataFrame:
    """Rows in the regression schema: `y_true, y_pred` or `y_true:<t>, y_pred:<t>` per target."""
    from locbench.predictions import regression_columns

    yt = np.asarray(split.targets, dtype=np.float64).reshape(len(split.sample_ids), -1)
    yp = np.asarray(y_pred, dtype=np.float64).reshape(yt.shape)
    names = list(target_names(split, yt.shape[1]))
    cols = regression_columns(names)
    data: dict[str, Any] = {
        "sample_id": np.asarray(split.sample_ids).astype(str),
        "lon": np.asarray(split.lon, dtype=np.float64),
        "lat": np.asarray(split.lat, dtype=np.float64),
    }
    for j in range(yt.shape[1]):
        data[cols[2 * j]] = yt[:, j]
        data[cols[2 * j + 1]] = yp[:, j]
    return pd.DataFrame(data)


def target_names(split: DatasetSplit, n: int) -> tuple[str, ...]:
    names = split.target_names or split.spec.targets
    if names and len(names) == n:
        return tuple(str(t) for t in names)
    return tuple(f"t{j}" for j in range(n)) if n > 1 else ("y",)


def located_mask(split: DatasetSplit) -> np.ndarray:
    lon = np.asarray(split.lon, dtype=np.float64)
    lat = np.asarray(split.lat, dtype=np.float64)
    return np.isfinite(lon) & np.isfinite(lat)


def _where(split: DatasetSplit) -> str:
    """`<dataset>/<split>`: the "file" an error about a split's arrays names."""
    return f"{split.spec.name}/{split.split}"


def num_classes(train: DatasetSplit, test: DatasetSplit) -> int:
    """Class count: the width of the image-prediction matrix when there is one (the data decides),
    else the spec's `num_classes`, else the largest label seen + 1."""
    seen = int(max(np.max(train.labels, initial=-1), np.max(test.labels, initial=-1))) + 1
    probs = test.image_probs
    spec_c = train.spec.num_classes
    c = int(probs.shape[1]) if probs is not None else int(spec_c) if spec_c else seen
    if seen > c:
        for split in (train, test):
            bad = np.flatnonzero(np.asarray(split.labels) >= c)
            if len(bad):
                raise InputError(f"label {int(split.labels[bad[0]])} >= number of classes {c} "
                                 f"(width of image_probs or the spec's num_classes)", file=_where(split),
                                 row=int(bad[0]), column="label")
    return c


def check_split(split: DatasetSplit, *, role: str, task_type: str) -> None:
    """Fail early, naming the split and column, when arrays are inconsistent."""
    name = _where(split)
    n = len(split.sample_ids)
    for col, values in (("lon", split.lon), ("lat", split.lat)):
        if len(values) != n:
            raise InputError(f"{col} has {len(values)} values for {n} samples", file=name, column=col)
    if task_type == "classification":
        if split.labels is None or len(split.labels) != n:
            raise InputError("classification split needs one label per sample", file=name, column="label")
        if n and np.min(split.labels) < 0:
            raise InputError("labels must be non-negative class ids", file=name,
                             row=int(np.argmin(split.labels)), column="label")
    else:
        if split.targets is None or len(split.targets) != n:
            raise InputError("regression split needs targets for every sample", file=name, column="target")
        t = np.asarray(split.targets, dtype=np.float64)
        bad = ~np.isfinite(t.reshape(n, -1)).all(axis=1)
        if bad.any():
            raise InputError("target is not finite", file=name, row=int(np.argmax(bad)), column="target")
    if n == 0:
        raise InputError(f"{role} split has no rows", file=name)


def dense_rows(block: Any) -> np.ndarray:
    """One evaluation chunk (EVAL_CHUNK rows x classes) as float64; never the whole N x C matrix."""
    return np.asarray(block.toarray() if hasattr(block, "toarray") else block, dtype=np.float64)


def rank_all(test: DatasetSplit, scores: Any, y: np.ndarray) -> pd.DataFrame:
    """Prediction rows from a score matrix (dense or scipy sparse), ranked chunk by chunk."""
    n = len(y)
    rank = np.zeros(n, dtype=np.int64)
    pred = np.zeros(n, dtype=np.int64)
    true = np.zeros(n, dtype=np.float64)
    for s in range(0, n, EVAL_CHUNK):
        sl = slice(s, min(n, s + EVAL_CHUNK))
        rank[sl], pred[sl], true[sl] = rank_chunk(dense_rows(scores[sl]), y[sl])
    return classification_frame(test, pred, true, rank)
