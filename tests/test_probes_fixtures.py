"""Seeded synthetic splits and a tiny location encoder for the probe/evaluate tests.

Each class lives in a known region of the globe (a von-Mises-like cloud around a centre), so a
location-aware prior must beat the class-frequency baseline, and shuffling locations must destroy it.
"""

from __future__ import annotations

import numpy as np
import torch

from locbench.datasets import DatasetSpec, DatasetSplit
from locbench.encoders import EncoderSpec


def synthetic_spec(name: str = "synthetic-regions", *, task_type: str = "classification", num_classes: int | None = 8,
                   targets: tuple[str, ...] = (), primary_metric: str = "top1", **fields) -> DatasetSpec:  # noqa: ANN003
    """A real (unregistered) DatasetSpec for seeded synthetic data; plain shuffled sampler, as embedded sets.

    `fields` override any other DatasetSpec field (e.g. group, n_eval_rows, version), so tests never
    need a duck-typed stand-in for the spec."""
    values = dict(
        name=name, group="embedded", task_type=task_type, modality="location", reported_split="test",
        train_split="train", splits=("train", "test"), num_classes=num_classes, targets=targets,
        primary_metric=primary_metric, n_eval_rows=None, coord_bounds=(-180.0, 180.0, -90.0, 90.0),
        citation="synthetic test data", licence="test data", source="tests/test_probes_fixtures.py",
        expected_files=(), version="test", provenance="seeded synthetic regions (tests)",
        description="classes in known regions of the globe / a smooth field of location", balanced_sampler=False)
    values.update(fields)
    return DatasetSpec(**values)


def _split(spec: DatasetSpec, name: str, lon: np.ndarray, lat: np.ndarray, **arrays) -> DatasetSplit:  # noqa: ANN003
    n = len(lon)
    return DatasetSplit(spec=spec, split=name, sample_ids=np.array([f"{name}-{i}" for i in range(n)]), lon=lon,
                        lat=lat, located=np.isfinite(lon) & np.isfinite(lat), **arrays)


CENTRES = np.array([[-100, 40], [-60, -15], [20, 50], [25, 0], [80, 25], [135, -25], [140, 40], [-150, 60]], float)


def region_points(rng: np.random.Generator, labels: np.ndarray, spread: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    lon = CENTRES[labels, 0] + rng.normal(0, spread, len(labels))
    lat = np.clip(CENTRES[labels, 1] + rng.normal(0, spread, len(labels)), -89, 89)
    return (lon + 180) % 360 - 180, lat


def classification_splits(seed: int = 0, n_train: int = 1600, n_test: int = 400, shuffle: bool = False,
                          image_probs: bool = False, n_unlocated: int = 0) -> tuple[DatasetSplit, DatasetSplit]:
    rng = np.random.default_rng(seed)
    spec = synthetic_spec()
    out = []
    for name, n in (("train", n_train), ("test", n_test)):
        y = rng.integers(0, 8, n)
        lon, lat = region_points(rng, y)
        if shuffle:
            perm = rng.permutation(n)
            lon, lat = lon[perm], lat[perm]
        probs = None
        if image_probs:  # a weak image classifier: right class gets a small boost
            probs = rng.dirichlet(np.ones(8), n).astype(np.float32)
            probs[np.arange(n), y] += 0.15
            probs /= probs.sum(axis=1, keepdims=True)
        if name == "test" and n_unlocated:
            lon[:n_unlocated] = np.nan
            lat[:n_unlocated] = np.nan
        out.append(_split(spec, name, lon, lat, labels=y.astype(np.int64), image_probs=probs))
    return out[0], out[1]


def regression_splits(seed: int = 0, n_train: int = 1500, n_test: int = 400, shuffle: bool = False,
                      features: bool = False, n_targets: int = 1) -> tuple[DatasetSplit, DatasetSplit]:
    """Target = smooth function of location (+ noise); features optionally carry a weak signal."""
    rng = np.random.default_rng(seed)
    names = tuple(f"t{j}" for j in range(n_targets)) if n_targets > 1 else ("value",)
    spec = synthetic_spec("synthetic-field", task_type="regression", num_classes=None, targets=names,
                          primary_metric="r2")
    out = []
    for name, n in (("train", n_train), ("test", n_test)):
        lon = rng.uniform(-180, 180, n)
        lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
        y = np.stack([100 + 50 * np.sin(np.radians(lat) * 2 + j) * np.cos(np.radians(lon)) for j in range(n_targets)], 1)
        y += rng.normal(0, 2, y.shape)
        feats = None
        if features:
            feats = np.hstack([y[:, :1] / 50 + rng.normal(0, 1.5, (n, 1)), rng.normal(0, 1, (n, 7))]).astype(np.float32)
        if shuffle:
            perm = rng.permutation(n)
            lon, lat = lon[perm], lat[perm]
        out.append(_split(spec, name, lon, lat, targets=y, image_features=feats, target_names=names))
    return out[0], out[1]


class TinyXYZ(torch.nn.Module):
    """xyz on the unit sphere -> 2-layer MLP: the smallest sensible location encoder."""

    def __init__(self, seed: int = 0, hidden: int = 64) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.l1 = torch.nn.Linear(3, hidden)
        self.l2 = torch.nn.Linear(hidden, hidden)
        for layer in (self.l1, self.l2):
            torch.nn.init.xavier_uniform_(layer.weight, generator=g)
            torch.nn.init.zeros_(layer.bias)
        self.output_dim = hidden

    def forward(self, lonlat: torch.Tensor) -> torch.Tensor:
        lon, lat = torch.deg2rad(lonlat[:, 0]), torch.deg2rad(lonlat[:, 1])
        xyz = torch.stack([torch.cos(lat) * torch.cos(lon), torch.cos(lat) * torch.sin(lon), torch.sin(lat)], 1)
        return torch.relu(self.l2(torch.relu(self.l1(xyz))))


def tiny_spec() -> EncoderSpec:
    """A real EncoderSpec building `TinyXYZ` (trainable, no presets)."""
    return EncoderSpec(name="tiny-xyz", family="3D", pe_dim_fn=lambda hp: 3,
                       builder=lambda hp, *, seed, train_lonlat: TinyXYZ(seed=seed, **hp))
