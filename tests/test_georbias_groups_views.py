"""Summary-key lists have one definition (georbias.groups): every consumer's list is a declared
view, every view names declared keys, and the score registry's directions agree with the
declarations (issue 23, "Shape")."""

from __future__ import annotations

from georbias.groups import GROUPS, SUMMARY_KEYS, VIEWS, view, view_by_group


def test_views_name_declared_keys_only() -> None:
    for name, keys in VIEWS.items():
        assert set(keys) <= set(SUMMARY_KEYS), name
        assert len(set(keys)) == len(keys), f"{name} repeats a key"


def test_consumers_read_the_views() -> None:
    from locbench.commands.geobias import SCORE_GROUPS
    from locbench.leaderboard import render, rows, tables

    assert rows.GEOBIAS_KEYS == view("columns")
    assert tables.COLUMN_KEYS[tables.COLUMN_KEYS.index("unmarked_ssi"):][:len(view("described"))] == view("described")
    assert render.REFERENCE_KEYS == view("reference") and render.DIAGNOSTIC_KEYS == view("diagnostic")
    assert SCORE_GROUPS == view_by_group("cli")
    assert tuple(k for keys in SCORE_GROUPS.values() for k in keys) == view("cli")


def test_registry_directions_match_declarations() -> None:
    from locbench.scoreinfo import SCORES

    checked = 0
    for group in GROUPS:
        for key in group.summary:
            if key.name in SCORES and key.role == "score":
                assert SCORES[key.name].direction == key.direction, key.name
                checked += 1
    assert checked >= 12
