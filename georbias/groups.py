"""The score groups georbias runs, declared once: what each produces and under which rules.

Every list of summary keys or per-ROI columns (the report's, the results files', the CLI's table)
is derived from these declarations instead of being written out again. The work itself is in
georbias.engine (`ScoreGroup.run` resolves it lazily, so importing this module stays cheap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from georbias.headline import HEADLINE_SUMMARY_KEYS

Role = Literal["score", "count", "inference", "flag"]
Direction = Literal["higher", "lower", "zero"]


@dataclass(frozen=True)
class SummaryKey:
    """One flat summary value: its name, what kind of number it is, and which way is better."""

    name: str
    role: Role
    direction: Direction | None = None   # None: no better direction (a property of the data, a p-value, a count)


@dataclass(frozen=True)
class ScoreGroup:
    """A score group: its summary keys, its per-ROI columns, the presets that offer it, the values
    it reads ("marks": after the threshold; "raw": the input values), and its runner in georbias.engine."""

    name: str
    summary: tuple[SummaryKey, ...]
    per_roi: tuple[str, ...]
    presets: tuple[str, ...]
    values: Literal["marks", "raw"]
    runner: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.summary)

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Run the group (georbias.engine.<runner>) on the engine's points and outputs."""
        from georbias import engine

        getattr(engine, self.runner)(*args, **kwargs)


_ALL = ("torchspatial", "pygbs", "locbench")

SSI = ScoreGroup(
    name="ssi",
    summary=(SummaryKey("unmarked_ssi", "score"), SummaryKey("marked_ssi", "score", "lower"),
             SummaryKey("unmarked_ssi_weighted", "score"), SummaryKey("marked_ssi_weighted", "score", "lower"),
             SummaryKey("ssi_n_nan", "count"), SummaryKey("ssi_n_saturated", "count")),
    per_roi=("n_roi", "unmarked_ssi", "marked_ssi"),
    presets=_ALL, values="marks", runner="run_ssi")

SRI = ScoreGroup(
    name="sri",
    summary=(SummaryKey("sri_scale_grid", "score", "lower"), SummaryKey("sri_distance_lag", "score", "lower"),
             SummaryKey("sri_direction_sector", "score", "lower")),
    per_roi=("sri_scale_grid", "sri_distance_lag", "sri_direction_sector", "sri_weight"),
    presets=("torchspatial", "locbench"), values="marks", runner="run_sri")

AUTOCORR = ScoreGroup(
    name="autocorr",
    summary=(SummaryKey("morans_i", "score", "zero"), SummaryKey("morans_i_p", "inference"),
             SummaryKey("gearys_c", "score"), SummaryKey("getis_ord_g_z", "score"),
             SummaryKey("lisa_low_cluster_share", "score", "lower"), SummaryKey("join_count_bb_z", "score"),
             SummaryKey("morans_i_p_sim", "inference"), SummaryKey("morans_i_p_floor", "inference"),
             SummaryKey("morans_i_p_at_floor", "flag")),
    per_roi=(), presets=_ALL, values="raw", runner="run_autocorr")

GROUPS: tuple[ScoreGroup, ...] = (SSI, SRI, AUTOCORR)
BY_NAME = {g.name: g for g in GROUPS}
SCORE_GROUPS = tuple(g.name for g in GROUPS)

# Derived lists (report, results, CLI): never write them out by hand.
SUMMARY_KEYS = tuple(k for g in GROUPS for k in g.keys) + HEADLINE_SUMMARY_KEYS
PER_ROI_COLUMNS = ("row", "lon", "lat") + tuple(c for g in GROUPS for c in g.per_roi)


# Which summary keys each consumer shows, in the order it shows them: the one place these lists are
# written (locbench's result columns, leaderboard tables and pages, the CLI table import them from
# here); every name must be a declared key above (checked at import).
VIEWS: dict[str, tuple[str, ...]] = {
    # flat geo-bias columns of result rows and scores.csv (locbench.leaderboard.rows)
    "columns": ("unmarked_ssi", "marked_ssi", "sri_scale_grid", "sri_distance_lag", "sri_direction_sector",
                "morans_i"),
    # the geo-bias columns scores.json describes (locbench.leaderboard.tables)
    "described": ("unmarked_ssi", "marked_ssi", "sri_scale_grid", "sri_distance_lag", "sri_direction_sector",
                  "morans_i", "morans_i_p"),
    # the reference-compatible scores a results page lists (locbench.leaderboard.render)
    "reference": ("marked_ssi", "marked_ssi_weighted", "unmarked_ssi", "unmarked_ssi_weighted", "sri_scale_grid",
                  "sri_distance_lag", "sri_direction_sector"),
    # its diagnostics
    "diagnostic": ("morans_i", "morans_i_p", "morans_i_p_sim", "gearys_c", "getis_ord_g_z", "lisa_low_cluster_share",
                   "join_count_bb_z", "ssi_n_nan", "ssi_n_saturated"),
    # `locbench geobias`'s summary table, split by group (locbench.commands.geobias)
    "cli": ("marked_ssi", "marked_ssi_weighted", "unmarked_ssi", "unmarked_ssi_weighted", "ssi_n_nan", "ssi_n_saturated",
            "sri_scale_grid", "sri_distance_lag", "sri_direction_sector", "morans_i", "morans_i_p", "morans_i_p_sim",
            "gearys_c", "getis_ord_g_z", "lisa_low_cluster_share", "join_count_bb_z"),
}
_undeclared = sorted({k for keys in VIEWS.values() for k in keys} - set(SUMMARY_KEYS))
if _undeclared:  # pragma: no cover - a programming error caught on import
    raise AssertionError(f"georbias.groups.VIEWS names undeclared summary keys: {_undeclared}")


def view(name: str) -> tuple[str, ...]:
    """The summary keys one consumer shows, in its order (VIEWS)."""
    return VIEWS[name]


def view_by_group(name: str) -> dict[str, tuple[str, ...]]:
    """A view split by score group, in group order (groups with none of its keys left out)."""
    out = {g.name: tuple(k for k in VIEWS[name] if k in g.keys) for g in GROUPS}
    return {g: keys for g, keys in out.items() if keys}


def group_keys(name: str) -> tuple[str, ...]:
    """The summary keys of one group (e.g. the autocorrelation keys a regression result takes from the raw run)."""
    return BY_NAME[name].keys


def offered(preset: str) -> tuple[str, ...]:
    """The groups a preset offers (pygbs: no SRI, its reference partitioner is defective)."""
    return tuple(g.name for g in GROUPS if preset in g.presets)
