"""Classification: one class label per sample; Top-1/Top-3 (%), MRR, macro-F1; geo-bias on raw hit@1."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from locbench.errors import Problem, ProblemList, shown
from locbench.tasks.base import GeoBiasValue, MetricInputs, TaskShape, TaskType, frame_with_ids, limited

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSpec, DatasetSplit

COLUMNS = ("y_true", "y_pred", "true_class_prob", "reciprocal_rank", "hit@1", "hit@3")
# Columns a source may leave entirely empty (e.g. SatMAE's GeoBS tables publish only hits): MRR is then not computed.
UNPUBLISHED_OK = ("true_class_prob", "reciprocal_rank")
UNKNOWN_LABEL = "unknown"  # y_true of imported rows whose true class is not published (TorchSpatial CSVs)
_SCORE_COLUMN = {"top1": "hit@1", "top3": "hit@3", "mrr": "reciprocal_rank"}


class Classification(TaskType):
    name = "classification"
    grouped_metrics = ("top1", "top3", "mrr", "macro_f1")
    value_name = "hit@1"
    short_label = "classif."
    probes = ("geoprior", "linear", "knn", "mlp")

    def columns(self, shape: TaskShape) -> list[str]:
        return list(COLUMNS)

    def check_values(self, df: pd.DataFrame, shape: TaskShape, *, file: str | Path, problems: ProblemList) -> None:
        for col in ("true_class_prob", "reciprocal_rank", "hit@1", "hit@3"):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            if col in UNPUBLISHED_OK and len(v) and df[col].isna().all():
                continue  # the whole column empty: not published by the source (its metric is not computed)
            bad = ~np.isfinite(v) | (v < 0) | (v > 1)
            for r in np.nonzero(bad)[0][:20]:
                problems.add(f"value {shown(df[col].iloc[r])} must be a finite number in [0, 1]", file=file,
                             row=int(r), column=col)
        rr = pd.to_numeric(df["reciprocal_rank"], errors="coerce").to_numpy(dtype=np.float64)
        h1 = pd.to_numeric(df["hit@1"], errors="coerce").to_numpy(dtype=np.float64)
        h3 = pd.to_numeric(df["hit@3"], errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(rr) & np.isfinite(h1) & np.isfinite(h3)
        for col, hit, expect in (("hit@1", h1, rr >= 1.0 - 1e-9), ("hit@3", h3, rr >= 1.0 / 3.0 - 1e-9)):
            bad = ok & ((hit >= 0.5) != expect)
            for r in np.nonzero(bad)[0][:20]:
                problems.add(f"{col} = {hit[r]:g} disagrees with reciprocal_rank = {rr[r]:g}", file=file,
                             row=int(r), column=col)
        for col in ("y_true", "y_pred"):
            if df[col].isna().any():
                r = int(np.nonzero(df[col].isna().to_numpy())[0][0])
                problems.add("missing class label", file=file, row=r, column=col)

    # ------------------------------------------------------------------ metrics
    def metrics(self, df: pd.DataFrame, shape: TaskShape) -> tuple[dict[str, float], list[str]]:
        notes: list[str] = []
        labels_known = not (df["y_true"].astype(str) == UNKNOWN_LABEL).all()
        metrics = classification_metrics(df, macro_f1=labels_known, n_classes=shape.n_classes)
        if not labels_known:
            metrics["macro_f1"] = float("nan")
            notes.append("macro_f1 not computed: true class labels are not published for these rows")
        if df["reciprocal_rank"].isna().all():
            notes.append("mrr not computed: reciprocal ranks are not published for these rows")
        return metrics, notes

    def metric_inputs(self, df: pd.DataFrame, metric: str, shape: TaskShape) -> MetricInputs:
        if metric in _SCORE_COLUMN:
            scale = 100.0 if metric != "mrr" else 1.0
            return MetricInputs(metric, scale * df[_SCORE_COLUMN[metric]].to_numpy(dtype=np.float64))
        yt, yp = df["y_true"].astype(str).to_numpy(), df["y_pred"].astype(str).to_numpy()
        codes, uniques = pd.factorize(np.concatenate([yt, yp]), sort=True)
        n = len(yt)
        return MetricInputs(metric, np.ones(n), codes[:n].astype(np.int64), codes[n:].astype(np.int64), len(uniques))

    def grouped_values(self, inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int,
                       count: np.ndarray) -> np.ndarray:
        if inp.metric in _SCORE_COLUMN:
            return np.bincount(groups, weights=inp.values[rows], minlength=n_groups) / count
        return _grouped_macro_f1(inp, rows, groups, n_groups)

    # ------------------------------------------------------------------ geo-bias
    def geobias_value(self, df: pd.DataFrame, shape: TaskShape) -> GeoBiasValue:
        return GeoBiasValue(self.value_name, df["hit@1"].to_numpy(dtype=np.float64), lower_is_better=False,
                            rule="raw hit@1 (1 correct, 0 wrong), as TorchSpatial's published Geo-Bias tables")

    def map_label(self) -> str:
        return "Top-1 accuracy (%) per cell"

    # ------------------------------------------------------------------ submissions
    def check_against_data(self, df: pd.DataFrame, split: DatasetSplit, file: str, problems: ProblemList,
                           ok: np.ndarray, pos: np.ndarray) -> None:
        if split.labels is None:
            return
        yt = df["y_true"].astype(str).to_numpy()[ok]
        if (yt == UNKNOWN_LABEL).all():
            return
        labels = np.asarray(split.labels)[pos]
        names = list(split.class_names) if split.class_names is not None else None
        good = yt == np.array([str(int(x)) for x in labels])
        if names is not None:
            good |= yt == np.array([str(names[int(x)]) for x in labels])
        rows = ok[np.nonzero(~good)[0]]
        limited(problems, rows, lambda r: Problem(f"y_true {shown(df['y_true'].iloc[r])} disagrees with the dataset's label",
                                                  file, r, "y_true"))

    def check_against_registry(self, df: pd.DataFrame, spec: DatasetSpec, file: str,
                               problems: ProblemList) -> list[str]:
        n_classes = spec.num_classes
        if not n_classes:
            return []
        for col in ("y_true", "y_pred"):
            vals = df[col].astype(str)
            vals = vals[vals != UNKNOWN_LABEL]
            distinct = vals.nunique()
            if distinct > int(n_classes):
                problems.add(f"{distinct} distinct classes, but {spec.name} has {int(n_classes)}", file=file, column=col)
            nums = pd.to_numeric(vals, errors="coerce")
            if len(vals) and nums.notna().all():
                bad = np.nonzero(((nums < 0) | (nums >= int(n_classes)) | (nums % 1 != 0)).to_numpy())[0]
                rows = vals.index.to_numpy()[bad]
                limited(problems, rows, lambda r, col=col: Problem(
                    f"class id {shown(df[col].iloc[r])} outside 0..{int(n_classes) - 1}", file, r, col))
        return ["class count"]

    # ------------------------------------------------------------------ fixtures
    def fake_rows(self, rng: np.random.Generator, split: DatasetSplit, *, skill: float = 0.7) -> pd.DataFrame:
        y = np.asarray(split.labels, dtype=np.int64)
        c = int(split.spec.num_classes or (y.max(initial=0) + 1))
        rank = np.where(rng.random(len(y)) < skill, 1, rng.integers(2, max(3, c + 1), size=len(y)))
        rank = np.minimum(rank, c)
        pred = np.where(rank == 1, y, (y + 1) % c)
        return pd.DataFrame({**frame_with_ids(split), "y_true": y, "y_pred": pred,
                             "true_class_prob": 1.0 / (rank + 1.0), "reciprocal_rank": 1.0 / rank,
                             "hit@1": (rank == 1).astype(float), "hit@3": (rank <= 3).astype(float)})


def classification_metrics(df: pd.DataFrame, *, macro_f1: bool = True, n_classes: int | None = None) -> dict[str, float]:
    """Top-1/Top-3 (%), MRR, and macro-F1 from y_true/y_pred over all rows (unlocated rows included).

    Top-3 is undefined (NaN) on a task with 3 or fewer classes: it is 100% by construction there.
    """
    n = len(df)
    top3_defined = n and (n_classes is None or n_classes > 3)
    out: dict[str, float] = {
        "top1": float(100.0 * df["hit@1"].astype(float).mean()) if n else float("nan"),
        "top3": float(100.0 * df["hit@3"].astype(float).mean()) if top3_defined else float("nan"),
        "mrr": float(df["reciprocal_rank"].astype(float).mean()) if n else float("nan"),
    }
    if macro_f1:
        out["macro_f1"] = macro_f1_score(df["y_true"].astype(str).to_numpy(), df["y_pred"].astype(str).to_numpy())
    return out


def macro_f1_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro F1 over the classes present in y_true or y_pred (sklearn's default label set)."""
    from sklearn.metrics import f1_score

    if len(y_true) == 0:
        return float("nan")
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def _grouped_macro_f1(inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Macro-F1 per group over the classes present in that group's y_true or y_pred (sklearn's label set)."""
    assert inp.y_true is not None and inp.y_pred is not None
    c = inp.n_classes
    yt, yp = inp.y_true[rows], inp.y_pred[rows]
    size = n_groups * c
    tp = np.bincount(groups * c + yt, weights=(yt == yp).astype(np.float64), minlength=size).reshape(n_groups, c)
    true_n = np.bincount(groups * c + yt, minlength=size).reshape(n_groups, c)
    pred_n = np.bincount(groups * c + yp, minlength=size).reshape(n_groups, c)
    present = (true_n + pred_n) > 0
    f1 = np.where(present, 2.0 * tp / np.maximum(true_n + pred_n, 1), 0.0)
    return f1.sum(axis=1) / present.sum(axis=1)
