"""Ctrl-C and progress of long commands: SIGINT ends `locbench geobias` with exit 130 within 2 s,
one "interrupted" line and no output file; a run whose stderr is not a terminal prints plain
progress lines (stage, done/total, rate, ETA)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench import progress

ROOT = Path(__file__).resolve().parents[1]


def _big_file(path: Path, n: int, seed: int = 3) -> Path:
    """Clustered global points with 0/1 hits: seconds of SSI/SRI work."""
    rng = np.random.default_rng(seed)
    c_lat, c_lon = rng.uniform(-50, 60, 40), rng.uniform(-170, 170, 40)
    w = rng.integers(0, 40, n)
    df = pd.DataFrame({"lon": c_lon[w] + rng.normal(0, 1.5, n), "lat": c_lat[w] + rng.normal(0, 1.0, n),
                       "hit": (rng.random(n) < 0.6).astype(int)})
    df.to_csv(path, index=False)
    return path


def _start(args: list[str], interval: float) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               **{progress.INTERVAL_ENV: str(interval)})
    return subprocess.Popen([sys.executable, "-m", "locbench", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    seen, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    proc.kill()
    raise AssertionError(f"no {needle!r} line within {timeout} s; stderr so far: {''.join(seen)}")


def test_sigint_exits_130_fast_and_writes_nothing(tmp_path: Path) -> None:
    src = _big_file(tmp_path / "big.csv", 60_000)
    out = tmp_path / "report.json"
    proc = _start(["geobias", str(src), "--value", "hit", "--json", str(out)], interval=0.2)
    _wait_for_line(proc, "geobias: ssi ", timeout=120)   # the SSI chunks are running on the worker threads
    time.sleep(0.5)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    took = time.monotonic() - t0
    rest = proc.stderr.read()
    assert rc == 130, rest
    assert took < 2.0, f"took {took:.2f} s to stop"
    assert [ln for ln in rest.splitlines() if ln.strip() and not ln.startswith("geobias:")] == ["interrupted"]
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temporaries left


def test_non_tty_run_prints_progress_lines(tmp_path: Path) -> None:
    src = _big_file(tmp_path / "small.csv", 3_000)
    proc = _start(["geobias", str(src), "--value", "hit", "--scores", "ssi,sri"], interval=0.05)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = [ln for ln in err.splitlines() if ln.startswith("geobias: ")]
    stages = {ln.split()[1] for ln in lines}
    assert {"ssi", "sri"} <= stages, err
    done = [ln for ln in lines if ln.startswith("geobias: ssi 3,000/3,000 ")]
    assert done and "/s" in done[-1] and "done" in done[-1]


def test_plain_reporter_heartbeat_and_format() -> None:
    buf = io.StringIO()
    with progress.PlainReporter("build", stream=buf, interval=0.1) as rep:
        rep("score", 0, 200)        # first call: a line at once
        rep("score", 50, 200)       # within the interval: no line
        time.sleep(0.35)            # nothing reported: the heartbeat repeats the last state
        rep("score", 200, 200)      # the end: a line at once
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("build: score 0/200 (")
    beats = [ln for ln in lines if ln.startswith("build: score 50/200 (")]
    assert 1 <= len(beats) <= 4 and "ETA" in beats[0]
    assert lines[-1].startswith("build: score 200/200 (") and "done" in lines[-1]


@pytest.mark.parametrize("done,total,elapsed,want", [(10, 40, 5.0, "2/s, ETA 15s"), (0, 40, 5.0, "ETA ?"),
                                                     (40, 40, 80.0, "done, 1m20s elapsed")])
def test_format_line(done: int, total: int, elapsed: float, want: str) -> None:
    assert want in progress.format_line("import", "torchspatial", done, total, elapsed)
