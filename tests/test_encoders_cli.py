"""`locbench encoders list|info` (human and --json output, exit code 2 on unknown names)."""

from __future__ import annotations

import json

from locbench.cli import main


def test_list_json(capsys):
    assert main(["encoders", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Sphere2Vec-sphereM"]["pe_dim"] == 5 * 64
    assert by_name["NeRF"]["pe_dim"] == 96 and by_name["no_prior"]["family"] == "baseline"
    assert by_name["GeoCLIP"]["output_dim"] == 512


def test_list_table(capsys):
    assert main(["encoders", "list"]) == 0
    out = capsys.readouterr().out
    assert "Space2Vec-theory" in out and "no_prior" in out


def test_info_json_alias_and_presets(capsys):
    assert main(["encoders", "info", "tile_ffn", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["name"] == "tile" and d["presets"]["inat2018"]["lr"] == 0.00100363  # the published name's digits
    assert any("ONE cell" in x for x in d["deviations"])


def test_info_human(capsys):
    assert main(["encoders", "info", "spherical_harmonics"]) == 0
    out = capsys.readouterr().out
    assert "legendre_poly_num" in out and "deviation" in out


def test_info_unknown_exits_2(capsys):
    assert main(["encoders", "info", "Sphere2Vec-sphereMM"]) == 2
    assert "Did you mean" in capsys.readouterr().err
