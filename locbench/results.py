"""Result files: one JSON per (model, dataset), the only input the leaderboard is built from.

`build_result` scores a predictions frame the same way for our own runs (`locbench evaluate`) and
for submissions (`locbench submit`), so the two are comparable; `write_result` puts it at
`root/results/<model_id>/<dataset>.json` atomically.

Geo-bias value rule (docs/architecture.md):
- classification: raw `hit@1` (0/1), as TorchSpatial's published tables;
- regression: absolute error binarised with the reference threshold rule (error < median error -> +1,
  else -1, ``lower_is_better=True``) for SSI/SRI; Moran's I and the other autocorrelation statistics
  on the raw absolute error.
Unlocated rows (NaN lon/lat) count for the metrics but are left out of geo-bias; their number is recorded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from locbench import atomic
from locbench.errors import InputError, LocbenchError, NotFoundError

RESULT_SCHEMA = "locbench.result/1"
UNKNOWN_LABEL = "unknown"  # y_true of imported rows whose true class is not published (TorchSpatial CSVs)
HASH_METHOD = ("sha256 over columns in order: name, then numeric values as little-endian float64 (NaN canonical) "
               "or text values joined by U+001F")
# Modest permutation count: Moran's I / LISA stay fast on 50k-row files while p-values keep 2 digits.
DEFAULT_PERMUTATIONS = 99
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
MAX_ID_LENGTH = 80
SOURCES = ("evaluate", "submission", "import")


class GeoBiasUnavailableError(LocbenchError):
    """georbias.score is not importable (the engine is missing or broken in this install)."""


# ----------------------------------------------------------------------------------------- ids

def id_problems(value: str, *, kind: str = "model id", max_length: int = MAX_ID_LENGTH) -> list[str]:
    """Why `value` is not a safe id (used as a folder name): empty list when it is fine."""
    out: list[str] = []
    if not isinstance(value, str) or not value:
        return [f"{kind} must be a non-empty string"]
    if len(value) > max_length:
        out.append(f"{kind} is {len(value)} characters long; at most {max_length} allowed")
    if "/" in value or "\\" in value or os.sep in value:
        out.append(f"{kind} {value!r} contains a path separator")
    if ".." in value:
        out.append(f"{kind} {value!r} contains '..' (path traversal)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        out.append(f"{kind} {value!r} contains control characters")
    if not out and not ID_PATTERN.match(value):
        out.append(f"{kind} {value!r} must start with a letter or digit and use only letters, digits, '.', '_', '+', '-'")
    return out


def check_id(value: str, *, kind: str = "model id") -> str:
    """Raise InputError when `value` cannot safely name a folder or file."""
    problems = id_problems(value, kind=kind)
    if problems:
        raise InputError("; ".join(problems))
    return value


# ------------------------------------------------------------------------------------ helpers

def now_iso() -> str:
    """UTC timestamp; honours SOURCE_DATE_EPOCH so reproducible builds can pin the date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).isoformat(timespec="seconds")
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def predictions_sha256(df: pd.DataFrame) -> str:
    """Content hash of a predictions frame, independent of the file format it came from.

    Numeric columns hash as float64 bytes (so 1 and 1.0, CSV and Parquet agree; NaN canonical,
    -0.0 as 0.0), text columns as their strings; fast because nothing is formatted as text.
    """
    h = hashlib.sha256()
    for col in df.columns:
        s = df[col]
        h.update(f"{col}\0".encode("utf-8"))
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            arr = s.to_numpy(dtype=np.float64, na_value=np.nan) + 0.0
            arr[np.isnan(arr)] = np.nan
            h.update(b"f8" + arr.astype("<f8").tobytes())
        else:
            h.update(b"s" + "\x1f".join(s.astype(str).tolist()).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of the code that produced a number (recorded in results and manifests)."""
    return dict(_package_versions())


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    from importlib import metadata

    import georbias

    import locbench

    out = {"locbench": locbench.__version__, "georbias": georbias.__version__,
           "python": ".".join(map(str, sys.version_info[:3]))}
    for pkg in ("numpy", "pandas", "scipy", "scikit-learn", "esda", "libpysal"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover - declared dependencies
            out[pkg] = "absent"
    return tuple(out.items())


def _spec_attr(spec: Any, name: str, default: Any = None) -> Any:
    return getattr(spec, name, default)


def _higher_is_better(metric: str) -> bool:
    from locbench.metrics import METRIC_INFO

    return METRIC_INFO.get(metric, (True, ""))[0]


def _geobias_score() -> Any:
    try:
        import georbias
    except ImportError as exc:  # pragma: no cover - part of the distribution
        raise GeoBiasUnavailableError(f"georbias cannot be imported: {exc}") from exc
    fn = getattr(georbias, "score", None)
    if fn is None:
        raise GeoBiasUnavailableError(
            "georbias.score is not available in this install, so Geo-Bias Scores cannot be computed; "
            "pass compute_geobias_scores=False to build_result to score metrics only")
    return fn


# ------------------------------------------------------------------------------------ geobias

def geobias_values(df: pd.DataFrame, task_type: str, targets: tuple[str, ...] | list[str] | None) -> dict[str, Any]:
    """The per-sample values geo-bias is computed on, with the rule that made them."""
    from locbench.metrics import per_sample_performance

    perf = per_sample_performance(df, task_type, targets)
    if task_type == "classification":
        return {"value_name": "hit@1", "values": perf["hit@1"], "threshold": None, "lower_is_better": False,
                "rule": "raw hit@1 (1 correct, 0 wrong), as TorchSpatial's published Geo-Bias tables"}
    return {"value_name": "abs_error", "values": perf["abs_error"], "lower_is_better": True,
            "rule": "absolute error; SSI/SRI on error < median(error) -> +1 else -1 (lower_is_better); "
                    "autocorrelation statistics on the raw absolute error"}


def compute_geobias(lon: np.ndarray, lat: np.ndarray, df: pd.DataFrame, task_type: str,
                    targets: tuple[str, ...] | list[str] | None = None,
                    geobias_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Geo-bias block of a result file: summary, every parameter, counts, engine version.

    Unlocated rows are dropped here (not inside georbias) so their count is explicit.
    """
    score = _geobias_score()
    spec = geobias_values(df, task_type, targets)
    located = np.isfinite(lon) & np.isfinite(lat)
    x, y, v = lon[located], lat[located], np.asarray(spec["values"], dtype=np.float64)[located]
    kwargs: dict[str, Any] = {"permutations": DEFAULT_PERMUTATIONS, "seed": 0}
    kwargs.update(geobias_kwargs or {})
    block: dict[str, Any] = {
        "value_name": spec["value_name"], "value_rule": spec["rule"],
        "n_rows": int(len(lon)), "n_unlocated_excluded": int((~located).sum()), "n_located": int(located.sum()),
    }
    from georbias.errors import GeoBiasInputError

    try:
        if task_type == "classification":
            rep = score(x, y, v, lower_is_better=False, value_name=spec["value_name"], **kwargs)
            reports = {"all": rep}
            summary = dict(rep.summary)
            threshold = None
        else:
            threshold = float(np.median(v)) if len(v) else float("nan")
            kw_bin = {k: val for k, val in kwargs.items() if k != "scores"}
            rep_bin = score(x, y, v, scores=("ssi", "sri"), threshold=threshold, lower_is_better=True,
                            value_name=spec["value_name"], **kw_bin)
            rep_raw = score(x, y, v, scores=("autocorr",), lower_is_better=True,
                            value_name=spec["value_name"], **kw_bin)
            reports = {"ssi_sri": rep_bin, "autocorr": rep_raw}
            summary = _merge_summaries(rep_bin.summary, rep_raw.summary)
    except GeoBiasInputError as exc:
        block.update({"status": "not computed", "reason": str(exc), "summary": {}, "params": kwargs})
        return block
    first = next(iter(reports.values()))
    block.update({
        "status": "ok",
        "threshold": threshold,
        "summary": summary,
        "params": {name: r.params for name, r in reports.items()},
        "counts": {name: r.counts for name, r in reports.items()},
        "engine_version": first.engine_version,
        "detail": {name: _slim(r.to_dict()) for name, r in reports.items()},
    })
    return block


_AUTOCORR_KEYS = ("morans_i", "morans_i_p", "gearys_c", "getis_ord_g_z", "lisa_low_cluster_share", "join_count_bb_z",
                  "morans_i_p_sim", "morans_i_p_floor", "morans_i_p_at_floor")


def _merge_summaries(ssi_sri: dict[str, Any], autocorr: dict[str, Any]) -> dict[str, Any]:
    """Regression: SSI/SRI keys from the thresholded run; autocorrelation and headline keys from the raw run
    (the headline is Moran's I of the raw absolute error: thresholding would hide how large errors are)."""
    from georbias.headline import HEADLINE_SUMMARY_KEYS

    raw_keys = _AUTOCORR_KEYS + HEADLINE_SUMMARY_KEYS
    out = {k: v for k, v in ssi_sri.items() if k not in raw_keys}
    out.update({k: v for k, v in autocorr.items() if k in raw_keys})
    return out


def _slim(d: dict[str, Any]) -> dict[str, Any]:
    """Drop per-sample arrays from a report dict so result files stay small."""
    return {k: v for k, v in d.items() if k not in ("per_roi",)}


# ------------------------------------------------------------------------------------- results

def build_result(*, model_id: str, spec: Any, split: str | None, predictions: pd.DataFrame,
                 source: str = "evaluate", verified: bool = True, seed: int | None = None,
                 geobias_kwargs: dict[str, Any] | None = None, run: dict[str, Any] | None = None,
                 verification_note: str | None = None, compute_geobias_scores: bool = True,
                 predictions_file: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Score one predictions frame into a JSON-ready result dict (the result-file contract).

    `spec` is a `locbench.datasets.DatasetSpec`; `predictions` follows `locbench.predictions`.
    `verified=False` marks a submission checked only against the registry's published facts.
    Beyond the contract: `verification_note` (why/how verified), `compute_geobias_scores=False`
    (metrics only), `predictions_file` (where the per-sample rows live, for maps), `extra` fields.
    """
    from locbench.metrics import classification_metrics, regression_metrics
    from locbench.predictions import check_predictions

    check_id(model_id)
    name = _spec_attr(spec, "name")
    check_id(name, kind="dataset name")
    task_type = _spec_attr(spec, "task_type")
    targets = tuple(_spec_attr(spec, "targets", None) or ()) or None
    if source not in SOURCES:
        raise InputError(f"source must be one of {SOURCES}, got {source!r}")
    check_predictions(predictions, task_type, file=f"<predictions of {model_id} on {name}>",
                      targets=targets).raise_if_any(f"predictions of {model_id} on {name} are invalid")
    df = predictions.reset_index(drop=True)
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=np.float64)
    located = np.isfinite(lon) & np.isfinite(lat)

    notes: list[str] = []
    if task_type == "classification":
        labels_known = not (df["y_true"].astype(str) == UNKNOWN_LABEL).all()
        metrics = classification_metrics(df, macro_f1=labels_known)
        if not labels_known:
            metrics["macro_f1"] = float("nan")
            notes.append("macro_f1 not computed: true class labels are not published for these rows")
    else:
        metrics = regression_metrics(df, targets)
    primary = _spec_attr(spec, "primary_metric") or ("top1" if task_type == "classification" else "r2")
    if primary not in metrics:
        raise InputError(f"primary metric {primary!r} of dataset {name!r} is not computed for {task_type}")

    result: dict[str, Any] = {
        "schema": RESULT_SCHEMA,
        "model_id": model_id,
        "dataset": name,
        "dataset_version": _spec_attr(spec, "version"),
        "group": _spec_attr(spec, "group"),
        "task_type": task_type,
        "split": split or _spec_attr(spec, "reported_split"),
        "primary_metric": primary,
        "primary_value": metrics[primary],
        "higher_is_better": _higher_is_better(primary),
        "metrics": metrics,
        "metric_notes": notes,
        "n_rows": int(len(df)),
        "n_located": int(located.sum()),
        "n_unlocated": int((~located).sum()),
        "predictions_sha256": predictions_sha256(df),
        "predictions_hash_method": HASH_METHOD,
        "predictions_file": predictions_file,
        "source": source,
        "verified_against_data": bool(verified),
        "verification_note": verification_note or (
            "sample ids and coordinates checked against the dataset files" if verified
            else "not verified against data: checked against the registry's published facts only"),
        "seed": seed,
        "date": now_iso(),
        "versions": package_versions(),
        "run": run,
    }
    if compute_geobias_scores:
        result["geobias"] = compute_geobias(lon, lat, df, task_type, targets, geobias_kwargs)
    else:
        result["geobias"] = {"status": "not computed", "reason": "geo-bias disabled for this run", "summary": {}}
    if extra:
        result.update(extra)
    return result


def result_path(root: str | Path, model_id: str, dataset: str) -> Path:
    """root/results/<model_id>/<dataset>.json, after checking both names are safe."""
    check_id(model_id)
    check_id(dataset, kind="dataset name")
    return Path(root) / "results" / model_id / f"{dataset}.json"


def write_result(root: str | Path, result: dict[str, Any]) -> Path:
    """Write a result atomically to root/results/<model_id>/<dataset>.json and return the path."""
    path = result_path(root, result["model_id"], result["dataset"])
    return atomic.write_json(path, result)


def read_result(path: str | Path) -> dict[str, Any]:
    """Load one result file, checking the fields the leaderboard relies on."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a valid JSON result file: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise InputError("result file must hold a JSON object", file=path)
    for key in ("model_id", "dataset", "task_type", "metrics", "primary_metric"):
        if key not in data:
            raise InputError("missing field in result file", file=path, column=key)
    expect = (path.parent.name, path.stem)
    if (data["model_id"], data["dataset"]) != expect:
        raise InputError(f"result for {data['model_id']}/{data['dataset']} is stored under {expect[0]}/{expect[1]}",
                         file=path)
    return data


def iter_result_files(root: str | Path) -> Iterator[Path]:
    """All result files under root/results, in a stable (sorted) order."""
    base = Path(root) / "results"
    if not base.is_dir():
        return iter(())
    return iter(sorted(p for p in base.glob("*/*.json") if not p.name.startswith(".")))


def load_results(root: str | Path) -> list[dict[str, Any]]:
    """Every result under root/results (sorted by model id, then dataset)."""
    return [read_result(p) for p in iter_result_files(root)]


def find_result(root: str | Path, model_id: str, dataset: str) -> dict[str, Any]:
    path = result_path(root, model_id, dataset)
    if not path.exists():
        raise NotFoundError(f"no result for model {model_id!r} on dataset {dataset!r}", file=path)
    return read_result(path)
