"""Leaderboard versions: deterministic, never rewritten, atomic, serialised; ranks and aggregates."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main
from locbench.datasets import DatasetSpec, get_dataset
from locbench.leaderboard import build as build_mod
from locbench.leaderboard import tables
from locbench.leaderboard.build import build, build_version
from locbench.leaderboard.rows import ScoreRow
from locbench.leaderboard.safety import LOCK_NAME
from locbench.results import build_result, write_result

CONTRACT_CSV = ["model_id", "model_name", "dataset", "group", "task_type", "split", "primary_metric", "primary_value",
                "rank", "top1", "top3", "mrr", "macro_f1", "r2", "mae", "rmse", "unmarked_ssi", "marked_ssi",
                "sri_scale_grid", "sri_distance_lag", "sri_direction_sector", "morans_i", "verified", "n_rows",
                "n_located", "source", "unranked_reason", "headline_value", "headline_z", "headline_p", "flags"]


def cls_frame(p_hit: float, seed: int, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hit = rng.random(n) < p_hit
    rank = np.where(hit, 1, rng.integers(2, 5, n))
    return pd.DataFrame({"sample_id": np.arange(n).astype(str), "lon": rng.uniform(-100, -70, n),
                         "lat": rng.uniform(30, 50, n), "y_true": "1", "y_pred": np.where(hit, "1", "2"),
                         "true_class_prob": rng.uniform(0, 1, n), "reciprocal_rank": 1.0 / rank,
                         "hit@1": hit.astype(float), "hit@3": (rank <= 3).astype(float)})


def add_result(root: Path, model: str, ds: DatasetSpec, p_hit: float, seed: int, marked_ssi: float = 1.0) -> Path:
    r = build_result(model_id=model, spec=ds, split=None, predictions=cls_frame(p_hit, seed), seed=seed,
                     compute_geobias_scores=False)
    r = dataclasses.replace(
        r, geobias={"status": "ok", "summary": {"marked_ssi": marked_ssi, "unmarked_ssi": 5.0, "morans_i": 0.01},
                    "params": {"all": {"radius": 0.05}}, "engine_version": "test", "value_name": "hit@1"},
        date="2026-11-27T00:00:00+00:00", versions={"locbench": "0.1.0", "georbias": "0.1.0"})
    return write_result(root, r)


SPECIES = [get_dataset(n) for n in tables.species_average_datasets()]  # the registry's real specs


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    for i, model in enumerate(["model-a", "model-b", "model-c"]):
        for j, ds in enumerate(SPECIES):
            if model == "model-c" and ds.name == "inat2017":
                continue  # model-c lacks one species set: no LocBench Avg
            add_result(r, model, ds, 0.4 + 0.1 * i, seed=10 * i + j, marked_ssi=float(i))
    return r


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def tree(p: Path) -> dict[str, str]:
    return {q.relative_to(p).as_posix(): sha(q) for q in sorted(p.rglob("*")) if q.is_file()}


def test_same_inputs_give_identical_bytes(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    shutil.copytree(root, other)
    v1 = build(root, render=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # a different date must change only `created`
    v2 = build(other, render=False)
    assert v1.name == v2.name == "v0001"
    for name in ("scores.csv", "manifest.json", "CHANGES.md"):
        assert sha(v1 / name) == sha(v2 / name), name
    a, b = json.loads((v1 / "scores.json").read_text()), json.loads((v2 / "scores.json").read_text())
    assert a.pop("created") != b.pop("created")
    assert a == b


def test_tables_follow_the_contract(root: Path) -> None:
    v = build(root, render=False)
    df = pd.read_csv(v / "scores.csv")
    assert list(df.columns) == CONTRACT_CSV
    doc = json.loads((v / "scores.json").read_text())
    assert set(doc) >= {"version", "created", "rows", "models", "datasets", "aggregates", "columns", "geobias_params"}
    cols = {c["key"]: c for c in doc["columns"]}
    assert cols["marked_ssi"]["higher_is_better"] is False and cols["top1"]["higher_is_better"] is True
    assert "closer to 0" in cols["morans_i"]["direction"]
    for key in ("marked_ssi", "sri_scale_grid", "sri_distance_lag", "sri_direction_sector", "morans_i"):
        assert cols[key]["description"]
    manifest = json.loads((v / "manifest.json").read_text())
    assert {e["path"] for e in manifest["inputs"]} == {
        p.relative_to(root).as_posix() for p in (root / "results").rglob("*.json")}
    for e in manifest["inputs"]:
        assert e["sha256"] == sha(root / e["path"])
    assert manifest["versions"]["locbench"] and manifest["geobias_params"]
    assert doc["created"][:10] not in (v / "manifest.json").read_text()  # the date lives only in scores.json


def test_ranks_and_aggregates(root: Path) -> None:
    v = build(root, render=False)
    doc = json.loads((v / "scores.json").read_text())
    for ds in tables.species_average_datasets():
        rows = [r for r in doc["rows"] if r["dataset"] == ds]
        by_value = sorted(rows, key=lambda r: -r["primary_value"])
        assert [r["rank"] for r in by_value] == sorted(r["rank"] for r in rows)
        assert by_value[0]["rank"] == 1
    agg = doc["aggregates"]
    mine = [r for r in doc["rows"] if r["model_id"] == "model-a"]
    assert agg["model-a"]["locbench_species_avg"] == pytest.approx(np.mean([r["top1"] for r in mine]), abs=1e-12)
    assert agg["model-c"]["locbench_species_avg"] is None  # only four of the five species sets
    # no aggregate mixes task families: a model's standing is per family, with the datasets behind it
    verdicts = json.loads((v / "verdicts.json").read_text())
    for fam in verdicts["families"]:
        for place in fam["ranking"]:
            mine = agg[place["model_id"]]["families"][fam["key"]]
            assert (mine["rank"], mine["mean_rank"], mine["n_datasets"]) == (
                place["rank"], place["value"], len(fam["test_datasets"]))
    assert all("mean_rank" not in a for a in agg.values())


def test_species_average_is_table_one_avg() -> None:
    """TorchSpatial's Table 1 "Avg" is over exactly these five sets, in the registry's (the table's) order."""
    assert tables.species_average_datasets() == ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018")


def test_rank_direction_ties_and_missing() -> None:
    rows = [ScoreRow(dataset="d", primary_metric="mae", primary_value=v, model_id=m, rank=None, unranked_reason=None)
            for m, v in [("a", 3.0), ("b", 1.0), ("c", 1.0), ("d", None), ("e", 2.0)]]
    ranked = tables.assign_ranks(rows)
    assert {r.model_id: r.rank for r in ranked} == {"a": 4, "b": 1, "c": 1, "d": None, "e": 3}
    assert [r.rank for r in rows] == [None] * 5  # new rows: the frozen inputs are left as they were


def test_never_rewrites_and_skips_unchanged_inputs(root: Path) -> None:
    v1 = build(root, render=False)
    before = tree(v1)
    again = build_version(root, render=False)
    assert not again.created and again.version == "v0001" and "unchanged" in again.message
    assert sorted(p.name for p in (root / "leaderboard").iterdir() if p.name.startswith("v")) == ["v0001"]
    forced = build_version(root, render=False, force_new=True)
    assert forced.created and forced.version == "v0002"
    assert tree(v1) == before
    assert "- none" in (forced.path / "CHANGES.md").read_text()
    with pytest.raises(FileExistsError):  # the staging helper refuses to replace a published version
        with build_mod.atomic.staged_dir(v1):
            pass


def test_changes_against_previous_version(root: Path) -> None:
    build(root, render=False)
    add_result(root, "model-new", SPECIES[0], 0.9, seed=99)
    add_result(root, "model-a", SPECIES[1], 0.95, seed=98)  # a changed score
    v2 = build(root, render=False)
    text = (v2 / "CHANGES.md").read_text()
    assert "Compared with v0001" in text
    added = text.split("## Models added")[1].split("##")[0]
    assert "model-new" in added
    changed = text.split("## Changed scores")[1]
    assert "model-a on birdsnap-ebird: primary_value" in changed
    assert json.loads((v2 / "manifest.json").read_text())["previous_version"] == "v0001"


def test_crash_mid_build_leaves_no_partial_version(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exploding_render(staged: Path, **_: object) -> None:
        (staged / "index.html").write_text("half a page")
        raise RuntimeError("renderer crashed")

    from locbench.leaderboard import render

    monkeypatch.setattr(render, "render_version", exploding_render)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        build(root)
    lb = root / "leaderboard"
    assert [p.name for p in lb.iterdir() if p.name != LOCK_NAME] == []
    monkeypatch.undo()
    assert build(root, render=False).name == "v0001"


def test_staging_left_by_a_killed_build_is_cleared(root: Path) -> None:
    lb = root / "leaderboard"
    stale = lb / ".v0001.abc123.partial"  # what SIGKILL during a build leaves behind
    stale.mkdir(parents=True)
    (stale / "scores.csv").write_text("half")
    assert build(root, render=False).name == "v0001"
    assert not stale.exists()
    assert sorted(p.name for p in lb.iterdir() if p.name != LOCK_NAME) == ["v0001"]


def test_concurrent_builds_are_serialised(root: Path) -> None:
    outcomes = []

    def run() -> None:
        outcomes.append(build_version(root, render=False))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.created for o in outcomes) == [False, False, True]
    assert {o.version for o in outcomes} == {"v0001"}
    assert [p.name for p in (root / "leaderboard").iterdir() if p.name.startswith(("v", ".v"))] == ["v0001"]


def test_model_cards_come_from_submissions(root: Path) -> None:
    card = {"model_id": "model-a", "name": "Model A (sphere)", "authors": ["X"], "licence": "MIT",
            "encoder_family": "3D", "date": "2026-11-27", "description": "test card"}
    (root / "submissions" / "model-a").mkdir(parents=True)
    (root / "submissions" / "model-a" / "submission.json").write_text(json.dumps(card))
    v = build(root, render=False)
    doc = json.loads((v / "scores.json").read_text())
    assert doc["models"]["model-a"]["name"] == "Model A (sphere)"
    assert {r["model_name"] for r in doc["rows"] if r["model_id"] == "model-a"} == {"Model A (sphere)"}
    assert doc["models"]["model-b"]["name"] == "model-b"
    manifest = json.loads((v / "manifest.json").read_text())
    assert "submissions/model-a/submission.json" in {e["path"] for e in manifest["inputs"]}


def test_html_rendered_inside_the_version(root: Path) -> None:
    outcome = build_version(root)
    assert outcome.html
    assert (outcome.path / "index.html").is_file()
    assert (root / "leaderboard" / "index.html").is_file()


def test_cli_build_and_empty_root(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["leaderboard", "build", "--root", str(root), "--no-html"]) == 0
    assert (root / "leaderboard" / "v0001" / "scores.csv").is_file()
    assert main(["leaderboard", "build", "--root", str(root), "--no-html"]) == 0
    assert "unchanged" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["leaderboard", "build", "--root", str(empty)]) == 2
    assert "no result files" in capsys.readouterr().err


def test_results_only_rebuild_is_byte_identical(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clone without any per-sample file (predictions, imports) builds the same version, HTML and maps included."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    for mid in ("model-a", "model-b"):  # per-sample rows beside the results, as a working tree has them
        for folder in ("submissions", "imports"):
            (root / folder / mid).mkdir(parents=True, exist_ok=True)
            cls_frame(0.5, 3).to_csv(root / folder / mid / "birdsnap.csv", index=False)
    clone = tmp_path / "clone"
    shutil.copytree(root, clone)
    shutil.rmtree(clone / "imports")
    for f in (clone / "submissions").rglob("*.csv"):
        f.unlink()
    assert not [p for p in clone.rglob("*") if p.suffix in (".csv", ".parquet", ".gz")]
    a, b = build_version(root), build_version(clone)
    assert a.html and b.html and a.version == b.version == "v0001"
    assert tree(a.path) == tree(b.path)
    assert sha(root / "leaderboard" / "index.html") == sha(clone / "leaderboard" / "index.html")
    from locbench.leaderboard.render import model_href

    assert "data:image/png;base64," in (b.path / model_href("model-a")).read_text()  # maps drawn without predictions


def test_index_is_judged_by_content_not_file_times(root: Path, capsys: pytest.CaptureFixture) -> None:
    """A fresh clone gives files arbitrary modification times: an index that shows the latest
    version is left alone however old it looks; one that shows an older version is repointed."""
    import os

    from locbench.leaderboard.safety import points_at

    v = build(root)
    index = root / "leaderboard" / "index.html"
    assert points_at(index.read_text(encoding="utf-8"), v.name) and not points_at(index.read_text(), "v0099")
    before = index.read_bytes()
    os.utime(index, ns=(1, 1))                     # far older than the manifest
    capsys.readouterr()
    build(root)                                    # inputs unchanged: nothing new to publish
    assert "was behind" not in capsys.readouterr().err and index.read_bytes() == before
    index.write_text(before.decode("utf-8").replace(f'content="{v.name}"', 'content="v0000"'), encoding="utf-8")
    build(root)
    assert "was behind" in capsys.readouterr().err and index.read_bytes() == before
