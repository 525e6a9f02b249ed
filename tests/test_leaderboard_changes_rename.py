"""CHANGES.md across a dataset-id migration (gair-* -> geobs-*): listed as renamed, scores compared."""

from __future__ import annotations

from locbench.leaderboard.rows import ScoreRow
from locbench.leaderboard.tables import changes_markdown


def _row(dataset: str, value: float, sha: str = "a") -> ScoreRow:
    return ScoreRow(model_id="geobs-croma-linear", dataset=dataset, primary_value=value, predictions_sha256=sha)


def test_renamed_dataset_is_listed_and_its_scores_compared():
    old = [_row("gair-eurosat", 92.87), _row("gair-worldstrat-ipcc", 50.0)]
    new = [_row("geobs-eurosat", 92.87), _row("geobs-worldstrat-ipcc", 51.0)]
    text = changes_markdown("v0003", "v0002", old, new)
    renamed = text.split("## Datasets renamed")[1].split("##")[0]
    assert "- gair-eurosat -> geobs-eurosat" in renamed and "- gair-worldstrat-ipcc -> geobs-worldstrat-ipcc" in renamed
    changed = text.split("## Changed scores")[1]
    assert "geobs-croma-linear on geobs-worldstrat-ipcc: primary_value 50 -> 51" in changed
    assert "geobs-eurosat:" not in changed  # same score, same predictions: not a change
    assert "## Results added\n\n- none" in text and "## Results removed\n\n- none" in text


def test_no_rename_section_without_a_migration():
    text = changes_markdown("v0003", "v0002", [_row("gair-eurosat", 1.0)], [_row("gair-eurosat", 1.0)])
    assert "Datasets renamed" not in text


def test_overview_gair_family_links_results_and_explains_empty_cells():
    from locbench.leaderboard.render import gair_family

    fam = gair_family({"yfcc", "inat2018"})
    assert [t["task"] for t in fam][-1] == "geo-aware Flickr image classification" and len(fam) == 10
    flickr, species = fam[-1]["datasets"][0], fam[8]["datasets"]
    assert flickr["href"] == "dataset-yfcc.html"
    assert [d["href"] is not None for d in species] == [False, False, False, False, True]
    assert species[0]["empty"].startswith("no results yet") and "-d birdsnap " in species[0]["empty"]
