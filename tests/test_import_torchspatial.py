"""TorchSpatial import: file names, coordinate repairs (verified), and the published numbers.

Synthetic tests build TorchSpatial-format files from a seeded generator here; the reference tests
read ../shared/reference/torchspatial (skipped when absent).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main
from locbench.errors import InputError
from locbench.importers.torchspatial import ENCODERS, import_torchspatial, model_id_for, parse_name
from locbench.cards import check_card
from locbench.submissions import validate_submission

N_BIRD = 2262  # BirdSnap test rows (registry n_eval_rows), so imported folders pass validation


# ----------------------------------------------------------------------------- synthetic files

def _write(path: Path, df: pd.DataFrame, index: bool) -> None:
    text = df.to_csv(index=index)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)


def make_classification(folder: Path, *, prefix: str = "eval_birdsnap_orig_meta_test", n: int = N_BIRD,
                        seed: int = 0) -> dict[str, np.ndarray]:
    """no_prior + NeRF + 'xyz copy' + wrap (.csv.gz) files with TorchSpatial's quirks."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-125, -65, n), rng.uniform(25, 55, n)
    unloc = rng.random(n) < 0.3
    lon[unloc] = lat[unloc] = np.nan
    p_img = rng.uniform(0.05, 1.0, n)
    rank_np = rng.integers(1, 5, n)
    _write(folder / f"{prefix}_no_prior.csv", pd.DataFrame({
        "true_class_prob": p_img, "reciprocal_rank": 1.0 / rank_np, "hit@1": (rank_np == 1).astype(int),
        "hit@3": (rank_np <= 3).astype(int)}), index=True)
    for enc, fname in (("NeRF", f"{prefix}_NeRF.csv"), ("xyz", f"{prefix}_xyz copy.csv"),
                       ("wrap", f"{prefix}_wrap.csv.gz")):
        prior = rng.uniform(0.1, 1.0, n)
        rank = np.where(rng.random(n) < 0.5, 1, rng.integers(1, 6, n))
        tcp = np.where(unloc, p_img, p_img * prior)
        rank = np.where(unloc, rank_np, rank)
        x, y = (np.sin(np.pi * lon / 180), np.sin(np.pi * lat / 90)) if enc == "wrap" else (lon, lat)
        _write(folder / fname, pd.DataFrame({"lon": x, "lat": y, "true_class_prob": tcp, "reciprocal_rank": 1.0 / rank,
                                             "hit@1": (rank == 1).astype(float), "hit@3": (rank <= 3).astype(float)}),
               index=True)
    return {"lon": lon, "lat": lat}


def make_regression(folder: Path, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Three MOSAIKS files drawn from one pool; wrap rows 0-29 also occur in siblings, 30-59 do not."""
    rng = np.random.default_rng(seed)
    pool = pd.DataFrame({"lon": rng.uniform(-170, 170, 400).round(5), "lat": rng.uniform(-50, 70, 400).round(5),
                         "labels": rng.uniform(0, 5, 400)})
    nerf, noprior, wrap = pool.iloc[0:100], pool.iloc[100:200], pd.concat([pool.iloc[0:15], pool.iloc[100:115],
                                                                           pool.iloc[300:330]])
    out = {}
    for name, part in (("NeRF", nerf), ("no_prior_regress copy", noprior), ("wrap", wrap)):
        df = part.assign(predictions=part["labels"] + rng.normal(0, 0.5, len(part)))
        df["relative_error"] = (df.predictions - df.labels) / (df.labels + 1e-8)
        if name == "wrap":
            df = df.assign(lon=np.sin(np.pi * df.lon / 180), lat=np.sin(np.pi * df.lat / 90))
        df = df[["lon", "lat", "predictions", "labels", "relative_error"]].reset_index(drop=True)
        _write(folder / f"eval_mosaiks_population__test_{name}.csv", df, index=False)
        out[name] = part.reset_index(drop=True)
    return out


@pytest.fixture()
def ts_dir(tmp_path: Path) -> tuple[Path, dict, dict]:
    src = tmp_path / "eval_results"
    (src / "classification").mkdir(parents=True)
    (src / "regression").mkdir()
    coords = make_classification(src / "classification")
    reg = make_regression(src / "regression")
    (src / "classification" / "eval_fmow__val_spherical_harmonics.csv").write_text("\n")  # empty, as shipped
    return src, coords, reg


def test_file_names() -> None:
    cases = {
        "eval_birdsnap_orig_meta_test_NeRF.csv": ("classification", "birdsnap", "orig_meta", "test", "NeRF"),
        "eval_inat_2018__val_Sphere2Vec-sphereC+.csv.gz": ("classification", "inat_2018", "", "val", "Sphere2Vec-sphereC+"),
        "eval_nabirds_ebird_meta_test_no_prior.csv": ("classification", "nabirds", "ebird_meta", "test", "no_prior"),
        "eval_mosaiks_nightlights__test_Space2Vec-grid copy.csv.gz":
            ("regression", "mosaiks_nightlights", "", "test", "Space2Vec-grid"),
        "eval_mosaiks_elevation__test_no_prior_regress copy.csv.gz":
            ("regression", "mosaiks_elevation", "", "test", "no_prior_regress"),
        "eval_mosaiks_forest_cover__test_tile_ffn.csv": ("regression", "mosaiks_forest_cover", "", "test", "tile_ffn"),
    }
    for name, want in cases.items():
        ts = parse_name(Path(name))
        assert ts is not None and (ts.task_type, ts.ts_dataset, ts.meta, ts.split, ts.encoder) == want, name
    assert parse_name(Path("notes.csv")) is None and parse_name(Path("eval_mnist__test_x.csv")) is None
    assert model_id_for("tile_ffn") == "torchspatial-tile" and model_id_for("no_prior_regress") == "torchspatial-no_prior"
    from locbench.evaluate import model_id_for as ours

    for enc in ENCODERS:  # one id rule: imported and evaluated models differ only in the source prefix
        assert model_id_for(enc).removeprefix("torchspatial-") == ours(ENCODERS[enc][0]).removeprefix("locbench-")
    assert len({model_id_for(e) for e in ENCODERS}) == 16


def test_import_restores_true_coordinates(ts_dir, tmp_path: Path) -> None:
    src, coords, reg = ts_dir
    out = tmp_path / "submissions"
    report = import_torchspatial(src, out)
    assert sorted(report.models) == ["torchspatial-nerf", "torchspatial-no_prior", "torchspatial-wrap",
                                     "torchspatial-xyz"]
    assert any("empty file" in w and "spherical_harmonics" in w for w in report.warnings)
    for model in ("torchspatial-nerf", "torchspatial-no_prior", "torchspatial-wrap", "torchspatial-xyz"):
        df = pd.read_parquet(out / model / "birdsnap.parquet")
        np.testing.assert_allclose(df.lon, coords["lon"], equal_nan=True)
        np.testing.assert_allclose(df.lat, coords["lat"], equal_nan=True)
        assert list(df.sample_id[:3]) == ["0", "1", "2"]
        assert ((df.y_pred == df.y_true) == (df["hit@1"] == 1)).all() and set(df.y_true) == {"unknown"}
        card = json.loads((out / model / "submission.json").read_text())
        assert check_card(card, folder_name=model).items == []
    # regression wrap: rows that exist in a sibling get their coordinates, the others stay unlocated
    w = pd.read_parquet(out / "torchspatial-wrap" / "mosaiks-population.parquet")
    truth = reg["wrap"]
    np.testing.assert_allclose(w.lon[:30], truth.lon[:30], atol=1e-9)
    np.testing.assert_allclose(w.lat[:30], truth.lat[:30], atol=1e-9)
    assert w.lon[30:].isna().all() and w.lat[30:].isna().all()
    np.testing.assert_allclose(w.y_true, truth.labels)
    assert any("30 of 60" in r for r in report.repairs)


def test_imported_folders_validate_and_score(ts_dir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture) -> None:
    src, _, _ = ts_dir
    monkeypatch.setenv("LOCBENCH_DATA", str(tmp_path / "no-data"))
    root = tmp_path / "root"
    assert main(["import", "torchspatial", str(src), "--root", str(root), "--no-geobias"]) == 0
    assert "scored 7 result(s)" in capsys.readouterr().out.replace("\n", " ")
    res = json.loads((root / "results" / "torchspatial-nerf" / "birdsnap.json").read_text())
    df = pd.read_parquet(root / "imports" / "torchspatial-nerf" / "birdsnap.parquet")
    assert res["metrics"]["top1"] == pytest.approx(100 * df["hit@1"].mean(), abs=1e-12)
    assert res["source"] == "import" and res["verified_against_data"] is False
    assert res["predictions_file"] == "imports/torchspatial-nerf/birdsnap.parquet"  # rows outside the tree
    assert validate_submission(root / "imports" / "torchspatial-wrap").model_id == "torchspatial-wrap"


def test_row_order_disagreement_is_an_error(ts_dir, tmp_path: Path) -> None:
    src, _, _ = ts_dir
    f = src / "classification" / "eval_birdsnap_orig_meta_test_no_prior.csv"
    df = pd.read_csv(f, index_col=0)
    df.iloc[:] = df.iloc[::-1].to_numpy()  # same rows, reversed order
    df.to_csv(f)
    with pytest.raises(InputError, match="row order disagrees"):
        import_torchspatial(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written


def _nudge(path: Path, column: str, nth_located: int, delta: float) -> int:
    """Shift one located row's coordinate in a TorchSpatial CSV; returns that row."""
    df = pd.read_csv(path, index_col=0)
    row = int(np.nonzero(df[column].notna().to_numpy())[0][nth_located])
    df.loc[row, column] += delta
    _write(path, df, index=True)
    return row


def test_wrap_that_is_not_sin_of_sibling_is_an_error(ts_dir, tmp_path: Path) -> None:
    src, _, _ = ts_dir
    row = _nudge(src / "classification" / "eval_birdsnap_orig_meta_test_wrap.csv.gz", "lon", 4, 0.01)
    with pytest.raises(InputError) as info:
        import_torchspatial(src, tmp_path / "out")
    assert info.value.problem.row == row and info.value.problem.column == "lon"


def test_sibling_coordinates_must_agree(ts_dir, tmp_path: Path) -> None:
    src, _, _ = ts_dir
    _nudge(src / "classification" / "eval_birdsnap_orig_meta_test_xyz copy.csv", "lat", 0, 1.0)
    with pytest.raises(InputError, match="not aligned"):
        import_torchspatial(src, tmp_path / "out")


def test_only_no_prior_gives_unlocated_rows(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_classification(src, prefix="eval_inat_2018__val", n=50)
    for enc in ("NeRF", "xyz copy", "wrap"):
        next(src.glob(f"eval_inat_2018__val_{enc}.csv*")).unlink()
    report = import_torchspatial(src, tmp_path / "out")
    df = pd.read_parquet(tmp_path / "out" / "torchspatial-no_prior" / "inat2018.parquet")
    assert df.lon.isna().all() and any("unlocated" in w for w in report.warnings)


# ----------------------------------------------------------------------- the published files

def _table1_matches(spec: Path) -> dict[tuple[str, str], float]:
    """Cells of locbench.md §F1 marked "=" (CSV equals Table 1 at 2 decimals): (encoder, dataset) -> value."""
    text = spec.read_text()
    block = text.split("### F1.")[1].split("**Secondary check")[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    names = {"BirdSnap": "birdsnap", "BirdSnap†": "birdsnap-ebird", "NABirds†": "nabirds-ebird",
             "iNat2017": "inat2017", "iNat2018": "inat2018", "YFCC": "yfcc", "fMoW": "fmow"}
    out = {}
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        m = re.search(r"`([^`]+)`", cells[0])
        enc = m.group(1) if m else ("no_prior" if cells[0].startswith("No Prior") else cells[0])
        for col, cell in zip(header[1:], cells[1:], strict=True):
            if cell.startswith("="):
                out[(enc, names[col])] = float(cell[1:].strip())
    return out


@pytest.fixture(scope="module")
def imported(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Import and score the reference files (metrics only, to stay fast) and build a version."""
    from locbench.leaderboard.build import build

    root = tmp_path_factory.mktemp("ts-root")
    import_torchspatial(shared_dir / "reference" / "torchspatial", root=root, data_root=root / "no-data",
                        geobias=False)
    return root, build(root, render=False)


@pytest.mark.shared
@pytest.mark.slow
def test_reference_top1_and_r2_reach_the_leaderboard(imported, shared_dir: Path) -> None:
    """Acceptance: top-1 = mean hit@1 of each file for all 16 models on 4 datasets; R² = sklearn on MOSAIKS."""
    from sklearn.metrics import r2_score

    from locbench.importers.torchspatial import dataset_for, scan

    root, version = imported
    scores = pd.read_csv(version / "scores.csv", dtype={"model_id": str})
    got = {(r.model_id, r.dataset): r for r in scores.itertuples()}
    files, _ = scan(shared_dir / "reference" / "torchspatial")
    n_cls = n_reg = 0
    for ts in files:
        key = (model_id_for(ts.encoder), dataset_for(ts.ts_dataset, ts.meta))
        raw = pd.read_csv(ts.path)
        if ts.task_type == "classification":
            assert got[key].top1 == pytest.approx(100 * raw["hit@1"].mean(), abs=1e-9), key
            n_cls += 1
        else:
            assert got[key].r2 == pytest.approx(r2_score(raw["labels"], raw["predictions"]), abs=1e-9), key
            n_reg += 1
    # 6 datasets x 16 encoders less fMoW's empty spherical_harmonics file, plus iNat2017's no-prior file
    assert (n_cls, n_reg) == (96, 64)
    assert len({m for m, _ in got}) == 16


@pytest.mark.shared
@pytest.mark.slow
def test_reference_cells_marked_equal_match_table1(imported, shared_dir: Path) -> None:
    root, version = imported
    scores = pd.read_csv(version / "scores.csv")
    top1 = {(r.model_id, r.dataset): r.top1 for r in scores.itertuples()}
    cells = _table1_matches(shared_dir / "specs" / "locbench.md")
    checked = 0
    for (enc, ds), table in cells.items():
        key = (model_id_for(enc), ds)
        if key in top1:
            assert round(top1[key], 2) == pytest.approx(table, abs=1e-9), (key, top1[key], table)
            checked += 1
    assert len(cells) == 53  # the parser finds all "=" cells the spec counts
    assert checked == 53  # every "=" cell has its file (BirdSnap, BirdSnap†, NABirds†, iNat2018, YFCC, fMoW)


@pytest.mark.shared
@pytest.mark.slow
def test_reference_coordinates_are_true_degrees(imported) -> None:
    root, _ = imported
    for ds in ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2018"):
        ref = pd.read_parquet(root / "imports" / "torchspatial-nerf" / f"{ds}.parquet")
        for model in ("torchspatial-wrap", "torchspatial-no_prior"):
            df = pd.read_parquet(root / "imports" / model / f"{ds}.parquet")
            np.testing.assert_array_equal(df.lon.to_numpy(), ref.lon.to_numpy())
    res = json.loads((root / "results" / "torchspatial-no_prior" / "birdsnap.json").read_text())
    assert (res["n_rows"], res["n_unlocated"]) == (2262, 1446)
    wrap = pd.read_parquet(root / "imports" / "torchspatial-wrap" / "mosaiks-elevation.parquet")
    located = wrap.lon.notna()
    assert 0.4 < located.mean() < 0.7 and (wrap.lon[located].abs() <= 180).all()
    assert (wrap.lon[located].abs() > 1).mean() > 0.9  # degrees, not sines


# ------------------------------------------------------------------------- with the data on disk

def _birdsnap_data(tmp_path: Path):  # type: ignore[no-untyped-def]
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "data"))
    from make_dataset_fixtures import write_fixture

    from locbench.datasets import load_split

    data = tmp_path / "data"
    write_fixture("birdsnap", data, seed=0, n=60)
    return data, load_split("birdsnap", data_root=data)


def _ts_files_for(split, folder: Path, seed: int = 3) -> None:  # type: ignore[no-untyped-def]
    """TorchSpatial-style no_prior + NeRF files whose rows are `split`'s rows, in order."""
    rng = np.random.default_rng(seed)
    n = len(split)
    p = rng.uniform(0.1, 1, n)
    rank = rng.integers(1, 4, n)
    base = {"true_class_prob": p, "reciprocal_rank": 1.0 / rank, "hit@1": (rank == 1).astype(float),
            "hit@3": (rank <= 3).astype(float)}
    _write(folder / "eval_birdsnap_orig_meta_test_no_prior.csv", pd.DataFrame(base), index=True)
    _write(folder / "eval_birdsnap_orig_meta_test_NeRF.csv",
           pd.DataFrame({"lon": split.lon, "lat": split.lat, **base}), index=True)


def test_import_uses_data_ids_and_is_verified(tmp_path: Path) -> None:
    data, split = _birdsnap_data(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    _ts_files_for(split, src)
    report = import_torchspatial(src, tmp_path / "out", data_root=data)
    assert any("sample ids taken from the data" in r for r in report.repairs)
    df = pd.read_parquet(tmp_path / "out" / "torchspatial-no_prior" / "birdsnap.parquet")
    assert list(df.sample_id) == list(split.sample_ids)
    checked = validate_submission(tmp_path / "out" / "torchspatial-no_prior", data_root=data)
    assert [e.verified for e in checked.entries] == [True]


def test_import_refuses_rows_that_do_not_match_the_data(tmp_path: Path) -> None:
    data, split = _birdsnap_data(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    _ts_files_for(split, src)
    f = src / "eval_birdsnap_orig_meta_test_NeRF.csv"
    df = pd.read_csv(f, index_col=0)
    df[["lon", "lat"]] = df[["lon", "lat"]].iloc[::-1].to_numpy()  # rows of another order
    df.to_csv(f)
    with pytest.raises(InputError, match="do not align"):
        import_torchspatial(src, tmp_path / "out", data_root=data)


def test_plain_file_wins_over_its_copy(ts_dir, tmp_path: Path) -> None:
    src, _, _ = ts_dir
    f = src / "regression" / "eval_mosaiks_population__test_NeRF.csv"
    (src / "regression" / "eval_mosaiks_population__test_NeRF copy.csv").write_bytes(f.read_bytes())
    from locbench.importers.torchspatial import scan

    files, warnings = scan(src)
    assert f in {t.path for t in files}
    assert any("NeRF copy.csv: duplicate of eval_mosaiks_population__test_NeRF.csv" in w for w in warnings)


def test_mosaiks_subsets_are_shown_but_never_ranked(ts_dir, tmp_path: Path) -> None:
    """Different unseeded test subsamples per model: values shown, no rank, no part in the mean rank."""
    from locbench.leaderboard.build import build

    src, _, _ = ts_dir
    root = tmp_path / "root"
    import_torchspatial(src, root=root, data_root=tmp_path / "no-data", geobias=False)
    v = build(root, render=False)
    scores = pd.read_csv(v / "scores.csv")
    reg = scores[scores.dataset == "mosaiks-population"]
    assert len(reg) == 3 and reg["rank"].isna().all() and reg["r2"].notna().all()
    assert reg["unranked_reason"].str.startswith("different test subsets").all()
    cls = scores[scores.dataset == "birdsnap"]
    assert sorted(cls["rank"].dropna()) == sorted(cls["rank"]) and len(cls) == 4
    aggregates = json.loads((v / "scores.json").read_text())["aggregates"]
    for mid in ("torchspatial-nerf", "torchspatial-wrap"):  # both on birdsnap (ranked) and mosaiks (not)
        fams = aggregates[mid]["families"]  # per task family only: the unranked MOSAIKS sets rank nobody
        assert fams["locbench-regression"]["rank"] is None
        assert fams["locbench-classification"]["rank"] == int(cls.set_index("model_id").loc[mid, "rank"])
