"""Readers for the regression layouts: MOSAIKS (`Y_<name>.csv` + `X_<name>.npy`) and SustainBench DHS CSVs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from locbench.datasets.layout import FileLayout, source_hint
from locbench.datasets.readers import check_coords, load_npy, numeric_column, read_csv
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError


@dataclass(frozen=True)
class SubsampleOptions:
    """`subsample`: keep a seeded fraction of the split (e.g. 1/20, TorchSpatial's MOSAIKS protocol); None = all rows."""

    subsample: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class MosaiksOptions(SubsampleOptions):
    """Also `features`: read the split's rows of the 2048-d `X_<name>.npy` (default True)."""

    features: bool = True


@dataclass(frozen=True)
class MosaiksCsvNpy(FileLayout):
    """`mosaiks/Y_<file_name>.csv` (lon, lat, target, split) + row-aligned `X_<file_name>.npy` features."""

    options_type: ClassVar[type] = MosaiksOptions
    file_name: str

    def read(self, spec: DatasetSpec, split: str, root: Path, options: MosaiksOptions) -> DatasetSplit:
        """One MOSAIKS split; `X_<name>.npy` is memory-mapped and only the split's rows are read."""
        subsample, seed = options.subsample, options.seed
        name = self.file_name
        folder = root / spec.dirname
        hint = source_hint(spec)
        ypath, xpath = folder / f"Y_{name}.csv", folder / f"X_{name}.npy"
        df = read_csv(ypath, columns=("lon", "lat", name, "split"), hint=hint)
        in_split = np.flatnonzero(df["split"].astype(str).to_numpy() == split)
        if in_split.size == 0:
            found = ", ".join(sorted(df["split"].astype(str).unique().tolist()))
            raise InputError(f"no rows with split == {split!r}; the file has {found}", file=ypath, column="split")
        rows = in_split[subsample_rows(in_split.size, subsample, seed)]
        y = numeric_column(df, name, ypath)[rows]
        if np.isnan(y).any():
            raise InputError("missing target value (NaN label)", file=ypath, row=int(rows[np.flatnonzero(np.isnan(y))[0]]),
                             column=name)
        lon = numeric_column(df, "lon", ypath)[rows]
        lat = numeric_column(df, "lat", ypath)[rows]
        located = check_coords(lon, lat, ypath, rows=rows)
        feats = None
        if options.features:
            x = load_npy(xpath, rows=len(df), mmap=True, hint=hint, what="image-feature matrix")
            feats = np.asarray(x[rows], dtype=np.float32)
        return DatasetSplit(
            spec=spec, split=split, sample_ids=rows.astype(str), lon=lon, lat=lat, located=located,
            targets=y[:, None].astype(np.float64), image_features=feats, target_names=(name,),
            meta={"subsample": subsample, "seed": seed if subsample is not None else None, "split_rows": int(in_split.size)},
        )


def subsample_rows(n: int, fraction: float | None, seed: int) -> np.ndarray:
    """Positions kept by a seeded subsample, in their original order (all rows when fraction is None).

    Keeps floor(n·fraction) rows, so fraction=1/20 keeps `n // 20` as TorchSpatial does, but reproducibly.
    """
    if fraction is None:
        return np.arange(n)
    fraction = float(fraction)
    if not 0 < fraction <= 1:
        raise InputError(f"subsample must be a fraction in (0, 1], got {fraction!r}", column="subsample")
    k = int(np.floor(n * fraction + 1e-9))
    return np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


SUSTAIN_FILES = {"train": "dhs_trainval_labels.csv", "test": "dhs_test_labels.csv"}


@dataclass(frozen=True)
class SustainBenchCsv(FileLayout):
    """SustainBench DHS label CSVs; the target is `<label>_normalized`, the feature `nl_mean`."""

    options_type: ClassVar[type] = SubsampleOptions
    label: str

    def read(self, spec: DatasetSpec, split: str, root: Path, options: SubsampleOptions) -> DatasetSplit:
        """One SustainBench DHS split: target `<label>_normalized`, NaN targets dropped, `nl_mean` as the feature."""
        column = f"{self.label}_normalized"
        path = root / spec.dirname / SUSTAIN_FILES[split]
        df = read_csv(path, columns=("lon", "lat", column, "nl_mean"), hint=source_hint(spec))
        y_all = numeric_column(df, column, path)
        measured = np.flatnonzero(~np.isnan(y_all))
        rows = measured[subsample_rows(measured.size, options.subsample, options.seed)]
        nl = numeric_column(df, "nl_mean", path)[rows]
        if np.isnan(nl).any():
            raise InputError("missing nightlight mean (NaN)", file=path, row=int(rows[np.flatnonzero(np.isnan(nl))[0]]),
                             column="nl_mean")
        lon = numeric_column(df, "lon", path)[rows]
        lat = numeric_column(df, "lat", path)[rows]
        located = check_coords(lon, lat, path, rows=rows)
        return DatasetSplit(
            spec=spec, split=split, sample_ids=np.array([f"{split}:{r}" for r in rows], dtype=str), lon=lon, lat=lat,
            located=located, targets=y_all[rows][:, None], image_features=nl[:, None].astype(np.float32),
            target_names=(column,),
            meta={"dropped_nan_target": int(len(df) - measured.size), "subsample": options.subsample,
                  "seed": options.seed if options.subsample is not None else None},
        )
