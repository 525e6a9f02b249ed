"""The per-sample prediction schema: one row per evaluated sample, for our runs and submissions alike.

Columns (architecture contract): `sample_id`, `lon`, `lat` (degrees; NaN for unlocated rows), then
- classification: `y_true`, `y_pred`, `true_class_prob`, `reciprocal_rank`, `hit@1`, `hit@3`
  (optional `top_k` as a space-separated list of class ids);
- regression: `y_true`, `y_pred` for a single target, or `y_true:<target>`, `y_pred:<target>` per target;
- segmentation: `tp:<k>`, `fp:<k>`, `fn:<k>` pixel counts per class k (`locbench.tasks.segmentation`).
The columns and their value checks belong to the task type (`locbench.tasks`).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from locbench import atomic
from locbench.errors import InputError, ProblemList, shown

from locbench.tasks import TASK_TYPES, TaskShape, get_task
from locbench.tasks.base import ID_COLUMNS
from locbench.tasks.classification import COLUMNS as CLASSIFICATION_COLUMNS
from locbench.tasks.classification import UNPUBLISHED_OK
from locbench.tasks.regression import regression_columns

REGRESSION_COLUMNS = ("y_true", "y_pred")
__all__ = ["CLASSIFICATION_COLUMNS", "ID_COLUMNS", "REGRESSION_COLUMNS", "TASK_TYPES", "UNPUBLISHED_OK",
           "regression_columns"]


def required_columns(task_type: str, targets: list[str] | tuple[str, ...] | None = None, *,
                     n_classes: int | None = None) -> list[str]:
    """sample_id, lon, lat and the task type's columns (`locbench.tasks`)."""
    return get_task(task_type).required_columns(TaskShape(tuple(targets) if targets else None, n_classes))


# Magnitudes a value that geo-bias scores are computed on (regression targets/predictions, a
# `locbench geobias` value column) may have. The arithmetic downstream takes fourth powers
# (kurtosis in the variance of Moran's I, General G moments) of differences of values, summed over
# up to ~1e9 rows: (2e50)**4 * 1e9 ~ 2e210 stays far below float64's 1.8e308 (1e77 would overflow).
# At the small end, nonzero values below 1e-50 would let those powers underflow to 0 (a variance of
# 0 for values that differ); differences of values >= 1e-50 are >= ~1e-66, whose 4th power 1e-264
# is still a normal float. Exact 0 is fine. Real predictions are nowhere near either bound.
MAX_ABS_VALUE = 1e50
MIN_ABS_VALUE = 1e-50
GZIP_MAGIC = b"\x1f\x8b"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV, gzipped CSV, TSV or Parquet, turning every parser failure into an InputError naming the file.

    The one table reader of locbench's own commands (predictions, submissions, `locbench geobias`).
    """
    path = Path(path)
    _check_readable_file(path)
    name = path.name.lower()
    try:
        if name.endswith(".parquet") or name.endswith(".pq"):
            return pd.read_parquet(path)
        sep = "\t" if name.endswith((".tsv", ".tsv.gz")) else ","
        df = pd.read_csv(path, sep=sep, dtype={"sample_id": str}, keep_default_na=True, low_memory=False)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8", file=path) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"the gzip stream is truncated or corrupt ({exc}); compress the file again", file=path) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError("holds no table (no header row)", file=path) from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure is a malformed input file
        raise InputError(f"cannot be read as a table: {type(exc).__name__}: {exc}".splitlines()[0], file=path) from exc
    _check_separator(df, path, sep)
    return _huge_ints_as_text(df)


def _huge_ints_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Integers beyond float64's range (a 400-digit cell) kept as their text: pandas' to_numeric
    raises OverflowError on such Python ints, but reads the text as inf, which the checks refuse."""
    for col in df.columns[df.dtypes == object]:
        s = df[col]
        huge = s.map(lambda v: isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2 ** 1023)
        if huge.any():
            df[col] = s.where(~huge, s.map(str))
    return df


def _check_readable_file(path: Path) -> None:
    """Existing, non-empty regular file; a `.gz` name must hold gzip data (checked by its magic bytes)."""
    if path.is_dir():
        raise InputError("is a folder, not a table file", file=path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.stat().st_size == 0:
        raise InputError("empty file (0 bytes)", file=path)
    if path.name.lower().endswith(".gz"):
        with open(path, "rb") as fh:
            head = fh.read(2)
        if head != GZIP_MAGIC:
            raise InputError("named .gz but not gzip-compressed (no gzip header); rename it without .gz "
                             "or compress it with gzip", file=path)


def _check_separator(df: pd.DataFrame, path: Path, sep: str) -> None:
    """A one-column table whose header holds ';' (or a tab) was written with another separator."""
    if len(df.columns) != 1:
        return
    header = str(df.columns[0])
    for other, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if other != sep and other in header:
            want = "tabs (.tsv)" if sep == "\t" else "commas"
            raise InputError(f"looks separated by {label} (header {header[:60]!r}); locbench reads columns "
                             f"separated by {want}: re-export it with sep=','", file=path)


def normalise_predictions(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as it is scored and hashed: sample_id text, lon/lat float64 (one definition for all readers)."""
    df = df.copy()
    df["sample_id"] = df["sample_id"].astype(str)
    df["lon"] = pd.to_numeric(df["lon"], errors="coerce").astype(np.float64)
    df["lat"] = pd.to_numeric(df["lat"], errors="coerce").astype(np.float64)
    return df


def canonical_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows in `sample_id` order (ids are unique, `check_predictions`): one order for every sum, permutation draw and
    reference tie rule, whatever order the file lists its rows in."""
    order = np.argsort(df["sample_id"].astype(str).to_numpy(), kind="stable")
    return df.iloc[order].reset_index(drop=True)


def magnitude_problems(values: np.ndarray, raw: pd.Series, *, file: str | Path, column: str,
                       problems: ProblemList) -> None:
    """Finite numbers outside MIN_ABS_VALUE <= |x| <= MAX_ABS_VALUE (or 0), at most 20 rows each."""
    for r in np.nonzero(magnitude_outside(values))[0][:20]:
        problems.add(magnitude_message(raw.iloc[r]), file=file, row=int(r), column=column)


def magnitude_outside(values: np.ndarray) -> np.ndarray:
    """Mask of finite values too large or too small (but nonzero) for the scores' arithmetic."""
    with np.errstate(invalid="ignore"):
        size = np.abs(np.asarray(values, dtype=np.float64))
        return np.isfinite(size) & ((size > MAX_ABS_VALUE) | ((size > 0) & (size < MIN_ABS_VALUE)))


def magnitude_message(value: object) -> str:
    """Why a value is refused, naming the bound it crosses."""
    big = abs(float(pd.to_numeric(value, errors="coerce"))) > MAX_ABS_VALUE
    if big:
        return (f"value {shown(value)} is too large: |x| must be at most {MAX_ABS_VALUE:g} "
                "(the scores' arithmetic would overflow)")
    return (f"value {shown(value)} is too small: a nonzero |x| must be at least {MIN_ABS_VALUE:g} "
            "(the scores' arithmetic would underflow to 0)")


def check_predictions(df: pd.DataFrame, task_type: str, *, file: str | Path = "<predictions>",
                      targets: list[str] | tuple[str, ...] | None = None,
                      problems: ProblemList | None = None, n_classes: int | None = None) -> ProblemList:
    """Structural checks of a predictions frame; returns every problem found (does not raise).

    The id and coordinate checks are common; the task type checks its own columns' values.
    """
    problems = problems if problems is not None else ProblemList()
    task = get_task(task_type)
    shape = task.shape_of(df, TaskShape(tuple(targets) if targets else None, n_classes))
    need = task.required_columns(shape)
    missing = [c for c in need if c not in df.columns]
    for c in missing:
        problems.add(f"missing required column{rename_hint(c, df.columns)} (expected columns: {', '.join(need)})",
                     file=file, column=c)
    if missing:
        return problems
    _check_ids_and_coordinates(df, file, problems)
    task.check_values(df, shape, file=file, problems=problems)
    return problems


def _check_ids_and_coordinates(df: pd.DataFrame, file: str | Path, problems: ProblemList) -> None:
    """Ids present and unique; lon/lat numbers in range, both present or both empty."""
    for r in np.nonzero(df["sample_id"].isna().to_numpy())[0][:20]:  # '', NA, None, nan read as missing
        problems.add("empty sample_id (every row needs an id)", file=file, row=int(r), column="sample_id")
    ids = df["sample_id"].astype(object).astype(str)
    dup = ids.duplicated(keep="first")
    for r in np.nonzero(dup.to_numpy())[0][:50]:
        problems.add(f"duplicate sample_id {shown(ids.iloc[r])}", file=file, row=int(r), column="sample_id")
    for col, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        bad_text = df[col].notna().to_numpy() & np.isnan(v)
        for r in np.nonzero(bad_text)[0][:20]:
            problems.add(f"not a number: {shown(df[col].iloc[r])}", file=file, row=int(r), column=col)
        out = np.isfinite(v) & ((v < lo) | (v > hi))
        out |= np.isinf(v)
        for r in np.nonzero(out)[0][:20]:
            problems.add(f"{col} {shown(v[r])} outside [{lo}, {hi}]", file=file, row=int(r), column=col)
    lon_nan = pd.to_numeric(df["lon"], errors="coerce").isna().to_numpy()
    lat_nan = pd.to_numeric(df["lat"], errors="coerce").isna().to_numpy()
    for r in np.nonzero(lon_nan != lat_nan)[0][:20]:
        problems.add("lon and lat must both be present or both be empty (unlocated row)", file=file, row=int(r))


def rename_hint(column: str, found: Any) -> str:
    """'; the file has 'Lat': rename it to 'lat'' when a case variant, coordinate alias or close name exists."""
    from locbench.suggest import case_insensitive, close_names, coordinate_column

    cols = [str(c) for c in found]
    have = (coordinate_column(column, column, cols) if column in ("lon", "lat") else None) \
        or case_insensitive(column, cols) or next(iter(close_names(column, cols, n=1, cutoff=0.75)), None)
    return f"; the file has {have!r}: rename it to {column!r}" if have else ""


def read_predictions(path: str | Path, task_type: str, targets: list[str] | tuple[str, ...] | None = None, *,
                     n_classes: int | None = None) -> pd.DataFrame:
    """Read and structurally validate a predictions file; raise ValidationError listing every problem."""
    df = read_table(path)
    check_predictions(df, task_type, file=path, targets=targets, n_classes=n_classes).raise_if_any(f"{path}: invalid predictions")
    return normalise_predictions(df)


def write_predictions(df: pd.DataFrame, path: str | Path) -> Path:
    """Write predictions atomically as CSV (or Parquet when the name ends in .parquet)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import io

        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return atomic.write_bytes(path, buf.getvalue())
    text = df.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    if path.name.endswith(".gz"):
        import gzip

        return atomic.write_bytes(path, gzip.compress(text.encode("utf-8"), mtime=0))
    return atomic.write_text(path, text)
