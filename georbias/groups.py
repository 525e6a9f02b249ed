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


def group_keys(name: str) -> tuple[str, ...]:
    """The summary keys of one group (e.g. the autocorrelation keys a regression result takes from the raw run)."""
    return BY_NAME[name].keys


def offered(preset: str) -> tuple[str, ...]:
    """The groups a preset offers (pygbs: no SRI, its reference partitioner is defective)."""
    return tuple(g.name for g in GROUPS if preset in g.presets)
