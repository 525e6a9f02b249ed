"""The lean scores.json (schema /2) and columnar regions.json (/2) written from v0004 on give back every value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from locbench.errors import InputError
from locbench.leaderboard import leanrecord, regionstore
from locbench.leaderboard.rows import rows_of

V0003 = Path(__file__).resolve().parents[1] / "leaderboard" / "v0003"


def _roundtrip(doc: dict) -> tuple[dict, dict]:
    lean = json.loads(regionstore.dumps_compact(leanrecord.pack(doc)))
    return lean, leanrecord.expand(lean, "scores.json")


def _row(model: str, peers: dict | None, **kw: object) -> dict:
    checks = None if peers is None else {"flags": [], "method": "the method text", "peers": peers}
    return {"model_id": model, "dataset": "d", "checks": checks, **kw}


def test_published_v0003_packs_to_a_third_and_expands_to_the_same_rows() -> None:
    if not (V0003 / "scores.json").is_file():
        pytest.skip("leaderboard/v0003 not in this checkout")
    doc = json.loads((V0003 / "scores.json").read_text(encoding="utf-8"))
    lean, back = _roundtrip(doc)
    assert lean["schema"] == leanrecord.SCHEMA and "geobias_params" not in lean
    assert len(regionstore.dumps_compact(lean)) < 0.4 * len(regionstore.dumps_compact(doc))
    assert rows_of(back, "x") == rows_of(doc, "x")
    assert back["geobias_params"] == doc["geobias_params"] and back["models"] == doc["models"]
    assert all(r.get("checks", {}).get("method_text") is None for r in lean["rows"])  # texts stated once
    assert len(lean["texts"]) < 10


def test_each_pair_stored_once_and_mirrors_restored_exactly() -> None:
    ab = {"diff": 1.5, "diff_low": 0.25, "diff_high": 2.75, "n": 10, "r": 0.5}
    ba = {"diff": -1.5, "diff_low": -2.75, "diff_high": -0.25, "n": 10, "r": 0.5}
    ac = {"diff": 0.0, "diff_low": -1.0, "diff_high": 1.0, "n": 9, "r": 0.1}
    ca = {"diff": 0.0, "diff_low": -1.0, "diff_high": 1.0, "n": 9, "r": 0.1}
    bc, cb = {"n": 8, "r": 0.3}, {"n": 8, "r": 0.31}  # not mirrors: both stay in their rows
    doc = {"rows": [_row("a", {"b": ab, "c": ac}), _row("b", {"a": ba, "c": bc}), _row("c", {"a": ca, "b": cb}),
                    _row("e", None), {"model_id": "f", "dataset": "d", "checks": {"flags": []}}]}
    lean, back = _roundtrip(doc)
    table = lean["peer_pairs"]["d"]
    assert len(table["pairs"]) == 2 and table["models"] == ["a", "b", "c"]
    assert [r.get("checks_values") is not None for r in lean["rows"]] == [True, True, True, False, True]
    for got, want in zip(back["rows"], doc["rows"]):  # a null field (the default) is left out
        want = {k: v for k, v in want.items() if v is not None}
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)  # -0.0 never replaces 0.0


def test_parameter_sets_as_base_plus_differences() -> None:
    base = {"params": {"k": 4, "radius": 0.05, "nested": {"x": 1, "y": [1, 2]}, "empty": {}}, "status": "ok"}
    sets = {"s1": base, "s2": {**base, "params": {**base["params"], "threshold": 0.2}},
            "s3": {**base, "params": {**base["params"], "threshold": 0.7, "nested": {"x": 2}}},
            "s4": {"status": "failed"}, "s5": {**base, "params": {**base["params"], "empty": {"now": 1}}}}
    doc = {"rows": [], "geobias_params": sets}
    lean, back = _roundtrip(doc)
    assert back["geobias_params"] == sets
    assert lean["geobias_param_sets"]["sets"]["s1"] == {}
    assert lean["geobias_param_sets"]["sets"]["s2"] == {"set": [[["params", "threshold"], 0.2]]}


def test_flat_columns_copied_from_objects_unless_stated() -> None:
    rows = [{"model_id": "a", "dataset": "d", "primary_metric": "top1", "primary_value": 70.0, "top1": 70.0,
             "metrics": {"top1": 70.0, "top3": 80.0}, "top3": None, "geobias": {"morans_i": 0.1}, "morans_i": 0.1}]
    lean, back = _roundtrip({"rows": rows})
    row = lean["rows"][0]
    assert "top1" not in row and "primary_value" not in row and "morans_i" not in row
    assert row["top3"] is None  # the object holds 80.0: the null must be stated
    assert rows_of(back, "x") == rows_of({"rows": rows}, "x")


def test_expand_leaves_older_layouts_and_names_a_broken_file() -> None:
    old = {"rows": [{"model_id": "a", "dataset": "d"}]}
    assert leanrecord.expand(old, "x") is old
    with pytest.raises(InputError, match="locbench.leaderboard-scores/2") as err:
        leanrecord.expand({"schema": leanrecord.SCHEMA, "rows": [{"model_id": "a"}]}, Path("v9/scores.json"))
    assert "v9/scores.json" in str(err.value)


def test_regions_columns_give_back_every_breakdown() -> None:
    if not (V0003 / regionstore.FILE).is_file():
        pytest.skip("leaderboard/v0003 not in this checkout")
    doc = json.loads((V0003 / regionstore.FILE).read_text(encoding="utf-8"))
    cols = {**doc, "schema": regionstore.SCHEMA_COLUMNS, "results": {
        k: {**e, **{lvl: regionstore._columns(e[lvl]) for lvl in ("continents", "countries")}}
        for k, e in doc["results"].items()}}
    cols = json.loads(regionstore.dumps_compact(cols))
    assert len(regionstore.dumps_compact(cols)) < 0.6 * len(regionstore.dumps_compact(doc))
    a, b = regionstore.breakdowns(doc, Path("a")), regionstore.breakdowns(cols, Path("b"))
    assert a == b
    assert all(repr(x.value) == repr(y.value) for k in a for x, y in zip(a[k].countries, b[k].countries))


def test_region_cells_out_of_order_or_not_exact_shares_stay_as_they_are() -> None:
    cells = [[5, 10, 30.0, 0], [2, 3, None, 1], [9, 7, 0.1 + 0.2, 0]]
    assert regionstore._columns(cells) == cells  # not in region order
    cells = [[2, 3, None, 1], [5, 10, 30.0, 0], [9, 7, 0.1 + 0.2, 0], [11, 4, 50.0, 1]]
    col = regionstore._columns(cells)
    assert col == {"i": [5, 9, 11], "n": [10, 7, 4], "v": [3, 0.1 + 0.2, 2], "f": [2], "few": {"i": [2], "n": [3]}}
    assert regionstore._cells(json.loads(json.dumps(col))) == cells
