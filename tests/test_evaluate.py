"""`locbench evaluate` end to end on seeded fixtures in the LocBench on-disk layout.

Fixtures come from tests/data/make_dataset_fixtures.py (the datasets area's generator): every class
lives in its own longitude band, and the image predictions carry a weak signal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main
from locbench.evaluate import citation_authors, evaluate, model_id_for
from locbench.metrics import classification_metrics
from locbench.predictions import read_predictions
from locbench.probes import run_probe

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_dataset_fixtures import write_fixture  # noqa: E402

CARD_FIELDS = {"model_id", "name", "authors", "paper_url", "code_url", "licence", "encoder_family",
               "n_parameters", "pretraining_data", "contact", "date", "description"}


@pytest.fixture(scope="module")
def birds_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_fixture("birdsnap", root, seed=0, n=60, num_classes=4, class_regions="auto", image_signal=0.5)
    return root


@pytest.fixture(scope="module")
def big_birds_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bigdata")
    write_fixture("birdsnap", root, seed=1, n=600, num_classes=6, class_regions="auto", image_signal=0.3)
    return root


@pytest.fixture(scope="module")
def cli_run(birds_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    return out


def test_model_ids_and_authors():
    assert model_id_for("Sphere2Vec-sphereM") == "locbench-sphere2vec-spherem"
    assert model_id_for("Siren(SH) v2") == "plugin-siren-sh--v2"  # not a registered encoder: not our namespace
    assert model_id_for("Sphere2Vec-sphereC+") == "locbench-sphere2vec-spherec-plus"
    assert citation_authors("Mac Aodha, Cole, Perona. Presence-Only Priors. ICCV 2019.") == ["Mac Aodha", "Cole", "Perona"]
    assert citation_authors("Rahimi & Recht. Random Features. NeurIPS 2007.") == ["Rahimi", "Recht"]
    assert citation_authors("Mai et al. Sphere2Vec. ISPRS J. 2023.") == ["Mai et al."]


def test_cli_tiny_run_writes_submission_folders_and_prints_summary(birds_root, cli_run, capsys):
    code = main(["evaluate", "-e", "no_prior", "-e", "xyz", "-d", "birdsnap", "--data-root", str(birds_root),
                 "--epochs", "2", "--out", str(cli_run), "--threads", "1"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "locbench evaluate" in printed and "locbench-xyz" in printed and "geo-bias ↓" in printed
    for mid in ("locbench-no_prior", "locbench-xyz"):
        folder = cli_run / mid
        assert sorted(p.name for p in folder.iterdir()) == ["birdsnap.csv", "birdsnap.result.json",
                                                           "birdsnap.run.json", "submission.json"]
        card = json.loads((folder / "submission.json").read_text())
        assert set(card) == CARD_FIELDS and card["model_id"] == mid and isinstance(card["authors"], list)
        df = read_predictions(folder / "birdsnap.csv", "classification")
        assert list(df.columns) == ["sample_id", "lon", "lat", "y_true", "y_pred", "true_class_prob",
                                    "reciprocal_rank", "hit@1", "hit@3"]
        result = json.loads((folder / "birdsnap.result.json").read_text())
        assert result["model_id"] == mid and result["dataset"] == "birdsnap" and result["source"] == "evaluate"
        assert result["metrics"]["top1"] == pytest.approx(100 * df["hit@1"].mean())
        assert result["geobias"]["status"] == "ok" and "marked_ssi" in result["geobias"]["summary"]
        run = json.loads((folder / "birdsnap.run.json").read_text())
        assert run["seed"] == 0 and run["device"] == "cpu" and run["probe"] == "geoprior"
        assert run["config"]["epochs"] == 2 and run["hardware"]["cpu_count"] >= 1
        assert run["hardware"]["torch_threads"] == 1 == run["probe_info"]["torch_threads"]
        assert {"torch", "locbench", "georbias", "numpy"} <= set(run["versions"])
        assert {"train", "metrics_and_geobias", "total"} <= set(run["timings_s"])
    assert card["encoder_family"] == "3D" and card["n_parameters"] > 0


def test_output_folder_is_a_valid_submission(cli_run, birds_root):
    from locbench.submissions import validate_submission

    checked = validate_submission(cli_run / "locbench-xyz", data_root=birds_root)
    assert checked.model_id == "locbench-xyz" and [e.dataset for e in checked.entries] == ["birdsnap"]
    assert checked.entries[0].verified


def test_same_seed_same_files(birds_root, tmp_path):
    kw = dict(encoders=["Sphere2Vec-sphereM"], datasets=["birdsnap"], epochs=2, data_root=str(birds_root),
              geobias=False, threads=1)
    evaluate(out=tmp_path / "a", seed=3, **kw)
    evaluate(out=tmp_path / "b", seed=3, **kw)
    evaluate(out=tmp_path / "c", seed=4, **kw)
    a, b, c = ((tmp_path / x / "locbench-sphere2vec-spherem" / "birdsnap.csv").read_bytes() for x in "abc")
    assert a == b and a != c
    ra, rb = (json.loads((tmp_path / x / "locbench-sphere2vec-spherem" / "birdsnap.result.json").read_text())
              for x in "ab")
    assert ra["predictions_sha256"] == rb["predictions_sha256"] and ra["metrics"] == rb["metrics"]


def test_location_aware_beats_no_prior_in_locbench_layout_and_shuffle_does_not(big_birds_root):
    from locbench.datasets import load_split

    tr = load_split("birdsnap", "train", data_root=big_birds_root)
    te = load_split("birdsnap", data_root=big_birds_root)
    kw = dict(seed=0, epochs=8, threads=1, lr=1e-2)
    top1 = {}
    for name, enc in (("none", "no_prior"), ("loc", "Sphere2Vec-sphereM")):
        df, info = run_probe("geoprior", enc, tr, te, **kw)
        top1[name] = classification_metrics(df)["top1"]
    assert info["location_only"]["top1"] > 90  # classes live in disjoint longitude bands
    rng = np.random.default_rng(0)
    shuffled = [s.subset(np.arange(len(s))) for s in (tr, te)]
    for s in shuffled:
        perm = rng.permutation(len(s))
        s.lon, s.lat = s.lon[perm], s.lat[perm]
    df, _ = run_probe("geoprior", "Sphere2Vec-sphereM", shuffled[0], shuffled[1], **kw)
    top1["shuffled"] = classification_metrics(df)["top1"]
    assert top1["loc"] > top1["none"] + 40, top1
    assert top1["shuffled"] < top1["none"] + 8, top1


@pytest.mark.parametrize("args, needle", [
    (["-e", "not-an-encoder", "-d", "birdsnap"], "encoder"),
    (["-e", "xyz", "-d", "birdsnapp"], "birdsnap"),
    (["-e", "xyz", "-d", "birdsnap", "--probe", "regression"], "regression"),
    (["-e", "xyz", "-d", "birdsnap", "--probe", "lasso"], "probe"),
    (["-e", "xyz", "-d", "birdsnap", "--holdout", "kfold"], "holdout"),
    (["-e", "xyz", "-e", "xyz", "-d", "birdsnap"], "same model id"),
])
def test_bad_arguments_exit_2(args, needle, birds_root, tmp_path, capsys):
    code = main(["evaluate", *args, "--data-root", str(birds_root), "--out", str(tmp_path), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and needle in err
    assert not any(tmp_path.iterdir())  # nothing trained, nothing written


def test_missing_data_and_cuda_exit_2(tmp_path, capsys):
    code = main(["evaluate", "-e", "xyz", "-d", "birdsnap", "--data-root", str(tmp_path / "empty"), "--out", str(tmp_path)])
    assert code == 2 and capsys.readouterr().err.startswith("error:")
    import torch

    if not torch.cuda.is_available():
        code = main(["evaluate", "-e", "xyz", "-d", "birdsnap", "--device", "cuda", "--out", str(tmp_path)])
        assert code == 2 and "CUDA" in capsys.readouterr().err


def test_help_has_examples(capsys):
    assert main(["evaluate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "locbench evaluate --encoder" in out and "--holdout" in out and "--max-train-rows" in out


def test_gair_task_defaults_to_linear_probe_on_embeddings(tmp_path):
    write_fixture("gair-socioeconomic", tmp_path / "d", seed=0, n=80)
    out = evaluate(["no_prior"], ["gair-socioeconomic"], data_root=str(tmp_path / "d"), out=tmp_path / "o",
                   geobias=False, threads=1)
    assert out[0].probe == "linear" and out[0].primary_metric == "r2"
    df = pd.read_csv(tmp_path / "o" / "locbench-no_prior" / "gair-socioeconomic.csv")
    assert "y_pred:popden_cbg" in df.columns and len(df) == 80


def test_module_factory_encoder_reference(birds_root, tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "plugins" / "toy_encoder_plugin"))
    code = main(["evaluate", "-e", "locbench_toy_encoder:make_spec", "-d", "birdsnap", "--data-root", str(birds_root),
                 "--epochs", "1", "--out", str(tmp_path), "--no-geobias", "--threads", "1"])
    assert code == 0, capsys.readouterr().err
    card = json.loads((tmp_path / "plugin-toy-cosine" / "submission.json").read_text())
    assert card["encoder_family"] == "plugin" and card["n_parameters"] > 0
    result = json.loads((tmp_path / "plugin-toy-cosine" / "birdsnap.result.json").read_text())
    assert result["geobias"]["status"] == "not computed"


def test_embedded_dataset_small_budget_location_beats_no_prior(tmp_path):
    outs = evaluate(["no_prior", "Sphere2Vec-sphereM"], ["embedded-cities-continent"], epochs=2, max_train_rows=2000,
                    out=tmp_path, geobias=False, threads=1)
    top1 = {o.encoder: o.primary_value for o in outs}
    assert top1["Sphere2Vec-sphereM"] > top1["no_prior"] + 30, top1
    run = json.loads((tmp_path / "locbench-sphere2vec-spherem" / "embedded-cities-continent.run.json").read_text())
    assert run["config"]["n_train_rows_used"] == 2000 and run["config"]["n_train_rows_available"] > 2000
    assert outs[1].location_only == pytest.approx(top1["Sphere2Vec-sphereM"])  # no image predictions
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["model_id"] for r in summary["runs"]] == ["locbench-no_prior", "locbench-sphere2vec-spherem"]


def test_model_id_override_for_user_embeddings(tmp_path, capsys):
    write_fixture("geobs-eurosat", tmp_path / "d", seed=0, n=60, class_regions="auto")
    code = main(["evaluate", "-e", "no_prior", "-d", "geobs-eurosat", "--data-root", str(tmp_path / "d"),
                 "--model-id", "my-geofm", "--out", str(tmp_path / "o"), "--no-geobias", "--threads", "1"])
    assert code == 0, capsys.readouterr().err
    card = json.loads((tmp_path / "o" / "my-geofm" / "submission.json").read_text())
    assert card["model_id"] == "my-geofm" and card["authors"] == ["unknown"] and card["encoder_family"] == "other"
    result = json.loads((tmp_path / "o" / "my-geofm" / "geobs-eurosat.result.json").read_text())
    assert result["run"]["probe"] == "linear"
    code = main(["evaluate", "-e", "no_prior", "-e", "xyz", "-d", "geobs-eurosat", "--model-id", "x",
                 "--data-root", str(tmp_path / "d"), "--out", str(tmp_path / "o2")])
    assert code == 2 and "--model-id" in capsys.readouterr().err
    assert main(["evaluate", "-e", "xyz", "-d", "geobs-eurosat", "--model-id", "../up", "--out", str(tmp_path)]) == 2


def test_summary_table_bolds_the_best_value_per_dataset_in_its_direction():
    """Controlled case for the one 'best' mark of the CLI table: higher R² and lower MAE win, per dataset,
    and a tie marks both; the geo-bias column is never marked best."""
    from locbench.commands.evaluate import summary_table
    from locbench.evaluate import RunOutcome

    def run(model: str, dataset: str, metric: str, value: float, hib: bool) -> RunOutcome:
        return RunOutcome(model_id=model, encoder=model, dataset=dataset, probe="regression", task_type="regression",
                          primary_metric=metric, primary_value=value, higher_is_better=hib, geobias=0.1,
                          geobias_significant=True, location_only=None, seconds=1.0)

    rows = [run("a", "d1", "r2", 0.5, True), run("b", "d1", "r2", 0.7, True), run("c", "d1", "r2", 0.7, True),
            run("a", "d2", "mae", 12.0, False), run("b", "d2", "mae", 10.0, False)]
    table = summary_table(rows)
    value = list(table.columns[4]._cells)
    assert value == ["0.500", "[bold]0.700[/bold]", "[bold]0.700[/bold]", "12.000", "[bold]10.000[/bold]"]
    assert not any("[bold]" in c for c in table.columns[5]._cells)
