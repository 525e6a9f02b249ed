"""Submission validation: every broken submission gives its own error, exit code 2, and writes nothing."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from submission_corpus import GEN as GENERATOR
from submission_corpus import GENERATOR_PATH

from locbench.cli import main
from locbench.errors import ValidationError
from locbench.cards import SUBMISSION_SCHEMA, check_card
from locbench.submissions import validate_submission

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bad_submissions")
    return out, GENERATOR.make_corpus(out)


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _seed_root(root: Path) -> None:
    """A working root with existing results and a leaderboard version, to prove they stay untouched."""
    (root / "results" / "older-model").mkdir(parents=True)
    (root / "results" / "older-model" / "birdsnap.json").write_text('{"sentinel": true}\n')
    (root / "leaderboard" / "v0001").mkdir(parents=True)
    (root / "leaderboard" / "v0001" / "scores.csv").write_text("model_id\nolder-model\n")


def _case_names() -> list[str]:
    src = GENERATOR_PATH.read_text()
    return sorted(set(re.findall(r'Case\("([a-z0-9-]+)"', src)))


@pytest.mark.parametrize("name", _case_names())
def test_bad_submission_gives_its_error_and_writes_nothing(name: str, corpus, no_data: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    out, cases = corpus
    case = cases[name]
    root = tmp_path / "root"
    _seed_root(root)
    before = _tree(root)
    rc = main(["submit", str(out / name), "--root", str(root), "--data-root", str(no_data)])
    err = capsys.readouterr().err
    assert rc == 2
    assert case.message in err
    assert _tree(root) == before  # results/ and leaderboard/ untouched, nothing new anywhere
    assert not (out / "escaped-model").exists() and not (tmp_path / "escaped-model").exists()
    with pytest.raises(ValidationError) as info:
        validate_submission(out / name, data_root=no_data)
    matching = [p for p in info.value.problems
                if case.message in p.message
                and (case.column is None or p.column == case.column)
                and (case.row is None or p.row == case.row)
                and (case.file is None or (p.file or "").endswith(case.file))]
    assert matching, [p.format() for p in info.value.problems]


def test_every_problem_is_listed_at_once(tmp_path: Path, no_data: Path) -> None:
    """Two files with different faults plus a card fault: all three reported in one run."""
    rng = np.random.default_rng(1)
    good = GENERATOR.verified_base(rng)
    folder = tmp_path / "multi"
    bad_card = GENERATOR.card("multi", licence=...)
    reg = GENERATOR.regression_base(rng)
    reg.loc[3, "y_true"] = np.nan
    GENERATOR.write(folder, bad_card, {"embedded-cities-continent.csv": good.drop(columns=["hit@1"]),
                                       "embedded-cities-population.csv": reg})
    with pytest.raises(ValidationError) as info:
        validate_submission(folder, data_root=no_data)
    cols = {p.column for p in info.value.problems}
    assert {"licence", "hit@1", "y_true"} <= cols


def test_check_only_writes_nothing_and_reports_verification(corpus, no_data: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    out, _ = corpus
    root = tmp_path / "root"
    root.mkdir()
    assert main(["submit", str(out / "good-verified"), "--check", "--root", str(root)]) == 0
    assert main(["submit", str(out / "good-unverified"), "--check", "--root", str(root),
                 "--data-root", str(no_data)]) == 0
    text = capsys.readouterr().out
    assert "verified against data" in text and "not verified against data" in text
    assert list(root.iterdir()) == []


def test_good_submission_scores_like_the_metrics(corpus, no_data: Path, tmp_path: Path) -> None:
    """Scoring writes one result per dataset; numbers equal closed forms over the file."""
    from sklearn.metrics import f1_score, r2_score

    from locbench.submissions import score_submission

    out, _ = corpus
    root = tmp_path / "root"
    checked = validate_submission(out / "good-verified", data_root=no_data)
    paths = score_submission(checked, root=root, geobias=False)
    assert sorted(p.relative_to(root).as_posix() for p in paths) == [
        "results/good-verified/embedded-cities-continent.json", "results/good-verified/embedded-cities-population.json"]
    cls = json.loads(paths[0].read_text())
    df = pd.read_csv(out / "good-verified" / "embedded-cities-continent.csv")
    assert cls["metrics"]["top1"] == pytest.approx(100 * df["hit@1"].mean(), abs=1e-12)
    assert cls["metrics"]["mrr"] == pytest.approx(df["reciprocal_rank"].mean(), abs=1e-12)
    assert cls["metrics"]["macro_f1"] == pytest.approx(f1_score(df.y_true, df.y_pred, average="macro"), abs=1e-12)
    assert cls["verified_against_data"] is True and cls["source"] == "submission"
    assert cls["model_card"]["model_id"] == "good-verified"
    reg = json.loads(paths[1].read_text())
    rdf = pd.read_parquet(out / "good-verified" / "embedded-cities-population.parquet")
    assert reg["metrics"]["r2"] == pytest.approx(r2_score(rdf.y_true, rdf.y_pred), abs=1e-12)
    assert reg["primary_metric"] == "r2" and reg["primary_value"] == reg["metrics"]["r2"]


def test_unverified_submission_is_marked_and_counts_unlocated(corpus, no_data: Path, tmp_path: Path) -> None:
    from locbench.submissions import score_submission

    out, _ = corpus
    checked = validate_submission(out / "good-unverified", data_root=no_data)
    [path] = score_submission(checked, root=tmp_path, geobias=False)
    res = json.loads(path.read_text())
    assert res["verified_against_data"] is False
    assert res["verification_note"].startswith("not verified against data")
    assert (res["n_rows"], res["n_unlocated"], res["n_located"]) == (2262, 1446, 816)


def test_schema_file_is_the_schema_the_code_checks(project_root: Path) -> None:
    on_disk = json.loads((project_root / "submissions" / "schema" / "submission.schema.json").read_text())
    assert on_disk == json.loads(json.dumps(SUBMISSION_SCHEMA))
    assert set(on_disk["required"]) <= set(on_disk["properties"])


def test_readme_example_card_is_valid(project_root: Path) -> None:
    text = (project_root / "submissions" / "README.md").read_text()
    block = re.search(r"```json\n(.*?)```", text, re.S)
    assert block is not None
    card = json.loads(block.group(1))
    assert check_card(card, folder_name=card["model_id"]).items == []
    assert set(card) == set(SUBMISSION_SCHEMA["properties"])  # the example shows every field


def test_card_checks_cover_types_and_limits() -> None:
    card = GENERATOR.card("ok-model")
    assert check_card(card, folder_name="ok-model").items == []
    bad = dict(card, n_parameters=-1, authors=[], date="27/11/2026", description="x" * 5001)
    cols = {p.column for p in check_card(bad).items}
    assert {"n_parameters", "authors", "date", "description"} <= cols
    assert check_card(dict(card, n_parameters=True)).items  # bool is not an integer
    assert check_card(dict(card, description="two\nlines\tok")).items == []


def test_locbench_dataset_on_disk_is_verified_against_it(tmp_path: Path) -> None:
    """With BirdSnap files on disk: ids and coordinates are checked against them, and mismatches are caught."""
    sys.path.insert(0, str(HERE / "data"))
    from make_dataset_fixtures import write_fixture

    from locbench.datasets import load_split

    data = tmp_path / "data"
    write_fixture("birdsnap", data, seed=0, n=60)
    split = load_split("birdsnap", data_root=data)
    rng = np.random.default_rng(5)
    labels = [str(int(x)) for x in split.labels]
    df = GENERATOR.classification_rows(rng, split.sample_ids, split.lon, split.lat, labels, 5)
    GENERATOR.write(tmp_path / "ok-model", GENERATOR.card("ok-model"), {"birdsnap.csv": df})
    [entry] = validate_submission(tmp_path / "ok-model", data_root=data).entries
    assert entry.verified and entry.split == "test"
    assert int(np.isnan(entry.predictions.lon).sum()) == int((~split.located).sum()) > 0
    bad = df.copy()
    r = int(np.nonzero(split.located)[0][0])
    bad.loc[r, "lat"] += 0.001
    bad.loc[r + 1, "y_true"] = "999"
    GENERATOR.write(tmp_path / "bad-model", GENERATOR.card("bad-model"), {"birdsnap.csv": bad})
    with pytest.raises(ValidationError) as info:
        validate_submission(tmp_path / "bad-model", data_root=data)
    assert {(p.row, p.column) for p in info.value.problems} == {(r, "lat"), (r + 1, "y_true")}


def test_model_meta_is_the_schema() -> None:
    """ModelMeta's fields are the schema's properties; required = fields without a default; round trip."""
    import dataclasses

    from locbench.cards import ModelMeta

    fields = dataclasses.fields(ModelMeta)
    assert [f.name for f in fields] == list(SUBMISSION_SCHEMA["properties"])
    assert set(SUBMISSION_SCHEMA["required"]) == {f.name for f in fields if f.default is dataclasses.MISSING}
    card = GENERATOR.card("ok-model")
    meta = ModelMeta.from_dict(card, folder_name="ok-model")
    optional_absent = {"weights_sha256"}  # left out of the card when None (older cards stay byte-identical)
    assert meta.to_dict() == {**{k: None for k in SUBMISSION_SCHEMA["properties"] if k not in optional_absent}, **card}
    with pytest.raises(ValidationError):
        ModelMeta.from_dict(dict(card, licens="MIT"))
    with pytest.raises(ValidationError):
        dataclasses.replace(meta, date="yesterday")  # the type itself refuses invalid values


def test_partial_evaluation_sets_are_refused_or_unranked(no_data: Path, tmp_path: Path) -> None:
    """10 cherry-picked MOSAIKS rows (full size unpublished): scored but unranked, with the reason;
    10 BirdSnap rows (2,262 published): refused, nothing written."""
    from locbench.submissions import score_submission

    rng = np.random.default_rng(0)
    sub = tmp_path / "cherry-picker"
    sub.mkdir()
    (sub / "submission.json").write_text(json.dumps(GENERATOR.card("cherry-picker")))
    y = rng.uniform(0, 5, 10)
    pd.DataFrame({"sample_id": [str(i) for i in range(10)], "lon": rng.uniform(-100, -80, 10),
                  "lat": rng.uniform(30, 40, 10), "y_true": y, "y_pred": y + 1e-6}).to_csv(
        sub / "mosaiks-population.csv", index=False)
    [path] = score_submission(validate_submission(sub, data_root=no_data), root=tmp_path / "root", geobias=False)
    res = json.loads(path.read_text())
    assert res["metrics"]["r2"] > 0.9999 and res["comparability"]["ranked"] is False
    assert "not published" in res["comparability"]["unranked_reason"]
    pd.DataFrame({"sample_id": [str(i) for i in range(10)], "lon": rng.uniform(-100, -80, 10),
                  "lat": rng.uniform(30, 40, 10), "y_true": "1", "y_pred": "1", "true_class_prob": 0.9,
                  "reciprocal_rank": 1.0, "hit@1": 1.0, "hit@3": 1.0}).to_csv(sub / "birdsnap.csv", index=False)
    with pytest.raises(ValidationError, match="invalid") as err:
        validate_submission(sub, data_root=no_data)
    assert any("2,262" in p.message and "sample id(s) missing" in p.message for p in err.value.problems)
