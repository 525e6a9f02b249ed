"""Readers for TorchSpatial's on-disk layout (../shared/specs/locbench.md §A2): birds, iNat/fMoW, YFCC.

Row order and sample ids follow TorchSpatial's eval CSVs: the eval split is every valid-image row in
file order (unlocated rows kept, NaN lon/lat); image-prediction matrices are row-aligned with the
split's image list and indexed with the kept rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from locbench.datasets.layout import FileLayout, Layout
from locbench.datasets.layout import source_hint as _hint
from locbench.datasets.readers import (
    as_float, as_int, check_coords, json_key, load_npy, load_sparse, numeric_column, read_csv, read_json,
)
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError


@dataclass(frozen=True)
class ImageOptions:
    """`load_split` options of the TorchSpatial classification layouts.

    `remove_invalid`: None = TorchSpatial's rule (True for the train split only); `image_probs`:
    None = required for the reported split, skipped for train, used if present otherwise;
    `features`: also load the 2048-d `*_net_feats.npy` image features.
    """

    remove_invalid: bool | None = None
    image_probs: bool | None = None
    features: bool = False


@dataclass(frozen=True)
class SparseNpz:
    """Image predictions as a scipy sparse `.npz` (birds, iNat), densified row-wise to float32."""

    sparse: ClassVar[bool] = True


@dataclass(frozen=True)
class DenseNpy:
    """Image predictions as a dense `.npy` matrix (YFCC, fMoW), memory-mapped."""

    sparse: ClassVar[bool] = False


@dataclass(frozen=True)
class _TorchSpatialLayout(Layout):
    options_type: ClassVar[type] = ImageOptions

    def check_options(self, spec: DatasetSpec, split: str) -> ImageOptions:
        """A deep check reads the train split without its (optional, large) prediction matrix."""
        return ImageOptions(image_probs=False) if split == spec.train_split else ImageOptions()


@dataclass(frozen=True)
class BirdsJson(_TorchSpatialLayout, FileLayout):
    """`<dataset>_with_loc_2019.json` + sparse predictions (BirdSnap, NABirds); `meta_type` picks the coordinates."""

    dataset: str
    meta_type: str

    def read(self, spec: DatasetSpec, split: str, root: Path, options: ImageOptions) -> DatasetSplit:
        return load_birds(spec, self, split, root, options)


@dataclass(frozen=True)
class CocoJson(_TorchSpatialLayout, FileLayout):
    """COCO-style split JSON + locations JSON: iNat2017/2018 (`year`) or fMoW (`year` None, dense MoCo predictions)."""

    year: int | None
    predictions: SparseNpz | DenseNpy

    def read(self, spec: DatasetSpec, split: str, root: Path, options: ImageOptions) -> DatasetSplit:
        return load_inat(spec, self, split, root, options)


@dataclass(frozen=True)
class YfccCsv(_TorchSpatialLayout):
    """`train_test_split.csv` + `class_names.csv` + dense per-split predictions (YFCC); any split value
    present in the CSV loads (the validation split's name is not published), so no fixed-split check."""

    def load(self, spec: DatasetSpec, split: str, root: Path, options: ImageOptions) -> DatasetSplit:
        return load_yfcc(spec, split, root, options)


def _want_probs(spec: DatasetSpec, split: str, image_probs: bool | None) -> bool | None:
    """True = required, None = if present, False = skip. Default: required for the reported split only."""
    if image_probs is not None:
        return image_probs
    if split == spec.reported_split:
        return True
    return False if split == spec.train_split else None


def _matrix_rows(mat_rows: int, n_entries: int, entry_index: np.ndarray, valid_pos: np.ndarray | None,
                 path: Path, n_valid: int) -> np.ndarray:
    """Which matrix rows belong to the kept entries (see the birds note in the spec)."""
    if valid_pos is not None and mat_rows == n_valid:
        return valid_pos
    if mat_rows == n_entries:
        return entry_index
    expected = f"{n_valid} (one per valid image)" if valid_pos is not None else f"{n_entries}"
    raise InputError(f"matrix has {mat_rows} rows but the split has {expected} rows (row counts disagree)", file=path)


def _load_probs(path: Path, *, matrix: SparseNpz | DenseNpy, want: bool | None, n_classes: int, n_entries: int,
                entry_index: np.ndarray, valid_pos: np.ndarray | None, n_valid: int, hint: str) -> np.ndarray | None:
    if want is False or (want is None and not path.is_file()):
        return None
    if matrix.sparse:
        mat = load_sparse(path, cols=n_classes, hint=hint, what="image-prediction matrix")
        rows = _matrix_rows(mat.shape[0], n_entries, entry_index, valid_pos, path, n_valid)
        data = mat.tocsr().astype(np.float32, copy=False)  # densify straight to float32 (iNat2017 val: 2 GB)
        if data.data.size and not np.all(np.isfinite(data.data)):
            raise InputError("image-prediction matrix contains NaN or infinite values", file=path)
        return data[rows].toarray()  # N x classes (the contract's dense p(y|I)), not N x N
    arr = load_npy(path, cols=n_classes, hint=hint, what="image-prediction matrix", mmap=True)
    rows = _matrix_rows(arr.shape[0], n_entries, entry_index, valid_pos, path, n_valid)
    out = np.asarray(arr[rows], dtype=np.float32)
    if not np.all(np.isfinite(out)):
        r = int(np.flatnonzero(~np.isfinite(out).all(axis=1))[0])
        raise InputError("image-prediction matrix contains NaN or infinite values", file=path, row=int(rows[r]))
    return out


def _load_feats(path: Path, *, want: bool, n_entries: int, entry_index: np.ndarray, valid_pos: np.ndarray | None,
                n_valid: int, hint: str) -> np.ndarray | None:
    if not want:
        return None
    arr = load_npy(path, hint=hint, what="image-feature matrix", mmap=True)
    rows = _matrix_rows(arr.shape[0], n_entries, entry_index, valid_pos, path, n_valid)
    return np.asarray(arr[rows], dtype=np.float32)


def _remove_default(spec: DatasetSpec, split: str, remove_invalid: bool | None) -> bool:
    return (split == spec.train_split) if remove_invalid is None else bool(remove_invalid)


# ---------------------------------------------------------------- birds (BirdSnap, NABirds)

def load_birds(spec: DatasetSpec, layout: BirdsJson, split: str, root: Path, options: ImageOptions) -> DatasetSplit:
    """`<dataset>_with_loc_2019.json` + `features_inception/<dataset>_<split>_preds_sparse.npz`."""
    ds, meta_type = layout.dataset, layout.meta_type
    remove_invalid, image_probs, features = options.remove_invalid, options.image_probs, options.features
    folder = root / spec.dirname
    jpath = folder / f"{ds}_with_loc_2019.json"
    data = read_json(jpath, _hint(spec))
    entries = json_key(data, split, jpath, kind=list)
    classes = json_key(data, "classes", jpath, kind=list)
    n_classes = len(classes)
    n = len(entries)
    valid = np.zeros(n, dtype=bool)
    labels = np.zeros(n, dtype=np.int64)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    user = np.full(n, -1, dtype=np.int64)
    date = np.full(n, np.nan)
    paths = np.empty(n, dtype=object)
    for i, e in enumerate(entries):
        valid[i] = json_key(e, "valid_image", jpath, row=i, kind=bool)
        paths[i] = json_key(e, "im_path", jpath, row=i, kind=str)
        c = as_int(json_key(e, "class_id", jpath, row=i), jpath, i, "class_id")
        if not 0 <= c < n_classes:
            raise InputError(f"class_id {c} outside 0..{n_classes - 1} (the 'classes' list)", file=jpath, row=i,
                             column="class_id")
        labels[i] = c
        m = json_key(e, meta_type, jpath, row=i, kind=dict)
        for key, arr in (("lon", lon), ("lat", lat), ("date", date)):
            arr[i] = as_float(_meta_key(m, key, jpath, i, meta_type), jpath, i, f"{meta_type}.{key}")
        user[i] = as_int(_meta_key(m, "user_id", jpath, i, meta_type), jpath, i, f"{meta_type}.user_id", none=-1)
    check_coords(lon, lat, jpath, lon_col=f"{meta_type}.lon", lat_col=f"{meta_type}.lat")
    keep = valid.copy()
    if _remove_default(spec, split, remove_invalid):
        keep &= np.isfinite(lon) & (user >= 0) & np.isfinite(date)
    entry_index = np.flatnonzero(keep)
    valid_pos = (np.cumsum(valid) - 1)[entry_index]
    n_valid = int(valid.sum())
    fi = folder / "features_inception"
    hint = _hint(spec)
    probs = _load_probs(fi / f"{ds}_{split}_preds_sparse.npz", matrix=SparseNpz(),
                        want=_want_probs(spec, split, image_probs),
                        n_classes=n_classes, n_entries=n, entry_index=entry_index, valid_pos=valid_pos,
                        n_valid=n_valid, hint=hint)
    feats = _load_feats(fi / f"{ds}_{split}_net_feats.npy", want=features, n_entries=n, entry_index=entry_index,
                        valid_pos=valid_pos, n_valid=n_valid, hint=hint)
    return DatasetSplit(
        spec=spec, split=split, sample_ids=np.array([f"{split}:{i}" for i in entry_index], dtype=str),
        lon=lon[entry_index], lat=lat[entry_index], located=np.isfinite(lon[entry_index]),
        labels=labels[entry_index], image_probs=probs, image_features=feats,
        class_names=tuple(str(c) for c in classes),
        meta={"user_id": user[entry_index], "date": date[entry_index], "im_path": paths[entry_index],
              "meta_type": meta_type, "removed_invalid": bool(_remove_default(spec, split, remove_invalid))},
    )


def _meta_key(m: dict, key: str, path: Path, row: int, meta_type: str) -> Any:
    if key not in m:
        raise InputError(f"missing JSON key {meta_type}.{key!r}", file=path, row=row, column=f"{meta_type}.{key}")
    return m[key]


# ---------------------------------------------------------------- iNat2017 / iNat2018 / fMoW (COCO-style)

def _inat_files(layout: CocoJson, split: str, folder: Path) -> dict[str, Path]:
    year = layout.year
    if year:
        return {"locations": folder / f"{split}{year}_locations.json", "coco": folder / f"{split}{year}.json",
                "categories": folder / f"categories{year}.json",
                "probs": folder / "features_inception" / f"inat{year}_{split}_preds_sparse.npz",
                "feats": folder / "features_inception" / f"inat{year}_{split}_net_feats.npy"}
    return {"locations": folder / f"{split}_location.json", "coco": folder / f"{split}.json",
            "categories": folder / "category.json", "probs": folder / "feature_moco" / f"fmow_{split}_preds.npy",
            "feats": folder / "features_inception_pretrain" / f"fmow_{split}_pretrain_net_feats.npy"}


def _categories(path: Path, hint: str) -> tuple[str, ...]:
    """class names ordered by id: iNat `[{id, name}]`, fMoW `{name: id}`."""
    raw = read_json(path, hint)
    pairs: list[tuple[int, str]] = []
    if isinstance(raw, dict):
        for name, cid in raw.items():
            pairs.append((as_int(cid, path, len(pairs), str(name)), str(name)))
    elif isinstance(raw, list):
        for i, c in enumerate(raw):
            pairs.append((as_int(json_key(c, "id", path, row=i), path, i, "id"), str(json_key(c, "name", path, row=i))))
    else:
        raise InputError("expected a list of {id, name} or an object {name: id}", file=path)
    if not pairs:
        raise InputError("no categories", file=path)
    ids = [p[0] for p in pairs]
    if min(ids) < 0 or len(set(ids)) != len(ids):
        raise InputError("category ids must be unique and non-negative", file=path)
    names = [f"class_{i}" for i in range(max(ids) + 1)]
    for cid, name in pairs:
        names[cid] = name
    return tuple(names)


def _coco_labels(coco: Any, path: Path, n_classes: int, categories: Path) -> dict[Any, int]:
    """image id -> class index from the COCO `annotations` list."""
    label_of: dict[Any, int] = {}
    for i, a in enumerate(json_key(coco, "annotations", path, kind=list)):
        iid = json_key(a, "image_id", path, row=i)
        c = as_int(json_key(a, "category_id", path, row=i), path, i, "category_id")
        if not 0 <= c < n_classes:
            raise InputError(f"category_id {c} outside 0..{n_classes - 1} ({categories.name})",
                             file=path, row=i, column="annotations.category_id")
        label_of[iid] = c
    return label_of


def _inat_rows(images: list, label_of: dict[Any, int], locs: list, files: dict[str, Path]) -> tuple[np.ndarray, ...]:
    """Per image: id, label, lon, lat, date, user (-1 if missing), user-missing flag, row in the locations file."""
    lpath = files["locations"]
    loc_of: dict[Any, int] = {}
    for i, rec in enumerate(locs):
        loc_of[json_key(rec, "id", files["locations"], row=i)] = i
    n = len(images)
    ids = np.empty(n, dtype=object)
    labels = np.zeros(n, dtype=np.int64)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    date = np.full(n, np.nan)
    user = np.full(n, -1, dtype=np.int64)
    user_missing = np.zeros(n, dtype=bool)
    loc_rows = np.zeros(n, dtype=np.int64)
    seen: set[Any] = set()
    for i, img in enumerate(images):
        iid = json_key(img, "id", files["coco"], row=i)
        if iid in seen:
            raise InputError(f"duplicate image id {iid!r}", file=files["coco"], row=i, column="images.id")
        seen.add(iid)
        ids[i] = str(iid)
        if iid not in label_of:
            raise InputError(f"image id {iid!r} has no annotation", file=files["coco"], row=i, column="annotations")
        labels[i] = label_of[iid]
        if iid not in loc_of:
            raise InputError(f"image id {iid!r} (row {i} of {files['coco'].name}) has no entry in {lpath.name}",
                             file=lpath, column="id")
        j = loc_rows[i] = loc_of[iid]
        rec = locs[j]
        lon[i] = as_float(json_key(rec, "lon", lpath, row=j), lpath, j, "lon")
        lat[i] = as_float(json_key(rec, "lat", lpath, row=j), lpath, j, "lat")
        date[i] = as_float(rec.get("date_c"), lpath, j, "date_c")
        u = json_key(rec, "user_id", lpath, row=j)
        user_missing[i] = u is None or (isinstance(u, float) and math.isnan(u))
        if not user_missing[i]:
            user[i] = as_int(u, lpath, j, "user_id")
    return ids, labels, lon, lat, date, user, user_missing, loc_rows


def load_inat(spec: DatasetSpec, layout: CocoJson, split: str, root: Path, options: ImageOptions) -> DatasetSplit:
    """COCO-style `<split>.json` + `<split>_locations.json` (joined on image id) + prediction matrix."""
    remove_invalid, image_probs, features = options.remove_invalid, options.image_probs, options.features
    folder = root / spec.dirname
    files = _inat_files(layout, split, folder)
    hint = _hint(spec)
    class_names = _categories(files["categories"], hint)
    n_classes = len(class_names)
    coco = read_json(files["coco"], hint)
    images = json_key(coco, "images", files["coco"], kind=list)
    label_of = _coco_labels(coco, files["coco"], n_classes, files["categories"])
    locs = read_json(files["locations"], hint)
    if not isinstance(locs, list):
        raise InputError("expected a list of {id, lon, lat, date_c, user_id}", file=files["locations"])
    lpath = files["locations"]
    ids, labels, lon, lat, date, user, user_missing, loc_rows = _inat_rows(images, label_of, locs, files)
    n = len(images)
    check_coords(lon, lat, lpath, rows=loc_rows)
    keep = np.ones(n, dtype=bool)
    if _remove_default(spec, split, remove_invalid):
        keep &= np.isfinite(lon) & ~user_missing
    entry_index = np.flatnonzero(keep)
    probs = _load_probs(files["probs"], matrix=layout.predictions,
                        want=_want_probs(spec, split, image_probs), n_classes=n_classes, n_entries=n,
                        entry_index=entry_index, valid_pos=None, n_valid=n, hint=hint)
    feats = _load_feats(files["feats"], want=features, n_entries=n, entry_index=entry_index, valid_pos=None,
                        n_valid=n, hint=hint)
    return DatasetSplit(
        spec=spec, split=split, sample_ids=ids[entry_index].astype(str), lon=lon[entry_index], lat=lat[entry_index],
        located=np.isfinite(lon[entry_index]), labels=labels[entry_index], image_probs=probs, image_features=feats,
        class_names=class_names,
        meta={"user_id": user[entry_index], "date": date[entry_index],
              "removed_invalid": bool(_remove_default(spec, split, remove_invalid))},
    )


# ---------------------------------------------------------------- YFCC

def load_yfcc(spec: DatasetSpec, split: str, root: Path, options: ImageOptions) -> DatasetSplit:
    """`train_test_split.csv` (lon, lat, class, split) + `class_names.csv` + dense `YFCC_<split>_preds.npy`."""
    remove_invalid, image_probs, features = options.remove_invalid, options.image_probs, options.features
    folder = root / spec.dirname
    hint = _hint(spec)
    cpath = folder / "train_test_split.csv"
    npath = folder / "class_names.csv"
    df = read_csv(cpath, columns=("lon", "lat", "class", "split"), hint=hint)
    names_df = read_csv(npath, columns=("id", "name"), hint=hint)
    cids = numeric_column(names_df, "id", npath, allow_nan=False).astype(np.int64)
    if len(cids) == 0 or cids.min() < 0 or len(set(cids.tolist())) != len(cids):
        raise InputError("class ids must be unique and non-negative", file=npath, column="id")
    class_names = [f"class_{i}" for i in range(int(cids.max()) + 1)]
    for cid, name in zip(cids, names_df["name"].astype(str), strict=True):
        class_names[int(cid)] = name
    n_classes = len(class_names)
    available = sorted(df["split"].astype(str).unique().tolist())
    rows = np.flatnonzero(df["split"].astype(str).to_numpy() == split)
    if rows.size == 0:
        raise InputError(f"no rows with split == {split!r}; the file has {', '.join(available)}", file=cpath,
                         column="split")
    lon_all = numeric_column(df, "lon", cpath)
    lat_all = numeric_column(df, "lat", cpath)
    cls_all = numeric_column(df, "class", cpath)
    lon, lat, cls = lon_all[rows].copy(), lat_all[rows].copy(), cls_all[rows]
    bad = ~np.isfinite(cls) | (cls != np.round(cls)) | (cls < 0) | (cls >= n_classes)
    if bad.any():
        r = int(rows[np.flatnonzero(bad)[0]])
        raise InputError(f"class {df['class'].iloc[r]!r} is not a class id in 0..{n_classes - 1} (NaN label?)",
                         file=cpath, row=r, column="class")
    located = check_coords(lon, lat, cpath, rows=rows)
    keep = np.ones(rows.size, dtype=bool)
    if _remove_default(spec, split, remove_invalid):
        keep &= located
    entry_index = np.flatnonzero(keep)
    fi = folder / "features_inception"
    probs = _load_probs(fi / f"YFCC_{split}_preds.npy", matrix=DenseNpy(),
                        want=_want_probs(spec, split, image_probs),
                        n_classes=n_classes, n_entries=rows.size, entry_index=entry_index, valid_pos=None,
                        n_valid=rows.size, hint=hint)
    feats = _load_feats(fi / f"YFCC_{split}_net_feats.npy", want=features, n_entries=rows.size,
                        entry_index=entry_index, valid_pos=None, n_valid=rows.size, hint=hint)
    return DatasetSplit(
        spec=spec, split=split, sample_ids=rows[entry_index].astype(str), lon=lon[entry_index], lat=lat[entry_index],
        located=located[entry_index], labels=cls[entry_index].astype(np.int64), image_probs=probs,
        image_features=feats, class_names=tuple(class_names),
        meta={"removed_invalid": bool(_remove_default(spec, split, remove_invalid)), "available_splits": available},
    )

