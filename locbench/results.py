"""Result files: one JSON per (model, dataset), the only input the leaderboard is built from.

`build_result` scores a predictions frame the same way for our own runs (`locbench evaluate`) and
for submissions (`locbench submit`), so the two are comparable; `write_result` puts it at
`root/results/<model_id>/<dataset>.json` atomically.

Geo-bias value rule (docs/architecture.md; each task type's `geobias_value`, `locbench.tasks`):
- classification: raw `hit@1` (0/1), as TorchSpatial's published tables;
- regression: absolute error binarised with the reference threshold rule (error < median error -> +1,
  else -1, ``lower_is_better=True``) for SSI/SRI; Moran's I and the other autocorrelation statistics
  on the raw absolute error;
- segmentation: chip mIoU from the chip's pixel counts, binarised at its median the same way
  (higher is better); chips without labelled pixels are left out and counted.
Unlocated rows (NaN lon/lat) count for the metrics but are left out of geo-bias; their number is recorded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from georbias.config import DEFAULTS
from georbias.groups import group_keys

from locbench import atomic
from locbench.cards import ModelMeta
from locbench.errors import InputError, NotFoundError
from locbench.ids import check_id
from locbench.leaderboard.config import DEFAULTS as RENDER
from locbench.maplayers import MapLayers, build_layers
from locbench.scoreinfo import higher_is_better
from locbench.tasks import GeoBiasValue, TaskShape, get_task

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSpec

RESULT_SCHEMA = "locbench.result/2"
RESULT_SCHEMA_V1 = "locbench.result/1"  # before the optional blocks below; read and migrated
HASH_METHOD = ("sha256 over columns in order: name, then numeric values as little-endian float64 (NaN canonical) "
               "or text values joined by U+001F")
# Modest permutation count: Moran's I / LISA stay fast on 50k-row files while p-values keep 2 digits.
DEFAULT_PERMUTATIONS = DEFAULTS.permutations
# LISA of the map layers uses the headline Moran's I's neighbour count (RenderConfig.map_lisa_k).
# With 4 neighbours, binary hit@1 values can never reach
# significance (a 4-neighbour lag has 5 values: p >= ~0.06), so the SSI's weight_k is not used here.
SOURCES = ("evaluate", "submission", "import")


# ------------------------------------------------------------------------------ the Result type

@dataclass(frozen=True)
class Comparability:
    """Whether a result may enter a rank: only on the dataset's full reported evaluation set."""

    ranked: bool
    unranked_reason: str | None
    eval_rows_expected: int | None

    def __post_init__(self) -> None:
        if self.ranked == (self.unranked_reason is not None):
            raise InputError("comparability: an unranked result needs a reason, a ranked one none",
                             column="comparability")


@dataclass(frozen=True, kw_only=True)
class Result:
    """One scored (model, dataset): the only thing the leaderboard is built from.

    JSON field names are the result-file contract; the optional blocks are None when absent
    (and then left out of the JSON, so older files keep their bytes).
    """

    schema: str = RESULT_SCHEMA
    model_id: str
    dataset: str
    dataset_version: str | None
    group: str | None
    task_type: str
    split: str | None
    primary_metric: str
    primary_value: float | None
    higher_is_better: bool
    metrics: dict[str, float | None]
    metric_notes: tuple[str, ...] = ()
    n_rows: int
    n_located: int
    n_unlocated: int
    predictions_sha256: str
    predictions_hash_method: str = HASH_METHOD
    predictions_file: str | None = None
    source: str
    verified_against_data: bool
    verification_note: str
    seed: int | None = None
    date: str
    versions: dict[str, str]
    run: dict[str, Any] | None = None
    geobias: dict[str, Any]
    model_card: ModelMeta | None = None
    comparability: Comparability | None = None
    map_layers: MapLayers | None = None
    regions: dict[str, Any] | None = None
    bootstrap: dict[str, Any] | None = None
    integrity: dict[str, Any] | None = None
    seeds: dict[str, Any] | None = None
    checks: dict[str, Any] | None = None  # locbench.resultchecks.ResultChecks: integrity flags, chance level

    @property
    def geobias_warnings(self) -> tuple[str, ...]:
        """What the geo-bias engine asked the user to check (recorded per report in `geobias.detail`)."""
        found = [w for d in (self.geobias.get("detail") or {}).values() for w in (d.get("warnings") or [])]
        return tuple(dict.fromkeys(found))

    @property
    def ranked(self) -> bool:
        """True when the result may enter ranks (no comparability block: a legacy file, ranked if verified)."""
        return self.comparability.ranked if self.comparability is not None else self.verified_against_data

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (optional blocks left out when None)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in OPTIONAL_BLOCKS:
                continue
            if isinstance(value, (ModelMeta, MapLayers)):
                value = value.to_dict()
            elif isinstance(value, Comparability):
                value = asdict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, NaN as null), as written to results/<model>/<dataset>.json.

        Arrays of plain numbers (the map layers' cell columns) stay on one line: one number per
        line would more than double the size of a result file.
        """
        return atomic.dumps_json(self.to_dict(), inline_number_lists=True)

    @classmethod
    def from_json(cls, source: str | Path | dict[str, Any], *, file: str | Path | None = None) -> Result:
        """A Result from a file path or a parsed dict: schema checked, locbench.result/1 migrated."""
        if isinstance(source, (str, Path)):
            file = Path(source)
            data = _load_json(file)
        else:
            data = source
        return _from_dict(data, file)


OPTIONAL_BLOCKS = ("model_card", "comparability", "map_layers", "regions", "bootstrap", "integrity", "seeds",
                   "checks")
_KINDS: dict[str, tuple[type, ...]] = {
    "schema": (str,), "model_id": (str,), "dataset": (str,), "task_type": (str,), "primary_metric": (str,),
    "predictions_sha256": (str,), "predictions_hash_method": (str,), "source": (str,), "verification_note": (str,),
    "date": (str,), "dataset_version": (str, type(None)), "group": (str, type(None)), "split": (str, type(None)),
    "predictions_file": (str, type(None)), "primary_value": (int, float, type(None)), "higher_is_better": (bool,),
    "verified_against_data": (bool,), "metrics": (dict,), "metric_notes": (list,), "n_rows": (int,),
    "n_located": (int,), "n_unlocated": (int,), "seed": (int, type(None)), "versions": (dict,),
    "run": (dict, type(None)), "geobias": (dict,), "model_card": (dict,), "comparability": (dict,),
    "map_layers": (dict,), "regions": (dict,), "bootstrap": (dict,), "integrity": (dict,), "seeds": (dict,),
    "checks": (dict,),
}


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a valid JSON result file: {exc}", file=path) from exc
    except OSError as exc:
        raise InputError(f"result file cannot be read: {exc.strerror}", file=path) from exc


def _migrate(data: dict[str, Any], file: str | Path | None) -> dict[str, Any]:
    """Bring an older result dict to the current schema (locbench.result/1 -> /2: new optional blocks)."""
    schema = data.get("schema")
    if schema == RESULT_SCHEMA:
        return data
    if schema == RESULT_SCHEMA_V1:
        return {**data, "schema": RESULT_SCHEMA}
    raise InputError(f"unknown result schema {schema!r} (this version reads {RESULT_SCHEMA_V1} and {RESULT_SCHEMA})",
                     file=file, column="schema")


def _from_dict(data: Any, file: str | Path | None) -> Result:
    if not isinstance(data, dict):
        raise InputError("result file must hold a JSON object", file=file)
    data = _migrate(data, file)
    known = {f.name: f for f in fields(Result)}
    for key, value in data.items():
        if key not in known:
            raise InputError("unknown field in result file", file=file, column=str(key))
        kinds = _KINDS[key]
        if value is None and key in OPTIONAL_BLOCKS:
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise InputError(f"wrong type {type(value).__name__}", file=file, column=key)
    required = [n for n, f in known.items() if f.default is MISSING]
    for key in required:
        if key not in data:
            raise InputError("missing field in result file", file=file, column=key)
    values = dict(data)
    values["metric_notes"] = tuple(data.get("metric_notes", ()))
    if data.get("model_card") is not None:
        values["model_card"] = ModelMeta.from_dict(data["model_card"], file=f"{file or '<result>'}:model_card")
    try:
        if data.get("comparability") is not None:
            values["comparability"] = Comparability(**data["comparability"])
        if data.get("map_layers") is not None:
            values["map_layers"] = MapLayers.from_dict(data["map_layers"])
        return Result(**values)
    except TypeError as exc:
        raise InputError(f"malformed block: {exc}", file=file, column="comparability/map_layers") from exc


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
            # missing text cells hash as "nan" (astype(str) keeps them missing in pandas' string dtype)
            text = [str(v) for v in s.astype(object).where(s.notna(), "nan").tolist()]
            h.update(b"s" + "\x1f".join(text).encode("utf-8", "surrogatepass"))
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
    for pkg in ("numpy", "pandas", "scipy", "scikit-learn"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover - declared dependencies
            out[pkg] = "absent"
    return tuple(out.items())


# ------------------------------------------------------------------------------------ geobias

def _shape(targets: tuple[str, ...] | list[str] | TaskShape | None) -> TaskShape:
    return targets if isinstance(targets, TaskShape) else TaskShape(tuple(targets) if targets else None)


def geobias_values(df: pd.DataFrame, task_type: str,
                   targets: tuple[str, ...] | list[str] | TaskShape | None) -> GeoBiasValue:
    """The per-sample values geo-bias is computed on, with the rule that made them (the task type's)."""
    return get_task(task_type).geobias_value(df, _shape(targets))


def compute_geobias(lon: np.ndarray, lat: np.ndarray, df: pd.DataFrame, task_type: str,
                    targets: tuple[str, ...] | list[str] | TaskShape | None = None,
                    geobias_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Geo-bias block of a result file: summary, every parameter, counts, engine version.

    Unlocated rows are dropped here (not inside georbias) so their count is explicit; so are rows
    whose value is undefined where the task type allows that (a chip without labelled pixels).
    """
    from georbias.errors import GeoBiasWarning

    value = geobias_values(df, task_type, targets)
    located = np.isfinite(lon) & np.isfinite(lat)
    v_all = np.asarray(value.values, dtype=np.float64)
    use = located & np.isfinite(v_all) if value.may_be_undefined else located
    x, y, v = lon[use], lat[use], v_all[use]
    kwargs: dict[str, Any] = {"permutations": DEFAULT_PERMUTATIONS, "seed": DEFAULTS.seed}
    kwargs.update(geobias_kwargs or {})
    block: dict[str, Any] = {
        "value_name": value.name, "value_rule": value.rule,
        "n_rows": int(len(lon)), "n_unlocated_excluded": int((~located).sum()), "n_located": int(located.sum()),
    }
    if value.may_be_undefined:
        block["n_undefined_excluded"] = int((located & ~np.isfinite(v_all)).sum())
    with warnings.catch_warnings():
        # Recorded in the block (detail.<report>.warnings, Result.geobias_warnings); the commands report them
        # once per result instead of as a Python warning per file and process.
        warnings.simplefilter("ignore", GeoBiasWarning)
        return _scored_block(block, x, y, v, value, kwargs)


def _scored_block(block: dict[str, Any], x: np.ndarray, y: np.ndarray, v: np.ndarray, value: GeoBiasValue,
                  kwargs: dict[str, Any]) -> dict[str, Any]:
    """`compute_geobias` once the located values are known: run the engine, fill the block.

    A raw value (hit@1) is scored once; a continuous one is binarised at its median for SSI/SRI and
    scored raw for the autocorrelation statistics (`GeoBiasValue.binarise_at_median`).
    """
    from georbias import score
    from georbias.errors import GeoBiasInputError

    lower = value.lower_is_better
    try:
        if not value.binarise_at_median:
            rep = score(x, y, v, lower_is_better=lower, value_name=value.name, **kwargs)
            reports = {"all": rep}
            summary = dict(rep.summary)
            threshold = None
        else:
            threshold = float(np.median(v)) if len(v) else float("nan")
            kw_bin = {k: val for k, val in kwargs.items() if k != "scores"}
            rep_bin = score(x, y, v, scores=("ssi", "sri"), threshold=threshold, lower_is_better=lower,
                            value_name=value.name, **kw_bin)
            rep_raw = score(x, y, v, scores=("autocorr",), lower_is_better=lower,
                            value_name=value.name, **kw_bin)
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


def map_layers_for(lon: np.ndarray, lat: np.ndarray, df: pd.DataFrame, task_type: str,
                   targets: tuple[str, ...] | TaskShape | None, *, lisa: bool, seed: int = 0) -> MapLayers | None:
    """Per-cell aggregates of the geo-bias values, plus LISA hot/cold spots when geo-bias is computed.

    Grid and LISA settings come from `RenderConfig` and are recorded in the layers. LISA runs on the
    k-NN graph of the headline Moran's I, with the result's permutation count and seed, on the raw
    geo-bias values (hit@1, absolute error, chip mIoU); undefined values are left out.
    """
    from georbias.autocorrelation import autocorrelation_scores

    value = geobias_values(df, task_type, targets)
    v_all = np.asarray(value.values, dtype=np.float64)
    located = np.isfinite(lon) & np.isfinite(lat)
    if value.may_be_undefined:
        located &= np.isfinite(v_all)
    x, y = lon[located], lat[located]
    values = v_all[located]
    higher = not value.lower_is_better
    labels, params = None, None
    k = RENDER.map_lisa_k
    if lisa and len(x) > k + 1 and np.nanstd(values) > 0:
        res = autocorrelation_scores(x, y, values, k=k, permutations=DEFAULT_PERMUTATIONS, seed=seed,
                                     alpha=RENDER.map_lisa_alpha, higher_is_better=higher)
        labels = res.lisa.label
        params = {"neighbours_k": k, "permutations": DEFAULT_PERMUTATIONS, "seed": seed,
                  "fdr_alpha": RENDER.map_lisa_alpha,
                  "rule": "local Moran's I (conditional permutations), Benjamini-Hochberg FDR"}
    return build_layers(x, y, values, value_name=value.name, higher_is_better=higher,
                        lisa_labels=labels, lisa=params, cell_deg=RENDER.map_cell_deg,
                        min_count=RENDER.map_min_count)


_AUTOCORR_KEYS = group_keys("autocorr")   # the autocorrelation group's summary keys (georbias.groups)


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

def comparability_for(spec: Any, n_rows: int, verified: bool) -> Comparability:
    """The ranking rule: a result is ranked only on the dataset's full reported evaluation set.

    Verified against the data means every sample id of the split is present (full set). Unverified,
    the published row count decides: a different count is refused (a partial set must not be
    scored as if complete); no published count keeps the result unranked, with the reason.
    """
    expected = spec.n_eval_rows
    if verified:
        return Comparability(True, None, expected if expected is not None else n_rows)
    if expected is None:
        return Comparability(False, f"the full size of the {spec.reported_split!r} split of {spec.name} is not "
                                    "published and the data are not on disk, so coverage cannot be checked",
                             None)
    if n_rows != int(expected):
        raise InputError(f"{n_rows} rows, but the {spec.reported_split!r} split of {spec.name} has {int(expected)}: "
                         "a partial evaluation set cannot be scored")
    return Comparability(True, None, int(expected))


def build_result(*, model_id: str, spec: DatasetSpec, split: str | None, predictions: pd.DataFrame,
                 source: str = "evaluate", verified: bool = True, seed: int | None = None,
                 geobias_kwargs: dict[str, Any] | None = None, run: dict[str, Any] | None = None,
                 verification_note: str | None = None, compute_geobias_scores: bool = True,
                 predictions_file: str | None = None, model_card: ModelMeta | None = None,
                 comparability: Comparability | None = None) -> Result:
    """Score one predictions frame into a Result (metrics, geo-bias, ranking eligibility).

    `predictions` follows `locbench.predictions`. Every number is computed on the rows in
    `canonical_rows` order, so a shuffled file gives bit-identical numbers, and every model of a
    dataset (same sample ids) gets the same tie resolution from the reference presets, whose SSI
    on tied rows otherwise follows the row order (up to 5 % of marked SSI on BirdSnap-eBird).
    `verified=False` marks a submission checked only against the registry's published facts.
    `comparability` overrides the ranking rule (importers know when rows are not the full set).
    """
    from locbench.predictions import canonical_rows, check_predictions

    check_id(model_id)
    check_id(spec.name, kind="dataset name")
    shape = TaskShape.of(spec)
    targets = shape.targets
    task = get_task(spec.task_type)
    if source not in SOURCES:
        raise InputError(f"source must be one of {SOURCES}, got {source!r}")
    check_predictions(predictions, spec.task_type, file=f"<predictions of {model_id} on {spec.name}>",
                      targets=targets, n_classes=shape.n_classes).raise_if_any(f"predictions of {model_id} on {spec.name} are invalid")
    file_rows = predictions.reset_index(drop=True)
    sha = predictions_sha256(file_rows)  # of the rows as given: the file's own content hash
    df = canonical_rows(file_rows)
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=np.float64)
    located = np.isfinite(lon) & np.isfinite(lat)
    metrics, notes = task.metrics(df, shape)
    primary = spec.primary_metric
    if primary not in metrics:
        raise InputError(f"primary metric {primary!r} of dataset {spec.name!r} is not computed for {spec.task_type}")
    if compute_geobias_scores:
        geobias = compute_geobias(lon, lat, df, spec.task_type, shape, geobias_kwargs)
    else:
        geobias = {"status": "not computed", "reason": "geo-bias disabled for this run", "summary": {}}
    layers = map_layers_for(lon, lat, df, spec.task_type, shape, lisa=geobias.get("status") == "ok")
    return Result(
        model_id=model_id, dataset=spec.name, dataset_version=spec.version, group=spec.group,
        task_type=spec.task_type, split=split or spec.reported_split, primary_metric=primary,
        primary_value=metrics[primary], higher_is_better=higher_is_better(primary), metrics=metrics,
        metric_notes=tuple(notes), n_rows=int(len(df)), n_located=int(located.sum()),
        n_unlocated=int((~located).sum()), predictions_sha256=sha,
        predictions_file=predictions_file, source=source, verified_against_data=bool(verified),
        verification_note=verification_note or (
            "sample ids and coordinates checked against the dataset files" if verified
            else "not verified against data: checked against the registry's published facts only"),
        seed=seed, date=now_iso(), versions=package_versions(), run=run, geobias=geobias, model_card=model_card,
        map_layers=layers,
        comparability=comparability or comparability_for(spec, int(len(df)), bool(verified)),
        **primary_uncertainty_and_regions(df, primary, metrics[primary], targets))


def primary_uncertainty_and_regions(df: pd.DataFrame, primary: str, value: float,
                                    targets: tuple[str, ...] | None) -> dict[str, Any]:
    """The `bootstrap` and `regions` blocks (owner: locbench.bootstrap / locbench.regions); None when undefined."""
    from locbench.bootstrap import bootstrap_ci
    from locbench.regions import region_breakdown

    if not np.isfinite(value):
        return {"bootstrap": None, "regions": None}
    return {"bootstrap": bootstrap_ci(df, primary, targets).to_dict(),
            "regions": region_breakdown(df, primary, targets).to_dict()}


def result_path(root: str | Path, model_id: str, dataset: str) -> Path:
    """root/results/<model_id>/<dataset>.json, after checking both names are safe."""
    check_id(model_id)
    check_id(dataset, kind="dataset name")
    return Path(root) / "results" / model_id / f"{dataset}.json"


def write_result(root: str | Path, result: Result) -> Path:
    """Write a result atomically to root/results/<model_id>/<dataset>.json and return the path.

    The file is sealed (`locbench.integrity`: content hash in its `integrity` block); a result with
    infinite numbers is refused.
    """
    from locbench import integrity

    path = result_path(root, result.model_id, result.dataset)
    return atomic.write_text(path, integrity.seal(result).to_json())


def read_result(path: str | Path) -> Result:
    """Load one result file (Result.from_json) and check it is stored under its own model/dataset."""
    path = Path(path)
    result = Result.from_json(path)
    expect = (path.parent.name, path.stem)
    if (result.model_id, result.dataset) != expect:
        raise InputError(f"result for {result.model_id}/{result.dataset} is stored under {expect[0]}/{expect[1]}",
                         file=path)
    return result


def iter_result_files(root: str | Path) -> Iterator[Path]:
    """All result files under root/results, in a stable (sorted) order."""
    base = Path(root) / "results"
    if not base.is_dir():
        return iter(())
    return iter(sorted(p for p in base.glob("*/*.json") if not p.name.startswith(".")))


def load_results(root: str | Path) -> list[Result]:
    """Every result under root/results (sorted by model id, then dataset)."""
    return [read_result(p) for p in iter_result_files(root)]


def find_result(root: str | Path, model_id: str, dataset: str) -> Result:
    path = result_path(root, model_id, dataset)
    if not path.exists():
        raise NotFoundError(f"no result for model {model_id!r} on dataset {dataset!r}", file=path)
    return read_result(path)
