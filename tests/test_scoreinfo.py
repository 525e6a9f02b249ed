"""The score registry: one entry per score, the glossary generated from it, labels matching the engine."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from georbias.report import SUMMARY_KEYS
from locbench import scoreinfo
from locbench.leaderboard import tables

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scores.md"


def test_glossary_is_generated_from_the_registry() -> None:
    assert DOCS.read_text(encoding="utf-8") == scoreinfo.glossary_markdown(), \
        "docs/scores.md is stale: run `python -m locbench.scoreinfo > docs/scores.md`"


def test_every_engine_summary_key_and_metric_is_declared() -> None:
    for key in (*SUMMARY_KEYS, *tables.METRIC_KEYS, *tables.GEOBIAS_KEYS, "headline_value", "headline_z"):
        assert key in scoreinfo.SCORES, key
    for key in tables.CSV_COLUMNS:
        if key in ("primary_value", "rank", "verified", "n_rows", "n_located"):
            assert key in scoreinfo.SCORES


def test_moran_p_is_labelled_as_what_the_engine_returns() -> None:
    # georbias.autocorrelation reports p_rand (analytic, randomisation) as morans_i_p
    desc = scoreinfo.info("morans_i_p").description
    assert "analytic" in desc and "randomisation" in desc and "not a permutation" in desc


def test_directions_and_one_higher_is_better() -> None:
    assert scoreinfo.higher_is_better("top1") and not scoreinfo.higher_is_better("mae")
    assert scoreinfo.higher_is_better("r2:elevation")
    with pytest.raises(KeyError):
        scoreinfo.higher_is_better("unmarked_ssi")  # a dataset property cannot rank models
    assert scoreinfo.info("morans_i").direction == "zero" and scoreinfo.info("morans_i").higher_is_better is None
    assert {e.key for e in scoreinfo.SCORES.values() if e.role == "reference"} >= {"marked_ssi", "unmarked_ssi",
                                                                                   "sri_scale_grid"}
    cols = {c["key"]: c for c in tables.columns()}
    assert cols["marked_ssi"]["label"] == "mSSI" and cols["mae"]["higher_is_better"] is False


def test_format_digits_and_no_negative_zero() -> None:
    assert scoreinfo.fmt(71.234, "top1") == "71.23" and scoreinfo.fmt(0.01234, "sri_distance_lag") == "0.0123"
    assert scoreinfo.fmt(2262, "n_rows") == "2,262" and scoreinfo.fmt(math.nan, "r2") == "–"
    assert scoreinfo.fmt(None, "top1") == "–"
    assert scoreinfo.fmt(-1e-6, "sri_scale_grid") == "0.0000"  # never "-0.0000"
    assert scoreinfo.fmt(-0.0005, "morans_i") == "-0.001" and scoreinfo.fmt(-0.0, "r2") == "0.000"
    assert scoreinfo.info("r2:pop").label == "R² (pop)"
    assert scoreinfo.info("brand_new_stat").label == "brand_new_stat"  # unknown keys still render
