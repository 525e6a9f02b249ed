"""The GeoBS paper's four remote-sensing classification sets (group `geobs`).

Our imported CROMA / SatMAE / GPT-4o per-sample results come from GeoBS / PyGBS
(`data/foundation_model_result_tables`, MIT). These sets were filed under `gair` in round 1 because an
early GAIR commit had loaders for them; GAIR's v1 paper does not list them. Ids were renamed
(`ID_MIGRATION`, cited by the leaderboard's CHANGES.md). The CSV layout (one CSV per split with lon,
lat, label, image path) is the one that early GAIR commit read; file names are locbench's choice.
"""

from __future__ import annotations

from locbench.datasets.gair import GairCsv
from locbench.datasets.spec import DatasetSpec

#: old dataset id -> new dataset id (round 3): the one table CHANGES.md and the importer cite.
ID_MIGRATION = {"gair-eurosat": "geobs-eurosat", "gair-fmow-sentinel": "geobs-fmow-sentinel",
                "gair-worldstrat-ipcc": "geobs-worldstrat-ipcc", "gair-worldstrat-lccs": "geobs-worldstrat-lccs"}
GEOBS_CITE = ("Wang, Z., Wu, N., Cao, Q., Xia, J., Liu, Z., Mai, G. GeoBS: Information-Theoretic Quantification of "
              "Geographic Bias in AI Models (2025); per-sample results: https://github.com/seai-lab/PyGBS")
GEOBS_VERSION = "geobs-pygbs-2025-06-01"
GEOBS_SOURCE = ("the upstream dataset (see citation); the split CSVs listed in expected_files are not published by "
                "GeoBS: build them from the upstream download (lon, lat, label, image_path per row)")
GLOBAL = (-180.0, 180.0, -90.0, 90.0)
EMBED_NOTE = ("image_features: per-sample embeddings supplied by the user, either `load_split(..., embeddings=PATH)` "
              "or <data root>/<dirname>/embeddings/<split>.npy (rows aligned with the CSV order) / "
              "<split>.parquet (a `sample_id` column plus an `embedding` list column or numeric columns); "
              "without them image_features is None and only location-based probes apply.")
SPLIT3 = {"train": "train.csv", "val": "val.csv", "test": "test.csv"}
FMOW_CLASSES = (
    "airport", "airport_hangar", "airport_terminal", "amusement_park", "aquaculture", "archaeological_site", "barn",
    "border_checkpoint", "burial_site", "car_dealership", "construction_site", "crop_field", "dam", "debris_or_rubble",
    "educational_institution", "electric_substation", "factory_or_powerplant", "fire_station", "flooded_road",
    "fountain", "gas_station", "golf_course", "ground_transportation_station", "helipad", "hospital",
    "impoverished_settlement", "interchange", "lake_or_pond", "lighthouse", "military_facility",
    "multi-unit_residential", "nuclear_powerplant", "office_building", "oil_or_gas_facility", "park",
    "parking_lot_or_garage", "place_of_worship", "police_station", "port", "prison", "race_track", "railway_bridge",
    "recreational_facility", "road_bridge", "runway", "shipyard", "shopping_mall", "single-unit_residential",
    "smokestack", "solar_farm", "space_facility", "stadium", "storage_tank", "surface_mine", "swimming_pool",
    "toll_booth", "tower", "tunnel_opening", "waste_disposal", "water_treatment_facility", "wind_farm", "zoo",
)
EUROSAT_CLASSES = ("AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
                   "PermanentCrop", "Residential", "River", "SeaLake")
IPCC_CLASSES = ("Forest", "Agriculture", "Settlement", "Water", "Grassland", "Other", "Wetland", "unknown")

WORLDSTRAT_CITE = ("Cornebise, J., Orsolic, I., Kalaitzis, F. Open High-Resolution Satellite Imagery: The WorldStrat "
                   "Dataset. NeurIPS 2022 D&B")


def _geobs(name: str, *, modality: str, dirname: str, columns: dict, num_classes: int, description: str,
           upstream: str, licence: str, n_eval: int, inferred: str, class_names: tuple[str, ...] | None = None,
           notes: tuple[str, ...] = ()) -> DatasetSpec:
    folder = f"geobs/{dirname}"
    return DatasetSpec(
        name=name, group="geobs", task_type="classification", modality=modality, reported_split="test",
        train_split="train", splits=tuple(SPLIT3), num_classes=num_classes, class_names=class_names,
        primary_metric="top1", n_eval_rows=n_eval, coord_bounds=GLOBAL, citation=f"{GEOBS_CITE}; {upstream}",
        licence=licence, source=GEOBS_SOURCE,
        expected_files=(f"{folder}/train.csv", f"{folder}/test.csv"),
        optional_files=(f"{folder}/val.csv",) + tuple(f"{folder}/embeddings/{s}.npy" for s in SPLIT3),
        version=GEOBS_VERSION,
        provenance=(f"GeoBS paper's remote-sensing set; test split size {n_eval:,} rows, counted in the GeoBS/PyGBS "
                    "per-sample result tables (data/foundation_model_result_tables). Renamed from "
                    f"{next(k for k, v in ID_MIGRATION.items() if v == name)} (round 3)."),
        description=description, loader=GairCsv(files=SPLIT3, **columns), dirname=folder, inferred=inferred,
        default_probe="linear", id_rule="the CSV's `sample_id` column when present, else '<split>:<row index>'",
        notes=(EMBED_NOTE,) + notes,
    )


def _worldstrat(name: str, label_column: str, *, num_classes: int, description: str, inferred: str,
                class_names: tuple[str, ...] | None = None, classes_from_data: bool = False,
                notes: tuple[str, ...] = ()) -> DatasetSpec:
    """One of the two WorldStrat tasks: the same split files, a different label column."""
    return _geobs(name, modality="remote-sensing (Sentinel-2, 12 bands)", dirname="worldstrat",
                  columns={"label_column": label_column, "image_column": "image_path",
                           "classes_from_data": classes_from_data},
                  num_classes=num_classes, class_names=class_names, description=description,
                  upstream=WORLDSTRAT_CITE, licence="WorldStrat CC BY-NC 4.0 (labels) / CC BY 4.0 (Sentinel-2)",
                  n_eval=6288, inferred=inferred, notes=notes)


def geobs_specs() -> list[DatasetSpec]:
    return [
        _geobs("geobs-fmow-sentinel", modality="remote-sensing (Sentinel-2, 13 bands)", dirname="fmow-sentinel",
               columns={"label_column": "category", "label_aliases": ("label", "category_id"),
                        "image_column": "image_path"},
               num_classes=62, class_names=FMOW_CLASSES,
               description="fMoW-Sentinel: 62 fMoW categories from Sentinel-2 images (top-1, top-5).",
               upstream="Cong, Y. et al. SatMAE. NeurIPS 2022 (fMoW-Sentinel); Christie, G. et al. fMoW. CVPR 2018",
               licence="fMoW-Sentinel: fMoW licence (see Stanford's fMoW-Sentinel page)", n_eval=84939,
               inferred="CSV file names and the `category` column name are locbench's choice; labels may be names "
                        "or 0-based ids"),
        _geobs("geobs-eurosat", modality="remote-sensing (Sentinel-2, 13 bands)", dirname="eurosat",
               columns={"label_column": "category_id", "label_aliases": ("label",), "image_column": "image_path"},
               num_classes=10, class_names=EUROSAT_CLASSES,
               description="EuroSAT: 10 land-cover classes from Sentinel-2 patches in Europe.",
               upstream="Helber, P. et al. EuroSAT. IEEE JSTARS 12(7), 2019", licence="EuroSAT MIT", n_eval=5400,
               inferred="columns category_id, lon, lat, image_path as an early GAIR loader; file names per split "
                        "are locbench's choice"),
        _worldstrat("geobs-worldstrat-ipcc", "IPCC", num_classes=8, class_names=IPCC_CLASSES,
                    description="WorldStrat: IPCC land class of each location.",
                    inferred="split file names are locbench's choice; the IPCC column as an early GAIR loader"),
        _worldstrat("geobs-worldstrat-lccs", "LCCS", num_classes=34, classes_from_data=True,
                    description="WorldStrat: LCCS land-cover code of each location (34 codes).",
                    inferred="the 34 codes are not listed: class_names are the sorted union of codes over all "
                             "split files present",
                    notes=("Class indices follow the sorted LCCS codes found in the split CSVs (deterministic for "
                           "a given download).",)),
    ]
