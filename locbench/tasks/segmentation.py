"""Segmentation: a class mask per chip, submitted as per-chip, per-class pixel counts.

Submission format (one row per chip, beside sample_id, lon, lat = the chip centroid): for every
class k = 0..C-1 the columns `tp:k`, `fp:k`, `fn:k` — pixels of class k predicted as k, pixels
predicted as k that are another class, pixels of class k predicted as another class — counted over
the chip's labelled pixels only (the dataset's `ignore_index` pixels are not counted). Small (3·C
integers per chip) and exact: summed over chips they give the dataset's confusion totals, so mIoU
and per-class IoU/F1 equal those of the full masks. Every labelled pixel has one true and one
predicted class, so per chip sum_k fp:k = sum_k fn:k (checked).

Metrics (%, from the counts summed over all chips): per class IoU_k = TP/(TP+FP+FN) and
F1_k = 2TP/(2TP+FP+FN), undefined for a class absent from truth and prediction; `miou` and `mf1` are
their means over the defined classes; `pixel_acc` = ΣTP / labelled pixels.

Geo-bias value: the chip's own mIoU (%) from its counts (mean IoU over the classes present in the
chip's truth or prediction), at the chip centroid; higher is better. It is derived from the counts,
not submitted, so it cannot disagree with them. SSI/SRI use chip mIoU >= median -> +1 else -1,
the autocorrelation statistics the raw value. A chip without labelled pixels has no value: it counts
for the metrics (it adds nothing) and is left out of geo-bias (counted as `n_undefined_excluded`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from locbench.errors import Problem, ProblemList, shown
from locbench.tasks.base import GeoBiasValue, MetricInputs, TaskShape, TaskType, frame_with_ids, limited

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSpec, DatasetSplit

COUNTS = ("tp", "fp", "fn")
_COLUMN = re.compile(r"^(tp|fp|fn):(\d+)$")


def count_columns(n_classes: int) -> list[str]:
    """`tp:0, fp:0, fn:0, tp:1, ...` for classes 0..n_classes-1."""
    return [f"{c}:{k}" for k in range(n_classes) for c in COUNTS]


def classes_in(df: pd.DataFrame) -> int:
    """Class count a frame's count columns imply (largest class index + 1; 0 without count columns)."""
    ks = [int(m.group(2)) for m in (_COLUMN.match(str(c)) for c in df.columns) if m]
    return max(ks) + 1 if ks else 0


def counts_array(df: pd.DataFrame, n_classes: int | None = None) -> np.ndarray:
    """(3, C, N) float64 array of tp, fp, fn per class and row."""
    c = n_classes or classes_in(df)
    return np.stack([np.stack([df[f"{what}:{k}"].to_numpy(dtype=np.float64) for k in range(c)])
                     if c else np.zeros((0, len(df))) for what in COUNTS])


def confusion_counts(truth: np.ndarray, pred: np.ndarray, n_classes: int,
                     ignore_index: int | None = None) -> np.ndarray:
    """(N, 3, C) int64 tp, fp, fn per chip and class from (N, H, W) true and predicted masks.

    Pixels whose truth is `ignore_index` (or outside 0..C-1) are not counted; one `bincount` over
    chip x true x predicted class, so no per-chip Python loop.
    """
    truth = np.asarray(truth).reshape(len(truth), -1).astype(np.int64)
    pred = np.asarray(pred).reshape(len(pred), -1).astype(np.int64)
    n, c = truth.shape[0], int(n_classes)
    valid = (truth >= 0) & (truth < c)
    if ignore_index is not None:
        valid &= truth != ignore_index
    if ((pred < 0) | (pred >= c))[valid].any():
        raise ValueError(f"predicted classes must be 0..{c - 1}")
    chip = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], truth.shape)[valid]
    cm = np.bincount((chip * c + truth[valid]) * c + pred[valid], minlength=n * c * c).reshape(n, c, c)
    tp = np.diagonal(cm, axis1=1, axis2=2)
    return np.stack([tp, cm.sum(axis=1) - tp, cm.sum(axis=2) - tp], axis=1).astype(np.int64)


def counts_frame(split: DatasetSplit, counts: np.ndarray) -> pd.DataFrame:
    """Prediction rows for `split` from (N, 3, C) counts."""
    data = frame_with_ids(split)
    for k in range(counts.shape[2]):
        for j, what in enumerate(COUNTS):
            data[f"{what}:{k}"] = counts[:, j, k]
    return pd.DataFrame(data)


def scores_from_totals(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """IoU and F1 (%) per class from totals (last axis = class); NaN where a class is absent."""
    with np.errstate(invalid="ignore", divide="ignore"):
        union = tp + fp + fn
        iou = np.where(union > 0, 100.0 * tp / union, np.nan)
        f1 = np.where(union > 0, 100.0 * 2 * tp / (2 * tp + fp + fn), np.nan)
    return {"iou": iou, "f1": f1}


def _nanmean_last(a: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN; NaN (no warning) where every entry is NaN."""
    defined = np.isfinite(a)
    n = defined.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(defined, a, 0.0).sum(axis=-1) / n, np.nan)


class Segmentation(TaskType):
    name = "segmentation"
    grouped_metrics = ("miou", "mf1", "pixel_acc")
    value_name = "chip_miou"
    short_label = "segment."
    probes = ("segmentation",)

    def columns(self, shape: TaskShape) -> list[str]:
        return count_columns(shape.n_classes or 0)

    def shape_of(self, df: pd.DataFrame, shape: TaskShape) -> TaskShape:
        """Without a published class count, the count columns say how many classes there are."""
        if shape.n_classes:
            return shape
        return TaskShape(shape.targets, classes_in(df) or None, shape.class_names)

    def check_values(self, df: pd.DataFrame, shape: TaskShape, *, file: str | Path, problems: ProblemList) -> None:
        c = shape.n_classes or classes_in(df)
        for col in df.columns:
            m = _COLUMN.match(str(col))
            if m and int(m.group(2)) >= c:
                problems.add(f"count column for class {m.group(2)}, but the dataset has {c} classes (0..{c - 1}): "
                             "wrong class count", file=file, column=str(col))
        ok = np.ones(len(df), dtype=bool)
        for col in count_columns(c):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            bad = ~np.isfinite(v) | (v < 0) | (v % 1 != 0) | (v > 2**53)
            ok &= ~bad
            for r in np.nonzero(bad)[0][:20]:
                problems.add(f"pixel count {shown(df[col].iloc[r])} must be a non-negative whole number",
                             file=file, row=int(r), column=col)
        if not ok.any() or not c:
            return
        counts = counts_array(df, c)
        mismatch = ok & (counts[1].sum(axis=0) != counts[2].sum(axis=0))
        for r in np.nonzero(mismatch)[0][:20]:
            problems.add(f"false positives ({int(counts[1][:, r].sum())}) and false negatives "
                         f"({int(counts[2][:, r].sum())}) of a chip must sum to the same number (each labelled "
                         "pixel has one true and one predicted class)", file=file, row=int(r), column="fp:*/fn:*")

    # ------------------------------------------------------------------ metrics
    def metrics(self, df: pd.DataFrame, shape: TaskShape) -> tuple[dict[str, float], list[str]]:
        tp, fp, fn = counts_array(df, shape.n_classes).sum(axis=2)
        per = scores_from_totals(tp, fp, fn)
        names = _class_names(shape, len(tp))
        out: dict[str, float] = {"miou": float(_nanmean_last(per["iou"])), "mf1": float(_nanmean_last(per["f1"])),
                                 "pixel_acc": _ratio(tp.sum(), tp.sum() + fn.sum())}
        for key in ("iou", "f1"):
            out.update({f"{key}:{name}": float(v) for name, v in zip(names, per[key])})
        absent = [n for n, v in zip(names, per["iou"]) if not np.isfinite(v)]
        notes = [f"classes absent from truth and prediction (no IoU/F1, left out of the means): {', '.join(absent)}"] \
            if absent else []
        return out, notes

    def metric_inputs(self, df: pd.DataFrame, metric: str, shape: TaskShape) -> MetricInputs:
        counts = counts_array(df, shape.n_classes)
        return MetricInputs(metric, counts, n_classes=counts.shape[1])

    def grouped_values(self, inp: MetricInputs, rows: np.ndarray, groups: np.ndarray, n_groups: int,
                       count: np.ndarray) -> np.ndarray:
        totals = np.stack([np.stack([np.bincount(groups, weights=inp.values[j, k, rows], minlength=n_groups)
                                     for k in range(inp.n_classes)], axis=1) for j in range(3)])
        tp, fp, fn = totals  # each (n_groups, C)
        if inp.metric == "pixel_acc":
            with np.errstate(invalid="ignore", divide="ignore"):
                labelled = tp.sum(axis=1) + fn.sum(axis=1)
                return np.where(labelled > 0, 100.0 * tp.sum(axis=1) / labelled, np.nan)
        return _nanmean_last(scores_from_totals(tp, fp, fn)["iou" if inp.metric == "miou" else "f1"])

    # ------------------------------------------------------------------ geo-bias
    def geobias_value(self, df: pd.DataFrame, shape: TaskShape) -> GeoBiasValue:
        tp, fp, fn = counts_array(df, shape.n_classes)  # each (C, N)
        chip = _nanmean_last(scores_from_totals(tp.T, fp.T, fn.T)["iou"])
        return GeoBiasValue(self.value_name, chip, lower_is_better=False, binarise_at_median=True, may_be_undefined=True,
                            rule="chip mIoU (%) from the chip's own counts (mean IoU over classes in its truth or "
                                 "prediction); SSI/SRI on chip mIoU >= median -> +1 else -1; autocorrelation "
                                 "statistics on the raw chip mIoU; chips without labelled pixels left out")

    def map_label(self) -> str:
        return "Mean chip mIoU (%) per cell"

    # ------------------------------------------------------------------ submissions
    def check_against_data(self, df: pd.DataFrame, split: DatasetSplit, file: str, problems: ProblemList,
                           ok: np.ndarray, pos: np.ndarray) -> None:
        """tp:k + fn:k must be the chip's number of true class-k pixels in the split's mask."""
        masks = getattr(split, "masks", None)
        if masks is None or not len(ok):
            return
        c = int(split.spec.num_classes or classes_in(df))
        ignore = getattr(split.spec, "ignore_index", None)
        truth = confusion_counts(masks[pos], masks[pos], c, ignore)[:, 0, :]  # (n_ok, C) true pixels per class
        mine = counts_array(df, c)
        mine = (mine[0] + mine[2]).T[ok]
        wrong = mine != truth
        bad = np.nonzero(wrong.any(axis=1))[0]
        k_of = np.argmax(wrong, axis=1)  # the first disagreeing class of each chip
        at = dict(zip(ok[bad].tolist(), bad.tolist()))

        def problem(r: int) -> Problem:
            i = at[r]
            k = int(k_of[i])
            return Problem(f"tp:{k} + fn:{k} = {int(mine[i, k])} disagrees with the {int(truth[i, k])} pixels of "
                           f"class {k} in the dataset's mask", file, r, f"tp:{k}")

        limited(problems, ok[bad], problem)

    def check_against_registry(self, df: pd.DataFrame, spec: DatasetSpec, file: str,
                               problems: ProblemList) -> list[str]:
        return ["class count"] if spec.num_classes else []

    # ------------------------------------------------------------------ fixtures
    def fake_rows(self, rng: np.random.Generator, split: DatasetSplit, *, skill: float = 0.7) -> pd.DataFrame:
        masks = np.asarray(split.masks)
        c = int(split.spec.num_classes or masks.max() + 1)
        noise = rng.integers(0, c, size=masks.shape)
        pred = np.where(rng.random(masks.shape) < skill, np.clip(masks, 0, c - 1), noise)
        return counts_frame(split, confusion_counts(masks, pred, c, split.spec.ignore_index))


def _ratio(a: float, b: float) -> float:
    return float(100.0 * a / b) if b > 0 else float("nan")


def _class_names(shape: TaskShape, c: int) -> list[str]:
    names = shape.class_names
    return [str(n) for n in names] if names is not None and len(names) == c else [str(k) for k in range(c)]
