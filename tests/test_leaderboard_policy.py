"""The leaderboard policy on controlled cases: families, ties, least geo-biased, integrity flags (issue 20)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from locbench.leaderboard.policy import Verdicts, compute
from locbench.leaderboard.policy import ranks
from locbench.leaderboard.policy.families import family_for, family_of_dataset
from locbench.leaderboard.rows import ScoreRow
from locbench import resultchecks


def row(mid: str, ds: str, value: float, *, ci: float = 0.5, hv: float | None = 0.1, sig: bool = True,
        group: str = "locbench", checks: dict | None = None, sha: str | None = None, **extra) -> ScoreRow:
    boot = {"metric": "top1", "n_resamples": 1000, "seed": 0, "level": 0.95, "low": value - ci, "high": value + ci}
    return ScoreRow.from_dict({
        "model_id": mid, "dataset": ds, "group": group, "task_type": "classification", "primary_metric": "top1",
        "primary_value": value, "metrics": {"top1": value}, "bootstrap": boot, "checks": checks,
        "predictions_sha256": sha or f"{mid}/{ds}",
        "geobias": {"headline_value": hv, "headline_significant": sig, "headline_z": 3.0, "headline_p": 0.001},
        **extra})


# ---------------------------------------------------------------- families


def test_families_come_from_the_spec_not_from_names() -> None:
    assert family_of_dataset("birdsnap").key == "locbench-classification"
    assert family_of_dataset("mosaiks-population").key == "locbench-regression"
    assert family_of_dataset("geobs-eurosat").key == "geobs-classification"  # GeoBS's remote-sensing sets
    assert family_of_dataset("gair-hls-burn-scars").key == "gair-remote-sensing-segmentation"
    assert family_of_dataset("gair-sv-perception").key == "gair-street-view-regression"
    assert family_of_dataset("embedded-koppen").key == family_of_dataset("embedded-elevation").key == "embedded"
    # a regrouped dataset (GAIR's remote-sensing sets moving to `geobs`) follows its spec's group
    assert family_for("geobs", "classification", "remote-sensing (Sentinel-2)").key == "geobs-classification"
    assert family_of_dataset("not-registered", "gair", "regression").key == "gair-regression"


def test_a_single_family_model_never_leads_another_family() -> None:
    # "star" is first by far on its only (GAIR) dataset; the LocBench family must be led by a LocBench model
    rows = [row("star", "gair-eurosat", 99.0, group="gair"), row("b", "gair-eurosat", 50.0, group="gair"),
            row("b", "birdsnap", 80.0), row("c", "birdsnap", 70.0), row("b", "inat2018", 60.0),
            row("c", "inat2018", 50.0), row("d", "inat2018", 40.0)]
    v = compute(rows, {})
    loc = v.family("locbench-classification")
    assert loc is not None and "star" not in {p.model_id for p in loc.ranking} and "star" not in loc.excluded
    assert loc.ranking[0].model_id == "b" and loc.n_datasets == 2 and loc.test_datasets == ("birdsnap", "inat2018")
    assert loc.excluded == {"d": "ranked on 1 of the 2 dataset(s) the family ranking compares"}
    gair = next(f for f in v.families if f.key != "locbench-classification")
    assert [p.model_id for p in gair.ranking] == ["star", "b"] and gair.n_models == 2


# ---------------------------------------------------------------- ranks honour uncertainty


def test_statistically_tied_models_share_a_rank() -> None:
    rows = [row("a", "birdsnap", 80.0, ci=1.0), row("b", "birdsnap", 79.5, ci=1.0), row("c", "birdsnap", 70.0),
            row("d", "birdsnap", 69.8)]
    ranking = compute(rows, {}).datasets["birdsnap"].ranking
    assert [(p.model_id, p.rank, p.group) for p in ranking] == [("a", 1, 0), ("b", 1, 0), ("c", 3, 1), ("d", 3, 1)]
    # the paired interval (same samples) can separate what two overlapping intervals cannot
    paired = {"peers": {"a": {"r": 0.9, "n": 500, "diff": -0.5, "diff_low": -0.9, "diff_high": -0.1}}}
    rows[1] = row("b", "birdsnap", 79.5, ci=1.0, checks=paired)
    ranking = compute(rows, {}).datasets["birdsnap"].ranking
    assert [(p.model_id, p.rank) for p in ranking][:2] == [("a", 1), ("b", 2)]
    assert ranking[1].basis == "leader"


def test_a_rank_never_puts_a_model_below_one_with_a_worse_value() -> None:
    """b (79.5) is significantly worse than a on paired samples; c (79.0) is not (its paired interval is
    wide). c must not share a's rank while b, with the better value, ranks below it: the group stops at b."""
    def paired(lo: float, hi: float) -> dict:
        return {"peers": {"a": {"r": 0.5, "n": 500, "diff": (lo + hi) / 2, "diff_low": lo, "diff_high": hi}}}

    def case(ci: float) -> list[tuple[str, int]]:
        rows = [row("a", "birdsnap", 80.0, ci=ci), row("b", "birdsnap", 79.5, ci=ci, checks=paired(-0.9, -0.1)),
                row("c", "birdsnap", 79.0, ci=ci, checks=paired(-2.5, 0.5)), row("d", "birdsnap", 60.0, ci=ci)]
        return [(p.model_id, p.rank) for p in compute(rows, {}).datasets["birdsnap"].ranking]

    # c vs b has no paired record: bootstrap intervals [79.2, 79.8] and [78.7, 79.3] overlap, so c ties b
    assert case(0.3) == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]
    # [79.3, 79.7] and [78.8, 79.2] do not: c is third (it used to share a's rank 1 in both cases)
    assert case(0.2) == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]


def test_tie_group_ranks_are_monotone_in_value_on_random_cases() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(2, 9))
        values = rng.normal(80, 2, n).round(1)
        entries = []
        for i, v in enumerate(values):
            peers = {f"m{j}": tuple(sorted(rng.normal(v - values[j], 1.0, 2))) for j in range(n) if j != i}
            entries.append(ranks.Entry(f"m{i}", float(v), float(v) - 0.5, float(v) + 0.5, peers))
        for higher in (True, False):
            placed = ranks.tie_groups(entries, higher)
            key = [(-p.value if higher else p.value) for p in placed]
            assert key == sorted(key)
            assert [p.rank for p in placed] == sorted(p.rank for p in placed)


def test_family_ranks_follow_friedman_and_the_nemenyi_critical_difference() -> None:
    # Demšar's CD for k = 3 models, N = 10 datasets at alpha 0.05: q = 2.343, CD = 2.343 * sqrt(12 / 60)
    test = ranks.friedman_nemenyi([{"a": 1.0, "b": 2.0, "c": 3.0}] * 10)
    assert test.cd == pytest.approx(2.3437 * np.sqrt(3 * 4 / 60), rel=1e-3)
    from scipy.stats import friedmanchisquare

    data = np.array([[1.0, 2.0, 3.0]] * 10)
    assert test.friedman_chi2 == pytest.approx(friedmanchisquare(*data.T).statistic)
    placed = ranks.family_groups(test)
    assert [(p.model_id, p.rank) for p in placed] == [("a", 1), ("b", 1), ("c", 3)]  # |1 - 2| < CD 1.05 < |1 - 3|
    noise = ranks.friedman_nemenyi([{"a": 1.0, "b": 2.0}, {"a": 2.0, "b": 1.0}])
    assert {p.rank for p in ranks.family_groups(noise)} == {1}  # Friedman p >= 0.05: everybody ties


# ---------------------------------------------------------------- least geo-biased


def _gb_rows(**over: tuple[float, bool]) -> list[ScoreRow]:
    base = {"no_prior": (60.0, 0.01, True), "neg": (80.0, -0.20, True), "ns": (80.0, 0.001, False),
            "pos": (80.0, 0.05, True), "pos2": (81.0, 0.08, True), "weak": (60.2, 0.02, True)}
    base.update({k: (base[k][0], *v) for k, v in over.items()})
    return [row(m, "birdsnap", acc, hv=hv, sig=sig) for m, (acc, hv, sig) in base.items()]


def test_negative_nonsignificant_and_baseline_values_are_never_least_geobiased() -> None:
    cards = {"no_prior": {"encoder_family": "baseline"}}
    d = compute(_gb_rows(), cards).datasets["birdsnap"]
    # "neg" and "ns" are eligible (better than no-prior) but show no detectable clustering: nobody is named
    assert d.least_geobiased == () and "no detectable clustering" in (d.withheld or "")
    assert "weak" not in d.eligible and "no_prior" not in d.eligible  # not better than the baseline / the baseline
    rows = [r for r in _gb_rows() if r.model_id not in ("neg", "ns")]
    d = compute(rows, cards).datasets["birdsnap"]
    assert d.least_geobiased == ("pos",) and d.withheld is None  # the baseline's 0.01 and weak's 0.02 are lower
    only_base = [r for r in rows if r.model_id in ("no_prior", "weak")]
    d = compute(only_base, cards).datasets["birdsnap"]
    assert d.least_geobiased == () and "significantly better" in (d.withheld or "")
    readings = {h.model_id: h.reading for h in compute(_gb_rows(), cards).datasets["birdsnap"].headlines}
    assert readings["neg"] == readings["ns"] == "no detectable clustering" and readings["pos"] == "clustered"


def test_without_a_baseline_the_reference_is_chance_and_flagged_results_lose_highlights() -> None:
    chance = {"chance": 40.0, "chance_rule": "majority-class rate"}
    flag = {**chance, "flags": [{"code": "misaligned", "message": "uncorrelated"}]}
    rows = [row("near", "gair-eurosat", 40.3, hv=0.01, checks=chance, group="gair"),
            row("good", "gair-eurosat", 90.0, hv=0.30, checks=chance, group="gair"),
            row("odd", "gair-eurosat", 95.0, hv=0.02, checks=flag, group="gair")]
    v = compute(rows, {})
    d = v.datasets["gair-eurosat"]
    assert d.reference["kind"] == "chance" and d.least_geobiased == ("good",)
    odd = v.result("odd", "gair-eurosat")
    assert odd is not None and odd.rank == 1 and not odd.best and [f.code for f in odd.flags] == ["misaligned"]
    good = v.result("good", "gair-eurosat")  # significantly behind "odd": not bold, but least geo-biased
    assert good is not None and good.rank == 2 and not good.best and good.least_geobiased


def test_duplicate_prediction_files_are_flagged_at_build() -> None:
    rows = [row("a", "birdsnap", 80.0, sha="same"), row("b", "birdsnap", 80.0, sha="same"),
            row("c", "birdsnap", 70.0)]
    v = compute(rows, {})
    assert [f.code for f in v.result("a", "birdsnap").flags] == ["duplicate"]  # type: ignore[union-attr]
    assert not v.result("c", "birdsnap").flags  # type: ignore[union-attr]


def test_verdicts_round_trip_through_json() -> None:
    v = compute(_gb_rows(), {"no_prior": {"encoder_family": "baseline"}}, "v0009")
    back = Verdicts.from_dict(json.loads(json.dumps(v.to_dict())))
    assert back == v


# ---------------------------------------------------------------- integrity checks at scoring time


def _frames(n: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Five models whose hits share a per-sample difficulty (as real models on the same images do)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"s{i:05d}" for i in range(n)])
    labels = rng.choice(10, size=n, p=[0.4] + [0.6 / 9] * 9)
    difficulty = rng.normal(size=n)
    out = {}
    for j, skill in enumerate((1.0, 0.8, 0.6, 0.4, 0.2)):
        hit = (difficulty + rng.normal(scale=0.8, size=n) < skill).astype(int)
        pred = np.where(hit == 1, labels, (labels + 1) % 10)
        out[f"m{j}"] = pd.DataFrame({"sample_id": ids, "lon": 0.0, "lat": 0.0, "y_true": labels.astype(str),
                                     "y_pred": pred.astype(str), "true_class_prob": np.nan,
                                     "reciprocal_rank": np.nan, "hit@1": hit, "hit@3": hit})
    return out


def _stub(mid: str, df: pd.DataFrame) -> SimpleNamespace:
    from locbench.results import predictions_sha256

    return SimpleNamespace(model_id=mid, dataset="gair-eurosat", task_type="classification", primary_metric="top1",
                           primary_value=100.0 * df["hit@1"].mean(), predictions_sha256=predictions_sha256(df))


def test_a_shuffled_rows_copy_is_flagged_as_misaligned() -> None:
    frames = _frames()
    shuffled = frames["m1"].copy()
    order = np.random.default_rng(1).permutation(len(shuffled))
    for col in ("y_true", "y_pred", "hit@1", "hit@3"):  # rows attached to other samples' ids and locations
        shuffled[col] = shuffled[col].to_numpy()[order]
    frames["shuffled"] = shuffled
    checks = resultchecks.check_dataset([_stub(m, df) for m, df in frames.items()], frames)  # type: ignore[list-item]
    assert [f.code for f in checks["shuffled"].flags] == ["misaligned"]
    assert all(not checks[m].flags for m in frames if m != "shuffled")
    assert abs(checks["shuffled"].peers["m0"]["r"]) < 0.06 < checks["m1"].peers["m0"]["r"]
    # a reordered copy of another model's file is not misaligned, it is a duplicate
    frames["shuffled"] = frames["m1"].sample(frac=1.0, random_state=3)
    checks = resultchecks.check_dataset([_stub(m, df) for m, df in frames.items()], frames)  # type: ignore[list-item]
    assert [f.code for f in checks["shuffled"].flags] == [f.code for f in checks["m1"].flags] == ["duplicate"]
    assert checks["shuffled"].peers["m1"]["r"] == pytest.approx(1.0)


def test_a_near_chance_result_is_flagged_and_chance_comes_from_the_labels() -> None:
    frames = _frames()
    n = len(frames["m0"])
    chancy = frames["m0"].copy()
    chancy["y_pred"] = "0"  # always the majority class: top-1 = the majority-class rate
    chancy["hit@1"] = (chancy["y_true"] == "0").astype(int)
    frames["chancy"] = chancy
    checks = resultchecks.check_dataset([_stub(m, df) for m, df in frames.items()], frames)  # type: ignore[list-item]
    rate = 100.0 * (frames["m0"]["y_true"] == "0").sum() / n
    assert checks["m0"].chance == pytest.approx(rate)
    assert "near_chance" in [f.code for f in checks["chancy"].flags] and checks["chancy"].skill == pytest.approx(0.0)
    assert all("near_chance" not in [f.code for f in checks[m].flags] for m in ("m0", "m1", "m2"))
    paired = checks["m0"].peers["m1"]
    diff = 100.0 * (frames["m0"]["hit@1"].mean() - frames["m1"]["hit@1"].mean())
    assert paired["diff"] == pytest.approx(diff, abs=1e-6) and paired["diff_low"] < diff < paired["diff_high"]


# ---------------------------------------------------------------- the pages read the same verdicts


def _ranking_rows(html: str) -> list[tuple[str, str, bool, bool]]:
    """(rank text, model id, primary cell bold, flag badge) per row of a dataset page's ranking table."""
    import re

    table = html.split('id="t-ranking-table"', 1)[1].split("</table>", 1)[0]
    out = []
    body_rows = table.split("<tbody>", 1)[1]
    for body in re.findall(r"<tr>(.*?)</tr>", body_rows, flags=re.S):
        mid = re.search(r'href="model-([^"]+)\.html"', body).group(1)  # type: ignore[union-attr]
        tds = re.findall(r"<td([^>]*)>(.*?)</td>", body, flags=re.S)
        rank = re.sub(r"<[^>]+>", "", tds[0][1]).strip()
        out.append((rank, mid, " best" in tds[1][0], "badge flag" in body))
    return out


def test_verdicts_json_matches_what_the_pages_show(tmp_path) -> None:
    from locbench import atomic
    from locbench.leaderboard.render import render_version

    cards = {"no_prior": {"model_id": "no_prior", "name": "no_prior", "encoder_family": "baseline"}}
    flag = {"flags": [{"code": "misaligned", "message": "uncorrelated with the others"}]}
    rows = [r for r in _gb_rows() if r.model_id not in ("neg", "ns")]
    rows += [row("odd", "birdsnap", 99.0, hv=0.0, checks=flag), row("pos", "inat2018", 70.0),
             row("no_prior", "inat2018", 60.0), row("star", "gair-eurosat", 90.0, group="gair"),
             row("pos", "gair-eurosat", 80.0, group="gair")]
    v = compute(rows, cards, "v0001")
    folder = tmp_path / "leaderboard" / "v0001"
    atomic.write_json(folder / "scores.json", {"version": "v0001", "created": "", "rows": [r.to_dict() for r in rows],
                                               "models": cards, "datasets": {}})
    atomic.write_json(folder / "verdicts.json", v.to_dict())
    render_version(folder, versions=["v0001"], root=tmp_path, maps="none")
    page = (folder / "dataset-birdsnap.html").read_text(encoding="utf-8")
    shown = _ranking_rows(page)
    expect = {(x.model_id): x for x in v.results if x.dataset == "birdsnap"}
    assert {m for _, m, _, _ in shown} == set(expect)
    for rank, mid, bold, flagged in shown:
        x = expect[mid]
        assert rank == str(x.rank) and bold == x.best and flagged == bool(x.flags)
    d = v.datasets["birdsnap"]
    assert d.least_geobiased == ("pos",) and 'href="model-pos.html">pos</a> (headline' in page
    assert "odd" not in d.eligible and any(x.flags for x in expect.values())
    overview = (folder / "index.html").read_text(encoding="utf-8")
    for fam in v.families:
        section = overview.split(f'id="family-{fam.key}"', 1)[1].split("</section>", 1)[0]
        import re

        listed = re.findall(r'<span class="rk">(\d+)</span> <a href="model-([^".]+)\.html">', section)
        assert listed == [(str(p.rank), p.model_id) for p in fam.ranking]
    # the LocBench family is led by a LocBench model, never by the GAIR-only "star"
    assert "star" not in {p.model_id for p in v.family("locbench-classification").ranking}  # type: ignore[union-attr]


def test_peer_statistics_do_not_depend_on_row_order() -> None:
    """Correlations and paired differences are computed over sorted shared ids: shuffled files, same bits."""
    import numpy as np
    import pandas as pd

    from locbench.resultchecks import pair_correlations, paired_difference

    rng = np.random.default_rng(7)
    ids = [f"s{i:05d}" for i in range(4000)]
    a = pd.Series(rng.random(4000), index=ids)
    b = pd.Series(a.to_numpy() + rng.normal(0, 0.3, 4000), index=ids)
    hits_a = pd.Series((rng.random(4000) < 0.7).astype(float), index=ids)
    hits_b = pd.Series((rng.random(4000) < 0.6).astype(float), index=ids)
    shuffled = {k: s.sample(frac=1.0, random_state=i) for i, (k, s) in enumerate({"a": a, "b": b}.items())}
    assert pair_correlations({"a": a, "b": b}) == pair_correlations(shuffled)
    assert pair_correlations({"a": a, "b": b})[("a", "b")][0] > 0.5
    assert paired_difference(hits_a, hits_b, "top1") == paired_difference(hits_a.sample(frac=1.0, random_state=1),
                                                                           hits_b.sample(frac=1.0, random_state=2),
                                                                           "top1")


def test_changes_names_the_cross_family_mean_rank_only_when_the_old_version_had_one():
    """v0002 kept one mean rank per model over all datasets; v0003's per-family mean ranks are not that."""
    from locbench.leaderboard.tables import _method_changes

    gone = "the mean rank over all of a model's datasets (mixing task families) is gone"
    v0002_like = {"aggregates": {"m": {"mean_rank": 2.5, "n_datasets": 3}}}
    v0003_like = {"aggregates": {"m": {"families": {"f": {"mean_rank": 2.5, "rank": 1}}, "n_datasets": 3}}}
    assert any(line.startswith(gone) for line in _method_changes({}, {}, v0002_like, None))
    assert not any(line.startswith(gone) for line in _method_changes({}, {}, v0003_like, None))


def test_changes_name_a_reworded_verdict_rule_and_only_that():
    from locbench.leaderboard.policy.verdicts import RULES
    from locbench.leaderboard.tables import changes_markdown

    rows = [row("a", "birdsnap", 80.0), row("b", "birdsnap", 70.0)]
    old = {**RULES, "dataset_ranks": "Per dataset, models share a rank when not significantly worse."}
    text = changes_markdown("v0002", "v0001", rows, rows, old_rules=old, new_rules=RULES)
    method = text.split("## Changes of method or column meaning")[1].split("##")[0]
    assert f"verdict rule 'dataset_ranks' now reads: {RULES['dataset_ranks']} (was: {old['dataset_ranks']})" in method
    assert method.count("verdict rule") == 1
    same = changes_markdown("v0002", "v0001", rows, rows, old_rules=RULES, new_rules=RULES)
    assert "verdict rule" not in same and "verdict rule" not in changes_markdown("v0002", "v0001", rows, rows)
