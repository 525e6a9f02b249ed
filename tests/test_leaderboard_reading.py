"""The reading rules of a dataset's rows: honest geo-bias marks, ties, undefined reasons, the paper."""

from __future__ import annotations

from locbench.leaderboard import published, reading
from locbench.leaderboard.rows import ScoreRow


def row(mid: str, top1: float, hv: float | None, sig: bool, *, low: float | None = None, high: float | None = None,
        rank: int | None = None, **extra) -> ScoreRow:
    boot = None if low is None else {"metric": "top1", "n_resamples": 1000, "seed": 0, "level": 0.95, "low": low,
                                     "high": high}
    return ScoreRow.from_dict({"model_id": mid, "dataset": "birdsnap", "rank": rank, "metrics": {"top1": top1},
                               "bootstrap": boot, "geobias": {"headline_value": hv, "headline_significant": sig},
                               **extra})


def test_no_prior_is_recognised_by_card_or_id() -> None:
    assert reading.is_no_prior("torchspatial-no_prior", {}) and reading.is_no_prior("x", {"encoder_family": "baseline"})
    assert not reading.is_no_prior("pianoprior", {})


def test_interval_text() -> None:
    rows = [row("lead", 74.0, None, False, low=73.0, high=75.0, rank=1), row("none", 73.95, None, False, rank=4)]
    assert reading.ci_text(rows[0], "top1") == "[73.00, 75.00]" and reading.ci_text(rows[1], "top1") is None
    assert reading.p_sentence("p", "< 0.001") == "p < 0.001" and reading.p_sentence("p", "0.012") == "p = 0.012"


def test_undefined_constant_and_p_values() -> None:
    r = row("m", 70.0, None, False, geobias_undefined={"sri_scale_grid": "no ROI reaches partition_min=20"})
    assert reading.text_or_undefined(r, "sri_scale_grid", {}) == (None, "undefined",
                                                                   "undefined: no ROI reaches partition_min=20")
    assert reading.text_or_undefined(r, "top3", {})[2].endswith("3 or fewer classes (top-3 is then 100% by construction)")
    assert reading.text_or_undefined(None, "top1", {}) == (None, "–", "not evaluated on this dataset")
    rows = [ScoreRow("a", "d", geobias={"unmarked_ssi": 5.0, "marked_ssi": 1.0}),
            ScoreRow("b", "d", geobias={"unmarked_ssi": 5.0, "marked_ssi": 2.0})]
    assert reading.constant_values(rows, ["unmarked_ssi", "marked_ssi"]) == {"unmarked_ssi": 5.0}
    assert reading.constant_values(rows[:1], ["unmarked_ssi"]) == {}  # one model: nothing to compare
    assert reading.p_display(None, "morans_i_p_sim", 0.01, {"permutations": 99}) == "< 0.01"
    assert reading.p_display(None, "morans_i_p_sim", 0.2, {"permutations": 99}) == "0.200"
    assert reading.p_display(None, "headline_p", 1e-9, {}) == "< 0.001"
    assert reading.p_display(None, "morans_i_p", 0.0123, {}) == "0.012"


def test_paper_values_match_imported_ids_and_say_when_the_file_is_another_run() -> None:
    rbf = reading.paper_of(ScoreRow("torchspatial-rbf", "birdsnap", metrics={"top1": 69.67}), "top1")
    assert rbf == {"value": 71.79, "text": "71.79", "agrees": False, "note": rbf["note"]} and "69.67" in rbf["note"]
    wrap = reading.paper_of(ScoreRow("torchspatial-wrap", "inat2018", metrics={"top1": 73.108}), "top1")
    assert wrap["agrees"] is True and wrap["note"] is None
    nerf = published.published_for("torchspatial-NeRF", "mosaiks-population")
    assert nerf.metric == "r2" and nerf.value == 0.60 and "0.145" in nerf.note
    assert reading.paper_of(ScoreRow("locbench-wrap", "birdsnap", metrics={"top1": 72.06}),
                            "top1") is None  # our own runs are not TorchSpatial's files
    assert "TorchSpatial" in published.source()
