"""`locbench geobias`: the headline object in --json, warnings printed, --threshold nan is exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main


def _table(n: int = 200, seed: int = 3, radians: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-40, 40, n), rng.uniform(-30, 50, n)
    hit = (lon < 0).astype(int)
    if radians:
        lon, lat = np.radians(lon), np.radians(lat)
    return pd.DataFrame({"lon": lon, "lat": lat, "hit@1": hit})


def test_json_carries_the_headline(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src, rep = tmp_path / "r.csv", tmp_path / "rep.json"
    _table().to_csv(src, index=False)
    code = main(["geobias", str(src), "--value", "hit@1", "--scores", "ssi", "--json", str(rep)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "headline" in out and "errors cluster in space" in out
    h = json.loads(rep.read_text())["headline"]
    assert h["score"] == "error_morans_i" and h["higher_is_more_biased"] is True
    assert h["value"] > 0.3 and h["z"] > 10 and h["significant"] is True and h["reason"] is None


def test_radian_coordinates_print_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "r.csv"
    _table(radians=True).to_csv(src, index=False)
    assert main(["geobias", str(src), "--value", "hit@1", "--scores", "ssi"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "warning: coordinates look like radians" in out


def test_nan_threshold_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "r.csv"
    _table().to_csv(src, index=False)
    assert main(["geobias", str(src), "--value", "hit@1", "--threshold", "nan"]) == 2
    assert "threshold must be a finite number" in capsys.readouterr().err
