"""ScoreRow, the one typed leaderboard row: it reads every shipped version back as written, and refuses bad values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from locbench.errors import InputError
from locbench.leaderboard import render
from locbench.leaderboard.rows import KEYS, ScoreRow, rows_of
from locbench.leaderboard.tables import CSV_COLUMNS

SHIPPED = Path(__file__).resolve().parents[1] / "leaderboard"
NEWER_KEYS = {"bootstrap", "geobias_undefined", "regions", "seeds", "unranked_reason"}  # v0002 added them
AFTER_V0002 = {"checks"}  # the result's integrity checks (issue 20), read as None from older versions


def shipped_rows(version: str) -> list[dict]:
    path = SHIPPED / version / "scores.json"
    if not path.exists():
        pytest.skip(f"no shipped leaderboard {version} in this checkout")
    return json.loads(path.read_text(encoding="utf-8"))["rows"]


@pytest.mark.parametrize("version", ["v0001", "v0002"])
def test_every_shipped_row_round_trips(version: str) -> None:
    raw = shipped_rows(version)
    rows = rows_of({"rows": raw}, f"{version}/scores.json")
    assert len(rows) == len(raw) > 0
    for d, row in zip(raw, rows):
        assert ScoreRow.from_dict(row.to_dict()) == row
        assert row.extra == {}  # every key a shipped version wrote is a field
        written = row.to_dict()
        assert {k: written[k] for k in d} == d  # the values as published, nothing added or changed
        added = set(written) - set(d)
        assert added == (NEWER_KEYS if version == "v0001" else set()) | AFTER_V0002
        assert all(written[k] in (None, {}) for k in added)  # an older row's missing blocks read as empty


def test_fields_are_the_columns() -> None:
    from locbench.leaderboard.tables import HEADLINE_CSV

    # headline columns come from the row's geo-bias summary, `flags` from the policy's verdicts
    assert set(CSV_COLUMNS) - set(KEYS) == {*HEADLINE_CSV, "flags"}
    assert len(KEYS) == len(set(KEYS)) == 39
    assert set(ScoreRow("a", "d").to_dict()) == set(KEYS)


def test_value_reads_the_flat_column_then_metrics_then_geobias() -> None:
    row = ScoreRow.from_dict({"model_id": "a", "dataset": "d", "top1": None, "mae": 2.0,
                              "metrics": {"top1": 71.5, "mae": 9.0}, "geobias": {"morans_i": 0.2, "top3": 80.0},
                              "morans_i": float("nan")})
    assert row.value("top1") == 71.5  # flat null falls through to metrics
    assert row.value("mae") == 2.0  # flat wins
    assert row.value("morans_i") == 0.2 and row.morans_i is None  # NaN reads as missing
    assert row.value("top3") == 80.0 and row.value("rmse") is None


def test_unknown_keys_stay_readable_and_are_written_back() -> None:
    d = {"model_id": "a", "dataset": "d", "headline_value": 0.125, "future_note": "from a newer writer"}
    row = ScoreRow.from_dict(d)
    assert row.extra == {"headline_value": 0.125, "future_note": "from a newer writer"}
    assert row.value("headline_value") == 0.125 and row.flat("future_note") == "from a newer writer"
    assert {k: row.to_dict()[k] for k in d} == d


def test_tolerated_spellings() -> None:
    row = ScoreRow.from_dict({"model_id": "a", "dataset": "d", "verified": "yes", "metrics": "junk",
                              "geobias": None, "rank": 2.0, "n_rows": 10, "primary_value": math.inf})
    assert row.verified is True and row.metrics == {} and row.geobias == {}
    assert row.rank == 2 and isinstance(row.rank, int) and row.n_rows == 10 and row.primary_value is None
    assert ScoreRow.from_dict({"model_id": "a", "dataset": "d", "verified": "false"}).verified is False


@pytest.mark.parametrize("column, value, words", [
    ("rank", "first", "expected a number"), ("rank", 1.5, "whole number"), ("split", 3, "expected text"),
    ("top1", True, "expected a number"), ("top1", 10**400, "too large"), ("regions", [1], "expected an object"),
    ("bootstrap", {"metric": "top1"}, "missing 5 required"), ("regions", {"metric": "top1"}, "missing key"),
    ("model_id", "", "missing or empty")])
def test_a_bad_field_names_file_row_and_column(tmp_path: Path, column: str, value: object, words: str) -> None:
    good = {"model_id": "a", "dataset": "d"}
    (tmp_path / "scores.json").write_text(json.dumps({"rows": [good, {**good, column: value}]}))
    with pytest.raises(InputError, match=words) as exc:
        render.load_version(tmp_path)
    problem = exc.value.problem
    assert (Path(problem.file), problem.row, problem.column) == (tmp_path / "scores.json", 1, column)
