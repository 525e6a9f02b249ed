"""The reading rules of a dataset's rows: honest geo-bias marks, ties, undefined reasons, the paper."""

from __future__ import annotations

from dataclasses import replace

from locbench.leaderboard import published, reading
from locbench.leaderboard.rows import ScoreRow


def row(mid: str, top1: float, hv: float | None, sig: bool, *, low: float | None = None, high: float | None = None,
        rank: int | None = None, **extra) -> ScoreRow:
    boot = None if low is None else {"metric": "top1", "n_resamples": 1000, "seed": 0, "level": 0.95, "low": low,
                                     "high": high}
    return ScoreRow.from_dict({"model_id": mid, "dataset": "birdsnap", "rank": rank, "metrics": {"top1": top1},
                               "bootstrap": boot, "geobias": {"headline_value": hv, "headline_significant": sig},
                               **extra})


def test_headline_best_needs_significance_and_no_prior_accuracy() -> None:
    rows = [row("torchspatial-no_prior", 70.0, 0.30, True), row("a", 69.0, 0.01, True),  # worse than no-prior
            row("b", 72.0, 0.02, False),  # not significant
            row("c", 71.0, 0.10, True), row("d", 75.0, 0.10, True), row("e", 74.0, None, False)]
    no_prior = {r.model_id for r in rows if reading.is_no_prior(r.model_id, {})}
    assert no_prior == {"torchspatial-no_prior"}
    assert reading.headline_best(rows, "top1", "higher", no_prior) == {"c", "d"}
    assert reading.headline_best(rows, "top1", "higher", set()) == {"a"}  # no baseline on the dataset: no filter
    unranked = [replace(r, unranked_reason="different test subsets") for r in rows]
    assert reading.headline_best(unranked, "top1", "higher", no_prior) == set()
    assert reading.is_no_prior("x", {"encoder_family": "baseline"}) and not reading.is_no_prior("pianoprior", {})


def test_ties_with_the_leader_from_bootstrap_intervals() -> None:
    rows = [row("lead", 74.0, None, False, low=73.0, high=75.0, rank=1),
            row("close", 73.9, None, False, low=72.8, high=74.9, rank=2),
            row("far", 70.0, None, False, low=69.0, high=71.0, rank=3), row("none", 73.95, None, False, rank=4)]
    assert reading.tied_ids(rows) == {"close"}
    assert reading.ci_text(rows[0], "top1") == "[73.00, 75.00]" and reading.ci_text(rows[3], "top1") is None


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
