"""Fake data in the published on-disk formats of the three GAIR segmentation sets (torchgeo-style).

Each writer makes a tiny tree a loader reads exactly like the real download: GeoTIFFs with real
georeferencing in the source's CRS (UTM for HLS tiles and Sentinel-2), seeded masks. Used by the
fixture tests; `corrupt=` variants make the broken files the loaders must name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# (EPSG, easting, northing) of chip upper-left corners: real places in each source's region.
HLS_PLACES = ((32610, 600000.0, 4300000.0), (32611, 400000.0, 3800000.0), (32613, 500000.0, 4000000.0))
ASIA_PLACES = ((32648, 600000.0, 1200000.0), (32648, 480000.0, 1400000.0), (32649, 300000.0, 1100000.0))


def write_tif(path: Path, data: np.ndarray, epsg: int | None, west: float, north: float, res: float) -> None:
    """(bands, H, W) array as a GeoTIFF with a north-up transform at (west, north), pixel `res` metres."""
    import rasterio
    from rasterio.transform import from_origin

    path.parent.mkdir(parents=True, exist_ok=True)
    crs = None if epsg is None else f"EPSG:{epsg}"
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[1], width=data.shape[2], count=data.shape[0],
                       dtype=data.dtype, crs=crs, transform=from_origin(west, north, res, res)) as dst:
        dst.write(data)


def write_hls_burn_scars(root: Path, *, n: int = 3, size: int = 512, seed: int = 0) -> Path:
    """`<root>/training|validation/subsetted_512x512_HLS.S30.T<tile>.<yyyyddd>.v1.4_merged.tif` + masks."""
    rng = np.random.default_rng(seed)
    for split in ("training", "validation"):
        for i in range(n):
            epsg, e, north = HLS_PLACES[i % len(HLS_PLACES)]
            stem = f"subsetted_512x512_HLS.S30.T{epsg % 100:02d}SXX.2020{100 + i:03d}.v1.4"
            image = rng.random((6, size, size), dtype=np.float32)
            mask = rng.choice(np.array([-1, 0, 1], dtype=np.int16), size=(1, size, size), p=(0.05, 0.8, 0.15))
            write_tif(root / split / f"{stem}_merged.tif", image, epsg, e + 7680.0 * i, north, 30.0)
            write_tif(root / split / f"{stem}_mask.tif", mask, epsg, e + 7680.0 * i, north, 30.0)
    return root


def write_ai4smallfarms(root: Path, *, n: int = 3, size: int = 64, seed: int = 0) -> Path:
    """`<root>/sentinel-2-asia/train|validate|test/images|masks/<name>.tif`, masks 0 / 255."""
    rng = np.random.default_rng(seed)
    for split in ("train", "validate", "test"):
        for i in range(n):
            epsg, e, north = ASIA_PLACES[i % len(ASIA_PLACES)]
            name = f"{split}_tile_{i:03d}.tif"
            image = rng.integers(0, 10000, size=(4, size, size), dtype=np.uint16)
            mask = (rng.random((1, size, size)) < 0.3).astype(np.uint8) * 255
            folder = root / "sentinel-2-asia" / split
            write_tif(folder / "images" / name, image, epsg, e + 10 * size * i, north, 10.0)
            write_tif(folder / "masks" / name, mask, epsg, e + 10 * size * i, north, 10.0)
    return root


def write_croptype_south_sudan(root: Path, *, n: int = 3, size: int = 64, seed: int = 0) -> Path:
    """`<root>/southsudan/list_eval_partition.csv`, `truth/` and `npy/` `.npz` files, n grids per split."""
    rng = np.random.default_rng(seed)
    base = root / "southsudan"
    (base / "truth").mkdir(parents=True, exist_ok=True)
    (base / "npy").mkdir(parents=True, exist_ok=True)
    rows = ["id,partition"]
    for k in range(3 * n):
        grid = 1000 + 7 * k
        rows.append(f"{grid},{k % 3}")
        truth = rng.integers(0, 7, size=(size, size)).astype(np.int64)  # 0, 5, 6: not in the four classes
        np.savez(base / "truth" / f"southsudan_{grid:06d}.npz", truth=truth)
        np.savez(base / "npy" / f"southsudan_{grid:06d}.npz", s1=rng.random((3, size, size, 2)),
                 s2=rng.random((10, size, size, 2)))
    (base / "list_eval_partition.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root
