"""Specs of the 11 LocBench datasets and the 6 SustainBench sets, with their published facts.

Facts come from ../shared/specs/locbench.md §A (TorchSpatial snapshot 9f8d833 and the NeurIPS 2024
paper). File paths are relative to the data root and follow TorchSpatial's `paths.py` folders.
"""

from __future__ import annotations

from typing import Any

from locbench.datasets.regression import MosaiksCsvNpy, SustainBenchCsv
from locbench.datasets.spec import DatasetSpec
from locbench.datasets.torchspatial import BirdsJson, CocoJson, DenseNpy, SparseNpz, YfccCsv

LOCBENCH_DOI = "https://doi.org/10.6084/m9.figshare.26026798"
LOCBENCH_SOURCE = (f"figshare DOI 10.6084/m9.figshare.26026798 ({LOCBENCH_DOI}); unpack so that the "
                   "folders birdsnap/, nabirds/, inat_2017/, inat_2018/, yfcc/, fmow/, mosaiks/, sustainbench/ "
                   "sit directly under the data root")
LOCBENCH_LICENCE = "derived data CC BY-NC 4.0 (TorchSpatial); the upstream dataset licence takes precedence"
TORCHSPATIAL = ("Wu, N. et al. TorchSpatial: A Location Encoding Framework and Benchmark for Spatial "
                "Representation Learning. NeurIPS 2024 Datasets and Benchmarks (arXiv:2406.15658)")
GEOPRIOR = ("Mac Aodha, O., Cole, E., Perona, P. Presence-Only Geographical Priors for Fine-Grained Image "
            "Classification. ICCV 2019")
VERSION = "torchspatial-9f8d833"
GLOBAL = (-180.0, 180.0, -90.0, 90.0)
BIRD_ID = "'<split>:<index of the entry in the JSON list>' (index counts every entry, valid_image or not); row order = JSON order of the kept rows, as TorchSpatial's eval CSVs"
COCO_ID = "the COCO image id (str); row order = the `images` list of the split JSON, as TorchSpatial's eval CSVs"
ROW_ID = "the 0-based row index in the CSV file (str); row order = CSV order"
INVALID_BIRDS = ("Rows with valid_image false are always dropped. The reported (eval) split keeps every other row; "
                 "unlocated rows are kept with NaN lon/lat and located=False (image-only prediction). "
                 "The train split also drops rows with NaN lon, user_id < 0 (null -> -1) or NaN date, as TorchSpatial.")
INVALID_INAT = ("The eval split keeps every image (unlocated rows flagged); the train split drops rows whose lon "
                "or user_id is null, as TorchSpatial.")
PROBS_ROWS = ("Image-prediction matrices must have one row per image of the split list (for birds: one per "
              "valid_image entry; a matrix with one row per JSON entry is also accepted and indexed by the kept entries).")


def _image_set(**fields: Any) -> DatasetSpec:
    """A LocBench image classification set: the fields they all share, then its own (which win)."""
    shared: dict[str, Any] = {"group": "locbench", "task_type": "classification", "modality": "image+location",
                              "primary_metric": "top1", "licence": LOCBENCH_LICENCE, "source": LOCBENCH_SOURCE,
                              "version": VERSION, "train_split": "train"}
    return DatasetSpec(**{**shared, **fields})


def _in(folder: str, *names: str) -> tuple[str, ...]:
    """Paths of files in one dataset folder."""
    return tuple(f"{folder}/{n}" for n in names)


def _bird(name: str, *, dataset: str, meta_type: str, num_classes: int, n_eval: int, train_rows: int,
          unlocated: int, citation: str, bounds: tuple[float, float, float, float], description: str,
          notes: tuple[str, ...] = ()) -> DatasetSpec:
    js = f"{dataset}/{dataset}_with_loc_2019.json"
    fi = f"{dataset}/features_inception/{dataset}"
    return _image_set(
        name=name, reported_split="test", splits=("train", "valid", "test"),
        num_classes=num_classes, n_eval_rows=n_eval, coord_bounds=bounds, citation=f"{TORCHSPATIAL}; {citation}",
        expected_files=(js, f"{fi}_test_preds_sparse.npz"),
        optional_files=(f"{fi}_train_preds_sparse.npz", f"{fi}_valid_preds_sparse.npz",
                        f"{fi}_train_net_feats.npy", f"{fi}_test_net_feats.npy"),
        provenance=(f"TorchSpatial `--dataset {dataset} --meta_type {meta_type}`; eval rows {n_eval:,} "
                    f"({unlocated:,} without location), train rows after invalid removal {train_rows:,} (training logs)"),
        description=description, loader=BirdsJson(dataset=dataset, meta_type=meta_type), dirname=dataset,
        published={"train_rows": train_rows, "unlocated_eval_rows": unlocated},
        id_rule=BIRD_ID, notes=(INVALID_BIRDS, PROBS_ROWS) + notes, in_species_average=True,
    )


def _inat(name: str, year: int, *, num_classes: int, n_eval: int, train_rows: int, citation: str,
          description: str, group: str = "locbench", modality: str = "image+location",
          extra_citation: str = "", provenance: str = "", inferred: bool | str = False,
          notes: tuple[str, ...] = (), in_species_average: bool = False) -> DatasetSpec:
    d = f"inat_{year}"
    yy = str(year)
    return _image_set(
        name=name, group=group, modality=modality, reported_split="val", splits=("train", "val"),
        num_classes=num_classes, n_eval_rows=n_eval, coord_bounds=GLOBAL,
        citation=f"{extra_citation}{TORCHSPATIAL}; {citation}",
        expected_files=(f"{d}/train{yy}_locations.json", f"{d}/val{yy}_locations.json", f"{d}/train{yy}.json",
                        f"{d}/val{yy}.json", f"{d}/categories{yy}.json",
                        f"{d}/features_inception/inat{yy}_val_preds_sparse.npz"),
        optional_files=(f"{d}/features_inception/inat{yy}_train_preds_sparse.npz",
                        f"{d}/features_inception/inat{yy}_train_net_feats.npy",
                        f"{d}/features_inception/inat{yy}_val_net_feats.npy"),
        provenance=provenance or (f"TorchSpatial `--dataset inat_{year}`; eval split val, {n_eval:,} rows; "
                                  f"train rows after invalid removal {train_rows:,} (training logs)"),
        description=description, loader=CocoJson(year=year, predictions=SparseNpz()), dirname=d, inferred=inferred,
        published={"train_rows": train_rows}, id_rule=COCO_ID, notes=(INVALID_INAT,) + notes,
        in_species_average=in_species_average,
    )


def _mosaiks(name: str, file_name: str, *, flag: str, total: int, csv_rows: int, label_doc: str) -> DatasetSpec:
    return DatasetSpec(
        name=name, group="locbench", task_type="regression", modality="image+location",
        reported_split="test", train_split="train", splits=("train", "test"),
        num_classes=None, targets=(file_name,), primary_metric="r2", n_eval_rows=None, coord_bounds=GLOBAL,
        citation=(f"{TORCHSPATIAL}; Rolf, E. et al. A generalizable and accessible approach to machine learning "
                  "with global satellite imagery. Nature Communications 12, 4392 (2021)"),
        licence=LOCBENCH_LICENCE, source=LOCBENCH_SOURCE,
        expected_files=(f"mosaiks/Y_{file_name}.csv", f"mosaiks/X_{file_name}.npy"),
        version=VERSION,
        provenance=(f"TorchSpatial `--dataset mosaiks_{flag}`; "
                    f"{total:,} observations (UAR-sampled globally, documented). TorchSpatial keeps an unseeded "
                    f"num_rows // 20 of train and test, so each published per-sample CSV is a different subset "
                    f"({csv_rows:,} test rows in the shipped CSVs); the full test size is not published."),
        description=f"MOSAIKS {file_name}: regress {label_doc} from a 2048-d image feature and the location.",
        loader=MosaiksCsvNpy(file_name=file_name), dirname="mosaiks",
        published={"total_rows": total, "published_csv_test_rows": csv_rows},
        unranked_reason=("TorchSpatial kept an unseeded 1/20 subsample of the test split, so each published "
                         "per-sample file covers a different subset"),
        id_rule=ROW_ID + " of Y_<name>.csv (the same index selects the X_<name>.npy row)",
        notes=("The evaluation row count is not stated: the reported test split is subsampled without a seed in TorchSpatial.",
               "locbench loads the full split by default; `subsample=1/20, seed=S` reproduces TorchSpatial's "
               "1/20 protocol reproducibly (rows chosen by numpy default_rng(seed), kept in CSV order).",
               f"Target: {label_doc}; used as stored, no standardisation."),
    )


_SUSTAIN = (
    ("asset-index", "asset_index", "Asset Index"),
    ("under5-mort", "under5_mort", "Child Mortality Rate"),
    ("water-index", "water_index", "Water Index"),
    ("women-bmi", "women_bmi", "Women BMI"),
    ("women-edu", "women_edu", "Women Edu"),
    ("sanitation-index", "sanitation_index", "Sanitation Index"),
)


SUSTAINBENCH_NOTES = (
    "image_features is the scalar `nl_mean` as an (N, 1) array (TorchSpatial's 'image' input).",
    "Rows whose target is NaN are dropped, as TorchSpatial (DHS surveys do not measure every label).",
    "No subsampling by default; `subsample=f, seed=S` keeps a seeded fraction.",
)


def _sustainbench(slug: str, label: str, paper: str) -> DatasetSpec:
    """One SustainBench DHS target: the same two CSVs, one label column each."""
    return DatasetSpec(
        name=f"sustainbench-{slug}", group="sustainbench", task_type="regression", modality="nightlights+location",
        reported_split="test", train_split="train", splits=("train", "test"),
        num_classes=None, targets=(f"{label}_normalized",), primary_metric="r2", n_eval_rows=None,
        coord_bounds=GLOBAL,
        citation=(f"{TORCHSPATIAL}; Yeh, C. et al. SustainBench: Benchmarks for Monitoring the Sustainable "
                  "Development Goals with Machine Learning. NeurIPS 2021 Datasets and Benchmarks"),
        licence=LOCBENCH_LICENCE, source=LOCBENCH_SOURCE,
        expected_files=("sustainbench/dhs_trainval_labels.csv", "sustainbench/dhs_test_labels.csv"),
        version=VERSION,
        provenance=(f"TorchSpatial `--dataset sustainbench_{label}` (paper column '{paper}'); loader is broken as "
                    "shipped (sample_fraction undefined) and sizes are not derivable from the repository"),
        description=f"SustainBench DHS {paper}: regress `{label}_normalized` from the nightlight mean and the location.",
        loader=SustainBenchCsv(label=label), dirname="sustainbench",
        id_rule="'<split>:<row index in the split CSV>' (train = dhs_trainval_labels.csv, test = dhs_test_labels.csv)",
        notes=SUSTAINBENCH_NOTES,
    )


def _yfcc() -> DatasetSpec:
    """YFCC100M geo subset: its own CSV layout, dense prediction matrices, a plain shuffled loader."""
    return _image_set(
        name="yfcc", reported_split="test", splits=("train", "test"), num_classes=100,
        n_eval_rows=17798, coord_bounds=(-166.7, -65.4, 17.9, 65.1),  # published extent rounded outward by 0.1 deg
        citation=(f"{TORCHSPATIAL}; Tang, K. et al. Improving Image Classification with Location Context. ICCV 2015; "
                  "Thomee, B. et al. YFCC100M. Communications of the ACM 59(2), 2016"),
        expected_files=_in("yfcc", "train_test_split.csv", "class_names.csv", "features_inception/YFCC_test_preds.npy"),
        optional_files=_in("yfcc/features_inception", "YFCC_train_preds.npy", "YFCC_train_net_feats.npy",
                           "YFCC_test_net_feats.npy"),
        provenance=("TorchSpatial `--dataset yfcc`; 88,986 images total (documented) = 66,739 train + 4,449 val "
                    "(inferred) + 17,798 test"),
        description="YFCC100M geo subset (Tang et al. 2015): 100 classes, US photos.",
        loader=YfccCsv(), dirname="yfcc", published={"train_rows": 66739}, id_rule=ROW_ID + " of train_test_split.csv",
        balanced_sampler=False,  # LocBench trains YFCC with a plain shuffled loader
        notes=("Any split value present in train_test_split.csv can be loaded; the validation split's name is not published.",
               "No users or dates (user = -1, date = 0); only rows with missing coordinates are dropped from train.",
               "Image predictions are dense .npy matrices with one row per split row, in CSV order."),
    )


def _fmow() -> DatasetSpec:
    """fMoW-rgb: COCO-style JSON and a dense MoCo-v3 prediction matrix; reported on val (no public test)."""
    return _image_set(
        name="fmow", reported_split="val", splits=("train", "val"), num_classes=62,
        n_eval_rows=53041, coord_bounds=GLOBAL,
        citation=f"{TORCHSPATIAL}; Christie, G. et al. Functional Map of the World. CVPR 2018",
        expected_files=_in("fmow", "train_location.json", "val_location.json", "train.json", "val.json", "category.json",
                            "feature_moco/fmow_val_preds.npy"),
        optional_files=(*_in("fmow/feature_moco", "fmow_train_preds.npy"),
                        *_in("fmow/features_inception_pretrain", "fmow_train_pretrain_net_feats.npy",
                             "fmow_val_pretrain_net_feats.npy")),
        provenance="TorchSpatial `--dataset fmow`; val 53,041 rows (test not available); train 363,571 rows",
        description="Functional Map of the World (fMoW-rgb): 62 building/land-use categories from satellite images, global.",
        loader=CocoJson(year=None, predictions=DenseNpy()), dirname="fmow", published={"train_rows": 363571},
        id_rule=COCO_ID,
        notes=(INVALID_INAT, "Image predictions: dense MoCo-v3 matrix feature_moco/fmow_<split>_preds.npy.",
               "category.json maps name -> id; class_names are ordered by id."),
    )


def locbench_specs() -> list[DatasetSpec]:
    birdsnap_cite = "Berg, T. et al. Birdsnap: Large-scale Fine-grained Visual Categorization of Birds. CVPR 2014"
    nabirds_cite = ("Van Horn, G. et al. Building a bird recognition app and large scale dataset with citizen "
                    "scientists. CVPR 2015")
    inat_cite = "Van Horn, G. et al. The iNaturalist Species Classification and Detection Dataset. CVPR 2018"
    specs = [
        _bird("birdsnap", dataset="birdsnap", meta_type="orig_meta", num_classes=500, n_eval=2262, train_rows=19133,
              unlocated=1446, citation=birdsnap_cite, bounds=GLOBAL,
              description="BirdSnap with its original (sparse) photo metadata: 500 bird species; only 816 of 2,262 test rows are located."),
        _bird("birdsnap-ebird", dataset="birdsnap", meta_type="ebird_meta", num_classes=500, n_eval=2262,
              train_rows=42490, unlocated=45, citation=f"{birdsnap_cite}; {GEOPRIOR}",
              bounds=(-176.7, -37.3, -90.0, 90.0),
              description="BirdSnap† : the same images with locations simulated from eBird (Mac Aodha et al. 2019); 500 species, North America.",
              notes=("coord_bounds: published eval-row longitude extent -176.6..-37.4 (rounded to 0.1 deg, so widened "
                     "outward by 0.1 deg: real rows reach -176.644 and -37.353); latitude extent not published.",)),
        _bird("nabirds-ebird", dataset="nabirds", meta_type="ebird_meta", num_classes=555, n_eval=24633,
              train_rows=22599, unlocated=222, citation=f"{nabirds_cite}; {GEOPRIOR}", bounds=GLOBAL,
              description="NABirds† : 555 North American bird classes with eBird-simulated locations."),
        _inat("inat2017", 2017, num_classes=5089, n_eval=95986, train_rows=569465, citation=inat_cite,
              description="iNaturalist 2017: 5,089 species, citizen-science photos worldwide.", in_species_average=True),
        _inat("inat2018", 2018, num_classes=8142, n_eval=24426, train_rows=436063, citation=inat_cite,
              description="iNaturalist 2018: 8,142 species, citizen-science photos worldwide.", in_species_average=True),
        _yfcc(),
        _fmow(),
        _mosaiks("mosaiks-population", "population", flag="population", total=425637, csv_rows=4256, label_doc="log(1 + population density)"),
        _mosaiks("mosaiks-elevation", "elevation", flag="elevation", total=498115, csv_rows=4981, label_doc="elevation in metres"),
        _mosaiks("mosaiks-forest-cover", "forest", flag="forest_cover", total=498106, csv_rows=4981,
                 label_doc="forest cover (max ln 101, so probably log(1 + percent); inferred)"),
        _mosaiks("mosaiks-nightlights", "nightlights", flag="nightlights", total=492226, csv_rows=4922,
                 label_doc="nightlight luminosity (0..6.39, probably log(1 + radiance); inferred)"),
    ]
    specs += [_sustainbench(*row) for row in _SUSTAIN]
    return specs
