"""Guarded file readers: every failure becomes a typed error that names the file and what is wrong.

The loaders call these instead of json/numpy/pandas directly, so a truncated `.npy`, a missing
key or a wrong shape never surfaces as a bare traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from locbench.errors import DataMissingError, InputError, shown


def require(path: Path, hint: str = "") -> Path:
    """Raise DataMissingError (with where to get it) unless `path` is a file."""
    if not path.is_file():
        extra = f"; {hint}" if hint else ""
        raise DataMissingError(f"expected file is missing{extra}", file=path)
    return path


def read_json(path: Path, hint: str = "") -> Any:
    require(path, hint)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", file=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", file=path) from exc


def json_key(obj: Any, key: str, path: Path, *, row: int | None = None, kind: type | tuple[type, ...] | None = None) -> Any:
    """obj[key] or an InputError naming the file, the list index (row) and the key."""
    if not isinstance(obj, dict):
        raise InputError(f"expected a JSON object, found {type(obj).__name__}", file=path, row=row)
    if key not in obj:
        raise InputError(f"missing JSON key {key!r}", file=path, row=row, column=key)
    value = obj[key]
    if kind is not None and not isinstance(value, kind):
        raise InputError(f"JSON key {key!r} has type {type(value).__name__}", file=path, row=row, column=key)
    return value


def as_float(value: Any, path: Path, row: int, key: str) -> float:
    """JSON number or None (→ NaN) as float; anything else is an InputError."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number or null, found {value!r}", file=path, row=row, column=key)
    return float(value)


def as_int(value: Any, path: Path, row: int, key: str, *, none: int | None = None) -> int:
    """JSON integer (or None → `none` when allowed) as int; NaN/strings are InputErrors."""
    if value is None and none is not None:
        return none
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected an integer, found {value!r}", file=path, row=row, column=key)
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise InputError(f"expected an integer, found {value!r}", file=path, row=row, column=key)
        return int(value)
    if not isinstance(value, int):
        raise InputError(f"expected an integer, found {value!r}", file=path, row=row, column=key)
    return value


def load_npy(path: Path, *, rows: int | None = None, cols: int | None = None, ndim: int = 2,
             mmap: bool = False, hint: str = "", what: str = "array") -> np.ndarray:
    """np.load with shape checks; truncated or corrupt files raise InputError."""
    require(path, hint)
    try:
        arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"cannot read {what} (truncated or not a .npy file: {exc})", file=path) from exc
    return check_shape(arr, path, rows=rows, cols=cols, ndim=ndim, what=what)


def load_sparse(path: Path, *, rows: int | None = None, cols: int | None = None, hint: str = "",
                what: str = "sparse matrix"):
    """scipy.sparse.load_npz with shape checks (kept sparse; callers densify the rows they need)."""
    import scipy.sparse

    require(path, hint)
    try:
        mat = scipy.sparse.load_npz(path)
    except Exception as exc:  # zipfile/pickle/value errors all mean "not a valid .npz matrix"
        raise InputError(f"cannot read {what} (truncated or not a scipy sparse .npz: {exc})", file=path) from exc
    return check_shape(mat, path, rows=rows, cols=cols, ndim=2, what=what)


def check_shape(arr: Any, path: Path, *, rows: int | None, cols: int | None, ndim: int, what: str) -> Any:
    shape = tuple(arr.shape)
    if len(shape) != ndim:
        raise InputError(f"{what} has shape {shape}, expected {ndim} dimensions", file=path)
    if rows is not None and shape[0] != rows:
        raise InputError(f"{what} has {shape[0]} rows but the split has {rows} samples (row counts disagree)", file=path)
    if cols is not None and ndim > 1 and shape[1] != cols:
        raise InputError(f"{what} has {shape[1]} columns, expected {cols}", file=path)
    return arr


def read_csv(path: Path, *, columns: tuple[str, ...] | list[str] = (), hint: str = "", dtype: dict | None = None):
    """pandas.read_csv with required-column checks."""
    import pandas as pd

    require(path, hint)
    try:
        df = pd.read_csv(path, dtype=dtype, low_memory=False)
    except pd.errors.EmptyDataError as exc:
        raise InputError("CSV file is empty", file=path) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot parse CSV: {exc}", file=path) from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(map(repr, missing))}; found {', '.join(map(str, df.columns))}",
                         file=path, column=missing[0])
    return df


def numeric_column(df, column: str, path: Path, *, allow_nan: bool = True) -> np.ndarray:
    """A table column as a writable float64 array; InputError naming file, row and column at the first cell
    that is not a number, is infinite, or (unless `allow_nan`) is missing. The row is the file's 0-based
    data row, also when `df` holds a subset of the file's rows."""
    import pandas as pd

    raw = df[column]
    values = np.array(pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64), copy=True)
    missing = raw.isna().to_numpy()
    bad = (np.isnan(values) & ~missing) | np.isinf(values) | (missing if not allow_nan else False)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "missing value" if missing[i] else ("infinite value" if np.isinf(values[i]) else "not a number:")
        raise InputError(f"{what} {shown(raw.iloc[i])} ({int(bad.sum())} such row(s))", file=path,
                         row=int(raw.index[i]), column=column)
    return values


def check_coords(lon: np.ndarray, lat: np.ndarray, path: Path, *, lon_col: str = "lon", lat_col: str = "lat",
                 rows: np.ndarray | None = None) -> np.ndarray:
    """Validate degree ranges in place; a row with either coordinate NaN becomes fully unlocated.

    Returns `located`. `rows` maps array positions to file rows for the error message.
    """
    located = np.isfinite(lon) & np.isfinite(lat)
    lon[~located] = np.nan
    lat[~located] = np.nan
    with np.errstate(invalid="ignore"):
        bad_lon = located & ((lon < -180) | (lon > 180))
        bad_lat = located & ((lat < -90) | (lat > 90))
    for bad, col, lim in ((bad_lon, lon_col, 180), (bad_lat, lat_col, 90)):
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            value = (lon if col == lon_col else lat)[r]
            r = int(rows[r]) if rows is not None else r
            raise InputError(f"coordinate {value!r} outside [-{lim}, {lim}] degrees (is the (lon, lat) order swapped?)",
                             file=path, row=r, column=col)
    return located
