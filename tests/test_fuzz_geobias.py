"""Seeded fuzzer of the `locbench geobias` reader (issue 13, item 6).

Random corruptions of a valid per-sample table (tests/fuzzing.py) through `locbench geobias`.
Every case ends in exit 0 with the right counts (rows read / dropped / used, recomputed here with
pandas) and finite scores, or exit 2 with an error message; never a traceback, and nothing is
written anywhere but the requested --json path (and only on success).
"""

from __future__ import annotations

import io
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fuzzing import Corruption, corruptions
from hypothesis import HealthCheck, given, settings

from locbench.cli import main

FUZZ = settings(max_examples=100, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def base_text() -> str:
    rng = np.random.default_rng(11)
    n = 60
    df = pd.DataFrame({"lon": rng.uniform(5, 15, n), "lat": rng.uniform(40, 50, n),
                       "hit@1": (rng.random(n) < 0.6).astype(int)})
    df.loc[4, ["lon", "lat"]] = np.nan
    return df.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def expected_counts(data: bytes, name: str) -> dict[str, int]:
    df = pd.read_csv(io.BytesIO(data), compression="gzip" if name.endswith(".gz") else None)
    lon = pd.to_numeric(df["lon"], errors="coerce")
    lat = pd.to_numeric(df["lat"], errors="coerce")
    located = lon.notna() & lat.notna()
    return {"n_input": len(df), "n_dropped_nan": int((~located).sum()), "n_used": int(located.sum())}


@FUZZ
@given(corruption=corruptions)
def test_fuzz_geobias_reader(corruption: Corruption, capsys: pytest.CaptureFixture) -> None:
    work = Path(tempfile.mkdtemp(prefix="fuzz-gb-"))
    try:
        name = "table.csv.gz" if corruption.kind == "gzip" else "table.csv"
        data = corruption.apply(base_text())
        (work / name).write_bytes(data)
        report = work / "out" / "report.json"
        code = main(["geobias", str(work / name), "--value", "hit@1", "--permutations", "9", "--json", str(report)])
        cap = capsys.readouterr()
        text = cap.out + cap.err
        assert "Traceback" not in text and "internal error" not in text, (corruption, text)
        assert code in (0, 2), (corruption, code, text)
        if code == 2:
            assert "error: " in cap.err, (corruption, text)
            assert sorted(p.name for p in work.rglob("*")) == [name], corruption  # nothing written
            return
        doc = json.loads(report.read_text())
        assert doc["counts"] == {**doc["counts"], **expected_counts(data, name)}, corruption
        for key in ("unmarked_ssi", "marked_ssi", "morans_i"):
            value = doc["summary"].get(key)
            assert value is None or math.isfinite(value), (corruption, key, value)
    finally:
        shutil.rmtree(work, ignore_errors=True)
