"""Issue 13, item 7: a leaderboard build SIGKILLed at any stage leaves the published versions and
index.html byte-identical; the next build of any kind removes the partial folder and the stale lock
(and says so); two builds at once wait for each other and say so.

Kills are injected with LOCBENCH_BUILD_FAULT="<stage>:kill" (locbench.leaderboard.safety.fault_point),
so the build dies at an exact point instead of after a timing guess.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main

REPO = Path(__file__).resolve().parents[1]


def seed_results(root: Path) -> None:
    from locbench.datasets import get_dataset
    from locbench.results import build_result, write_result

    spec = get_dataset("birdsnap")
    for i, mid in enumerate(["m-a", "m-b"]):
        rng = np.random.default_rng(i)
        n = 60
        hit = rng.random(n) < 0.6
        rank = np.where(hit, 1, rng.integers(2, 5, n))
        df = pd.DataFrame({"sample_id": np.arange(n).astype(str), "lon": rng.uniform(-100, -70, n),
                           "lat": rng.uniform(30, 50, n), "y_true": "1", "y_pred": np.where(hit, "1", "2"),
                           "true_class_prob": rng.uniform(0, 1, n), "reciprocal_rank": 1.0 / rank,
                           "hit@1": hit.astype(float), "hit@3": (rank <= 3).astype(float)})
        write_result(root, build_result(model_id=mid, spec=spec, split=None, predictions=df,
                                        compute_geobias_scores=False))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Results of two models and v0001 built with HTML (so leaderboard/index.html exists)."""
    from locbench.leaderboard.build import build_version

    root = tmp_path_factory.mktemp("crash") / "root"
    seed_results(root)
    assert build_version(root, render=True, notify=lambda s: None).created
    return root


def published(root: Path) -> dict[str, str]:
    """sha256 of every published file: the version folders and index.html (lock and partials excluded)."""
    lb = root / "leaderboard"
    return {p.relative_to(lb).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lb.rglob("*")) if p.is_file() and not p.name.startswith(".")
            and not any(part.startswith(".") for part in p.relative_to(lb).parts)}


def locbench(root: Path, *args: str, fault: str | None = None, **popen: object) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("LOCBENCH_BUILD_FAULT", None)
    if fault:
        env["LOCBENCH_BUILD_FAULT"] = fault
    return subprocess.Popen([sys.executable, "-m", "locbench", "leaderboard", "build", "--root", str(root), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, " ".join((cap.out + cap.err).split())


@pytest.mark.parametrize("stage", ["locked", "tables", "html", "renamed"])
def test_killed_build_leaves_published_files_and_is_cleaned_by_the_next_build(
        built: Path, tmp_path: Path, stage: str, capsys: pytest.CaptureFixture) -> None:
    root = tmp_path / "root"
    shutil.copytree(built, root)
    before = published(root)
    proc = locbench(root, "--force-new", fault=f"{stage}:kill")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    lb = root / "leaderboard"
    after = published(root)
    assert {k: v for k, v in after.items() if not k.startswith("v0002/")} == before  # v0001 and index.html
    partials = sorted(p.name for p in lb.glob(".v*.partial"))
    assert bool(partials) == (stage in ("tables", "html"))
    assert (lb / ".build.lock").read_text().strip() == str(proc.pid)  # the killed build's pid stays behind
    assert (lb / "v0002").is_dir() == (stage == "renamed")

    # the next build of any kind (here: one that finds nothing to build) cleans up and says what it did
    code, text = run_cli(capsys, "leaderboard", "build", "--root", str(root), *(
        [] if stage == "renamed" else ["--no-html"]))
    assert code == 0, text
    assert f"cleared a stale build lock left by pid {proc.pid}" in text
    for name in partials:
        assert f"removed {name}, the partial folder of a build that was killed" in text
    assert not list(lb.glob(".v*.partial")) and not (lb / ".build.lock").exists()
    if stage == "renamed":  # published but the index still pointed at v0001: the next build repoints it
        assert "index.html was behind v0002" in text and "inputs unchanged since v0002" in text
        assert "v0002/" in (lb / "index.html").read_text()
    else:
        assert published(root) == before and "inputs unchanged since v0001" in text


def test_two_builds_at_once_wait_for_each_other(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(built, root)
    first = locbench(root, "--force-new", "--no-html", fault="locked:sleep=3")
    assert first.stderr is not None
    line = first.stderr.readline()
    deadline = time.monotonic() + 60
    while "fault point locked" not in line and time.monotonic() < deadline:
        line = first.stderr.readline()
    assert "fault point locked" in line
    second = locbench(root, "--force-new", "--no-html")
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    text2 = " ".join((out2 + err2).split())
    assert f"waiting for another leaderboard build (pid {first.pid}) to finish" in text2
    assert "built v0002" in " ".join(out1.split()) and "built v0003" in text2  # never the same version
    assert not (root / "leaderboard" / ".build.lock").exists()
