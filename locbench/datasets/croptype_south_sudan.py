"""Crop Type Mapping, South Sudan (Rustowicz et al. 2019) in the layout PANGAEA and SustainBench read.

On disk (`africa_crop_type_mapping_v1.0`, unpacked): `southsudan/list_eval_partition.csv` (columns
`id`, `partition`: 0 train, 1 val, 2 test), `southsudan/truth/southsudan_<id:06d>.npz` (key `truth`,
64 x 64 crop codes) and `southsudan/npy/southsudan_<id:06d>.npz` (keys `s1`, `s2`, arrays
(bands, 64, 64, time)). Classes as PANGAEA / the dataset paper: the four most frequent codes
1..4 -> Sorghum, Maize, Rice, Groundnut (0..3); every other code -> ignore index -1.
This layout carries NO georeference (and the authors jittered locations by up to 3 km), so chips
are unlocated (lon/lat NaN): segmentation metrics work, geo-bias scores do not.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locbench.datasets.geochips import chips_split, stack_masks
from locbench.datasets.layout import FileLayout
from locbench.datasets.readers import numeric_column, read_csv, require
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError

COUNTRY = "southsudan"
PARTITION = {"train": 0, "val": 1, "test": 2}
CODE_TO_CLASS = {1: 0, 2: 1, 3: 2, 4: 3}


def _npz_array(path: Path, key: str) -> np.ndarray:
    require(path)
    try:
        with np.load(path) as z:
            if key not in z.files:
                raise InputError(f"missing array {key!r} (has {', '.join(z.files) or 'none'})", file=path, column=key)
            return np.asarray(z[key])
    except (zipfile.BadZipFile, ValueError, OSError) as exc:  # the published set has corrupted files
        raise InputError(f"cannot be read as .npz: {exc}", file=path) from exc


def map_codes(truth: np.ndarray, ignore_index: int) -> np.ndarray:
    """Crop codes 1..4 -> classes 0..3; everything else -> ignore_index."""
    out = np.full(truth.shape, ignore_index, dtype=np.int64)
    for code, cls in CODE_TO_CLASS.items():
        out[truth == code] = cls
    return out


@dataclass(frozen=True)
class CropTypeSouthSudanNpz(FileLayout):
    """Partition CSV + one truth `.npz` per grid; the S2 stack's height x width must match the truth's."""

    size: tuple[int, int] = (64, 64)

    def read(self, spec: DatasetSpec, split: str, root: Path, options) -> DatasetSplit:
        base = root / spec.dirname / COUNTRY
        table = base / "list_eval_partition.csv"
        df = read_csv(table, columns=("id", "partition"), hint=f"get it from {spec.source}")
        part = numeric_column(df, "partition", table, allow_nan=False)
        grid_ids = numeric_column(df, "id", table, allow_nan=False)
        ids = [int(v) for v in grid_ids[part == PARTITION[split]]]
        masks, paths = [], []
        for grid in ids:
            path = base / "truth" / f"{COUNTRY}_{grid:06d}.npz"
            truth = _npz_array(path, "truth")
            if truth.shape != self.size:
                raise InputError(f"truth is {'x'.join(map(str, truth.shape))}; the published grids are "
                                 f"{self.size[0]}x{self.size[1]}", file=path)
            s2_path = base / "npy" / f"{COUNTRY}_{grid:06d}.npz"
            if s2_path.is_file():
                s2 = _npz_array(s2_path, "s2")
                if s2.ndim != 4 or s2.shape[1:3] != truth.shape:
                    raise InputError(f"s2 stack has shape {s2.shape}; expected (bands, {truth.shape[0]}, "
                                     f"{truth.shape[1]}, time) like its truth {path.name}", file=s2_path)
            masks.append(map_codes(truth, int(spec.ignore_index if spec.ignore_index is not None else -1)))
            paths.append(path)
        sample_ids = [f"{grid:06d}" for grid in ids]
        meta = {"mask_path": np.array([str(p) for p in paths])}
        return chips_split(spec, split, sample_ids, [None] * len(ids), stack_masks(masks, paths), meta)
