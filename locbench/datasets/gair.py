"""Reader for GAIR's CSV layouts (one CSV per split) and user-supplied per-sample embeddings.

GAIR's image tasks are probed on frozen embeddings from any GeoFM: the user supplies them as an
`.npy` (rows aligned with the split CSV) or a Parquet file keyed by `sample_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from locbench.datasets.layout import FileLayout
from locbench.datasets.readers import check_coords, load_npy, numeric_column, read_csv, require
from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError


@dataclass(frozen=True)
class GairOptions:
    """`embeddings`: a `.npy` aligned with the split CSV or a `.parquet` keyed by `sample_id` (None: look
    under `<dirname>/embeddings/<split>.npy|.parquet`, else no image features)."""

    embeddings: str | Path | None = None


@dataclass(frozen=True)
class GairCsv(FileLayout):
    """One CSV per split (`files`: split -> file name) with lon, lat and a label column or target columns."""

    options_type: ClassVar[type] = GairOptions
    files: Mapping[str, str]
    label_column: str | None = None
    label_aliases: tuple[str, ...] = ()
    target_columns: tuple[str, ...] = ()
    image_column: str | None = None
    id_column: str | None = None
    classes_from_data: bool = False

    def read(self, spec: DatasetSpec, split: str, root: Path, options: GairOptions) -> DatasetSplit:
        return load_gair(spec, self, split, root, options)


def _label_column(layout: GairCsv, columns, path: Path) -> str:
    names = (str(layout.label_column), *layout.label_aliases)
    for name in names:
        if name in columns:
            return name
    raise InputError(f"missing label column {names[0]!r} (also accepted: {', '.join(names[1:]) or 'none'})",
                     file=path, column=names[0])


def _code_key(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def _classes_from_data(layout: GairCsv, folder: Path) -> tuple[str, ...]:
    """Sorted union of label codes over every split file present (stable for a given download)."""
    import pandas as pd

    codes: set[str] = set()
    for fname in layout.files.values():
        path = folder / fname
        if path.is_file():
            head = pd.read_csv(path, nrows=0).columns
            col = _label_column(layout, head, path)
            codes.update(_norm_code(v) for v in pd.read_csv(path, usecols=[col], dtype=str)[col].dropna())
    return tuple(sorted(codes, key=_code_key))


def _norm_code(value: str) -> str:
    """'10', '10.0' and ' 10' are the same code."""
    v = str(value).strip()
    try:
        f = float(v)
        return str(int(f)) if f == int(f) else v
    except ValueError:
        return v


def _labels(df, col: str, class_names: tuple[str, ...], path: Path) -> np.ndarray:
    index = {_norm_code(n): i for i, n in enumerate(class_names)}
    raw = df[col]
    out = np.empty(len(df), dtype=np.int64)
    for r, value in enumerate(raw.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            raise InputError("missing label (NaN)", file=path, row=r, column=col)
        key = _norm_code(value)
        if key in index:
            out[r] = index[key]
            continue
        try:
            as_id = int(key)
        except ValueError:
            as_id = -1
        if 0 <= as_id < len(class_names):
            out[r] = as_id
        else:
            raise InputError(f"unknown class {value!r}; expected one of {', '.join(class_names[:10])}"
                             f"{' ...' if len(class_names) > 10 else ''} or an id 0..{len(class_names) - 1}",
                             file=path, row=r, column=col)
    return out


def _sample_ids(layout: GairCsv, df, split: str, path: Path) -> np.ndarray:
    for col in (layout.id_column, "sample_id"):
        if col and col in df.columns:
            ids = df[col]
            if ids.isna().any():
                raise InputError("missing sample id", file=path, row=int(np.flatnonzero(ids.isna().to_numpy())[0]),
                                 column=col)
            ids = ids.astype(str).to_numpy()
            dup = np.flatnonzero(df[col].astype(str).duplicated().to_numpy())
            if dup.size:
                raise InputError(f"duplicate sample id {ids[dup[0]]!r}", file=path, row=int(dup[0]), column=col)
            return ids.astype(str)
    return np.array([f"{split}:{r}" for r in range(len(df))], dtype=str)


def find_embeddings(spec: DatasetSpec, split: str, root: Path) -> Path | None:
    """The conventional embeddings file of a split, if the user put one there."""
    for ext in ("npy", "parquet"):
        path = root / spec.dirname / "embeddings" / f"{split}.{ext}"
        if path.is_file():
            return path
    return None


def load_embeddings(path: str | Path, sample_ids: np.ndarray) -> np.ndarray:
    """Embeddings aligned with `sample_ids`: `.npy` by row order, `.parquet` by its `sample_id` column."""
    import pandas as pd

    path = Path(path)
    require(path)
    if path.suffix == ".npy":
        arr = load_npy(path, rows=len(sample_ids), what="embedding matrix")
        emb = np.asarray(arr, dtype=np.float32)
    elif path.suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"cannot read Parquet embeddings: {exc}", file=path) from exc
        if "sample_id" not in df.columns:
            raise InputError("embeddings Parquet needs a 'sample_id' column", file=path, column="sample_id")
        keys = df["sample_id"].astype(str)
        dup = np.flatnonzero(keys.duplicated().to_numpy())
        if dup.size:
            raise InputError(f"duplicate sample_id {keys.iloc[dup[0]]!r}", file=path, row=int(dup[0]), column="sample_id")
        if "embedding" in df.columns:
            try:
                values = np.stack([np.asarray(v, dtype=np.float32) for v in df["embedding"]])
            except ValueError as exc:
                raise InputError(f"'embedding' rows differ in length: {exc}", file=path, column="embedding") from exc
        else:
            num = df.drop(columns=["sample_id"]).select_dtypes("number")
            if num.shape[1] == 0:
                raise InputError("embeddings Parquet has no 'embedding' list column and no numeric columns", file=path)
            values = num.to_numpy(dtype=np.float32)
        pos = pd.Index(keys).get_indexer(pd.Index(sample_ids.astype(str)))
        if (pos < 0).any():
            missing = sample_ids[np.flatnonzero(pos < 0)[0]]
            raise InputError(f"{int((pos < 0).sum())} sample id(s) have no embedding, e.g. {missing!r}", file=path,
                             column="sample_id")
        emb = values[pos]
    else:
        raise InputError("embeddings must be a .npy or .parquet file", file=path)
    if emb.ndim != 2:
        raise InputError(f"embedding matrix has shape {emb.shape}, expected (N, F)", file=path)
    bad = ~np.isfinite(emb).all(axis=1)
    if bad.any():
        raise InputError("embedding contains NaN or infinite values", file=path, row=int(np.flatnonzero(bad)[0]))
    return emb


def load_gair(spec: DatasetSpec, layout: GairCsv, split: str, root: Path, options: GairOptions) -> DatasetSplit:
    """One GAIR split from its CSV, plus embeddings when supplied or found under `embeddings/`."""
    embeddings = options.embeddings
    folder = root / spec.dirname
    path = folder / layout.files[split]
    hint = f"see `locbench datasets info {spec.name}` for the expected columns ({spec.source})"
    df = read_csv(path, columns=("lon", "lat"), hint=hint)
    ids = _sample_ids(layout, df, split, path)
    lon = numeric_column(df, "lon", path)
    lat = numeric_column(df, "lat", path)
    located = check_coords(lon, lat, path)
    labels = targets = None
    class_names: tuple[str, ...] | None = None
    if spec.task_type == "classification":
        col = _label_column(layout, df.columns, path)
        class_names = spec.class_names if spec.class_names else _classes_from_data(layout, folder)
        labels = _labels(df, col, class_names, path)
    else:
        cols = layout.target_columns
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise InputError(f"missing target column(s) {', '.join(map(repr, missing))}", file=path, column=missing[0])
        targets = np.stack([numeric_column(df, c, path, allow_nan=False) for c in cols], axis=1)
    emb_path = Path(embeddings) if embeddings is not None else find_embeddings(spec, split, root)
    feats = load_embeddings(emb_path, ids) if emb_path is not None else None
    image_col = layout.image_column
    meta = {"embeddings": None if emb_path is None else str(emb_path)}
    if image_col and image_col in df.columns:
        meta["image_path"] = df[image_col].astype(str).to_numpy()
    return DatasetSplit(
        spec=spec, split=split, sample_ids=ids, lon=lon, lat=lat, located=located, labels=labels, targets=targets,
        image_features=feats, class_names=class_names, target_names=spec.targets, meta=meta,
    )
