"""Dataset registry and loaders: LocBench (TorchSpatial layout), SustainBench, GAIR, embedded offline data.

    from locbench.datasets import get_dataset, list_datasets, load_split, data_root
    split = load_split("embedded-land-sea", "test", holdout="spatial-block", seed=0)
"""

from locbench.datasets.load import load_split
from locbench.datasets.registry import get_dataset, list_datasets
from locbench.datasets.root import data_root
from locbench.datasets.spec import DatasetSpec, DatasetSplit

__all__ = ["DatasetSpec", "DatasetSplit", "data_root", "get_dataset", "list_datasets", "load_split"]
