"""Global Streetscapes as published (Hugging Face `NUS-UAL/global-streetscapes`, CC BY-SA 4.0).

Read from the dataset card's file list: `data/metadata_common_attributes.csv` (one row per image:
`uuid`, `lat`, `lon`, ...; 2.4 GB, read in chunks for the needed uuids only), `data/perception.csv`
(per-image perception scores) and `manual_labels/{train,test}/<attribute>.csv` (the hand-labelled
train/test sets: `uuid` plus the attribute column, e.g. `view_direction`, `platform`).
Inferred (not pinned by the card we could read): the perception column names (matched
case-insensitively: beautiful / Beautiful) and that perception has no published split, so train /
val / test are assigned by `holdout` / `seed` as for the embedded sets. Image embeddings are the
user's (`embeddings=PATH`, as every GAIR image task).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from locbench.datasets.gair import _labels, find_embeddings, load_embeddings
from locbench.datasets.holdout import assign
from locbench.datasets.layout import FileLayout, Layout, check_split
from locbench.datasets.readers import check_coords, read_csv, require
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError

METADATA = "data/metadata_common_attributes.csv"
PERCEPTION = "data/perception.csv"
CHUNK_ROWS = 1_000_000


def coordinates(root: Path, uuids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of `uuids` from the metadata table (NaN where a uuid is not listed)."""
    import pandas as pd

    path = require(root / METADATA, "download data/metadata_common_attributes.csv from NUS-UAL/global-streetscapes")
    want = pd.Index(uuids.astype(str))
    lon = np.full(len(want), np.nan)
    lat = np.full(len(want), np.nan)
    try:
        chunks = pd.read_csv(path, usecols=["uuid", "lat", "lon"], dtype={"uuid": str}, chunksize=CHUNK_ROWS)
        for chunk in chunks:
            pos = want.get_indexer(chunk["uuid"])
            hit = pos >= 0
            lon[pos[hit]] = pd.to_numeric(chunk["lon"], errors="coerce").to_numpy()[hit]
            lat[pos[hit]] = pd.to_numeric(chunk["lat"], errors="coerce").to_numpy()[hit]
    except ValueError as exc:  # usecols not found / unparseable
        raise InputError(f"cannot read uuid, lat, lon: {exc}", file=path) from exc
    return lon, lat


def _split(spec: DatasetSpec, split: str, root: Path, df, path: Path, embeddings) -> DatasetSplit:
    """Join coordinates, attach embeddings; labels/targets filled by the caller."""
    if "uuid" not in df.columns:
        raise InputError("missing column 'uuid'", file=path, column="uuid")
    ids = df["uuid"].astype(str).to_numpy()
    lon, lat = coordinates(root / spec.dirname, ids)
    located = check_coords(lon, lat, root / spec.dirname / METADATA)
    emb = Path(embeddings) if embeddings is not None else find_embeddings(spec, split, root)
    return DatasetSplit(spec=spec, split=split, sample_ids=ids, lon=lon, lat=lat, located=located,
                        image_features=None if emb is None else load_embeddings(emb, ids),
                        class_names=spec.class_names, target_names=spec.targets,
                        meta={"embeddings": None if emb is None else str(emb)})


@dataclass(frozen=True)
class ManualLabelOptions:
    """`embeddings`: `.npy` aligned with the label CSV or `.parquet` keyed by `sample_id` (= uuid)."""

    embeddings: str | Path | None = None


@dataclass(frozen=True)
class StreetscapesManualLabels(FileLayout):
    """`manual_labels/<split>/<attribute>.csv` (uuid, attribute) joined to the metadata coordinates."""

    options_type: ClassVar[type] = ManualLabelOptions
    attribute: str

    def read(self, spec: DatasetSpec, split: str, root: Path, options: ManualLabelOptions) -> DatasetSplit:
        path = root / spec.dirname / "manual_labels" / split / f"{self.attribute}.csv"
        df = read_csv(path, columns=("uuid", self.attribute), hint=f"get it from {spec.source}")
        out = _split(spec, split, root, df, path, options.embeddings)
        out.labels = _labels(df, self.attribute, spec.class_names or (), path)
        return out


@dataclass(frozen=True)
class PerceptionOptions:
    """No published split: `holdout` ("random" | "spatial-block"), `seed`, `block_deg` assign 70/10/20 %."""

    embeddings: str | Path | None = None
    holdout: str = "random"
    seed: int = 0
    block_deg: float = 10.0


@dataclass(frozen=True)
class StreetscapesPerception(Layout):
    """`data/perception.csv`: uuid + six scores (column names matched case-insensitively)."""

    options_type: ClassVar[type] = PerceptionOptions
    assigns_splits: ClassVar[bool] = True

    def load(self, spec: DatasetSpec, split: str, root: Path, options: PerceptionOptions) -> DatasetSplit:
        if split != "all":
            check_split(spec, split)
        path = root / spec.dirname / PERCEPTION
        df = read_csv(path, columns=("uuid",), hint=f"get it from {spec.source}")
        lower = {str(c).lower(): c for c in df.columns}
        missing = [t for t in spec.targets if t.lower() not in lower]
        if missing:
            raise InputError(f"missing perception column(s) {', '.join(missing)}", file=path, column=missing[0])
        full = _split(spec, split, root, df, path, None)
        full.targets = np.stack([df[lower[t.lower()]].to_numpy(dtype=np.float64) for t in spec.targets], axis=1)
        if split == "all":
            return full
        where = assign(full.lon, full.lat, holdout=options.holdout, seed=options.seed, block_deg=options.block_deg)
        part = full.subset(np.flatnonzero(where == split))
        if options.embeddings is not None:
            part.image_features = load_embeddings(options.embeddings, part.sample_ids)
        return part
