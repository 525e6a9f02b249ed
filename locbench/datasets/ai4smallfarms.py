"""AI4SmallFarms as published (DANS data station, doi:10.17026/dans-xy6-ngg6; Vietnam and Cambodia).

On disk (PANGAEA's selection of the DANS files): `sentinel-2-asia/<split>/images/*.tif`
(Sentinel-2 B2, B3, B4, B8) and `sentinel-2-asia/<split>/masks/*.tif` (field polygons rasterised:
255 crop field, 0 background), split folders `train`, `validate` (PANGAEA renames it `val`; both
are read) and `test`. Inferred: an image and its mask share a file name (PANGAEA pairs them by
sorted order); chip sizes are not published (PANGAEA crops to 496 px), so only image = mask size
and one size per split are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from locbench.datasets.geochips import check_pair, chips_split, read_band, read_header, stack_masks
from locbench.datasets.layout import FileLayout
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import DataMissingError

SUBDIR = "sentinel-2-asia"


@dataclass(frozen=True)
class Ai4SmallFarmsTiff(FileLayout):
    """`sentinel-2-asia/<split>/images|masks/<name>.tif`; masks > 0 are crop field (class 1)."""

    split_dirs: ClassVar[dict[str, tuple[str, ...]]] = {"train": ("train",), "val": ("validate", "val"),
                                                        "test": ("test",)}
    bands: int = 4

    def folder(self, root: Path, spec: DatasetSpec, split: str) -> Path:
        options = [root / spec.dirname / SUBDIR / d for d in self.split_dirs[split]]
        for path in options:
            if path.is_dir():
                return path
        raise DataMissingError(f"expected folder is missing; get it from {spec.source}", file=options[0])

    def read(self, spec: DatasetSpec, split: str, root: Path, options) -> DatasetSplit:
        folder = self.folder(root, spec, split)
        images = sorted((folder / "images").glob("*.tif"))
        if not images:
            raise DataMissingError("no *.tif chips in this folder", file=folder / "images")
        headers, masks, mask_paths = [], [], []
        for image_path in images:
            mask_path = folder / "masks" / image_path.name
            if not mask_path.is_file():
                raise DataMissingError(f"mask {mask_path} of this chip is missing", file=image_path)
            image, mask = read_header(image_path), read_header(mask_path)
            check_pair(image, mask, bands=self.bands, size=None)
            headers.append(image)
            masks.append((read_band(mask_path) > 0).astype(np.int64))  # 255 -> 1, as PANGAEA
            mask_paths.append(mask_path)
        meta = {"image_path": np.array([str(p) for p in images]), "mask_path": np.array([str(p) for p in mask_paths])}
        ids = [p.stem for p in images]
        return chips_split(spec, split, ids, headers, stack_masks(masks, mask_paths), meta)
