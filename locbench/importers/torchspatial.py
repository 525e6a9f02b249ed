"""Import TorchSpatial `eval_results` CSVs: one scored result per (encoder, dataset), rows kept outside the tree.

File names (spec locbench.md §D): classification `eval_{dataset}_{meta}_{split}_{encoder}.csv`
(empty meta -> double underscore), regression `eval_mosaiks_{name}__test_{encoder}.csv`; either
may be gzipped and may end in " copy.csv"; regression no-prior runs are `no_prior_regress`.

The CSVs need repair before they are usable, and every repair is verified, never assumed:
- classification rows carry no labels: `y_true` is "unknown" (the CSVs do not publish class ids) and
  `y_pred` is "unknown" on a hit (prediction equals the true class) and "other" on a miss, so
  hit@1 == (y_pred == y_true); macro-F1 is therefore not computed for imported rows;
- sample ids are the row index of the eval split (the CSVs' unnamed index, checked to be 0..N-1), or,
  when the dataset is on disk, the data's own sample ids (rows and coordinates checked to agree);
- no-prior classification files have no coordinates: they are taken from a sibling encoder file of
  the same dataset after checking the row order agrees (unlocated rows have identical
  true_class_prob/hits; everywhere else the prior can only lower the true class's score);
- `wrap` files hold sin-transformed coordinates, never used as coordinates. Classification rows
  are aligned across encoders, so they get the sibling's coordinates (after checking the sin
  transform of those reproduces the wrap columns). Regression files are different random subsets,
  so each wrap row is matched against the union of its siblings' rows by (sin lon, sin lat, label);
  a unique match gives the coordinates, anything else leaves the row unlocated (NaN). Inverting
  the sines alone is never unambiguous for longitude (lon and 180 - lon share a sine);
- regression sample ids are file row numbers: TorchSpatial kept an unseeded 1/20 test subsample
  whose original indices are lost.
Empty files (fMoW spherical_harmonics) are skipped with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from locbench.cards import ModelMeta
from locbench.errors import InputError
from locbench.ids import model_id
from locbench.importers.common import ImportedTable, ImportReport, recognised_files, write_import
from locbench.results import Comparability
from locbench.tasks.classification import UNKNOWN_LABEL

SOURCE = "torchspatial"

SIN_TOLERANCE = 1e-5  # wrap columns vs sin(true coordinates): observed max difference 3e-7
COORD_TOLERANCE = 1e-6
PROB_RTOL = 1e-6
MISS_LABEL = "other"
PAPER_URL = "https://arxiv.org/abs/2406.15658"
CODE_URL = "https://github.com/seai-lab/TorchSpatial"
AUTHORS = ["Nemin Wu", "Qian Cao", "Zhangyu Wang", "Zeping Liu", "Yanlin Qi", "Jielu Zhang", "Joshua Ni",
           "Xiaobai Yao", "Hongxu Ma", "Lan Mu", "Stefano Ermon", "Tanuja Ganu", "Akshay Nambi", "Ni Lao",
           "Gengchen Mai"]
SNAPSHOT_DATE = "2025-04-16"  # TorchSpatial HEAD 9f8d833, the snapshot the eval_results come from

CLS_DATASETS = ("birdsnap", "nabirds", "inat_2017", "inat_2018", "yfcc", "fmow")
REG_DATASETS = ("population", "elevation", "forest_cover", "nightlights")
_CLS_RE = re.compile(r"^eval_(?P<ds>" + "|".join(CLS_DATASETS) + r")_(?P<meta>orig_meta|ebird_meta|)_"
                     r"(?P<split>train|val|valid|test)_(?P<enc>.+?)(?P<copy> copy)?\.csv(?P<gz>\.gz)?$")
_REG_RE = re.compile(r"^eval_mosaiks_(?P<ds>" + "|".join(REG_DATASETS) + r")__(?P<split>test)_"
                     r"(?P<enc>.+?)(?P<copy> copy)?\.csv(?P<gz>\.gz)?$")

# TorchSpatial dataset (+ meta) -> candidate locbench names, first registered one wins.
_DATASET_CANDIDATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("birdsnap", "orig_meta"): ("birdsnap",),
    ("birdsnap", "ebird_meta"): ("birdsnap-ebird", "birdsnap_ebird"),
    ("nabirds", "ebird_meta"): ("nabirds-ebird", "nabirds_ebird", "nabirds"),
    ("inat_2017", ""): ("inat2017", "inat_2017"),
    ("inat_2018", ""): ("inat2018", "inat_2018"),
    ("yfcc", ""): ("yfcc",),
    ("fmow", ""): ("fmow",),
    ("mosaiks_population", ""): ("mosaiks-population", "mosaiks_population"),
    ("mosaiks_elevation", ""): ("mosaiks-elevation", "mosaiks_elevation"),
    ("mosaiks_forest_cover", ""): ("mosaiks-forest-cover", "mosaiks-forest_cover", "mosaiks_forest_cover",
                                   "mosaiks-forest"),
    ("mosaiks_nightlights", ""): ("mosaiks-nightlights", "mosaiks_nightlights"),
}
# TorchSpatial encoder code name -> (locbench encoder name, paper label, family)
ENCODERS: dict[str, tuple[str, str, str]] = {
    "no_prior": ("no_prior", "No Prior (image only)", "baseline"),
    "no_prior_regress": ("no_prior", "No Prior (image only)", "baseline"),
    "tile_ffn": ("tile", "tile", "2D"),
    "wrap": ("wrap", "wrap", "2D"),
    "wrap_ffn": ("wrap_ffn", "wrap+ffn", "2D"),
    "rbf": ("rbf", "rbf", "2D"),
    "rff": ("rff", "rff", "2D"),
    "Space2Vec-grid": ("Space2Vec-grid", "Space2Vec-grid", "2D"),
    "Space2Vec-theory": ("Space2Vec-theory", "Space2Vec-theory", "2D"),
    "xyz": ("xyz", "xyz", "3D"),
    "NeRF": ("NeRF", "NeRF", "3D"),
    "Sphere2Vec-sphereC": ("Sphere2Vec-sphereC", "Sphere2Vec-sphereC", "3D"),
    "Sphere2Vec-sphereC+": ("Sphere2Vec-sphereC+", "Sphere2Vec-sphereC+", "3D"),
    "Sphere2Vec-sphereM": ("Sphere2Vec-sphereM", "Sphere2Vec-sphereM", "3D"),
    "Sphere2Vec-sphereM+": ("Sphere2Vec-sphereM+", "Sphere2Vec-sphereM+", "3D"),
    "Sphere2Vec-dfs": ("Sphere2Vec-dfs", "Sphere2Vec-dfs", "3D"),
    "spherical_harmonics": ("spherical_harmonics", "Siren(SH)", "3D"),
}


@dataclass(frozen=True)
class TSFile:
    """One recognised TorchSpatial eval_results file."""

    path: Path
    task_type: str
    ts_dataset: str  # e.g. "birdsnap", "mosaiks_population"
    meta: str
    split: str
    encoder: str  # TorchSpatial code name as in the file name

    @property
    def group_key(self) -> tuple[str, str, str]:
        return (self.ts_dataset, self.meta, self.split)

    @property
    def is_no_prior(self) -> bool:
        return self.encoder in ("no_prior", "no_prior_regress")

    @property
    def is_wrap(self) -> bool:
        return self.encoder == "wrap"


def parse_name(path: Path) -> TSFile | None:
    """Recognise a TorchSpatial eval_results file name; None when it is not one."""
    m = _CLS_RE.match(path.name)
    if m:
        return TSFile(path, "classification", m["ds"], m["meta"], m["split"], m["enc"])
    m = _REG_RE.match(path.name)
    if m:
        return TSFile(path, "regression", f"mosaiks_{m['ds']}", "", m["split"], m["enc"])
    return None


def model_id_for(encoder: str) -> str:
    """`torchspatial-<slug of our encoder name>`: the one id rule (locbench.ids), as `locbench-<slug>` for our runs."""
    if encoder not in ENCODERS:
        raise InputError(f"unknown TorchSpatial encoder {encoder!r} (known: {', '.join(sorted(ENCODERS))})")
    return model_id(SOURCE, ENCODERS[encoder][0])


def dataset_for(ts_dataset: str, meta: str) -> str:
    """Our registry name for a TorchSpatial dataset (+ metadata variant)."""
    cands = _DATASET_CANDIDATES.get((ts_dataset, meta))
    if cands is None:
        raise InputError(f"no locbench dataset for TorchSpatial {ts_dataset!r} with meta {meta!r}")
    from locbench.datasets import list_datasets

    known = {s.name for s in list_datasets()}
    for c in cands:
        if c in known:
            return c
    return cands[0]


def scan(src: str | Path) -> tuple[list[TSFile], list[str]]:
    """Every recognised file under `src` (recursively, sorted) and warnings about the rest."""
    named, warnings = recognised_files(src, "TorchSpatial eval_results", parse_name,
                                       "not a TorchSpatial eval_results file name", skip=_skip_reason)
    found = [ts for _, ts in named]
    # a plain and a " copy" version of the same run: keep the plain one
    seen: dict[tuple[str, str, str, str], TSFile] = {}
    for ts in sorted(found, key=lambda t: (" copy." in t.path.name, t.path.name)):
        key = (*ts.group_key, ts.encoder)
        if key in seen:
            warnings.append(f"{ts.path}: duplicate of {seen[key].path.name}; skipped")
            continue
        seen[key] = ts
    return sorted(seen.values(), key=lambda t: t.path.name), warnings


def _skip_reason(path: Path, ts: TSFile) -> str | None:
    """Why a recognised file gives no result: an encoder we do not map, or no rows."""
    if ts.encoder not in ENCODERS:
        return f"unknown encoder {ts.encoder!r}"
    if path.stat().st_size <= 64 and _is_empty(path):
        return f"empty file (no rows) as published by TorchSpatial; no result for {ts.encoder} on {ts.ts_dataset}"
    return None


def _is_empty(path: Path) -> bool:
    try:
        return len(_read(path)) == 0
    except InputError:
        return True


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise InputError(f"cannot be read as CSV: {exc}".splitlines()[0], file=path) from exc


def _need(df: pd.DataFrame, cols: tuple[str, ...], path: Path) -> None:
    for c in cols:
        if c not in df.columns:
            raise InputError(f"missing column (found: {', '.join(map(str, df.columns))})", file=path, column=c)


# ---------------------------------------------------------------------------- classification

def _read_classification(ts: TSFile) -> pd.DataFrame:
    df = _read(ts.path)
    first = df.columns[0]
    if str(first).startswith("Unnamed") or first == "":
        df = df.rename(columns={first: "row"})
    else:
        df.insert(0, "row", np.arange(len(df)))
    _need(df, ("true_class_prob", "reciprocal_rank", "hit@1", "hit@3"), ts.path)
    if not ts.is_no_prior:
        _need(df, ("lon", "lat"), ts.path)
    rows = df["row"].to_numpy()
    bad = np.nonzero(rows != np.arange(len(df)))[0]
    if len(bad):
        raise InputError(f"index {rows[bad[0]]!r} is not the row number {bad[0]}; rows are not in eval-split order",
                         file=ts.path, row=int(bad[0]), column="(index)")
    return df


def _first_mismatch(a: np.ndarray, b: np.ndarray, tol: float) -> int | None:
    nan_diff = np.isnan(a) != np.isnan(b)
    far = np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) > tol)
    bad = np.nonzero(nan_diff | far)[0]
    return int(bad[0]) if len(bad) else None


def _check_prior_order(enc: pd.DataFrame, noprior: pd.DataFrame, enc_path: Path, np_path: Path) -> None:
    """Row order of an encoder file agrees with the no-prior file of the same dataset.

    Unlocated rows fall back to the image prediction, so their scores and hits are identical; a
    location prior multiplies the image probability by a sigmoid < 1, so it never raises it.
    """
    if len(enc) != len(noprior):
        raise InputError(f"{len(enc)} rows but the no-prior file {np_path.name} has {len(noprior)}", file=enc_path)
    p_enc = enc["true_class_prob"].to_numpy(dtype=np.float64)
    p_np = noprior["true_class_prob"].to_numpy(dtype=np.float64)
    higher = np.nonzero(p_enc > p_np * (1 + PROB_RTOL) + 1e-12)[0]
    if len(higher):
        r = int(higher[0])
        raise InputError(f"true_class_prob {p_enc[r]:g} exceeds the no-prior {p_np[r]:g} ({np_path.name}); "
                         "row order disagrees", file=enc_path, row=r, column="true_class_prob")
    unloc = np.isnan(enc["lon"].to_numpy(dtype=np.float64))
    for col in ("true_class_prob", "hit@1", "hit@3"):
        a = enc[col].to_numpy(dtype=np.float64)[unloc]
        b = noprior[col].to_numpy(dtype=np.float64)[unloc]
        bad = np.nonzero(~np.isclose(a, b, rtol=PROB_RTOL, atol=0))[0]
        if len(bad):
            r = int(np.nonzero(unloc)[0][bad[0]])
            raise InputError(f"unlocated row differs from the no-prior file {np_path.name}; row order disagrees",
                             file=enc_path, row=r, column=col)


def classification_group(files: list[TSFile], report: ImportReport) -> dict[str, pd.DataFrame]:
    """Predictions per encoder for one dataset group, with true coordinates restored and checked."""
    frames = {ts.encoder: _read_classification(ts) for ts in files}
    by_enc = {ts.encoder: ts for ts in files}
    n = {len(df) for df in frames.values()}
    if len(n) != 1:
        sizes = ", ".join(f"{e}: {len(df)}" for e, df in sorted(frames.items()))
        raise InputError(f"files of one dataset disagree in row count ({sizes})", file=files[0].path.parent)
    sources = sorted(e for e in frames if e not in ("wrap", "no_prior"))
    label = f"{files[0].ts_dataset} {files[0].meta} {files[0].split}".replace("  ", " ")
    if sources:
        src = sources[0]
        lon = frames[src]["lon"].to_numpy(dtype=np.float64)
        lat = frames[src]["lat"].to_numpy(dtype=np.float64)
        for e in sources[1:]:
            for col, ref in (("lon", lon), ("lat", lat)):
                r = _first_mismatch(frames[e][col].to_numpy(dtype=np.float64), ref, COORD_TOLERANCE)
                if r is not None:
                    raise InputError(f"coordinates differ from {by_enc[src].path.name}; rows are not aligned",
                                     file=by_enc[e].path, row=r, column=col)
    else:
        lon = lat = np.full(next(iter(n)), np.nan)
        report.warnings.append(f"{label}: no sibling file with coordinates; every row imported as unlocated "
                               "(metrics only, no geo-bias)")
    if "wrap" in frames:
        w = frames["wrap"]
        if sources:
            for col, expect in (("lon", np.sin(np.pi * lon / 180.0)), ("lat", np.sin(np.pi * lat / 90.0))):
                r = _first_mismatch(w[col].to_numpy(dtype=np.float64), expect, SIN_TOLERANCE)
                if r is not None:
                    raise InputError(f"wrap column is not sin() of the sibling coordinates in {by_enc[sources[0]].path.name}",
                                     file=by_enc["wrap"].path, row=r, column=col)
            report.repairs.append(f"{label}: wrap coordinates replaced by {sources[0]}'s (sin transform verified)")
    if "no_prior" in frames:
        for e, df in frames.items():
            if e != "no_prior" and sources:
                tmp = df.assign(lon=lon, lat=lat) if e == "wrap" else df
                _check_prior_order(tmp, frames["no_prior"], by_enc[e].path, by_enc["no_prior"].path)
        if sources:
            report.repairs.append(f"{label}: no_prior coordinates taken from {sources[0]} (row order verified)")
    out = {}
    for e, df in frames.items():
        hit1 = df["hit@1"].to_numpy(dtype=np.float64)
        out[e] = pd.DataFrame({
            "sample_id": df["row"].astype(int).astype(str).to_numpy(),
            "lon": lon, "lat": lat,
            "y_true": UNKNOWN_LABEL,
            "y_pred": np.where(hit1 >= 0.5, UNKNOWN_LABEL, MISS_LABEL),
            "true_class_prob": df["true_class_prob"].to_numpy(dtype=np.float64),
            "reciprocal_rank": df["reciprocal_rank"].to_numpy(dtype=np.float64),
            "hit@1": hit1,
            "hit@3": df["hit@3"].to_numpy(dtype=np.float64),
        })
    return out


# -------------------------------------------------------------------------------- regression

def _match_wrap(wrap: pd.DataFrame, siblings: list[pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """True (lon, lat) of wrap rows found in sibling files by (sin lon, sin lat, label); NaN otherwise."""
    from scipy.spatial import cKDTree

    pool = pd.concat([s[["lon", "lat", "labels"]] for s in siblings], ignore_index=True)
    pool = pool.drop_duplicates(ignore_index=True)
    plon = pool["lon"].to_numpy(dtype=np.float64)
    plat = pool["lat"].to_numpy(dtype=np.float64)
    plab = pool["labels"].to_numpy(dtype=np.float64)
    tree = cKDTree(np.c_[np.sin(np.pi * plon / 180.0), np.sin(np.pi * plat / 90.0)])
    wl = wrap["labels"].to_numpy(dtype=np.float64)
    hits = tree.query_ball_point(np.c_[wrap["lon"].to_numpy(dtype=np.float64), wrap["lat"].to_numpy(dtype=np.float64)],
                                 r=SIN_TOLERANCE)
    lon = np.full(len(wrap), np.nan)
    lat = np.full(len(wrap), np.nan)
    for i, cand in enumerate(hits):
        good = [j for j in cand if np.isclose(plab[j], wl[i], rtol=1e-6, atol=1e-9)]
        coords = {(round(plon[j], 5), round(plat[j], 5)) for j in good}
        if len(coords) == 1:
            j = good[0]
            lon[i], lat[i] = plon[j], plat[j]
    return lon, lat


def regression_group(files: list[TSFile], report: ImportReport) -> dict[str, pd.DataFrame]:
    """Predictions per encoder for one MOSAIKS dataset; wrap rows located by sibling matching."""
    frames = {}
    for ts in files:
        df = _read(ts.path)
        _need(df, ("lon", "lat", "predictions", "labels"), ts.path)
        frames[ts.encoder] = df
    label = files[0].ts_dataset
    out = {}
    siblings = [df for e, df in sorted(frames.items()) if e != "wrap"]
    for e, df in frames.items():
        if e == "wrap":
            if siblings:
                lon, lat = _match_wrap(df, siblings)
            else:
                lon = lat = np.full(len(df), np.nan)
            n_loc = int(np.isfinite(lon).sum())
            report.repairs.append(f"{label}: wrap rows located by matching siblings on (sin lon, sin lat, label): "
                                  f"{n_loc} of {len(df)}; the other {len(df) - n_loc} imported as unlocated")
        else:
            lon = df["lon"].to_numpy(dtype=np.float64)
            lat = df["lat"].to_numpy(dtype=np.float64)
            if len(df) and np.nanmax(np.abs(lon)) <= 1.0 and np.nanmax(np.abs(lat)) <= 1.0:
                report.warnings.append(f"{frames_path(files, e)}: coordinates all within [-1, 1]; "
                                       "they may be transformed, not degrees")
        out[e] = pd.DataFrame({
            "sample_id": np.arange(len(df)).astype(str),
            "lon": lon, "lat": lat,
            "y_true": df["labels"].to_numpy(dtype=np.float64),
            "y_pred": df["predictions"].to_numpy(dtype=np.float64),
        })
    return out


def frames_path(files: list[TSFile], encoder: str) -> Path:
    return next(ts.path for ts in files if ts.encoder == encoder)


# -------------------------------------------------------------------------------- model cards

def model_card(encoder: str, datasets: list[str]) -> ModelMeta:
    """The model card of one TorchSpatial model."""
    _, label, family = ENCODERS[encoder]
    return ModelMeta(
        model_id=model_id_for(encoder), name=f"{label} (TorchSpatial)", authors=tuple(AUTHORS), paper_url=PAPER_URL,
        code_url=CODE_URL, licence="CC-BY-NC-4.0", encoder_family=family, date=SNAPSHOT_DATE,
        description=(
            f"Per-sample predictions published by TorchSpatial (eval_results at {SNAPSHOT_DATE}) for the "
            f"'{encoder}' location encoder, imported by `locbench import torchspatial`"
            f"{' for: ' + ', '.join(sorted(datasets)) if datasets else ''}. Source: {CODE_URL} (code MIT; "
            "data products CC BY-NC 4.0, upstream dataset terms take precedence). Classification rows carry no class ids (y_true 'unknown', "
            "y_pred 'unknown' on a hit, 'other' on a miss; macro-F1 not computed); sample ids are eval-split row "
            "numbers. Coordinates are the true ones, restored from sibling files where the CSV lacks them (no-prior) "
            "or holds sin-transformed values (wrap). MOSAIKS rows are TorchSpatial's unseeded 1/20 test subsample, "
            "different for every model; their sample ids are file row numbers."))


# ---------------------------------------------------------------------------------- the import

def align_with_data(frames: dict[str, pd.DataFrame], dataset: str, data_root: str | Path | None,
                    report: ImportReport) -> dict[str, pd.DataFrame]:
    """When the dataset is on disk, use its sample ids (and coordinates) for the imported rows.

    TorchSpatial rows follow the loader's order of the kept eval rows, which is our split's row
    order; the coordinates restored from the CSVs must then agree with the data within 1e-4 deg
    (checked), and a group with no coordinates at all (no-prior only) gets the data's. Without
    the data, sample ids stay eval-split row numbers.
    """
    from locbench.datasets import load_split
    from locbench.errors import DataMissingError

    try:
        split = load_split(dataset, split=None, data_root=data_root)
    except DataMissingError:
        return frames
    n = len(next(iter(frames.values())))
    if len(split) != n:
        report.warnings.append(f"{dataset}: {n} TorchSpatial rows but the data's {split.split!r} split has "
                               f"{len(split)}; sample ids left as row numbers")
        return frames
    ref = next(iter(frames.values()))
    lon, lat = np.asarray(split.lon, dtype=np.float64), np.asarray(split.lat, dtype=np.float64)
    if ref["lon"].notna().any():
        for col, theirs in (("lon", lon), ("lat", lat)):
            r = _first_mismatch(ref[col].to_numpy(dtype=np.float64), theirs, 1e-4)
            if r is not None:
                raise InputError(f"TorchSpatial rows do not align with the {dataset} data ({col} differs); "
                                 "cannot use the data's sample ids", row=r, column=col)
    ids = np.asarray(split.sample_ids).astype(str)
    report.repairs.append(f"{dataset}: sample ids taken from the data on disk (row order and coordinates verified)")
    return {e: df.assign(sample_id=ids, lon=lon, lat=lat) for e, df in frames.items()}


MOSAIKS_SUBSETS = ("different test subsets: TorchSpatial kept an unseeded random 1/20 subsample of the MOSAIKS "
                   "test split for each model, so no two models are scored on the same rows")


def read_torchspatial(src: str | Path, *, data_root: str | Path | None = None,
                      progress: Callable[[str], None] | None = None) -> tuple[list[ImportedTable], ImportReport]:
    """Every recognised file under `src`, repaired and checked, as tables in our predictions schema."""
    files, warnings = scan(src)
    report = ImportReport(warnings=list(warnings))
    if not files:
        raise InputError("no TorchSpatial eval_results files found (expected eval_*.csv or .csv.gz)", file=src)
    groups: dict[tuple[str, str, str, str], list[TSFile]] = {}
    for ts in files:
        groups.setdefault((ts.task_type, *ts.group_key), []).append(ts)
    tables: list[ImportedTable] = []
    datasets_of: dict[str, list[str]] = {}
    for (task, ds, meta, _split), group in sorted(groups.items()):
        if progress:
            progress(f"reading {ds} {meta}".strip())
        ours = dataset_for(ds, meta)
        if task == "classification":
            frames = align_with_data(classification_group(group, report), ours, data_root, report)
        else:
            frames = regression_group(group, report)
        for enc, df in sorted(frames.items()):
            datasets_of.setdefault(enc, []).append(ours)
            subsets = Comparability(False, MOSAIKS_SUBSETS, None) if task == "regression" else None
            tables.append(ImportedTable(model_id_for(enc), ours, df, model_card(enc, []), frames_path(group, enc),
                                        SOURCE, subsets))
    return _with_cards(tables, datasets_of), report


def _with_cards(tables: list[ImportedTable], datasets_of: dict[str, list[str]]) -> list[ImportedTable]:
    """Each model's card lists every dataset it was imported for (no-prior files share one model)."""
    by_model: dict[str, list[str]] = {}
    for enc, names in datasets_of.items():
        by_model.setdefault(model_id_for(enc), []).extend(names)
    encoder_of = {model_id_for(e): ("no_prior" if e == "no_prior_regress" else e) for e in datasets_of}
    seen: dict[tuple[str, str], Path] = {}
    out = []
    for t in tables:
        if (t.model_id, t.dataset) in seen:
            raise InputError(f"two files map to model {t.model_id!r} on dataset {t.dataset!r} "
                             f"(also {seen[(t.model_id, t.dataset)].name})", file=t.source_file)
        seen[(t.model_id, t.dataset)] = t.source_file
        card = model_card(encoder_of[t.model_id], sorted(set(by_model[t.model_id])))
        out.append(dataclasses.replace(t, card=card))
    return out


def import_torchspatial(src: str | Path, out: str | Path | None = None, *, root: str | Path | None = None,
                        data_root: str | Path | None = None, geobias: bool = True, jobs: int = 1,
                        progress: Callable[[str], None] | None = None) -> ImportReport:
    """Read, repair and check every file under `src`; then score into ROOT/results (when `root` is given).

    Predictions go to `out` (default ROOT/imports, git-ignored). Everything is read and scored
    before the first file is written. With the dataset on disk, classification rows get the data's sample ids.
    """
    tables, report = read_torchspatial(src, data_root=data_root, progress=progress)
    return write_import(tables, report, root=root, out=out, data_root=data_root, geobias=geobias, jobs=jobs,
                        progress=progress)
