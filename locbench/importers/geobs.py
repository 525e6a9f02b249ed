"""Import the GeoBS/PyGBS `foundation_model_result_tables` onto GAIR's remote-sensing datasets.

Files are `<model>_<dataset>.csv(.gz)` (SEAI-lab PyGBS, MIT): per-sample results of CROMA and
SatMAE (linear probe and fine-tuned) and GPT-4o on EuroSAT, WorldStrat IPCC / LCCS and
fMoW-Sentinel. Each model family has its own schema, and every quirk is handled explicitly:
- hits are coded 1 / -1 (not 1 / 0): -1 becomes 0; any other value is an error (file, row, column);
- CROMA: `lon, lat, hit@1, hit@3, reciprocal_rank, true_class_probability`;
- SatMAE: `index, hit@1, hit@3, lon, lat` (+ `probabilities` on EuroSAT fine-tune, unused: without the
  true class it gives no rank): reciprocal rank and true-class probability are not published, so
  those columns stay empty and MRR is not computed;
- GPT-4o: `[image_id,] lon, lat, hit@1, hit@3, reciprocal_rank, category, predicted_categories`:
  the true class name and the ranked answer (a Python-list string) give `y_true`/`y_pred`, so
  macro-F1 is computed. A missing or unparseable answer, or an answer that is not a class of the
  dataset, is `y_pred = "unknown"` (wrong for every class) with reciprocal rank 0; the file's
  hits and reciprocal ranks are checked against the parsed answers.
CROMA and SatMAE rows carry no class ids: `y_true` "unknown", `y_pred` "unknown" on a hit and
"other" on a miss (as the TorchSpatial import), so macro-F1 is not computed for them.
Sample ids are row numbers; the full-size files of one dataset are checked to list the same
coordinates row by row. GPT-4o on fMoW-Sentinel covers 100 of the 84,939 test rows: it is imported
unranked, with the reason.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from locbench.cards import ModelMeta
from locbench.errors import InputError
from locbench.ids import model_id
from locbench.importers.common import ImportedTable, ImportReport, recognised_files, write_import
from locbench.results import Comparability
from locbench.tasks.classification import UNKNOWN_LABEL

SOURCE = "geobs"
CODE_URL = "https://github.com/seai-lab/PyGBS"
SNAPSHOT_DATE = "2025-06-01"  # PyGBS data/foundation_model_result_tables as copied into ../shared/reference
MISS_LABEL = "other"
COORD_TOLERANCE = 1e-6
DATASETS = {"eurosat": "geobs-eurosat", "worldstrat-IPCC": "geobs-worldstrat-ipcc",
            "worldstrat-LCCS": "geobs-worldstrat-lccs", "fmow-sentinel": "geobs-fmow-sentinel"}
_NAME_RE = re.compile(r"^(?P<model>[a-z0-9]+(?:-(?:linear|finetune))?)_(?P<ds>" +
                      "|".join(map(re.escape, DATASETS)) + r")\.csv(?:\.gz)?$")
# model -> (display name, authors, paper, schema family)
MODELS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "croma-linear": ("CROMA (linear probe)", ("Anthony Fuller", "Koreen Millard", "James R. Green"),
                     "https://arxiv.org/abs/2311.00566", "croma"),
    "croma-finetune": ("CROMA (fine-tuned)", ("Anthony Fuller", "Koreen Millard", "James R. Green"),
                       "https://arxiv.org/abs/2311.00566", "croma"),
    "satmae-linear": ("SatMAE (linear probe)", ("Yezhen Cong", "Samar Khanna", "Chenlin Meng", "Patrick Liu",
                                                "Erik Rozi", "Yutong He", "Marshall Burke", "David B. Lobell",
                                                "Stefano Ermon"), "https://arxiv.org/abs/2207.08051", "satmae"),
    "satmae-finetune": ("SatMAE (fine-tuned)", ("Yezhen Cong", "Samar Khanna", "Chenlin Meng", "Patrick Liu",
                                                "Erik Rozi", "Yutong He", "Marshall Burke", "David B. Lobell",
                                                "Stefano Ermon"), "https://arxiv.org/abs/2207.08051", "satmae"),
    "gpt4o": ("GPT-4o (zero-shot)", ("OpenAI",), "https://arxiv.org/abs/2410.21276", "gpt4o"),
}
SCHEMAS = {"croma": ("lon", "lat", "hit@1", "hit@3", "reciprocal_rank", "true_class_probability"),
           "satmae": ("index", "hit@1", "hit@3", "lon", "lat"),
           "gpt4o": ("lon", "lat", "hit@1", "hit@3", "reciprocal_rank", "category", "predicted_categories")}


def model_id_for(model: str) -> str:
    """`geobs-<model>`: the one id rule (locbench.ids)."""
    return model_id(SOURCE, model)


def model_card(model: str, datasets: list[str]) -> ModelMeta:
    name, authors, paper, family = MODELS[model]
    how = {"croma": "hits, reciprocal rank and true-class probability per sample (no class ids: macro-F1 not "
                    "computed)",
           "satmae": "hits per sample only (no reciprocal rank or probabilities: MRR not computed; no class ids: "
                     "macro-F1 not computed)",
           "gpt4o": "the true class name and GPT-4o's ranked answer per sample (macro-F1 computed; answers that are "
                    "not a class of the dataset count as wrong)"}[family]
    return ModelMeta(
        model_id=model_id_for(model), name=name, authors=authors, paper_url=paper, code_url=CODE_URL,
        licence="MIT", encoder_family="pretrained", date=SNAPSHOT_DATE,
        description=(f"Per-sample results published by GeoBS/PyGBS ({CODE_URL}, data/foundation_model_result_tables, "
                     f"MIT) for {name}, imported by `locbench import geobs` for: {', '.join(sorted(datasets))}. "
                     f"The tables hold {how}. Sample ids are row numbers of the test split."))


def parse_name(path: Path) -> tuple[str, str] | None:
    """(model, our dataset name) of a GeoBS table file name; None when it is not one."""
    m = _NAME_RE.match(path.name)
    if m is None or m["model"] not in MODELS:
        return None
    return m["model"], DATASETS[m["ds"]]


def _read(path: Path, family: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype={"category": str, "predicted_categories": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise InputError(f"cannot be read as CSV: {exc}".splitlines()[0], file=path) from exc
    for col in SCHEMAS[family]:
        if col not in df.columns:
            raise InputError(f"missing column of the {family} schema ({', '.join(SCHEMAS[family])}); found "
                             f"{', '.join(map(str, df.columns))}", file=path, column=col)
    return df


def _hits(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.nonzero(~np.isin(v, (-1.0, 0.0, 1.0)))[0]
    if len(bad):
        raise InputError(f"hit value {df[col].iloc[bad[0]]!r} is not 1, 0 or -1", file=path, row=int(bad[0]),
                         column=col)
    return (v > 0).astype(np.float64)


def _answers(raw: pd.Series) -> list[list[str] | None]:
    """Parse the ranked answers; None where GPT-4o gave none (empty, '0', or not a list of strings)."""
    out: list[list[str] | None] = []
    for s in raw:
        try:
            v = ast.literal_eval(s) if isinstance(s, str) else None
        except (ValueError, SyntaxError):
            v = None
        out.append([str(x) for x in v] if isinstance(v, list) and v else None)
    return out


def _base(df: pd.DataFrame, path: Path, ids: np.ndarray) -> dict[str, np.ndarray]:
    return {"sample_id": ids, "lon": pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=np.float64),
            "lat": pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=np.float64),
            "hit@1": _hits(df, "hit@1", path), "hit@3": _hits(df, "hit@3", path)}


def _unlabelled(df: pd.DataFrame, path: Path, ids: np.ndarray, family: str) -> pd.DataFrame:
    """CROMA / SatMAE rows: hits (and for CROMA rank and probability), no class ids."""
    cols = _base(df, path, ids)
    if family == "satmae":
        index = pd.to_numeric(df["index"], errors="coerce").to_numpy()
        bad = np.nonzero(index != np.arange(len(df)))[0]
        if len(bad):
            raise InputError(f"index {df['index'].iloc[bad[0]]!r} is not the row number {bad[0]}", file=path,
                             row=int(bad[0]), column="index")
        rr = tcp = np.full(len(df), np.nan)  # not published by the SatMAE tables
    else:
        rr = pd.to_numeric(df["reciprocal_rank"], errors="coerce").to_numpy(dtype=np.float64)
        tcp = pd.to_numeric(df["true_class_probability"], errors="coerce").to_numpy(dtype=np.float64)
    return pd.DataFrame({**{k: cols[k] for k in ("sample_id", "lon", "lat")}, "y_true": UNKNOWN_LABEL,
                         "y_pred": np.where(cols["hit@1"] > 0, UNKNOWN_LABEL, MISS_LABEL),
                         "true_class_prob": tcp, "reciprocal_rank": rr, "hit@1": cols["hit@1"],
                         "hit@3": cols["hit@3"]})


def _labelled(df: pd.DataFrame, path: Path, ids: np.ndarray, classes: tuple[str, ...] | None) -> pd.DataFrame:
    """GPT-4o rows: true class names and ranked answers; hits and reciprocal ranks checked against them."""
    cols = _base(df, path, ids)
    y_true = df["category"].astype(str).to_numpy()
    answers = _answers(df["predicted_categories"])
    rr = np.array([1.0 / (a.index(t) + 1) if a and t in a else 0.0 for a, t in zip(answers, y_true)])
    published = pd.to_numeric(df["reciprocal_rank"], errors="coerce").to_numpy(dtype=np.float64)
    checks = (("reciprocal_rank", np.isfinite(published) & ~np.isclose(published, rr, atol=1e-9)),
              ("hit@1", (cols["hit@1"] > 0) != (rr >= 1.0)), ("hit@3", (cols["hit@3"] > 0) != (rr >= 1.0 / 3 - 1e-12)))
    for col, bad in checks:
        rows = np.nonzero(bad)[0]
        if len(rows):
            raise InputError(f"{col} disagrees with the rank of `category` in `predicted_categories`", file=path,
                             row=int(rows[0]), column=col)
    valid = set(classes or ()) | set(y_true)
    first = np.array([a[0] if a and a[0] in valid else UNKNOWN_LABEL for a in answers], dtype=object)
    return pd.DataFrame({"sample_id": ids, "lon": cols["lon"], "lat": cols["lat"], "y_true": y_true,
                         "y_pred": first, "true_class_prob": np.nan, "reciprocal_rank": rr,
                         "hit@1": cols["hit@1"], "hit@3": cols["hit@3"]})


def convert(path: Path, model: str, dataset: str, n_full: int | None, report: ImportReport) -> pd.DataFrame:
    """One GeoBS table in our predictions schema (row-number sample ids; subset rows get their own ids)."""
    from locbench.datasets import get_dataset

    family = MODELS[model][3]
    df = _read(path, family)
    subset = n_full is not None and len(df) != n_full
    ids = np.array([f"{model}-subset-{i}" if subset else str(i) for i in range(len(df))])
    if family == "gpt4o":
        out = _labelled(df, path, ids, get_dataset(dataset).class_names)
        n_none = int((out["y_pred"] == UNKNOWN_LABEL).sum())
        if n_none:
            report.repairs.append(f"{path.name}: {n_none} of {len(df)} answers are missing or not a class of "
                                  f"{dataset}; scored as wrong (y_pred 'unknown', reciprocal rank 0)")
    else:
        out = _unlabelled(df, path, ids, family)
    report.repairs.append(f"{path.name}: hits coded 1/-1 read as 1/0")
    return out


def _check_aligned(frames: dict[str, tuple[Path, pd.DataFrame]], dataset: str) -> None:
    """Full-size files of one dataset must list the same coordinates in the same row order."""
    (ref_path, ref), *rest = frames.values()
    for path, df in rest:
        for col in ("lon", "lat"):
            far = np.nonzero(np.abs(df[col].to_numpy() - ref[col].to_numpy()) > COORD_TOLERANCE)[0]
            if len(far):
                raise InputError(f"coordinates differ from {ref_path.name} on {dataset}; rows are not aligned, so "
                                 "row-number sample ids would not name the same samples", file=path,
                                 row=int(far[0]), column=col)


def scan(src: str | Path) -> tuple[list[tuple[Path, str, str]], list[str]]:
    """(path, model, dataset) of every GeoBS table under `src`, plus warnings about other files."""
    found, warnings = recognised_files(src, "GeoBS foundation_model_result_tables", parse_name,
                                       f"not a GeoBS <model>_<dataset>.csv name (models: {', '.join(MODELS)})")
    return [(p, *parsed) for p, parsed in found], warnings


def read_geobs(src: str | Path, *, progress: Callable[[str], None] | None = None
               ) -> tuple[list[ImportedTable], ImportReport]:
    """Every GeoBS table under `src`, converted and checked, as tables in our predictions schema."""
    from locbench.datasets import get_dataset

    files, warnings = scan(src)
    report = ImportReport(warnings=list(warnings))
    if not files:
        raise InputError("no GeoBS result tables found (expected <model>_<dataset>.csv or .csv.gz)", file=src)
    tables: list[ImportedTable] = []
    datasets_of: dict[str, list[str]] = {}
    for dataset in sorted({d for _, _, d in files}):
        n_full = get_dataset(dataset).n_eval_rows
        full: dict[str, tuple[Path, pd.DataFrame]] = {}
        for path, model, _ in (f for f in files if f[2] == dataset):
            if progress:
                progress(f"reading {path.name}")
            df = convert(path, model, dataset, n_full, report)
            comparability = None
            if n_full is not None and len(df) != n_full:
                comparability = Comparability(False, f"subset: {len(df):,} of the {n_full:,} test rows of {dataset} "
                                                     "(the published run covers only these)", n_full)
            else:
                full[model] = (path, df)
            datasets_of.setdefault(model, []).append(dataset)
            tables.append(ImportedTable(model_id_for(model), dataset, df, model_card(model, []), path, SOURCE,
                                        comparability))
        if len(full) > 1:
            _check_aligned(full, dataset)
    model_of = {model_id_for(m): m for m in datasets_of}
    return [dataclasses.replace(t, card=model_card(model_of[t.model_id], datasets_of[model_of[t.model_id]]))
            for t in tables], report


def import_geobs(src: str | Path, out: str | Path | None = None, *, root: str | Path | None = None,
                 data_root: str | Path | None = None, geobias: bool = True, jobs: int = 1,
                 progress: Callable[[str], None] | None = None) -> ImportReport:
    """Read and check every GeoBS table under `src`; score into ROOT/results (when `root` is given).

    Predictions go to `out` (default ROOT/imports, git-ignored); nothing is written unless every file passes.
    """
    tables, report = read_geobs(src, progress=progress)
    return write_import(tables, report, root=root, out=out, data_root=data_root, geobias=geobias, jobs=jobs,
                        progress=progress)
