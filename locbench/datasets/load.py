"""`load_split`: the one entry point that turns a dataset name into a `DatasetSplit`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from locbench.datasets.registry import get_dataset
from locbench.datasets.root import data_root
from locbench.datasets.spec import DatasetSplit
from locbench.errors import InputError

_CLS = ("remove_invalid", "image_probs", "features")
OPTIONS: dict[str, tuple[str, ...]] = {
    "embedded": ("holdout", "seed", "block_deg", "cache"),
    "birds": _CLS, "inat": _CLS, "yfcc": _CLS,
    "mosaiks": ("subsample", "seed", "features"),
    "sustainbench": ("subsample", "seed"),
    "gair-csv": ("embeddings",),
}


def load_split(name: str, split: str | None = None, data_root: str | Path | None = None, **options: Any) -> DatasetSplit:
    """Load one split (None -> the spec's reported split) from the data root.

    Options by loader (all optional):
    - embedded: `holdout` ("random" | "spatial-block"), `seed`, `block_deg`, `cache` (bool, default True:
      land/sea labels and the image datasets' derived arrays cached under <data root>/.cache).
    - LocBench classification: `remove_invalid` (None = TorchSpatial's rule: True for the train split only),
      `image_probs` (None = load for non-train splits), `features` (load the 2048-d `*_net_feats.npy`).
    - MOSAIKS / SustainBench: `subsample` (fraction, e.g. 1/20), `seed`.
    - GAIR: `embeddings` (path to `.npy` aligned with the CSV or `.parquet` keyed by sample_id).
    """
    spec = get_dataset(name)
    split = split or spec.reported_split
    root = _root(data_root)
    allowed = OPTIONS[spec.loader.split("-")[0] if spec.loader.startswith("embedded") else spec.loader]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InputError(f"{name} does not take option(s) {', '.join(unknown)}; it takes {', '.join(allowed) or 'none'}",
                         column=unknown[0])
    if spec.loader == "embedded-imagery":
        from locbench.datasets.imagery_datasets import load_imagery

        cache = options.pop("cache", True)
        return load_imagery(spec, split, cache_dir=(root / ".cache") if cache else None, **options)
    if spec.loader.startswith("embedded"):
        from locbench.datasets.embedded import load_embedded

        cache = options.pop("cache", True)
        return load_embedded(spec, split, cache_dir=(root / ".cache") if cache else None, **options)
    if spec.loader == "birds":
        from locbench.datasets.torchspatial import load_birds

        return load_birds(spec, split, root, **options)
    if spec.loader == "inat":
        from locbench.datasets.torchspatial import load_inat

        return load_inat(spec, split, root, **options)
    if spec.loader == "yfcc":
        from locbench.datasets.torchspatial import load_yfcc

        return load_yfcc(spec, split, root, **options)
    if spec.loader == "mosaiks":
        from locbench.datasets.regression import load_mosaiks

        return load_mosaiks(spec, split, root, **options)
    if spec.loader == "sustainbench":
        from locbench.datasets.regression import load_sustainbench

        return load_sustainbench(spec, split, root, **options)
    if spec.loader == "gair-csv":
        from locbench.datasets.gair import load_gair

        return load_gair(spec, split, root, **options)
    raise RuntimeError(f"dataset {name!r} has no loader {spec.loader!r}")  # registry bug, not user input


def _root(override: str | Path | None) -> Path:
    return data_root(override)
