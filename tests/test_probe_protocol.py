"""The probe registry, the frozen-head protocol, the CoordBench-style probes, quick-run isolation in
`submit` and the pretrained weights option."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from locbench.cli import main
from locbench.datasets import load_split
from locbench.errors import InputError, NotFoundError
from locbench.probes import REGISTRY, Probe, check_probe, get_probe, register_probe, run_probe


def _subset(name: str, n_train: int, n_test: int, seed: int = 0):
    train, test = load_split(name, split="train"), load_split(name, split="test")
    rng = np.random.default_rng(seed)
    return (train.subset(np.sort(rng.choice(len(train.sample_ids), n_train, replace=False))),
            test.subset(np.sort(rng.choice(len(test.sample_ids), n_test, replace=False))))


class CountingEncoder(torch.nn.Module):
    """A frozen random feature map that counts the rows it embeds."""

    output_dim = 32

    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(3, 32)
        g = torch.Generator().manual_seed(0)  # the same map every time it is built
        with torch.no_grad():
            self.lin.weight.copy_(torch.randn(32, 3, generator=g))
            self.lin.bias.copy_(torch.randn(32, generator=g))
        for p in self.parameters():
            p.requires_grad_(False)
        self.rows = 0

    def forward(self, lonlat: torch.Tensor) -> torch.Tensor:
        self.rows += len(lonlat)
        lon, lat = torch.deg2rad(lonlat[:, 0]), torch.deg2rad(lonlat[:, 1])
        xyz = torch.stack([torch.cos(lat) * torch.cos(lon), torch.cos(lat) * torch.sin(lon), torch.sin(lat)], 1)
        return torch.sin(3.0 * self.lin(xyz))


# ----------------------------------------------------------------------------------------- registry

def test_registry_declares_capabilities_once() -> None:
    assert get_probe("geoprior").tasks == ("classification",) and get_probe("geoprior").trains_in_batches
    assert get_probe("knn").handles("regression") and not get_probe("knn").trains_in_batches
    assert {"coordbench-linear", "coordbench-knn"} <= set(REGISTRY)
    with pytest.raises(NotFoundError):
        get_probe("lasso")
    with pytest.raises(InputError, match="coordbench-linear"):  # the alternatives come from the registry
        check_probe("geoprior", "regression")
    with pytest.raises(InputError, match="already registered"):
        register_probe(Probe("knn", ("classification",), "x:y", "dup"))


def test_a_registered_probe_runs_through_run_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    mod = types.ModuleType("_toy_probe_mod")

    def run(name, encoder, train, test, **kw):  # noqa: ANN001, ANN202
        from locbench.probes.common import rank_all

        scores = np.ones((len(test.sample_ids), 7))
        return rank_all(test, scores, np.asarray(test.labels)), {"probe": name, "saw": sorted(kw)}

    mod.run = run
    monkeypatch.setitem(sys.modules, "_toy_probe_mod", mod)
    monkeypatch.setitem(REGISTRY, "toy", Probe("toy", ("classification",), "_toy_probe_mod:run", "toy", named=True))
    train, test = _subset("embedded-cities-continent", 50, 20)
    df, info = run_probe("toy", None, train, test)
    assert info["probe"] == "toy" and "training" in info["saw"] and len(df) == 20


# ------------------------------------------------------------------------------------- frozen head

def test_frozen_geoprior_embeds_once_and_selects_on_validation() -> None:
    train, test = _subset("embedded-land-sea", 1500, 400)
    enc = CountingEncoder()
    df, info = run_probe("geoprior", enc, train, test, seed=0)
    from locbench.probes.geoprior import FROZEN_BACKGROUND_POOL

    # train rows + background pool + test rows, once each: not once per epoch
    assert enc.rows == 1500 + FROZEN_BACKGROUND_POOL + 400
    sel = info["selection"]
    search = sel["search"]
    assert sel["validation_rows"] == 300 and len(sel["trials"]) == len(search["lrs"]) * len(search["weight_decays"])
    assert tuple(search["losses"]) == ("presence",) and max(search["weight_decays"]) >= 1e-2
    win = max(sel["trials"], key=lambda t: (t["val_metric"], -t["val_loss"]))
    logistic = sel["logistic"]
    assert logistic["val_metric"] == max(logistic["val_top1"].values())
    if logistic["val_metric"] > win["val_metric"]:  # the multinomial read-out validated better
        assert sel["selected"] == {"loss": "logistic", "C": logistic["C"]} and info["loss_per_epoch"] == []
    else:
        assert sel["selected"] == {"loss": "presence", "lr": win["lr"], "weight_decay": win["weight_decay"],
                                   "epochs": win["best_epoch"]}
        assert len(info["loss_per_epoch"]) == sel["selected"]["epochs"]  # the refit trains the selected epochs
    assert info["config"]["protocol"] == "frozen-head"


def test_frozen_head_stops_early_and_epochs_cap() -> None:
    train, test = _subset("embedded-land-sea", 1500, 300)
    _, info = run_probe("geoprior", CountingEncoder(), train, test, seed=0)
    assert any(t["stopped_early"] for t in info["selection"]["trials"])
    _, capped = run_probe("geoprior", CountingEncoder(), train, test, seed=0, epochs=3)
    assert all(t["epochs_run"] <= 3 for t in capped["selection"]["trials"])


def test_frozen_regression_beats_train_mean_and_is_deterministic() -> None:
    train, test = _subset("embedded-elevation-location", 1500, 400)
    df1, info = run_probe("regression", CountingEncoder(), train, test, seed=1)
    df2, _ = run_probe("regression", CountingEncoder(), train, test, seed=1)
    assert df1.equals(df2)
    assert info["location_only"]["r2"] > 0.3 and info["selection"]["selection_metric"] == "r2"


# -------------------------------------------------------------------------------------- coordbench

def test_coordbench_spatial_folds_keep_cells_whole() -> None:
    from locbench.datasets.holdout import lonlat_block_ids
    from locbench.probes.coordbench import fold_ids

    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(-180, 180, 3000), rng.uniform(-80, 80, 3000)
    folds = fold_ids(lon, lat, k=5, method="spatial-block", seed=0)
    cells = lonlat_block_ids(lon, lat)
    for c in np.unique(cells):
        assert len(np.unique(folds[cells == c])) == 1
    assert set(np.unique(folds)) == set(range(5))
    assert np.array_equal(np.bincount(fold_ids(lon, lat, k=5, method="random", seed=0)), [600] * 5)


def test_coordbench_linear_regression_is_sklearn_ridge_at_the_cv_alpha() -> None:
    from sklearn.linear_model import Ridge

    train, test = _subset("embedded-elevation-location", 1200, 300)
    enc = CountingEncoder()
    df, info = run_probe("coordbench-linear", enc, train, test, seed=0, holdout="spatial-block")
    cfg = info["config"]
    cv = cfg["cv_scores"]
    assert cfg["selected"] == max(cfg["grid"], key=lambda a: (cv[str(a)], a))  # ties -> larger alpha
    with torch.no_grad():
        emb = lambda s: enc(torch.tensor(np.stack([s.lon, s.lat], 1), dtype=torch.float32)).double().numpy()  # noqa: E731
    xtr, xte = emb(train), emb(test)
    mu, sd = xtr.mean(0), xtr.std(0)
    y = np.asarray(train.targets, dtype=np.float64).reshape(len(xtr), -1)
    ym, ys = y.mean(0), y.std(0)
    want = Ridge(alpha=cfg["selected"]).fit((xtr - mu) / sd, (y - ym) / ys).predict((xte - mu) / sd).reshape(-1, 1)
    got = df.filter(like="y_pred").to_numpy(float)
    np.testing.assert_allclose(got, want * ys + ym, rtol=1e-6, atol=1e-6)


def test_coordbench_knn_is_five_neighbours() -> None:
    train, test = _subset("embedded-cities-continent", 800, 200)
    df, info = run_probe("coordbench-knn", CountingEncoder(), train, test, seed=0)
    assert info["config"]["selected"] == 5 and df["hit@1"].mean() > 0.5


# ------------------------------------------------------------------------ quick runs and --replace

@pytest.fixture(scope="module")
def full_and_quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A full no-prior run of embedded-land-sea submitted into a root, and a quick twin of it."""
    from locbench.evaluate import evaluate
    from locbench.submissions import submit

    base = tmp_path_factory.mktemp("quick")
    evaluate(["no_prior"], ["embedded-land-sea"], out=base / "runs", geobias=False)
    full = base / "runs" / "locbench-no_prior"
    root = base / "root"
    submit(full, root=root, geobias=False)
    quick = base / "quick" / "locbench-no_prior"
    shutil.copytree(full, quick)
    run = json.loads((quick / "embedded-land-sea.run.json").read_text())
    run["config"].update({"quick_default_run": True, "epochs": 5, "max_train_rows": 10000})
    (quick / "embedded-land-sea.run.json").write_text(json.dumps(run))
    return root, full, quick


def test_submitted_result_records_the_schedule(full_and_quick: tuple[Path, Path, Path]) -> None:
    root, _, _ = full_and_quick
    res = json.loads((root / "results" / "locbench-no_prior" / "embedded-land-sea.json").read_text())
    assert res["run"]["schedule"]["quick"] is False and res["run"]["schedule"]["probe"] == "geoprior"


def test_quick_run_does_not_replace_a_full_result(full_and_quick: tuple[Path, Path, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from locbench.submissions import submit

    root, _, quick = full_and_quick
    target = root / "results" / "locbench-no_prior" / "embedded-land-sea.json"
    before = target.read_bytes()
    with pytest.raises(InputError, match="quick run") as err:
        submit(quick, root=root, geobias=False)
    assert str(target) in str(err.value) and "full run" in str(err.value)
    code = main(["submit", str(quick), "--root", str(root), "--no-geobias"])
    msg = capsys.readouterr().err
    assert code == 2 and "embedded-land-sea.json" in msg and "--replace" in msg
    assert target.read_bytes() == before  # nothing changed
    assert main(["submit", str(quick), "--root", str(root), "--no-geobias", "--replace"]) == 0
    assert json.loads(target.read_text())["run"]["schedule"]["quick"] is True


def test_quick_default_run_is_labelled() -> None:
    from locbench.commands.evaluate import summary_table, table_caption
    from locbench.evaluate import QUICK_BUDGET, RunOutcome

    assert "QUICK RUN" in table_caption(quick=True) and "QUICK RUN" not in table_caption()
    assert f"{QUICK_BUDGET['classification'][0]} epochs" in table_caption(quick=True)
    row = RunOutcome(model_id="m", encoder="m", dataset="d", probe="geoprior", task_type="classification",
                     primary_metric="top1", primary_value=1.0, higher_is_better=True, geobias=None,
                     geobias_significant=None, location_only=None, seconds=1.0, quick=True)
    assert "QUICK RUN" in summary_table([row]).title


def test_quick_run_trains_exactly_its_epochs_on_all_its_rows(tmp_path: Path) -> None:
    """The quick look skips the validation carve and the refit: its budget is the whole schedule."""
    from locbench.datasets.registry import get_dataset
    from locbench.encoders.catalog import get_encoder
    from locbench.evaluate import evaluate_one, prepare_data

    data = prepare_data(get_dataset("embedded-land-sea"), seed=0, epochs=2, max_train_rows=600, data_root=None,
                        holdout="random", probe=None, quick=True)
    evaluate_one(get_encoder("tile"), data, tmp_path, model_id="quick-tile", seed=0, device="cpu", geobias=False,
                 threads=1)
    training = json.loads((tmp_path / "embedded-land-sea.run.json").read_text())["probe_info"]["training"]
    assert training["early_stopping"] is False and training["validation_rows"] == 0
    assert training["epochs_run"] == 2 and training["refit"] is None


# ------------------------------------------------------------------------------------ weights option

def test_encoder_weights_option_checks_and_records_sha(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from locbench.encoders.geoclip import geoclip_available, weights_path
    from locbench.hashing import sha256_file

    code = main(["evaluate", "-e", "GeoCLIP", "-d", "embedded-land-sea", "--encoder-weights",
                 str(tmp_path / "missing.pth"), "--out", str(tmp_path / "o")])
    assert code == 2 and "missing.pth" in capsys.readouterr().err
    dummy = tmp_path / "w.pth"
    dummy.write_bytes(b"x")
    code = main(["evaluate", "-e", "xyz", "-d", "embedded-land-sea", "--encoder-weights", str(dummy),
                 "--out", str(tmp_path / "o")])
    assert code == 2 and "no pretrained weights" in capsys.readouterr().err
    if not geoclip_available():
        pytest.skip("geoclip wheel (weights) not installed")
    copy = tmp_path / "geoclip.pth"
    shutil.copy(weights_path(), copy)
    code = main(["evaluate", "-e", "GeoCLIP", "-d", "embedded-cities-continent", "--encoder-weights", str(copy),
                 "--max-train-rows", "300", "--epochs", "2", "--no-geobias", "--out", str(tmp_path / "g")])
    assert code == 0
    folder = tmp_path / "g" / "locbench-geoclip"
    run = json.loads((folder / "embedded-cities-continent.run.json").read_text())
    assert run["config"]["encoder_weights"] == {"path": str(copy.resolve()), "sha256": sha256_file(copy)}
    assert json.loads((folder / "submission.json").read_text())["weights_sha256"] == sha256_file(copy)
