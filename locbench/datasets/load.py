"""`load_split`: the one entry point that turns a dataset name into a `DatasetSplit`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from locbench.datasets.registry import get_dataset
from locbench.datasets.root import data_root
from locbench.datasets.spec import DatasetSplit


def load_split(name: str, split: str | None = None, data_root: str | Path | None = None, **options: Any) -> DatasetSplit:
    """Load one split (None -> the spec's reported split) from the data root.

    `options` are the fields of the dataset loader's options type (`spec.loader.options_type`, all
    optional; an unknown name is an InputError listing the accepted ones):
    - embedded (`EmbeddedOptions`): `holdout` ("random" | "spatial-block"), `seed`, `block_deg`, `cache`.
    - LocBench classification (`ImageOptions`): `remove_invalid`, `image_probs`, `features`.
    - MOSAIKS (`MosaiksOptions`) / SustainBench (`SubsampleOptions`): `subsample` (fraction, e.g. 1/20), `seed`
      (MOSAIKS also `features`).
    - GAIR (`GairOptions`): `embeddings` (`.npy` aligned with the CSV or `.parquet` keyed by sample_id).
    """
    spec = get_dataset(name)
    typed = spec.loader.options(name, **options)
    return spec.loader.load(spec, split or spec.reported_split, _root(data_root), typed)


def _root(override: str | Path | None) -> Path:
    return data_root(override)
