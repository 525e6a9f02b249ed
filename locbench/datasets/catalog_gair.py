"""GAIR's ten downstream tasks as the v1 paper names them, and the dataset specs they use.

Source: GAIR arXiv 2503.16683 v1 ("10 geospatial tasks spanning RS image-based, SV image-based, and
location embedding-based benchmarks"), task and dataset names as extracted in the public audit data
of `taylor-geospatial/gfm-leaderboard` (data/extracted_info.jsonl). We follow v1; v2 (2026) regroups
into 9 tasks and 22 datasets. GAIR's per-task numbers could not be obtained and are not invented.

A `GairTask` names the datasets it uses: the three location tasks REFERENCE LocBench's own specs
(one definition of each dataset, shown under both benchmarks); the SV tasks read Global
Streetscapes' published layout; the RS tasks read the published GeoTIFF / npz layouts.
The four remote-sensing classification sets of an early GAIR commit are the GeoBS paper's and
live in `catalog_geobs.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from locbench.datasets.ai4smallfarms import Ai4SmallFarmsTiff
from locbench.datasets.croptype_south_sudan import CropTypeSouthSudanNpz
from locbench.datasets.gair import GairCsv
from locbench.datasets.hls_burn_scars import HlsBurnScarsTiff
from locbench.datasets.layout import Layout
from locbench.datasets.spec import DatasetSpec
from locbench.datasets.streetscapes import StreetscapesManualLabels, StreetscapesPerception

GAIR_CITE = ("Liu, Z., Zhang, J., Jiao, W., Lao, N., Mai, G. GAIR: Improving Multimodal Geo-Foundation Model "
             "with Geo-Aligned Implicit Representations. arXiv:2503.16683 (2025); ISPRS J. Photogramm. Remote Sens. "
             "237:166-182 (2026)")
GAIR_VERSION = "gair-v1-arxiv-2503.16683v1"
GLOBAL = (-180.0, 180.0, -90.0, 90.0)
EMBED_NOTE = ("image_features: per-sample embeddings supplied by the user, either `load_split(..., embeddings=PATH)` "
              "or <data root>/<dirname>/embeddings/<split>.npy (rows aligned with the CSV order) / "
              "<split>.parquet (a `sample_id` column plus an `embedding` list column or numeric columns); "
              "without them there are no image features and only location-based probes apply.")

PLATFORM_CLASSES = ("driving surface", "walking surface", "cycling surface", "tunnel", "fields", "railway")
VIEW_CLASSES = ("front/back", "side")
PERCEPTION = ("beautiful", "boring", "depressing", "lively", "safe", "wealthy")
SOCIO = ("popden_cbg", "bachelor_p", "health", "poc_cbg", "mhincome_c", "stationdis", "walkbike_p", "over65_per",
         "violent", "sky")
STREETSCAPES_CITE = ("Hou, Y. et al. Global Streetscapes - A comprehensive dataset of 10 million street-level images "
                     "across 688 cities for urban science and analytics. ISPRS J. Photogramm. Remote Sens. 215, 2024")
STREETSCAPES_SOURCE = ("Hugging Face dataset NUS-UAL/global-streetscapes (https://huggingface.co/datasets/NUS-UAL/"
                       "global-streetscapes): put its data/ and manual_labels/ folders under <data root>/gair/streetscapes/")
STREETSCAPES_LICENCE = "CC BY-SA 4.0 (Global Streetscapes); images under Mapillary / KartaView terms"


@dataclass(frozen=True)
class GairTask:
    """One of GAIR v1's ten downstream tasks: its family and the registered datasets it is measured on.

    `datasets` are registry names; location tasks name LocBench's specs (shown under both benchmarks).
    `inferred` says which part of the task-to-dataset mapping is ours, not the paper's.
    """

    key: str
    family: str  # "SV" | "RS" | "location"
    title: str
    datasets: tuple[str, ...]
    inferred: str = ""


GAIR_TASKS: tuple[GairTask, ...] = (
    GairTask("socioeconomic", "SV", "socio-economic indicator regression", ("gair-socioeconomic",)),
    GairTask("perception", "SV", "human perception regression", ("gair-sv-perception",)),
    GairTask("view-direction", "SV", "view direction classification", ("gair-sv-view-direction",)),
    GairTask("platform", "SV", "imaging platform classification", ("gair-sv-platform",)),
    GairTask("burn-scars", "RS", "burn scar segmentation", ("gair-hls-burn-scars",)),
    GairTask("crop-type", "RS", "crop type mapping (segmentation)", ("gair-crop-type-south-sudan",)),
    GairTask("cropland", "RS", "cropland polygon segmentation", ("gair-ai4smallfarms",)),
    GairTask("image-regression", "location", "geo-aware image regression",
             ("mosaiks-population", "mosaiks-elevation", "mosaiks-forest-cover", "mosaiks-nightlights"),
             inferred="the paper names MOSAIKS; that it uses all four LocBench MOSAIKS targets is ours"),
    GairTask("species", "location", "geo-aware species recognition",
             ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018"),
             inferred="the paper names BirdSnap and NABirds without the metadata variant: LocBench's birdsnap "
                      "(original) and birdsnap-ebird / nabirds-ebird (eBird-simulated) are all listed"),
    GairTask("flickr", "location", "geo-aware Flickr image classification", ("yfcc",)),
)
FOLLOWS = ("GAIR arXiv 2503.16683 v1: 10 tasks, 10 datasets (Global Streetscapes, HLS Burn Scars, Crop Type Mapping "
           "South Sudan, AI4SmallFarms, MOSAIKS, BirdSnap, NABirds, iNat2017, iNat2018, YFCC); v2 (2026) regroups "
           "into 9 tasks and 22 datasets, which we do not follow. GAIR's per-task numbers could not be obtained.")


def _spec(name: str, *, task_type: str, modality: str, splits: tuple[str, ...], loader: Layout, dirname: str,
          expected: tuple[str, ...], primary_metric: str, description: str, upstream: str, licence: str,
          source: str, inferred: str, num_classes: int | None = None, class_names: tuple[str, ...] | None = None,
          targets: tuple[str, ...] = (), optional: tuple[str, ...] = (), id_rule: str = "",
          ignore_index: int | None = None, notes: tuple[str, ...] = (), bounds=GLOBAL) -> DatasetSpec:
    """A dataset of a GAIR task: what every GAIR-group spec shares, then its own facts."""
    return DatasetSpec(
        name=name, group="gair", task_type=task_type, modality=modality, reported_split="test",
        train_split="train", splits=splits, num_classes=num_classes, class_names=class_names, targets=targets,
        primary_metric=primary_metric, n_eval_rows=None, coord_bounds=bounds, citation=f"{GAIR_CITE}; {upstream}",
        licence=licence, source=source, expected_files=tuple(f"{dirname}/{f}" for f in expected),
        optional_files=tuple(f"{dirname}/{f}" for f in optional), version=GAIR_VERSION,
        provenance="a dataset of GAIR v1's downstream tasks (" + FOLLOWS + ")", description=description,
        loader=loader, dirname=dirname, inferred=inferred, id_rule=id_rule,
        default_probe=None if task_type == "segmentation" else "linear",  # segmentation: its task type's probe
        ignore_index=ignore_index, notes=notes,
    )


def _streetscapes(name: str, attribute: str, class_names: tuple[str, ...], description: str) -> DatasetSpec:
    """A Global Streetscapes manual-label task: the published train/test label CSVs of one attribute."""
    return _spec(name, task_type="classification", modality="street-view image", splits=("train", "test"),
                 loader=StreetscapesManualLabels(attribute=attribute), dirname="gair/streetscapes",
                 expected=(f"manual_labels/train/{attribute}.csv", f"manual_labels/test/{attribute}.csv",
                           "data/metadata_common_attributes.csv"),
                 optional=("embeddings/train.npy", "embeddings/test.npy"), primary_metric="macro_f1",
                 description=description, upstream=STREETSCAPES_CITE, licence=STREETSCAPES_LICENCE,
                 source=STREETSCAPES_SOURCE, num_classes=len(class_names), class_names=class_names,
                 id_rule="the image `uuid`", notes=(EMBED_NOTE,),
                 inferred="class strings as GAIR's early loader; label values may also be 0-based ids")


def _segmentation() -> list[DatasetSpec]:
    """The three RS tasks' datasets, in their published layouts (PANGAEA dataset configs for facts)."""
    return [
        _spec("gair-hls-burn-scars", task_type="segmentation", modality="remote-sensing (HLS, 6 bands, 30 m)",
              splits=("train", "test"), loader=HlsBurnScarsTiff(), dirname="gair/hls-burn-scars",
              expected=("training/", "validation/"), primary_metric="miou", num_classes=2,
              class_names=("not burned", "burn scar"), ignore_index=-1, bounds=(-125.0, -66.0, 24.0, 50.0),
              description="HLS Burn Scars: burn-scar masks on 512 x 512 HLS chips (contiguous US, 2018-2021).",
              upstream="Phillips, C. et al. HLS Foundation Burnscars Dataset. Hugging Face, doi:10.57967/hf/0956 (2023)",
              licence="CC BY 4.0",
              source=("Hugging Face dataset ibm-nasa-geospatial/hls_burn_scars: unpack hls_burn_scars.tar.gz so that "
                      "training/ and validation/ sit under <data root>/gair/hls-burn-scars/"),
              id_rule="the chip's file stem without `_merged` (HLS tile and date)",
              inferred="the reported split is validation/ (as PANGAEA); coord_bounds = contiguous US (the card's scope)",
              notes=("Masks: 1 burn scar, 0 not burned, -1 no data (ignore_index). Footprint and centroid come from "
                     "the _merged.tif georeference (UTM), reprojected to EPSG:4326.",)),
        _spec("gair-crop-type-south-sudan", task_type="segmentation",
              modality="remote-sensing (Sentinel-1/2 time series, 64 x 64 px)", splits=("train", "val", "test"),
              loader=CropTypeSouthSudanNpz(), dirname="gair/crop-type-south-sudan",
              expected=("southsudan/list_eval_partition.csv", "southsudan/truth/"), optional=("southsudan/npy/",),
              primary_metric="miou", num_classes=4, class_names=("Sorghum", "Maize", "Rice", "Groundnut"),
              ignore_index=-1, bounds=(24.0, 36.0, 3.0, 13.0),
              description="Crop Type Mapping, South Sudan: per-pixel crop type of smallholder fields (4 classes).",
              upstream=("Rustowicz, R. et al. Semantic Segmentation of Crop Type in Africa: A Novel Dataset and "
                        "Analysis of Deep Learning Methods. CVPR Workshops 2019"),
              licence="not stated in the sources we read (SustainBench and PANGAEA redistribute it): check the authors' terms",
              source=("africa_crop_type_mapping_v1.0 as linked from PANGAEA's configs/dataset/croptypemapping.yaml "
                      "(download_url); unpack so that southsudan/ sits under <data root>/gair/crop-type-south-sudan/"),
              id_rule="the grid id, zero-padded to 6 digits (as the file names)",
              inferred=("the layout (partition CSV, truth/ and npy/ .npz) is PANGAEA's / SustainBench's; it carries no "
                        "georeference, so chips are unlocated (no geo-bias) until a georeferenced source is found"),
              notes=("Classes: crop codes 1..4 -> Sorghum, Maize, Rice, Groundnut; all other codes -> -1 (ignored), "
                     "as PANGAEA and the dataset paper.", "The authors jittered field locations by up to 3 km.")),
        _spec("gair-ai4smallfarms", task_type="segmentation", modality="remote-sensing (Sentinel-2, 4 bands, 10 m)",
              splits=("train", "val", "test"), loader=Ai4SmallFarmsTiff(), dirname="gair/ai4smallfarms",
              expected=("sentinel-2-asia/train/images/", "sentinel-2-asia/test/images/"), primary_metric="miou",
              num_classes=2, class_names=("background", "crop field"), ignore_index=None,
              bounds=(102.0, 110.0, 8.0, 24.0),
              description="AI4SmallFarms: crop-field polygons rasterised on Sentinel-2 chips in Vietnam and Cambodia.",
              upstream=("Persello, C. et al. AI4SmallFarms: A Dataset for Crop Field Delineation in Southeast Asian "
                        "Smallholder Farms. IEEE GRSL 20 (2023)"),
              licence="CC BY 4.0 (DANS data station; inferred from the repository's default, check the landing page)",
              source=("DANS data station, doi:10.17026/dans-xy6-ngg6 (https://phys-techsciences.datastations.nl): keep "
                      "sentinel-2-asia/{train,validate,test}/{images,masks} under <data root>/gair/ai4smallfarms/"),
              id_rule="the chip's file name without .tif",
              inferred="images and masks are paired by file name; mask values > 0 are crop field (PANGAEA divides by 255)"),
    ]


def gair_specs() -> list[DatasetSpec]:
    """The GAIR group's own dataset specs (the location tasks reference LocBench's; see GAIR_TASKS)."""
    return [
        _spec("gair-socioeconomic", task_type="regression", modality="street-view panoramas (Boston, Los Angeles)",
              splits=("train", "test"), loader=GairCsv(files={"train": "train.csv", "test": "test.csv"},
                                                      target_columns=SOCIO, image_column="image_path"),
              dirname="gair/socioeconomic", expected=("train.csv", "test.csv"),
              optional=("embeddings/train.npy", "embeddings/test.npy"), targets=SOCIO, primary_metric="r2",
              description="Census indicators of the block group / tract around street-view panoramas (10 targets).",
              upstream="US Census / ACS indicators joined to panoramas in Boston and Los Angeles (GAIR's code)",
              licence="not published (GAIR's code names the 10 targets only); ACS data are public domain",
              source=("not published: GAIR's code reads a CSV joining panoramas to census block groups; build "
                      "train.csv / test.csv (sample_id, lon, lat, image_path, the 10 indicators) yourself"),
              id_rule="the CSV's `sample_id` column when present, else '<split>:<row>'", notes=(EMBED_NOTE,),
              inferred=("the 10 target names are GAIR's; the joined CSV layout (sample_id, lon, lat, image_path, "
                        "targets), its file names and the train/test split are locbench's choice")),
        _spec("gair-sv-perception", task_type="regression", modality="street-view image",
              splits=("train", "val", "test"), loader=StreetscapesPerception(), dirname="gair/streetscapes",
              expected=("data/perception.csv", "data/metadata_common_attributes.csv"), targets=PERCEPTION,
              primary_metric="r2", optional=("embeddings/all.npy",),
              description="Global Streetscapes: six perception scores (beautiful, boring, depressing, lively, safe, wealthy).",
              upstream=STREETSCAPES_CITE, licence=STREETSCAPES_LICENCE, source=STREETSCAPES_SOURCE,
              id_rule="the image `uuid`", notes=(EMBED_NOTE,),
              inferred=("perception column names (matched case-insensitively) and the absence of a published split: "
                        "train/val/test are assigned 70/10/20 by holdout/seed")),
        _streetscapes("gair-sv-view-direction", "view_direction", VIEW_CLASSES,
                      "Global Streetscapes: view direction (front/back vs side), binary."),
        _streetscapes("gair-sv-platform", "platform", PLATFORM_CLASSES,
                      "Global Streetscapes: imaging platform / surface (driving, walking, cycling surface, tunnel, "
                      "fields, railway)."),
        *_segmentation(),
    ]


def gair_tasks() -> tuple[GairTask, ...]:
    """The ten tasks, in the paper's order (leaderboard GAIR family, README)."""
    return GAIR_TASKS


NO_RESULTS = ("no results yet: evaluate with `locbench evaluate -e <encoder> -d {dataset} --model-id <id>` "
              "(or `locbench submit`) and open a pull request with results/<id>/{dataset}.json")


def leaderboard_family() -> list[dict]:
    """The leaderboard's GAIR family: one entry per task with its datasets and the empty-cell text."""
    return [{"key": t.key, "family": t.family, "task": t.title,
             "datasets": [{"name": d, "empty": NO_RESULTS.format(dataset=d)} for d in t.datasets]}
            for t in GAIR_TASKS]
