"""The shipped leaderboard is a function of the committed result files: the current code rebuilds it.

The latest published version under leaderboard/ is rebuilt from results/ and the model cards in
submissions/ (with the earlier versions in place, so CHANGES.md has the same predecessor) and every
table must come out byte-identical. A change to ranks, aggregates, formatting or scoring fails here
instead of silently publishing different numbers next time. HTML is left to
benchmarks/leaderboard_of_record.py (minutes); manifest `versions` names the installed libraries.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from locbench.leaderboard.build import build_version, list_versions

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "leaderboard"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    versions = list_versions(SHIPPED)
    if not versions or not (ROOT / "results").is_dir():
        pytest.skip("no shipped leaderboard version or results/ in this checkout")
    latest = SHIPPED / versions[-1]
    root = tmp_path_factory.mktemp("of_record")
    shutil.copytree(ROOT / "results", root / "results")
    for card in (ROOT / "submissions").glob("*/submission.json"):
        (root / "submissions" / card.parent.name).mkdir(parents=True)
        shutil.copy(card, root / "submissions" / card.parent.name / card.name)
    for earlier in versions[:-1]:
        shutil.copytree(SHIPPED / earlier, root / "leaderboard" / earlier)
    created = json.loads((latest / "scores.json").read_text(encoding="utf-8"))["created"]
    epoch = str(int(datetime.fromisoformat(created).timestamp()))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", epoch)
        outcome = build_version(root, render=False)
    assert outcome.created and outcome.version == latest.name
    return latest, outcome.path


@pytest.mark.parametrize("name", ["scores.csv", "scores.json", "CHANGES.md"])
def test_tables_rebuild_byte_identical(rebuilt: tuple[Path, Path], name: str) -> None:
    shipped, new = rebuilt
    assert (new / name).read_bytes() == (shipped / name).read_bytes(), f"{name} differs from {shipped.name}"


def test_manifest_rebuilds_but_for_installed_versions(rebuilt: tuple[Path, Path]) -> None:
    shipped, new = (json.loads((p / "manifest.json").read_text(encoding="utf-8")) for p in rebuilt)
    assert new["inputs_digest"] == shipped["inputs_digest"]  # the committed results are the published inputs
    assert new["outputs"] == shipped["outputs"] and new["n_results"] == shipped["n_results"] > 0
    assert {k: v for k, v in new.items() if k != "versions"} == {k: v for k, v in shipped.items() if k != "versions"}
