"""Versioned leaderboard: `build.py` freezes results into `leaderboard/vNNNN/`, `tables.py` makes the
rows (`rows.ScoreRow`)/ranks/aggregates, `render.py` the offline HTML.

`build_leaderboard(root)` is `locbench.leaderboard.build.build(root)`, imported lazily (the submodule
is named `build`, so the package does not re-export a function of that name).
"""

from __future__ import annotations

from pathlib import Path


def build_leaderboard(root: str | Path = ".", *, force_new: bool = False, render: bool = True) -> Path:
    """Build the next leaderboard version under root/leaderboard and return its folder."""
    from locbench.leaderboard.build import build

    return build(root, force_new=force_new, render=render)
