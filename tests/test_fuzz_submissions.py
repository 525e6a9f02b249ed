"""Seeded fuzzer of the submission format (issue 13, item 6).

Random corruptions of a valid predictions file (tests/fuzzing.py) go through `locbench submit`
(metrics only, so each case is fast). Every case must end in exit 0 with the right numbers
(recomputed here from the file with pandas / scikit-learn) or exit 2 with an error message;
never a traceback, never a change to results/ or leaderboard/ other than the new result on success.
Derandomized: the same cases run on every machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fuzzing import Corruption, corruptions
from hypothesis import HealthCheck, given, settings
from submission_corpus import GEN

from locbench.cli import main

N_ROWS = 40
DATASETS = {"regression": "mosaiks-population", "classification": "geobs-eurosat"}  # no published row count
FUZZ = settings(max_examples=100, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def base_text(task: str) -> str:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-120, 140, N_ROWS), rng.uniform(-50, 60, N_ROWS)
    ids = np.array([f"s{i}" for i in range(N_ROWS)])
    if task == "regression":
        y = rng.normal(5, 1, N_ROWS)
        df = pd.DataFrame({"sample_id": ids, "lon": lon, "lat": lat, "y_true": y, "y_pred": y + rng.normal(0, .3, N_ROWS)})
    else:
        df = GEN.classification_rows(rng, ids, lon, lat, list(rng.integers(0, 10, N_ROWS).astype(str)), 10)
    return df.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.parts[len(root.parts)] in ("results", "leaderboard")}


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding an older result and a published version, which no case may change."""
    root = tmp_path_factory.mktemp("fuzz-root")
    (root / "results" / "older").mkdir(parents=True)
    (root / "results" / "older" / "x.json").write_text('{"sentinel": true}\n')
    (root / "leaderboard" / "v0001").mkdir(parents=True)
    (root / "leaderboard" / "v0001" / "scores.csv").write_text("model_id\nolder\n")
    return root


def expected_numbers(data: bytes, name: str, task: str) -> dict[str, float]:
    """The metrics recomputed independently from the submitted bytes."""
    from sklearn.metrics import mean_absolute_error, r2_score

    sep = "\t" if ".tsv" in name else ","
    df = pd.read_csv(io.BytesIO(data), sep=sep, compression="gzip" if name.endswith(".gz") else None,
                     dtype={"sample_id": str})
    if task == "regression":
        yt, yp = df["y_true"].astype(float), df["y_pred"].astype(float)
        return {"r2": r2_score(yt, yp), "mae": mean_absolute_error(yt, yp)}
    return {"top1": 100 * float(df["hit@1"].astype(float).mean()), "mrr": float(df["reciprocal_rank"].astype(float).mean())}


def run_case(task: str, corruption: Corruption, protected: Path, capsys: pytest.CaptureFixture) -> None:
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        root = work / "root"
        shutil.copytree(protected, root)
        before = tree(root)
        data = corruption.apply(base_text(task))
        name = DATASETS[task] + (".csv.gz" if corruption.kind == "gzip" else ".csv")
        folder = work / "fuzz-model"
        GEN.write(folder, GEN.card("fuzz-model"), {name: data})
        code = main(["submit", str(folder), "--root", str(root), "--no-geobias"])
        cap = capsys.readouterr()
        text = cap.out + cap.err
        assert "Traceback" not in text and "internal error" not in text, (corruption, text)
        assert code in (0, 2), (corruption, code, text)
        after = tree(root)
        if code == 2:
            assert cap.err.startswith("error: ") and len(cap.err.strip()) > len("error: "), (corruption, text)
            assert after == before, corruption
            return
        new = {k for k in after if k not in before}
        assert new == {f"results/fuzz-model/{DATASETS[task]}.json"}, (corruption, new)
        assert {k: v for k, v in after.items() if k in before} == before
        result = json.loads((root / sorted(new)[0]).read_text())
        for key, want in expected_numbers(data, name, task).items():
            assert result["metrics"][key] == pytest.approx(want, rel=1e-9, abs=1e-12), (corruption, key)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@FUZZ
@given(corruption=corruptions)
def test_fuzz_regression_submission(corruption: Corruption, protected: Path, no_data: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    run_case("regression", corruption, protected, capsys)


@FUZZ
@given(corruption=corruptions)
def test_fuzz_classification_submission(corruption: Corruption, protected: Path, no_data: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    run_case("classification", corruption, protected, capsys)
