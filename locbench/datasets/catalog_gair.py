"""Specs of GAIR's 10 downstream datasets (../shared/specs/gair.md).

GAIR's paper tables were not available: the list, targets and metrics are rebuilt from the loaders
of GAIR's first public commit, and the exact CSV file names and columns below are locbench's
choice where GAIR's code does not pin them. Every such choice is marked `inferred`.
Image tasks take user-supplied per-sample embeddings (see `locbench.datasets.gair`).
"""

from __future__ import annotations

from locbench.datasets.catalog_locbench import _inat
from locbench.datasets.gair import GairCsv
from locbench.datasets.spec import DatasetSpec

GAIR_CITE = ("Liu, Z., Zhang, J., Jiao, W., Lao, N., Mai, G. GAIR: Improving Multimodal Geo-Foundation Model "
             "with Geo-Aligned Implicit Representations. arXiv:2503.16683 (2025); ISPRS J. Photogramm. Remote Sens. "
             "237:166-182 (2026)")
GAIR_SOURCE = ("the upstream dataset (see citation); GAIR's code is inference-only (CC BY-NC 4.0) and ships no split "
               "files, so place the CSVs listed in expected_files under the data root")
GAIR_VERSION = "gair-v1-first-commit"
GLOBAL = (-180.0, 180.0, -90.0, 90.0)
EMBED_NOTE = ("image_features: per-sample embeddings supplied by the user, either `load_split(..., embeddings=PATH)` "
              "or <data root>/<dirname>/embeddings/<split>.npy (rows aligned with the CSV order) / "
              "<split>.parquet (a `sample_id` column plus an `embedding` list column or numeric columns); "
              "without them there are no image features and only location-based probes apply.")

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
QUALITY_CLASSES = ("good", "slightly poor", "very poor")
PLATFORM_CLASSES = ("driving surface", "walking surface", "cycling surface", "tunnel", "fields", "railway")
VIEW_CLASSES = ("front/back", "side")
PERCEPTION = ("beautiful", "boring", "depressing", "lively", "safe", "wealthy")
SOCIO = ("popden_cbg", "bachelor_p", "health", "poc_cbg", "mhincome_c", "stationdis", "walkbike_p", "over65_per",
         "violent", "sky")


def _gair(name: str, *, modality: str, task_type: str, dirname: str, files: dict[str, str], columns: dict,
          primary_metric: str, description: str, upstream: str, num_classes: int | None = None,
          class_names: tuple[str, ...] | None = None, targets: tuple[str, ...] = (), licence: str = "",
          inferred: str, notes: tuple[str, ...] = (), n_eval: int | None = None) -> DatasetSpec:
    splits = tuple(files)
    reported = "test"
    return DatasetSpec(
        name=name, group="gair", task_type=task_type, modality=modality, reported_split=reported,
        train_split="train", splits=splits, num_classes=num_classes, class_names=class_names, targets=targets,
        primary_metric=primary_metric, n_eval_rows=n_eval, coord_bounds=GLOBAL,
        citation=f"{GAIR_CITE}; {upstream}", licence=licence or "upstream dataset licence; GAIR code CC BY-NC 4.0",
        source=GAIR_SOURCE,
        expected_files=tuple(f"gair/{dirname}/{files[s]}" for s in ("train", reported)),
        optional_files=tuple(f"gair/{dirname}/{files[s]}" for s in splits if s not in ("train", reported))
        + tuple(f"gair/{dirname}/embeddings/{s}.npy" for s in splits),
        version=GAIR_VERSION,
        provenance=("rebuilt from the loaders and metric code of GAIR's first public commit (v1: 10 downstream "
                    "tasks); " + (f"test split size {n_eval:,} rows, counted in the GeoBS/PyGBS per-sample result "
                                  "tables (data/foundation_model_result_tables)" if n_eval else "split sizes unknown")),
        description=description, loader=GairCsv(files=files, **columns), dirname=f"gair/{dirname}",
        inferred=inferred, default_probe="linear",  # image / street-view tasks: frozen user embeddings
        id_rule=("the CSV's `" + columns.get("id_column", "sample_id") + "` column when present, else "
                 "'<split>:<row index in the split CSV>'"),
        notes=(EMBED_NOTE,) + notes,
    )


SPLIT3 = {"train": "train.csv", "val": "val.csv", "test": "test.csv"}
WORLDSTRAT_CITE = ("Cornebise, J., Orsolic, I., Kalaitzis, F. Open High-Resolution Satellite Imagery: The WorldStrat "
                   "Dataset. NeurIPS 2022 D&B")
STREETSCAPES_CITE = "Hou, Y. et al. Global Streetscapes. ISPRS J. Photogramm. Remote Sens. 215, 2024"
STREETSCAPES_NOTE = ("Global Streetscapes metadata columns (uuid, lon, lat, quality, platform, view_direction) shared "
                     "by the three street-view tasks; class strings as in that dataset.")


def _worldstrat(name: str, label_column: str, extra_columns: dict, *, num_classes: int, description: str,
                inferred: str, class_names: tuple[str, ...] | None = None,
                notes: tuple[str, ...] = ()) -> DatasetSpec:
    """One of the two WorldStrat tasks: the same split files, a different label column."""
    return _gair(name, modality="remote-sensing (Sentinel-2, 12 bands)", task_type="classification",
                 dirname="worldstrat", files=SPLIT3,
                 columns={"label_column": label_column, "image_column": "image_path", **extra_columns},
                 num_classes=num_classes, class_names=class_names, primary_metric="top1", description=description,
                 upstream=WORLDSTRAT_CITE, n_eval=6288, inferred=inferred, notes=notes)


def _streetscapes(name: str, label_column: str, class_names: tuple[str, ...], description: str) -> DatasetSpec:
    """One of the three Global Streetscapes tasks: one metadata layout, one label column each."""
    return _gair(name, modality="street-view image", task_type="classification", dirname="streetscapes",
                 files=SPLIT3, columns={"label_column": label_column, "id_column": "uuid", "image_column": "image_path"},
                 num_classes=len(class_names), class_names=class_names, primary_metric="macro_f1",
                 description=description, upstream=STREETSCAPES_CITE,
                 inferred="metadata CSV layout and split file names are locbench's choice", notes=(STREETSCAPES_NOTE,))


def gair_specs() -> list[DatasetSpec]:
    return [
        _gair("gair-fmow-sentinel", modality="remote-sensing (Sentinel-2, 13 bands)", task_type="classification",
              dirname="fmow-sentinel", files=SPLIT3,
              columns={"label_column": "category", "label_aliases": ("label", "category_id"), "image_column": "image_path"},
              num_classes=62, class_names=FMOW_CLASSES, primary_metric="top1",
              description="fMoW-Sentinel: 62 fMoW categories from Sentinel-2 images (top-1, top-5).",
              upstream="Cong, Y. et al. SatMAE. NeurIPS 2022 (fMoW-Sentinel); Christie, G. et al. fMoW. CVPR 2018",
              n_eval=84939, inferred="CSV file names and the `category` column name are locbench's choice; labels may be names or 0-based ids"),
        _gair("gair-eurosat", modality="remote-sensing (Sentinel-2, 13 bands)", task_type="classification",
              dirname="eurosat", files=SPLIT3,
              columns={"label_column": "category_id", "label_aliases": ("label",), "image_column": "image_path"},
              num_classes=10, class_names=EUROSAT_CLASSES, primary_metric="top1",
              description="EuroSAT: 10 land-cover classes from Sentinel-2 patches in Europe.",
              upstream="Helber, P. et al. EuroSAT. IEEE JSTARS 12(7), 2019", licence="MIT (EuroSAT); GAIR code CC BY-NC 4.0",
              n_eval=5400, inferred="columns category_id, lon, lat, image_path are GAIR's; file names per split are locbench's choice"),
        _worldstrat("gair-worldstrat-ipcc", "IPCC", {}, num_classes=8, class_names=IPCC_CLASSES,
                    description="WorldStrat: IPCC land class of each location.",
                    inferred="split file names are locbench's choice; the IPCC column is GAIR's"),
        _worldstrat("gair-worldstrat-lccs", "LCCS", {"classes_from_data": True}, num_classes=34,
                    description="WorldStrat: LCCS land-cover code of each location (34 codes).",
                    inferred="the 34 codes are not listed: class_names are the sorted union of codes over all "
                             "split files present",
                    notes=("Class indices follow the sorted LCCS codes found in the split CSVs (deterministic for "
                           "a given download).",)),
        _gair("gair-sv-perception", modality="street-view image", task_type="regression",
              dirname="perception_task", files={"train": "train_perception.csv", "test": "test_perception.csv"},
              columns={"target_columns": PERCEPTION, "image_column": "image_path"},
              targets=PERCEPTION, primary_metric="r2",
              description="Place Pulse perception: six scores (beautiful, boring, depressing, lively, safe, wealthy).",
              upstream="Dubey, A. et al. Deep Learning the City: Quantifying Urban Perception at a Global Scale. ECCV 2016",
              inferred="file names are GAIR's; column names image_path, lon, lat and the six score names are inferred"),
        _streetscapes("gair-sv-quality", "quality", QUALITY_CLASSES,
                      "Global Streetscapes: image quality (good / slightly poor / very poor)."),
        _streetscapes("gair-sv-platform", "platform", PLATFORM_CLASSES,
                      "Global Streetscapes: capture platform / surface (driving, walking, cycling surface, tunnel, "
                      "fields, railway)."),
        _streetscapes("gair-sv-view-direction", "view_direction", VIEW_CLASSES,
                      "Global Streetscapes: view direction (front/back vs side), binary."),
        _gair("gair-socioeconomic", modality="street-view panoramas (Boston, Los Angeles)", task_type="regression",
              dirname="socioeconomic", files={"train": "train.csv", "test": "test.csv"},
              columns={"target_columns": SOCIO, "image_column": "image_path"}, targets=SOCIO, primary_metric="r2",
              description="Census indicators of the block group/tract around street-view panoramas (10 targets).",
              upstream="US Census / ACS indicators joined to panoramas (as GAIR's loader)",
              inferred="the joined CSV layout (sample_id, lon, lat, <10 indicators>) and file names are locbench's choice"),
        _inat("gair-species-location", 2018, num_classes=8142, n_eval=24426, train_rows=436063,
              citation="Van Horn, G. et al. The iNaturalist Species Classification and Detection Dataset. CVPR 2018",
              description="Species classification with a frozen location embedding as a prior, on LocBench's iNat2018 files.",
              group="gair", modality="location", extra_citation=f"{GAIR_CITE}; ",
              provenance=("GAIR mentions species recognition; its lab's CSP evaluated location embeddings this way. "
                          "Reads the same inat_2018/ files as `inat2018`."),
              inferred="the whole task is inferred (paper mentions species recognition; no GAIR loader for it)"),
    ]
