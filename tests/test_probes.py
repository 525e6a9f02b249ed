"""Probes: loss and ranking closed forms, sampler, background points, sanity that can fail, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from test_probes_fixtures import tiny_spec, TinyXYZ, classification_splits, regression_splits

from locbench.errors import InputError, NotFoundError
from locbench.metrics import classification_metrics, regression_metrics
from locbench.predictions import check_predictions
from locbench.probes import run_probe as _run_probe
from locbench.probes.common import rank_chunk, uniform_sphere
from locbench.probes.geoprior import balanced_epoch, full_loss
from locbench.datasets.holdout import carve_validation

GP = {"epochs": 15, "lr": 1e-2}


def run_probe(*args, **kwargs):
    """One torch thread: the models are tiny and the test machine is shared."""
    kwargs.setdefault("threads", 1)
    return _run_probe(*args, **kwargs)


# ---------------------------------------------------------------- closed forms

def test_rank_tie_rule_lower_class_id_first():
    s = np.array([[0.2, 0.5, 0.5, 0.1],   # y=2 ties with class 1 -> rank 2
                  [0.2, 0.5, 0.5, 0.1],   # y=1 ties with class 2 but has lower id -> rank 1
                  [0.3, 0.3, 0.3, 0.3],   # all tied, y=3 -> rank 4
                  [0.9, 0.1, 0.0, 0.4]])  # y=2 -> rank 4 (strictly lowest)
    rank, pred, true = rank_chunk(s, np.array([2, 1, 3, 2]))
    assert rank.tolist() == [2, 1, 4, 4]
    assert pred.tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(true, [0.5, 0.5, 0.3, 0.0])


def test_full_loss_matches_elementwise_formula():
    g = torch.Generator().manual_seed(3)
    lx, lb = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    y = torch.tensor([0, 3, 1, 1, 2])
    eps, c = 1e-5, 4
    want = 0.0
    for i in range(5):
        for k in range(4):
            p = torch.sigmoid(lx[i, k])
            want += c * -torch.log(p + eps) if k == y[i] else -torch.log(1 - p + eps)
    want = want / 20 + sum(-torch.log(1 - torch.sigmoid(v) + eps) for v in lb.flatten()) / 20
    assert float(full_loss(lx, lb, y, eps)) == pytest.approx(float(want), rel=1e-6)


def test_balanced_epoch_caps_each_class_and_is_seeded():
    labels = np.repeat([0, 1, 2], [250, 40, 101])
    idx = balanced_epoch(labels, 100, np.random.default_rng(0))
    assert len(idx) == 100 + 40 + 100 and len(np.unique(idx)) == len(idx)
    assert np.bincount(labels[idx]).tolist() == [100, 40, 100]
    np.testing.assert_array_equal(idx, balanced_epoch(labels, 100, np.random.default_rng(0)))


def test_background_points_uniform_on_whole_sphere():
    from scipy.stats import kstest

    ll = uniform_sphere(20000, torch.Generator().manual_seed(0)).numpy().astype(np.float64)
    for q in ((ll[:, 0] < 0) & (ll[:, 1] < 0), (ll[:, 0] >= 0) & (ll[:, 1] >= 0)):
        assert abs(q.mean() - 0.25) < 0.02  # not TorchSpatial's single-quadrant sample
    assert kstest(np.sin(np.radians(ll[:, 1])), "uniform", args=(-1, 2)).pvalue > 0.01
    assert kstest(ll[:, 0], "uniform", args=(-180, 360)).pvalue > 0.01


def test_validation_carve_random_and_spatial_block():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-180, 180, 1000), rng.uniform(-60, 60, 1000)
    v = carve_validation(lon, lat, seed=1, method="random")
    assert v.sum() == 200
    b = carve_validation(lon, lat, seed=1, method="spatial-block")
    assert 0.15 < b.mean() < 0.35
    cell = np.floor((lon + 180) / 10) * 1000 + np.floor((lat + 90) / 10)
    assert not set(cell[b]) & set(cell[~b])  # whole blocks only
    with pytest.raises(InputError):
        carve_validation(lon, lat, seed=1, method="kfold")


# ---------------------------------------------------------------- sanity that can fail

@pytest.fixture(scope="module")
def cls_runs():
    tr, te = classification_splits(seed=0)
    str_, ste = classification_splits(seed=0, shuffle=True)
    out = {}
    for key, enc, a, b in (("none", None, tr, te), ("loc", tiny_spec(), tr, te), ("shuf", tiny_spec(), str_, ste),
                           ("shuf_none", None, str_, ste)):
        df, info = run_probe("geoprior", enc, a, b, seed=0, **GP)
        out[key] = (classification_metrics(df)["top1"], df, info)
    return out


def test_location_aware_beats_no_prior_and_shuffled_control_does_not(cls_runs):
    none, loc, shuf, shuf_none = (cls_runs[k][0] for k in ("none", "loc", "shuf", "shuf_none"))
    assert none < 20  # 8 balanced classes: class-frequency baseline ~12.5 %
    assert loc > none + 50
    assert abs(shuf - shuf_none) < 8
    assert cls_runs["loc"][2]["location_only"]["top1"] == pytest.approx(loc)  # no image preds: same thing


def test_predictions_follow_schema(cls_runs):
    for _, df, _ in cls_runs.values():
        assert list(df.columns) == ["sample_id", "lon", "lat", "y_true", "y_pred", "true_class_prob",
                                    "reciprocal_rank", "hit@1", "hit@3"]
        assert not check_predictions(df, "classification")


def test_no_prior_without_images_predicts_training_class_frequencies():
    tr, te = classification_splits(seed=0)
    df, info = run_probe("geoprior", None, tr, te, seed=0)
    freq = np.bincount(tr.labels, minlength=8) / len(tr.labels)
    assert (df["y_pred"] == np.argmax(freq)).all()
    np.testing.assert_allclose(df["true_class_prob"], freq[te.labels])
    assert info["location_only"] is None


def test_product_with_image_probs_and_unlocated_fallback():
    tr, te = classification_splits(seed=1, image_probs=True, n_unlocated=30)
    df_n, info_n = run_probe("geoprior", None, tr, te, seed=0)
    df, info = run_probe("geoprior", tiny_spec(), tr, te, seed=0, **GP)
    img_true = te.image_probs[np.arange(len(te.labels)), te.labels]
    np.testing.assert_allclose(df_n["true_class_prob"], img_true, rtol=1e-6)  # no prior = p(y|I)
    un = ~np.isfinite(te.lon)
    pd.testing.assert_frame_equal(df[un].reset_index(drop=True), df_n[un].reset_index(drop=True))
    assert (df["true_class_prob"][~un] <= img_true[~un] + 1e-7).all()  # p(y|I)·p(y|x) <= p(y|I)
    assert df["hit@1"].mean() > df_n["hit@1"].mean() + 0.3
    assert info["image_only"]["top1"] == pytest.approx(100 * df_n["hit@1"].mean())
    assert info["location_only"]["n"] == int((~un).sum())


def test_same_seed_same_predictions_other_seed_differs():
    tr, te = classification_splits(seed=2, n_train=600, n_test=200)
    a, _ = run_probe("geoprior", tiny_spec(), tr, te, seed=5, epochs=3)
    b, _ = run_probe("geoprior", tiny_spec(), tr, te, seed=5, epochs=3)
    c, _ = run_probe("geoprior", tiny_spec(), tr, te, seed=6, epochs=3)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["true_class_prob"], c["true_class_prob"])


def test_frozen_encoder_keeps_its_weights():
    from dataclasses import replace

    tr, te = classification_splits(seed=0, n_train=400, n_test=100)
    spec = replace(tiny_spec(), trainable=False)
    before = TinyXYZ(seed=0).state_dict()
    mod = spec.build(seed=0)
    run_probe("geoprior", mod.requires_grad_(False), tr, te, seed=0, epochs=2)
    for k, v in mod.state_dict().items():
        torch.testing.assert_close(v, before[k])


def test_regression_location_aware_vs_mean_and_shuffled():
    tr, te = regression_splits(seed=0)
    df_n, _ = run_probe("regression", None, tr, te, seed=0)
    np.testing.assert_allclose(df_n["y_pred"], tr.targets.mean())
    # a fixed budget (early stopping, tested in test_training, stops this noisy 1,500-row run at epoch 5)
    df, info = run_probe("regression", tiny_spec(), tr, te, seed=0, epochs=30, lr=1e-2, early_stopping=False)
    r2 = regression_metrics(df)["r2"]
    assert r2 > 0.7 and regression_metrics(df_n)["r2"] < 0.01
    assert info["location_only"]["r2"] == pytest.approx(r2)
    str_, ste = regression_splits(seed=0, shuffle=True)
    df_s, _ = run_probe("regression", tiny_spec(), str_, ste, seed=0, epochs=30, lr=1e-2, early_stopping=False)
    assert regression_metrics(df_s)["r2"] < 0.15


def test_regression_with_image_features_and_several_targets():
    tr, te = regression_splits(seed=3, features=True, n_targets=2, n_train=800, n_test=200)
    df_n, info_n = run_probe("regression", None, tr, te, seed=0, epochs=10, lr=1e-2, early_stopping=False)
    df, _ = run_probe("regression", tiny_spec(), tr, te, seed=0, epochs=60, lr=1e-2, early_stopping=False)
    assert list(df.columns[3:]) == ["y_true:t0", "y_pred:t0", "y_true:t1", "y_pred:t1"]
    assert not check_predictions(df, "regression", targets=["t0", "t1"])
    m, m_n = regression_metrics(df, ["t0", "t1"]), regression_metrics(df_n, ["t0", "t1"])
    assert m["r2"] > m_n["r2"] + 0.3
    assert info_n["location_only"] is None


# ---------------------------------------------------------------- frozen-embedding probes

def test_linear_probe_equals_sklearn_with_selected_c():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    tr, te = classification_splits(seed=4, n_train=300, n_test=100)
    df, info = run_probe("linear", tiny_spec(), tr, te, seed=0)
    c = info["config"]["selected"]
    assert c in (0.01, 0.1, 1.0, 10.0)
    enc = TinyXYZ(seed=0).eval()
    with torch.no_grad():
        f = [enc(torch.tensor(np.stack([s.lon, s.lat], 1), dtype=torch.float32)).double().numpy() for s in (tr, te)]
    sc = StandardScaler().fit(f[0])
    clf = LogisticRegression(C=c, max_iter=300, random_state=0).fit(sc.transform(f[0]), tr.labels)
    want = clf.predict_proba(sc.transform(f[1]))[np.arange(100), te.labels]
    np.testing.assert_allclose(df["true_class_prob"], want, rtol=1e-4, atol=1e-6)


def test_hyperparameters_never_see_the_reported_split():
    tr, te = classification_splits(seed=5, n_train=400, n_test=120)
    te_bad = type(te)(**{**te.__dict__, "labels": (te.labels + 3) % 8})
    for probe in ("knn", "linear"):
        _, a = run_probe(probe, tiny_spec(), tr, te, seed=0)
        _, b = run_probe(probe, tiny_spec(), tr, te_bad, seed=0)
        assert a["config"]["selected"] == b["config"]["selected"]
        assert a["validation_scores"] == b["validation_scores"]


def test_knn_and_mlp_probes_on_user_embeddings_regression():
    tr, te = regression_splits(seed=6, features=True, n_train=600, n_test=200)
    for probe in ("knn", "mlp", "linear"):
        df, info = run_probe(probe, None, tr, te, seed=0, epochs=5, holdout="spatial-block")
        assert not check_predictions(df, "regression")
        assert info["holdout"] == "spatial-block" and info["n_features"] == 8
        assert regression_metrics(df)["r2"] > 0.02  # the features carry a weak signal


# ---------------------------------------------------------------- bad input

def test_bad_probe_and_task_mismatch_and_shapes():
    tr, te = classification_splits(seed=0, n_train=50, n_test=20, image_probs=True)
    with pytest.raises(NotFoundError, match="geoprior"):
        run_probe("geoprio", None, tr, te)
    with pytest.raises(InputError, match="regression"):
        run_probe("regression", None, tr, te)
    bad = type(te)(**{**te.__dict__, "image_probs": te.image_probs[:10]})
    with pytest.raises(InputError, match="image_probs"):
        run_probe("geoprior", None, tr, bad)
    narrow = type(te)(**{**te.__dict__, "image_probs": te.image_probs[:, :5]})
    with pytest.raises(InputError, match="label"):
        run_probe("geoprior", None, tr, narrow)
    with pytest.raises(InputError, match="epochs"):
        run_probe("geoprior", None, tr, te, epochs=0)
    with pytest.raises(InputError, match="CUDA|cuda"):
        if torch.cuda.is_available():
            raise InputError("cuda present: nothing to test")
        run_probe("geoprior", None, tr, te, device="cuda")


def test_sparse_image_probs_give_the_same_predictions():
    import scipy.sparse

    tr, te = classification_splits(seed=7, n_train=300, n_test=120, image_probs=True, n_unlocated=10)
    sp = type(te)(**{**te.__dict__, "image_probs": scipy.sparse.csr_matrix(te.image_probs)})
    for enc in (None, tiny_spec()):
        a, _ = run_probe("geoprior", enc, tr, te, seed=0, epochs=2)
        b, _ = run_probe("geoprior", enc, tr, sp, seed=0, epochs=2)
        pd.testing.assert_frame_equal(a, b)


def test_selection_metric_follows_primary_metric():
    from dataclasses import replace

    tr, te = classification_splits(seed=8, n_train=300, n_test=80)
    spec = replace(tr.spec, primary_metric="macro_f1")
    tr2, te2 = (type(s)(**{**s.__dict__, "spec": spec}) for s in (tr, te))
    _, info = run_probe("knn", tiny_spec(), tr2, te2, seed=0)
    assert info["config"]["selection_metric"] == "macro_f1"
    _, info = run_probe("knn", tiny_spec(), tr, te, seed=0)
    assert info["config"]["selection_metric"] == "top1"


def test_mlp_probe_classification_on_frozen_embedding():
    tr, te = classification_splits(seed=9, n_train=400, n_test=100)
    df, info = run_probe("mlp", tiny_spec(), tr, te, seed=0, epochs=10)
    assert info["config"]["mlp"]["epochs"] == 10 and info["config"]["selected"] in (0.0, 1e-4, 1e-2)
    assert classification_metrics(df)["top1"] > 80
    assert not check_predictions(df, "classification")
