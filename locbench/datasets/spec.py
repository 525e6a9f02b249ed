"""The two value types every other package sees: a dataset's facts and one loaded split.

`DatasetSpec` is what we know about a dataset without reading it (published counts, files,
licence); `DatasetSplit` is what a loader hands to the probes: aligned arrays, one row per sample.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from locbench.datasets.layout import Layout
from locbench.tasks import TASK_TYPES  # noqa: F401 - the one list of task types, re-exported for the registry

GROUPS = ("locbench", "sustainbench", "gair", "geobs", "embedded")


@dataclass(frozen=True)
class DatasetSpec:
    """Facts about one registered dataset (see docs/architecture.md "Datasets").

    Beyond the contract fields: `loader` is the `Layout` that reads the files (with its typed
    parameters), `published` extra published counts, `dirname` the folder under the data root,
    `optional_files` files used when present, `id_rule` how sample ids are formed, `notes` anything
    a user must know (deviations, inferred facts).

    Protocol facts the probes and tables read (never a dataset-name check elsewhere):
    `balanced_sampler` (geo-prior trains with the class-balanced sampler), `default_probe` (None:
    by task type), `in_species_average` (one of the five sets of TorchSpatial's Table 1 "Avg"),
    `unranked_reason` (why published per-sample files of this set are not comparable, or None).
    """

    name: str
    group: str
    task_type: str
    modality: str
    reported_split: str
    train_split: str
    splits: tuple[str, ...]
    num_classes: int | None
    primary_metric: str
    n_eval_rows: int | None
    coord_bounds: tuple[float, float, float, float] | None  # lon_min, lon_max, lat_min, lat_max
    citation: str
    licence: str
    source: str
    expected_files: tuple[str, ...]
    version: str
    provenance: str
    description: str
    class_names: tuple[str, ...] | None = None
    targets: tuple[str, ...] = ()
    inferred: bool | str = False
    loader: Layout | None = None
    dirname: str = ""
    published: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    optional_files: tuple[str, ...] = ()
    id_rule: str = ""
    notes: tuple[str, ...] = ()
    balanced_sampler: bool = True
    default_probe: str | None = None
    in_species_average: bool = False
    unranked_reason: str | None = None
    ignore_index: int | None = None  # segmentation: mask value of unlabelled pixels (not scored)

    def __post_init__(self) -> None:
        if not isinstance(self.published, MappingProxyType):
            object.__setattr__(self, "published", MappingProxyType(dict(self.published)))

    @property
    def params(self) -> Mapping[str, Any]:
        """Read-only view: the loader's parameters plus the published counts."""
        layout = self.loader.parameters() if self.loader is not None else {}
        return MappingProxyType({**layout, **self.published})

    @property
    def assigns_splits(self) -> bool:
        """True for datasets without published splits: `holdout`/`seed` choose train/val/test."""
        return self.loader is not None and self.loader.assigns_splits

    @property
    def needs_files(self) -> bool:
        """Embedded datasets are built from installed packages; all others read the data root."""
        return self.group != "embedded"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for `locbench datasets info --json`."""
        out: dict[str, Any] = {key: _json_safe(getattr(self, key)) for key in self.__dataclass_fields__}
        out["loader"] = type(self.loader).__name__ if self.loader is not None else None
        out["params"] = _json_safe(self.params)
        return out


def _json_safe(value: Any) -> Any:
    if dataclasses.is_dataclass(value):  # a loader part such as the prediction-matrix format
        return type(value).__name__
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_json_safe(v) for v in value]
    return value


@dataclass
class DatasetSplit:
    """One split as aligned arrays: row i of every array is sample `sample_ids[i]`.

    `lon`/`lat` are float64 degrees with NaN for unlocated rows (`located` False there).
    Classification fills `labels` (int64 class indices); regression fills `targets` (N, T);
    segmentation fills `masks` ((N, H, W) integer class per pixel) and `chip_bounds` ((N, 4) float64
    lon_min, lat_min, lon_max, lat_max in EPSG:4326), with lon/lat the chip centroids.
    `meta` holds per-row extras a loader knows (dates, user ids, image paths, holdout name).
    """

    spec: DatasetSpec
    split: str
    sample_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    located: np.ndarray
    labels: np.ndarray | None = None
    targets: np.ndarray | None = None
    image_probs: np.ndarray | None = None
    image_features: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    target_names: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    masks: np.ndarray | None = None
    chip_bounds: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.sample_ids.shape[0])

    @property
    def lonlat(self) -> np.ndarray:
        """(N, 2) float64 array in (lon, lat) order, the encoders' input."""
        return np.stack([self.lon, self.lat], axis=1)

    def subset(self, index: np.ndarray) -> DatasetSplit:
        """Rows `index` (int positions or a bool mask) of every aligned array."""
        def take(a: Any) -> Any:
            return None if a is None else a[index]

        meta = {k: (v[index] if isinstance(v, np.ndarray) and v.shape[:1] == self.sample_ids.shape else v)
                for k, v in self.meta.items()}
        return DatasetSplit(spec=self.spec, split=self.split, sample_ids=self.sample_ids[index],
                            lon=self.lon[index], lat=self.lat[index], located=self.located[index],
                            labels=take(self.labels), targets=take(self.targets),
                            image_probs=take(self.image_probs), image_features=take(self.image_features),
                            class_names=self.class_names, target_names=self.target_names, meta=meta,
                            masks=take(self.masks), chip_bounds=take(self.chip_bounds))
