"""HLS Burn Scars as published (Hugging Face `ibm-nasa-geospatial/hls_burn_scars`, CC BY 4.0).

On disk (the unpacked `hls_burn_scars.tar.gz`): `training/` and `validation/`, each holding pairs
`subsetted_512x512_HLS.S30.<tile>.<yyyyddd>.v1.4_merged.tif` (6 bands: B2, B3, B4, B8A, B11, B12)
and `..._mask.tif` (band 1: 1 burn scar, 0 not burned, -1 no data), 512 x 512 px in the HLS tile's
UTM zone. `validation/` is the reported split (as PANGAEA); probes carve their own validation rows
from `training/`. A chip's sample id is its file stem without `_merged`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from locbench.datasets.geochips import check_pair, chips_split, is_utm, read_band, read_header, stack_masks
from locbench.datasets.layout import FileLayout
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import DataMissingError, InputError

IMAGE_SUFFIX = "_merged.tif"
MASK_SUFFIX = "_mask.tif"


@dataclass(frozen=True)
class HlsBurnScarsTiff(FileLayout):
    """`<split dir>/*_merged.tif` + `*_mask.tif` pairs; footprints from the image's georeference."""

    split_dirs: ClassVar[dict[str, str]] = {"train": "training", "test": "validation"}
    bands: int = 6
    size: tuple[int, int] = (512, 512)

    def read(self, spec: DatasetSpec, split: str, root: Path, options) -> DatasetSplit:
        folder = root / spec.dirname / self.split_dirs[split]
        if not folder.is_dir():
            raise DataMissingError(f"expected folder is missing; get it from {spec.source}", file=folder)
        images = sorted(folder.glob(f"*{IMAGE_SUFFIX}"))
        if not images:
            raise DataMissingError(f"no *{IMAGE_SUFFIX} chips in this folder", file=folder)
        ids, headers, masks, mask_paths = [], [], [], []
        for image_path in images:
            stem = image_path.name[: -len(IMAGE_SUFFIX)]
            mask_path = folder / f"{stem}{MASK_SUFFIX}"
            if not mask_path.is_file():
                raise DataMissingError(f"mask {mask_path.name} of this chip is missing", file=image_path)
            image = read_header(image_path, is_utm, "a WGS 84 / UTM zone")
            mask = read_header(mask_path, is_utm, "a WGS 84 / UTM zone")
            check_pair(image, mask, bands=self.bands, size=self.size)
            values = read_band(mask_path)
            bad = ~np.isin(values, (-1, 0, 1))
            if bad.any():
                raise InputError(f"mask value {int(values[bad][0])} is not -1, 0 or 1", file=mask_path)
            ids.append(stem)
            headers.append(image)
            masks.append(values)
            mask_paths.append(mask_path)
        meta = {"image_path": np.array([str(p) for p in images]), "mask_path": np.array([str(p) for p in mask_paths])}
        return chips_split(spec, split, ids, headers, stack_masks(masks, mask_paths), meta)
