"""The preset table against TorchSpatial's published runs (checkpoint names and stored params).

Without ../shared the parser is still tested on a project-side copy of a few names (below); with
it, every one of the 97 checkpoint names and the 19 stored parameter sets must equal our preset
for that (encoder, dataset).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from locbench.encoders import get_encoder
from locbench.encoders.networks import ACTIVATIONS, make_activation
from locbench.encoders.presets import DATASETS, preset_rows, preset_source, presets_for
from locbench.encoders.torchspatial_runs import (
    USED_SETTINGS,
    parse_checkpoint_name,
    stored_settings,
)
from locbench.errors import InputError

# A project-side copy of a few of TorchSpatial's pre_trained_models/ file names, chosen to cover
# every part of the grammar: meta types, no `inception_v3`, r_max, BATCH, rbf / rff extras,
# activations, prefix clashes (wrap / wrap_ffn, sphereC / sphereC+, tile_ffn -> tile).
NAMES = {
    "model_birdsnap_orig_meta_Space2Vec-theory_inception_v3_0.0100_64_0.0100000_360.000_1_256_BATCH4096_leakyrelu.pth.tar":
        ("Space2Vec-theory", "birdsnap", {"lr": 0.01, "frequency_num": 64, "min_radius": 0.01, "max_radius": 360.0,
                                          "num_hidden_layers": 1, "hidden_dim": 256, "batch_size": 4096,
                                          "activation": "leakyrelu"}),
    "model_inat_2018_rbf_0.0100_64_0.0010000_1_512_500_2.0.pth.tar":
        ("rbf", "inat2018", {"lr": 0.01, "frequency_num": 64, "min_radius": 0.001, "num_hidden_layers": 1,
                             "hidden_dim": 512, "num_rbf_anchor_pts": 500, "rbf_kernel_size": 2.0,
                             "batch_size": 1024, "activation": "relu"}),
    "model_birdsnap_orig_meta_rff_inception_v3_0.0020_64_0.1000000_1_512_1.0.pth.tar":
        ("rff", "birdsnap", {"lr": 0.002, "frequency_num": 64, "min_radius": 0.1, "num_hidden_layers": 1,
                             "hidden_dim": 512, "rbf_kernel_size": 1.0, "batch_size": 1024, "activation": "relu"}),
    "model_fmow_tile_ffn_inception_v3_0.00182000_32_0.0000026_1_512_leakyrelu.pth.tar":
        ("tile", "fmow", {"lr": 0.00182, "frequency_num": 32, "min_radius": 2.6e-6, "num_hidden_layers": 1,
                          "hidden_dim": 512, "batch_size": 1024, "activation": "leakyrelu"}),
    "model_inat_2018_wrap_0.00316757_32_0.0001197_1_256_leakyrelu.pth.tar":
        ("wrap", "inat2018", {"lr": 0.00316757, "frequency_num": 32, "min_radius": 0.0001197, "num_hidden_layers": 1,
                              "hidden_dim": 256, "batch_size": 1024, "activation": "leakyrelu"}),
    "model_inat_2018_wrap_ffn_0.01402766_64_0.0002325_1_256_leakyrelu.pth.tar":
        ("wrap_ffn", "inat2018", {"lr": 0.01402766, "frequency_num": 64, "min_radius": 0.0002325,
                                  "num_hidden_layers": 1, "hidden_dim": 256, "batch_size": 1024,
                                  "activation": "leakyrelu"}),
    "model_birdsnap_orig_meta_Sphere2Vec-sphereC+_inception_v3_0.00024812_64_0.0241464_1_1024.pth.tar":
        ("Sphere2Vec-sphereC+", "birdsnap", {"lr": 0.00024812, "frequency_num": 64, "min_radius": 0.0241464,
                                             "num_hidden_layers": 1, "hidden_dim": 1024, "batch_size": 1024,
                                             "activation": "relu"}),
    "model_nabirds_ebird_meta_Sphere2Vec-dfs_inception_v3_0.0100_8_0.0050000_1.000_3_256_BATCH4096_leakyrelu.pth.tar":
        ("Sphere2Vec-dfs", "nabirds-ebird", {"lr": 0.01, "frequency_num": 8, "min_radius": 0.005, "max_radius": 1.0,
                                             "num_hidden_layers": 3, "hidden_dim": 256, "batch_size": 4096,
                                             "activation": "leakyrelu"}),
    "model_birdsnap_ebird_meta_NeRF_inception_v3_0.0100_64_0.0200000_1_256_leakyrelu.pth.tar":
        ("NeRF", "birdsnap-ebird", {"lr": 0.01, "frequency_num": 64, "min_radius": 0.02, "num_hidden_layers": 1,
                                    "hidden_dim": 256, "batch_size": 1024, "activation": "leakyrelu"}),
    "model_nabirds_ebird_meta_NeRF_inception_v3_0.0100_16_0.1000000_1_256_sigmoid.pth.tar":
        ("NeRF", "nabirds-ebird", {"lr": 0.01, "frequency_num": 16, "min_radius": 0.1, "num_hidden_layers": 1,
                                   "hidden_dim": 256, "batch_size": 1024, "activation": "sigmoid"}),
}


# --- the parser, on the project-side names ---------------------------------------------------------
@pytest.mark.parametrize("name", list(NAMES))
def test_parse_checkpoint_name(name):
    encoder, dataset, settings = NAMES[name]
    run = parse_checkpoint_name(name)
    assert (run.encoder, run.dataset, run.checkpoint) == (encoder, dataset, name)
    assert run.settings == settings


def test_parse_keeps_printed_precision():
    run = parse_checkpoint_name("model_fmow_tile_ffn_inception_v3_0.00182000_32_0.0000026_1_512_leakyrelu.pth.tar")
    assert run.decimals == {"lr": 8, "min_radius": 7}
    assert run.agrees("min_radius", 2.57e-6)  # the stored value, printed as 0.0000026
    assert not run.agrees("min_radius", 2.4e-6)
    assert run.agrees("lr", 0.00182) and not run.agrees("lr", 0.0018)
    assert run.agrees("hidden_dim", 512) and not run.agrees("hidden_dim", 256)
    # only what TorchSpatial's tile reads: no frequency_num, no min_radius (never reaches the grid)
    assert set(run.used()) == {"lr", "batch_size", "num_hidden_layers", "hidden_dim", "activation"}


@pytest.mark.parametrize("bad,match", [
    ("model_fmow_xyz_inception_v3_0.0050_64_0.0005000_1_512.pt", "must look like"),
    ("model_imagenet_xyz_0.0050_64_0.0005000_1_512.pth.tar", "unknown dataset"),
    ("model_fmow_hexagrid_0.0050_64_0.0005000_1_512.pth.tar", "unknown encoder"),
    ("model_fmow_xyz_inception_v3_0.0050_64_0.0005000_512.pth.tar", "expected 5"),
    ("model_fmow_rbf_inception_v3_0.0050_64_0.0005000_1_512_2.0.pth.tar", "expected 7"),
    ("model_fmow_xyz_inception_v3_0.0050_64_abc_1_512.pth.tar", "expected a number"),
])
def test_parse_rejects_malformed_names(bad, match):
    with pytest.raises(InputError, match=match):
        parse_checkpoint_name(bad)


def test_stored_settings_rename_and_drop_unrecorded_epochs():
    params = {"batch_size": 8192, "lr": 0.02, "num_epochs": 0, "num_hidden_layer": 1, "spa_f_act": "leakyrelu",
              "map_range": [-162, -59, 20, 56], "num_filts": 256, "use_layn": True, "spa_enc_type": "x"}
    assert stored_settings(params) == {"batch_size": 8192, "lr": 0.02, "num_hidden_layers": 1,
                                       "activation": "leakyrelu", "extent": [-162.0, -59.0, 20.0, 56.0],
                                       "output_dim": 256, "layernorm": True}
    assert stored_settings({"num_epochs": 30})["epochs"] == 30


# --- the shipped table on its own -------------------------------------------------------------------
def test_table_rows_are_well_formed():
    rows = preset_rows()
    pairs = [(r.encoder, r.dataset) for r in rows]
    assert len(pairs) == len(set(pairs)) == 97 + 7  # the published runs + spherical harmonics' run scripts
    for r in rows:
        spec = get_encoder(r.encoder)
        assert spec.name == r.encoder and r.dataset in DATASETS and r.source and r.epochs_source
        allowed = set(USED_SETTINGS.get(r.encoder, ("lr", "num_hidden_layers", "hidden_dim", "activation")))
        assert set(r.settings) - {"epochs"} <= allowed, (r.encoder, r.dataset)
        assert r.settings.get("activation", "relu") in ACTIVATIONS and r.settings["epochs"] >= 1
        assert set(r.settings) - {"extent"} <= set(spec.preset(r.dataset))
        assert r.source.startswith("model_") == (r.encoder != "spherical_harmonics")
        assert preset_source(r.encoder, r.dataset) is r
    assert sum(r.stored_params for r in rows) == 19
    assert preset_source("tile", "yfcc") is None  # TorchSpatial published no tile run on YFCC


def test_table_presets_reach_the_encoders():
    p = get_encoder("Space2Vec-theory").preset("birdsnap-ebird")  # 0.8 top-1 points from the old 1024 + relu
    assert (p["batch_size"], p["activation"], p["hidden_dim"]) == (4096, "leakyrelu", 256)
    assert get_encoder("Sphere2Vec-sphereC").preset("birdsnap")["min_radius"] == 0.0979282
    assert get_encoder("NeRF").preset("fmow")["epochs"] == 30  # stored num_epochs
    assert get_encoder("rff").preset("fmow")["extent"] == [-162.0, -59.0, 20.0, 56.0]  # stored map_range
    assert get_encoder("rff").preset("inat2018")["extent"] == [-180.0, 180.0, -90.0, 90.0]  # unknown: ours
    assert get_encoder("NeRF").preset("birdsnap-ebird")["frequency_num"] == 16  # the name's 64 is inert
    assert presets_for("no_prior") == {} and presets_for("GeoCLIP") == {}


@pytest.mark.parametrize("encoder", sorted({r.encoder for r in preset_rows()}))
def test_every_preset_builds(encoder):
    spec = get_encoder(encoder)
    train = [[0.0, 0.0], [10.0, 20.0], [-70.0, 40.0]]
    for ds in spec.preset_names():
        hp = spec.preset(ds)
        enc = spec.build(seed=0, preset=ds, train_lonlat=train, output_dim=4)
        assert enc.pe_dim == spec.pe_dim({**hp, "output_dim": 4})
        if "hidden_dim" in hp and encoder != "wrap":
            assert enc.net.layers[0].linear.out_features == hp["hidden_dim"]
            assert len(enc.net.layers) == hp["num_hidden_layers"] + 1
            assert type(enc.net.layers[0].act) is type(make_activation(hp["activation"]))


# --- against TorchSpatial's published runs (../shared) -------------------------------------------
def _runs_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "torchspatial" / "pretrained_models"


@pytest.mark.shared
def test_every_published_checkpoint_equals_our_preset(shared_dir):
    names = _runs_dir(shared_dir).joinpath("checkpoint_file_names.txt").read_text(encoding="utf-8").split()
    assert len(names) == 97
    runs = [parse_checkpoint_name(n) for n in names]
    assert len({(r.encoder, r.dataset) for r in runs}) == 97
    mismatches = []
    for run in runs:
        row = preset_source(run.encoder, run.dataset)
        assert row is not None and row.source == run.checkpoint
        preset = get_encoder(run.encoder).preset(run.dataset)
        for key, value in run.used().items():
            if not run.agrees(key, preset[key]):
                mismatches.append(f"{run.encoder} {run.dataset} {key}: ours {preset[key]} vs published {value}")
    assert not mismatches, "\n".join(mismatches)
    published = {r.checkpoint for r in runs}
    assert {r.source for r in preset_rows() if r.encoder != "spherical_harmonics"} == published
    print(f"\n{len(runs)} checkpoint names, {sum(len(r.used()) for r in runs)} used settings: all equal our presets")


FFN_SHARED = ("output_dim", "dropout", "layernorm", "skip_connection")


@pytest.mark.shared
def test_every_stored_parameter_set_equals_our_preset(shared_dir):
    stored = json.loads(_runs_dir(shared_dir).joinpath("stored_params.json").read_text(encoding="utf-8"))
    assert len(stored) == 19
    for name, params in stored.items():
        run = parse_checkpoint_name(name)
        row = preset_source(run.encoder, run.dataset)
        assert row is not None and row.stored_params
        settings = stored_settings(params)
        preset = get_encoder(run.encoder).preset(run.dataset)
        for key, value in settings.items():
            if key in run.settings:  # the two sources agree with each other at the name's precision
                assert run.agrees(key, value), (name, key)
        checked = set(USED_SETTINGS[run.encoder]) | {"epochs"}
        checked |= set(FFN_SHARED) if run.encoder != "wrap" else {"output_dim", "dropout"}
        for key in sorted(checked & set(settings)):
            assert preset[key] == settings[key], (name, key, preset[key], settings[key])
        if "epochs" in settings:
            assert row.epochs_source == "stored params"


# --- `locbench evaluate --batch-size / --activation` -------------------------------------------
@pytest.fixture(scope="module")
def birds_root(tmp_path_factory) -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "data"))
    from make_dataset_fixtures import write_fixture

    root = tmp_path_factory.mktemp("data")
    write_fixture("birdsnap", root, seed=0, n=60, num_classes=4, class_regions="auto", image_signal=0.5)
    return root


def test_evaluate_sets_batch_size_and_activation_and_records_them(birds_root, tmp_path, capsys):
    from locbench.cli import main

    code = main(["evaluate", "-e", "no_prior", "-e", "Space2Vec-theory", "-d", "birdsnap", "--data-root",
                 str(birds_root), "--epochs", "1", "--out", str(tmp_path), "--threads", "1",
                 "--batch-size", "7", "--activation", "tanh", "--no-geobias"])
    assert code == 0, capsys.readouterr().err
    run = json.loads((tmp_path / "locbench-space2vec-theory" / "birdsnap.run.json").read_text())
    assert (run["config"]["batch_size"], run["config"]["activation"]) == (7, "tanh")
    assert run["probe_info"]["config"]["batch_size"] == 7  # what the probe trained with
    assert run["config"]["encoder_hparams"]["activation"] == "tanh"
    assert run["config"]["encoder_hparams"]["hidden_dim"] == 256  # the rest of the birdsnap preset stays
    base = json.loads((tmp_path / "locbench-no_prior" / "birdsnap.run.json").read_text())
    assert base["config"]["activation"] == "tanh" and base["config"]["encoder_hparams"] == {}


def test_evaluate_without_overrides_uses_the_preset(birds_root, tmp_path):
    from locbench.evaluate import evaluate

    evaluate(["Space2Vec-theory"], ["birdsnap"], data_root=str(birds_root), epochs=1, out=tmp_path,
             geobias=False, threads=1)
    run = json.loads((tmp_path / "locbench-space2vec-theory" / "birdsnap.run.json").read_text())
    assert (run["config"]["batch_size"], run["config"]["activation"]) == (None, None)
    assert run["probe_info"]["config"]["batch_size"] == 4096  # BATCH4096 in the published birdsnap run
    assert run["config"]["encoder_hparams"]["activation"] == "leakyrelu"


@pytest.mark.parametrize("args, needle", [
    (["-e", "xyz", "--activation", "swish"], "--activation must be one of"),
    (["-e", "xyz", "-e", "wrap", "--activation", "relu"], "'wrap' has no activation"),
    (["-e", "xyz", "--batch-size", "0"], "batch-size"),
    (["-e", "xyz", "--batch-size", "64", "--probe", "knn"], "probe 'knn'"),
])
def test_evaluate_bad_training_overrides_exit_2(args, needle, birds_root, tmp_path, capsys):
    from locbench.cli import main

    code = main(["evaluate", *args, "-d", "birdsnap", "--data-root", str(birds_root), "--out", str(tmp_path),
                 "--epochs", "1"])
    assert code == 2 and needle in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_evaluate_help_names_the_overrides(capsys):
    from locbench.cli import main

    assert main(["evaluate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--batch-size" in out and "--activation" in out and "leakyrelu" in out
