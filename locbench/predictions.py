"""The per-sample prediction schema: one row per evaluated sample, for our runs and submissions alike.

Columns (architecture contract): `sample_id`, `lon`, `lat` (degrees; NaN for unlocated rows), then
- classification: `y_true`, `y_pred`, `true_class_prob`, `reciprocal_rank`, `hit@1`, `hit@3`
  (optional `top_k` as a space-separated list of class ids);
- regression: `y_true`, `y_pred` for a single target, or `y_true:<target>`, `y_pred:<target>` per target.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from locbench import atomic
from locbench.errors import InputError, ProblemList

ID_COLUMNS = ("sample_id", "lon", "lat")
CLASSIFICATION_COLUMNS = ("y_true", "y_pred", "true_class_prob", "reciprocal_rank", "hit@1", "hit@3")
REGRESSION_COLUMNS = ("y_true", "y_pred")
TASK_TYPES = ("classification", "regression")
# Columns a source may leave entirely empty (e.g. SatMAE's GeoBS tables publish only hits): MRR is then not computed.
UNPUBLISHED_OK = ("true_class_prob", "reciprocal_rank")


def regression_columns(targets: list[str] | tuple[str, ...] | None) -> list[str]:
    """Column names for regression predictions: plain pair for one target, suffixed pairs for several."""
    if not targets or len(targets) == 1:
        return ["y_true", "y_pred"]
    cols: list[str] = []
    for t in targets:
        cols += [f"y_true:{t}", f"y_pred:{t}"]
    return cols


def required_columns(task_type: str, targets: list[str] | tuple[str, ...] | None = None) -> list[str]:
    if task_type == "classification":
        return [*ID_COLUMNS, *CLASSIFICATION_COLUMNS]
    if task_type == "regression":
        return [*ID_COLUMNS, *regression_columns(targets)]
    raise InputError(f"task type must be one of {TASK_TYPES}, got {task_type!r}")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV, gzipped CSV, TSV or Parquet, turning parser failures into an InputError naming the file.

    The one table reader of locbench's own commands (predictions, submissions, `locbench geobias`).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    name = path.name.lower()
    try:
        if name.endswith(".parquet") or name.endswith(".pq"):
            return pd.read_parquet(path)
        sep = "\t" if name.endswith((".tsv", ".tsv.gz")) else ","
        return pd.read_csv(path, sep=sep, dtype={"sample_id": str}, keep_default_na=True, low_memory=False)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=path) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise InputError(f"cannot be read as a table: {exc}".splitlines()[0], file=path) from exc


def check_predictions(df: pd.DataFrame, task_type: str, *, file: str | Path = "<predictions>",
                      targets: list[str] | tuple[str, ...] | None = None,
                      problems: ProblemList | None = None) -> ProblemList:
    """Structural checks of a predictions frame; returns every problem found (does not raise)."""
    problems = problems if problems is not None else ProblemList()
    need = required_columns(task_type, targets)
    missing = [c for c in need if c not in df.columns]
    for c in missing:
        problems.add(f"missing required column (expected columns: {', '.join(need)})", file=file, column=c)
    if missing:
        return problems
    ids = df["sample_id"].astype(str)
    dup = ids.duplicated(keep="first")
    for r in np.nonzero(dup.to_numpy())[0][:50]:
        problems.add(f"duplicate sample_id {ids.iloc[r]!r}", file=file, row=int(r), column="sample_id")
    for col, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        bad_text = df[col].notna().to_numpy() & np.isnan(v)
        for r in np.nonzero(bad_text)[0][:20]:
            problems.add(f"not a number: {df[col].iloc[r]!r}", file=file, row=int(r), column=col)
        out = np.isfinite(v) & ((v < lo) | (v > hi))
        out |= np.isinf(v)
        for r in np.nonzero(out)[0][:20]:
            problems.add(f"{col} {v[r]} outside [{lo}, {hi}]", file=file, row=int(r), column=col)
    lon_nan = pd.to_numeric(df["lon"], errors="coerce").isna().to_numpy()
    lat_nan = pd.to_numeric(df["lat"], errors="coerce").isna().to_numpy()
    for r in np.nonzero(lon_nan != lat_nan)[0][:20]:
        problems.add("lon and lat must both be present or both be empty (unlocated row)", file=file, row=int(r))
    if task_type == "classification":
        for col in ("true_class_prob", "reciprocal_rank", "hit@1", "hit@3"):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            if col in UNPUBLISHED_OK and len(v) and df[col].isna().all():
                continue  # the whole column empty: not published by the source (its metric is not computed)
            bad = ~np.isfinite(v) | (v < 0) | (v > 1)
            for r in np.nonzero(bad)[0][:20]:
                problems.add(f"value {df[col].iloc[r]!r} must be a finite number in [0, 1]", file=file, row=int(r), column=col)
        rr = pd.to_numeric(df["reciprocal_rank"], errors="coerce").to_numpy(dtype=np.float64)
        h1 = pd.to_numeric(df["hit@1"], errors="coerce").to_numpy(dtype=np.float64)
        h3 = pd.to_numeric(df["hit@3"], errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(rr) & np.isfinite(h1) & np.isfinite(h3)
        for col, hit, expect in (("hit@1", h1, rr >= 1.0 - 1e-9), ("hit@3", h3, rr >= 1.0 / 3.0 - 1e-9)):
            bad = ok & ((hit >= 0.5) != expect)
            for r in np.nonzero(bad)[0][:20]:
                problems.add(f"{col} = {hit[r]:g} disagrees with reciprocal_rank = {rr[r]:g}", file=file, row=int(r), column=col)
        for col in ("y_true", "y_pred"):
            if df[col].isna().any():
                r = int(np.nonzero(df[col].isna().to_numpy())[0][0])
                problems.add("missing class label", file=file, row=r, column=col)
    else:
        for col in regression_columns(targets):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            for r in np.nonzero(~np.isfinite(v))[0][:20]:
                problems.add(f"value {df[col].iloc[r]!r} must be a finite number", file=file, row=int(r), column=col)
    return problems


def read_predictions(path: str | Path, task_type: str, targets: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Read and structurally validate a predictions file; raise ValidationError listing every problem."""
    df = read_table(path)
    check_predictions(df, task_type, file=path, targets=targets).raise_if_any(f"{path}: invalid predictions")
    df = df.copy()
    df["sample_id"] = df["sample_id"].astype(str)
    df["lon"] = pd.to_numeric(df["lon"], errors="coerce").astype(np.float64)
    df["lat"] = pd.to_numeric(df["lat"], errors="coerce").astype(np.float64)
    return df


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
