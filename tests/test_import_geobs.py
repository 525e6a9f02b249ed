"""GeoBS/PyGBS import: each model family's schema on generated fixtures, subsets, re-import hygiene.

Fixtures are written here from a seeded generator in the three published schemas (CROMA, SatMAE,
GPT-4o); no reference file is copied. One test reads ../shared/reference/geobs (skipped when absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main
from locbench.errors import InputError
from locbench.importers.geobs import import_geobs, parse_name
from locbench.results import read_result

N_EUROSAT = 5400  # registry n_eval_rows of geobs-eurosat (from the GeoBS tables)
EUROSAT = ("AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture", "PermanentCrop",
           "Residential", "River", "SeaLake")


def _coords(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-10, 30, n).round(6), rng.uniform(36, 60, n).round(6)


def _ranked(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.6, 1, rng.integers(2, 8, n))


def write_croma(path: Path, n: int = N_EUROSAT, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = _coords(n, 1)
    rank = _ranked(rng, n)
    df = pd.DataFrame({"lon": lon, "lat": lat, "hit@1": np.where(rank == 1, 1, -1), "hit@3": np.where(rank <= 3, 1, -1),
                       "reciprocal_rank": 1.0 / rank, "true_class_probability": rng.uniform(0, 1, n)})
    df.to_csv(path, index=False)
    return df


def write_satmae(path: Path, n: int = N_EUROSAT, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = _coords(n, 1)
    rank = _ranked(rng, n)
    df = pd.DataFrame({"index": np.arange(n), "hit@1": np.where(rank == 1, 1, -1),
                       "hit@3": np.where(rank <= 3, 1, -1), "lon": lon, "lat": lat})
    df.to_csv(path, index=False)
    return df


def write_gpt4o(path: Path, n: int = N_EUROSAT, seed: int = 3, classes: tuple[str, ...] = EUROSAT,
                coord_seed: int = 1) -> pd.DataFrame:
    """True class + a ranked top-5 answer; some rows without an answer, '0', or a non-class first answer."""
    rng = np.random.default_rng(seed)
    lon, lat = _coords(n, coord_seed)
    truth = [str(t) for t in rng.choice(classes, n)]
    answers, rr = [], []
    for i, t in enumerate(truth):
        others = [c for c in classes if c != t]
        rng.shuffle(others)
        pos = int(rng.integers(0, 7))  # 5 or 6: the true class is not among the five answers
        top = others[:4]
        top = top[:pos] + [t] + top[pos:] if pos < 5 else others[:5]
        kind = i % 50
        if kind == 0:
            answers.append(np.nan), rr.append(np.nan)  # no answer: the file leaves rr empty
            continue
        if kind == 1:
            answers.append("0"), rr.append(np.nan)
            continue
        if kind == 2 and pos != 0:
            top = ["I cannot analyze this image."] + top[1:]
        answers.append(str(top))
        rr.append(1.0 / (top.index(t) + 1) if t in top else 0.0)
    rr_a = np.asarray(rr, dtype=float)
    hit1 = np.where(rr_a >= 1, 1, -1)
    hit3 = np.where(rr_a >= 1 / 3 - 1e-12, 1, -1)
    df = pd.DataFrame({"image_id": rng.permutation(n), "lon": lon, "lat": lat, "hit@1": hit1, "hit@3": hit3,
                       "reciprocal_rank": rr_a, "category": truth, "predicted_categories": answers})
    df.to_csv(path, index=False)
    return df


@pytest.fixture()
def tables(tmp_path: Path) -> Path:
    src = tmp_path / "foundation_model_result_tables"
    src.mkdir()
    write_croma(src / "croma-linear_eurosat.csv")
    write_satmae(src / "satmae-finetune_eurosat.csv")
    write_gpt4o(src / "gpt4o_eurosat.csv")
    fmow = ("airport", "barn", "dam", "port", "prison", "hospital", "shipyard", "zoo", "park", "lake_or_pond")
    write_gpt4o(src / "gpt4o_fmow-sentinel.csv", n=100, classes=fmow, coord_seed=9)
    return src


def test_file_names() -> None:
    assert parse_name(Path("croma-finetune_worldstrat-IPCC.csv.gz")) == ("croma-finetune", "geobs-worldstrat-ipcc")
    assert parse_name(Path("gpt4o_fmow-sentinel.csv")) == ("gpt4o", "geobs-fmow-sentinel")
    assert parse_name(Path("satmae-linear_worldstrat-LCCS.csv.gz")) == ("satmae-linear", "geobs-worldstrat-lccs")
    assert parse_name(Path("dino_eurosat.csv")) is None and parse_name(Path("croma-linear_mnist.csv")) is None


def test_each_schema_scores_as_published(tables: Path, tmp_path: Path) -> None:
    from sklearn.metrics import f1_score

    root = tmp_path / "root"
    report = import_geobs(tables, root=root, data_root=tmp_path / "no-data", geobias=False)
    assert len(report.results) == 4 and not report.replaced and not report.removed
    croma = pd.read_csv(tables / "croma-linear_eurosat.csv")
    r = read_result(root / "results" / "geobs-croma-linear" / "geobs-eurosat.json")
    assert r.metrics["top1"] == pytest.approx(100 * (croma["hit@1"] == 1).mean(), abs=1e-12)
    assert r.metrics["top3"] == pytest.approx(100 * (croma["hit@3"] == 1).mean(), abs=1e-12)
    assert r.metrics["mrr"] == pytest.approx(croma.reciprocal_rank.mean(), abs=1e-12)
    assert r.metrics["macro_f1"] is None and r.ranked and r.comparability.eval_rows_expected == N_EUROSAT
    sat = read_result(root / "results" / "geobs-satmae-finetune" / "geobs-eurosat.json")
    assert sat.metrics["mrr"] is None and any("mrr not computed" in n for n in sat.metric_notes)
    gpt = pd.read_csv(tables / "gpt4o_eurosat.csv")
    g = read_result(root / "results" / "geobs-gpt4o" / "geobs-eurosat.json")
    first = gpt.predicted_categories.map(lambda s: eval(s)[0] if isinstance(s, str) and s.startswith("[") else None)
    y_pred = first.where(first.isin(EUROSAT), "unknown")
    assert g.metrics["macro_f1"] == pytest.approx(f1_score(gpt.category, y_pred, average="macro"), abs=1e-12)
    assert g.metrics["mrr"] == pytest.approx(gpt.reciprocal_rank.fillna(0).mean(), abs=1e-12)
    assert g.metrics["top1"] == pytest.approx(100 * (gpt["hit@1"] == 1).mean(), abs=1e-12)
    sub = read_result(root / "results" / "geobs-gpt4o" / "geobs-fmow-sentinel.json")
    assert not sub.ranked and sub.comparability.unranked_reason.startswith("subset: 100 of the 84,939")
    # the per-sample rows stay outside the committed tree
    assert g.predictions_file == "imports/geobs-gpt4o/geobs-eurosat.parquet"
    assert (root / "imports" / "geobs-gpt4o" / "geobs-eurosat.parquet").is_file()


def test_subset_is_shown_but_not_ranked(tables: Path, tmp_path: Path) -> None:
    from locbench.leaderboard.build import build

    root = tmp_path / "root"
    import_geobs(tables, root=root, data_root=tmp_path / "no-data", geobias=False)
    scores = pd.read_csv(build(root, render=False) / "scores.csv")
    fmow = scores[scores.dataset == "geobs-fmow-sentinel"].iloc[0]
    assert np.isnan(fmow["rank"]) and "subset" in fmow["unranked_reason"] and fmow["top1"] > 0
    euro = scores[scores.dataset == "geobs-eurosat"]
    # ranks are the policy's tie groups: the most accurate is 1, a model not significantly worse shares its rank
    by_acc = euro.sort_values("top1", ascending=False)
    assert by_acc["rank"].iloc[0] == 1 and by_acc["rank"].is_monotonic_increasing and euro["unranked_reason"].isna().all()


def test_bad_hit_code_names_file_row_and_column(tables: Path, tmp_path: Path) -> None:
    f = tables / "croma-linear_eurosat.csv"
    df = pd.read_csv(f)
    df.loc[17, "hit@3"] = 2
    df.to_csv(f, index=False)
    with pytest.raises(InputError) as err:
        import_geobs(tables, root=tmp_path / "root", geobias=False)
    p = err.value.problem
    assert (Path(p.file).name, p.row, p.column) == ("croma-linear_eurosat.csv", 17, "hit@3")
    assert not (tmp_path / "root").exists()  # nothing written


def test_misaligned_rows_and_inconsistent_answers_are_errors(tables: Path, tmp_path: Path) -> None:
    f = tables / "satmae-finetune_eurosat.csv"
    df = pd.read_csv(f)
    df.loc[40, "lat"] += 0.5
    df.to_csv(f, index=False)
    with pytest.raises(InputError, match="not aligned"):
        import_geobs(tables, root=tmp_path / "root", geobias=False)
    write_satmae(f)
    g = tables / "gpt4o_eurosat.csv"
    df = pd.read_csv(g)
    row = int(np.nonzero((df["hit@1"] == 1).to_numpy())[0][3])
    df.loc[row, "hit@1"] = -1
    df.to_csv(g, index=False)
    with pytest.raises(InputError) as err:
        import_geobs(tables, root=tmp_path / "root", geobias=False)
    assert (err.value.problem.row, err.value.problem.column) == (row, "hit@1")


def test_reimport_reports_replacements_and_removes_stale(tables: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    root = tmp_path / "root"
    args = ["import", "geobs", str(tables), "--root", str(root), "--no-geobias", "--data-root", str(tmp_path / "x")]
    assert main(args) == 0
    # a user's own result whose id merely looks similar is never touched
    own = root / "results" / "geobs-mine" / "geobs-eurosat.json"
    own.parent.mkdir(parents=True)
    doc = json.loads((root / "results" / "geobs-croma-linear" / "geobs-eurosat.json").read_text())
    own.write_text(json.dumps({**doc, "model_id": "geobs-mine", "source": "submission", "model_card": None}))
    (tables / "satmae-finetune_eurosat.csv").unlink()
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out.replace("\n", " ")
    assert "replaced" in out and "geobs-eurosat.json" in out
    assert "removed" in out and "geobs-satmae-finetune" in out
    assert not (root / "results" / "geobs-satmae-finetune").exists()
    assert not (root / "imports" / "geobs-satmae-finetune").exists()
    assert own.exists() and (root / "results" / "geobs-croma-linear" / "geobs-eurosat.json").exists()


@pytest.mark.shared
def test_reference_tables_import(shared_dir: Path, tmp_path: Path) -> None:
    """All 18 published tables with their row counts; GPT-4o fMoW is the only subset."""
    from locbench.datasets import get_dataset

    root = tmp_path / "root"
    report = import_geobs(shared_dir / "reference" / "geobs" / "foundation_model_result_tables", root=root,
                          data_root=tmp_path / "no-data", geobias=False)
    assert len(report.results) == 18
    results = [read_result(p) for p in report.results]
    assert [(r.model_id, r.dataset) for r in results if not r.ranked] == [("geobs-gpt4o", "geobs-fmow-sentinel")]
    for r in results:
        if r.ranked:
            assert r.n_rows == get_dataset(r.dataset).n_eval_rows


def test_parallel_scoring_gives_the_same_files(tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    one, two = tmp_path / "one", tmp_path / "two"
    import_geobs(tables, root=one, data_root=tmp_path / "no-data", geobias=False, jobs=1)
    import_geobs(tables, root=two, data_root=tmp_path / "no-data", geobias=False, jobs=2)
    files = sorted(p.relative_to(one) for p in (one / "results").rglob("*.json"))
    assert len(files) == 4
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
