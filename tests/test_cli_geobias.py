"""`locbench geobias`: reads CSV / .csv.gz / Parquet, prints a table, writes per-ROI CSV + JSON, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locbench.cli import main


def make_table(n: int = 150, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(7.0, 13.0, n)
    lat = rng.uniform(37.5, 42.5, n)
    hit = (rng.random(n) < np.where(lon > 11, 0.3, 0.9)).astype(int)
    df = pd.DataFrame({"lon": lon, "lat": lat, "hit@1": hit, "err_km": rng.gamma(2.0, 400.0, n)})
    df.loc[7, ["lon", "lat"]] = np.nan  # unlocated row
    return df


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_formats_per_roi_and_json(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture) -> None:
    df = make_table()
    src = tmp_path / f"res{suffix}"
    df.to_parquet(src) if suffix == ".parquet" else df.to_csv(src, index=False)
    roi, rep = tmp_path / "out" / "roi.csv", tmp_path / "out" / "rep.json"
    code = main(["geobias", str(src), "--value", "hit@1", "--scores", "ssi,sri", "--per-roi", str(roi),
                 "--json", str(rep)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "mSSI" in out and "1 dropped" in out
    per = pd.read_csv(roi)
    assert len(per) == len(df) and list(per["row"]) == list(range(len(df)))
    for col in ("row", "lon", "lat", "n_roi", "unmarked_ssi", "marked_ssi", "sri_scale_grid", "sri_distance_lag",
                "sri_direction_sector", "sri_weight"):
        assert col in per.columns
    assert np.isnan(per.loc[7, "marked_ssi"]) and per["marked_ssi"].drop(index=7).notna().all()
    d = json.loads(rep.read_text())
    assert d["counts"] == {"n_input": 150, "n_dropped_nan": 1, "n_used": 149}
    assert d["params"]["value_name"] == "hit@1" and d["input"]["value"] == "hit@1"
    assert d["summary"]["marked_ssi"] == pytest.approx(per["marked_ssi"].mean())
    assert not list((tmp_path / "out").glob(".*tmp"))  # atomic writes leave no temp files


def test_threshold_options(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "geo.csv"
    make_table().to_csv(src, index=False)
    rep = tmp_path / "r.json"
    assert main(["geobias", str(src), "--value", "err_km", "--threshold", "750", "--lower-is-better",
                 "--scores", "ssi", "--radius", "318.55", "--radius-unit", "km", "--json", str(rep)]) == 0
    d = json.loads(rep.read_text())
    assert d["params"]["threshold"] == 750 and d["params"]["lower_is_better"] is True
    assert d["params"]["radius_rad"] == pytest.approx(318.55 / 6371.0)


@pytest.mark.parametrize("mutate,args,needle", [
    (lambda df: df.assign(**{"hit@1": df["hit@1"].astype(object).where(df.index != 4, "oops")}), [],
     "row 4, column 'hit@1'"),
    (lambda df: df.assign(lat=df["lat"].where(df.index != 9, 123.0)), [], "row 9, column 'lat'"),
    # row 7 is unlocated, so the bad value in row 12 sits at position 11 of the located rows
    (lambda df: df.assign(**{"hit@1": df["hit@1"].astype(float).where(df.index != 12, np.nan)}), [],
     "row 12, column 'hit@1'"),
    (lambda df: df, ["--value", "missing"], "column 'missing'"),
    (lambda df: df.head(4), [], "at least --weight-k + 1"),
    (lambda df: df, ["--preset", "pygbs", "--scores", "sri"], "defective"),
])
def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture, mutate, args, needle) -> None:
    src = tmp_path / "bad.csv"
    mutate(make_table()).to_csv(src, index=False)
    argv = ["geobias", str(src), "--value", "hit@1", "--scores", "ssi", *args]
    if "--value" in args:
        argv = ["geobias", str(src), *args]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and str(src) in err


def test_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["geobias", str(tmp_path / "nope.csv"), "--value", "hit@1"]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_help_has_examples(capsys: pytest.CaptureFixture) -> None:
    assert main(["geobias", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--per-roi" in out and "Examples" in out


def test_option_defaults_are_the_config_defaults() -> None:
    """Every geo-bias setting the CLI offers defaults to georbias.config.DEFAULTS, and so does georbias.score."""
    import dataclasses
    import inspect

    import typer.main

    import georbias
    from georbias.config import DEFAULTS, GeoBiasConfig
    from locbench.cli import app

    cmd = typer.main.get_command(app).commands["geobias"]
    cli = {p.name: p.default for p in cmd.params}
    fields = [f for f in dataclasses.fields(GeoBiasConfig) if f.name != "coords_unit"]  # the CLI reads degrees only
    assert len(fields) == 12
    for f in fields:
        assert cli[f.name] == f.default == getattr(DEFAULTS, f.name), f.name
    signature = inspect.signature(georbias.score).parameters
    for f in dataclasses.fields(GeoBiasConfig):
        assert signature[f.name].default == f.default, f.name
    assert (DEFAULTS.radius, DEFAULTS.roi_k, DEFAULTS.weight_k, DEFAULTS.permutations) == (0.05, 100, 4, 99)
