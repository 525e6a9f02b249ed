"""The shipped leaderboard is a function of the committed result files: the current code rebuilds it.

The latest published version under leaderboard/ is rebuilt from results/ and the model cards in
submissions/ (with the earlier versions in place, so CHANGES.md has the same predecessor) and every
table must come out byte-identical. A change to ranks, aggregates, formatting or scoring fails here
instead of silently publishing different numbers next time. HTML is left to
benchmarks/leaderboard_of_record.py (minutes); manifest `versions` names the installed libraries.

The inputs are exactly the files the version's manifest lists (path + sha256): a result or card
re-shipped since (e.g. GeoCLIP re-run with the frozen-head protocol) is read back from git history
at the bytes the version was built from, so the published tables stay checked.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from locbench.leaderboard.build import build_version, list_versions

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "leaderboard"


def _published_bytes(path: str, sha256: str) -> bytes:
    """The file as the version was built from it: the working copy, else the git revision with that hash."""
    here = ROOT / path
    if here.is_file() and hashlib.sha256(here.read_bytes()).hexdigest() == sha256:
        return here.read_bytes()
    try:
        revs = subprocess.run(["git", "log", "--format=%H", "--", path], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"{path} changed since the version was built and git history is not available")
    for rev in revs:
        blob = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True).stdout
        if hashlib.sha256(blob).hexdigest() == sha256:
            return blob
    raise AssertionError(f"{path}: no revision in git history has the sha256 the manifest records")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    versions = list_versions(SHIPPED)
    if not versions or not (ROOT / "results").is_dir():
        pytest.skip("no shipped leaderboard version or results/ in this checkout")
    latest = SHIPPED / versions[-1]
    root = tmp_path_factory.mktemp("of_record")
    for item in json.loads((latest / "manifest.json").read_text(encoding="utf-8"))["inputs"]:
        dst = root / item["path"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(_published_bytes(item["path"], item["sha256"]))
    for earlier in versions[:-1]:
        shutil.copytree(SHIPPED / earlier, root / "leaderboard" / earlier)
    created = json.loads((latest / "scores.json").read_text(encoding="utf-8"))["created"]
    epoch = str(int(datetime.fromisoformat(created).timestamp()))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", epoch)
        outcome = build_version(root, render=False)
    assert outcome.created and outcome.version == latest.name
    return latest, outcome.path


def test_tables_rebuild_byte_identical(rebuilt: tuple[Path, Path]) -> None:
    shipped, new = rebuilt
    assert (new / "scores.csv").read_bytes() == (shipped / "scores.csv").read_bytes()


def test_scores_and_regions_json_rebuild(rebuilt: tuple[Path, Path]) -> None:
    """scores.json (compact, issue 24) and the regional breakdowns it no longer repeats (regions.json)."""
    shipped, new = rebuilt
    for name in ("scores.json", "regions.json"):
        assert (new / name).read_bytes() == (shipped / name).read_bytes(), name


def test_changes_and_verdicts_rebuild(rebuilt: tuple[Path, Path]) -> None:
    """CHANGES.md against the same predecessor, and the leaderboard's claims (verdicts.json)."""
    shipped, new = rebuilt
    for name in ("CHANGES.md", "verdicts.json"):
        assert (new / name).read_bytes() == (shipped / name).read_bytes(), name


def test_manifest_rebuilds_but_for_installed_versions(rebuilt: tuple[Path, Path]) -> None:
    shipped, new = (json.loads((p / "manifest.json").read_text(encoding="utf-8")) for p in rebuilt)
    assert new["inputs_digest"] == shipped["inputs_digest"]  # the committed results are the published inputs
    assert new["outputs"]["scores.csv"] == shipped["outputs"]["scores.csv"] and new["n_results"] == shipped["n_results"] > 0

    def same(m: dict) -> dict:
        return {k: v for k, v in m.items() if k not in ("versions", "outputs")}
    assert same(new) == same(shipped)
