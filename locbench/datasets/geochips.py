"""GeoTIFF chips for segmentation layouts: header checks, footprint in EPSG:4326, integer masks.

A chip's location is its georeference, not a CSV column: the footprint is the raster's bounds
reprojected to lon/lat (`rasterio.warp.transform_bounds`, edges densified) and the centroid is the
middle of the raster reprojected as a point. Every check names the file it fails on.
rasterio is imported lazily so the rest of locbench works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import DataMissingError, InputError

RASTERIO_HINT = "reading GeoTIFF chips needs rasterio: pip install rasterio"


def _rasterio():
    try:
        import rasterio
        import rasterio.warp  # noqa: F401 - transform_bounds / transform
    except ImportError as exc:  # pragma: no cover - rasterio is a declared dependency
        raise DataMissingError(RASTERIO_HINT) from exc
    return rasterio


@dataclass(frozen=True)
class ChipHeader:
    """What a chip's header says: size, band count, CRS and its footprint/centroid in lon/lat."""

    path: Path
    height: int
    width: int
    count: int
    crs: str
    transform: tuple[float, ...]
    bounds: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    centroid: tuple[float, float]  # lon, lat


def read_header(path: Path, crs_ok: Callable[[object], bool] | None = None, crs_rule: str = "") -> ChipHeader:
    """Open `path` (header only), check it has a CRS (and one `crs_ok` accepts), locate it in EPSG:4326."""
    rasterio = _rasterio()
    if not path.is_file():
        raise DataMissingError("expected GeoTIFF is missing", file=path)
    try:
        with rasterio.open(path) as src:
            crs, tr, h, w, n = src.crs, src.transform, src.height, src.width, src.count
            bounds = src.bounds
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot be read as a GeoTIFF: {exc}", file=path) from exc
    if crs is None:
        raise InputError("GeoTIFF has no CRS, so the chip cannot be located", file=path)
    if crs_ok is not None and not crs_ok(crs):
        raise InputError(f"GeoTIFF CRS {crs.to_string()} is not {crs_rule} (the published layout's)", file=path)
    lon_min, lat_min, lon_max, lat_max = rasterio.warp.transform_bounds(crs, "EPSG:4326", *bounds, densify_pts=21)
    cx, cy = tr.c + tr.a * w / 2.0 + tr.b * h / 2.0, tr.f + tr.d * w / 2.0 + tr.e * h / 2.0
    lon, lat = rasterio.warp.transform(crs, "EPSG:4326", [cx], [cy])
    return ChipHeader(path, h, w, n, crs.to_string(), tuple(tr)[:6], (lon_min, lat_min, lon_max, lat_max),
                      (float(lon[0]), float(lat[0])))


def read_band(path: Path) -> np.ndarray:
    """Band 1 of a GeoTIFF as int64."""
    rasterio = _rasterio()
    with rasterio.open(path) as src:
        return src.read(1).astype(np.int64)


def check_pair(image: ChipHeader, mask: ChipHeader, *, bands: int | None, size: tuple[int, int] | None) -> None:
    """Image and mask describe the same pixels: same size, CRS and transform; expected bands and size."""
    if bands is not None and image.count != bands:
        raise InputError(f"image has {image.count} bands; the published layout has {bands}", file=image.path)
    if (mask.height, mask.width) != (image.height, image.width):
        raise InputError(f"mask is {mask.height}x{mask.width} but its image {image.path.name} is "
                         f"{image.height}x{image.width}", file=mask.path)
    if size is not None and (image.height, image.width) != size:
        raise InputError(f"chip is {image.height}x{image.width}; the published layout's chips are "
                         f"{size[0]}x{size[1]}", file=image.path)
    if mask.crs != image.crs:
        raise InputError(f"mask CRS {mask.crs} differs from its image's {image.crs} ({image.path.name})",
                         file=mask.path)
    if not np.allclose(mask.transform, image.transform, rtol=0, atol=1e-6):
        raise InputError(f"mask georeference differs from its image's ({image.path.name})", file=mask.path)


def stack_masks(masks: Sequence[np.ndarray], paths: Sequence[Path]) -> np.ndarray:
    """(N, H, W) int64; every mask of a split must have one size (named on the first that differs)."""
    if not masks:
        return np.zeros((0, 0, 0), dtype=np.int64)
    shape = masks[0].shape
    for m, p in zip(masks, paths):
        if m.shape != shape:
            raise InputError(f"mask is {m.shape[0]}x{m.shape[1]}; the split's first mask ({paths[0].name}) is "
                             f"{shape[0]}x{shape[1]}", file=p)
    return np.stack(masks).astype(np.int64)


def chips_split(spec: DatasetSpec, split: str, ids: Sequence[str], headers: Sequence[ChipHeader | None],
                masks: np.ndarray, meta: dict) -> DatasetSplit:
    """A segmentation `DatasetSplit`; chips without a georeference (header None) are unlocated (NaN)."""
    n = len(ids)
    bounds = np.full((n, 4), np.nan)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for i, h in enumerate(headers):
        if h is not None:
            bounds[i] = h.bounds
            lon[i], lat[i] = h.centroid
    return DatasetSplit(spec=spec, split=split, sample_ids=np.asarray(ids, dtype=str), lon=lon, lat=lat,
                        located=np.isfinite(lon) & np.isfinite(lat), masks=masks, chip_bounds=bounds,
                        class_names=spec.class_names, meta=meta)


def is_utm(crs) -> bool:
    """WGS 84 / UTM (EPSG 32601-32660 north, 32701-32760 south): HLS and Sentinel-2 tiles."""
    epsg = crs.to_epsg()
    return epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760)
