"""Who may be called "least geo-biased" on a dataset (issue 20.2), and how a headline value reads.

Geo-bias is *positive* spatial autocorrelation of errors. A negative or non-significant headline reads
"no detectable clustering" and is never "best". The mark goes only to a model without an integrity flag
that is significantly better than the dataset's reference in the primary metric (the no-prior
baseline where one exists, else chance: the majority-class rate of the labels, or R² = 0), never to the
reference itself, and only when every such model's errors cluster significantly, so that "least"
compares like with like; otherwise it is withheld, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from locbench.leaderboard import reading
from locbench.leaderboard.rows import ScoreRow

RULE = ("“Least geo-biased” goes to the model whose errors cluster least in space (lowest headline Moran's I) "
        "among models without an integrity flag that are significantly better in the primary metric than the "
        "dataset's reference (the no-prior baseline, else chance), and only when all of those show significant "
        "positive clustering; negative or non-significant values read “no detectable clustering” and are never "
        "“best”.")
CLUSTERED = "clustered"
UNCLUSTERED = "no detectable clustering"
UNDEFINED = "undefined"


def reading_of(row: ScoreRow) -> str:
    """How the headline value of a row reads: clustered / no detectable clustering / undefined."""
    h = reading.headline_of(row)
    if h.value is None:
        return UNDEFINED
    return CLUSTERED if h.significant and h.value > 0 else UNCLUSTERED


@dataclass(frozen=True)
class Reference:
    """What a dataset's models must beat: a baseline model's result, or the chance level."""

    kind: str  # "no-prior" | "chance" | "none"
    model_id: str | None
    value: float | None
    text: str


def reference_of(rows: list[ScoreRow], models: dict[str, dict]) -> Reference:
    """The no-prior row of the dataset when there is one, else the chance level its checks recorded."""
    base = sorted((r for r in rows if reading.is_no_prior(r.model_id, models.get(r.model_id, {}))
                   and r.primary_value is not None), key=lambda r: r.model_id)
    if base:
        return Reference("no-prior", base[0].model_id, base[0].primary_value,
                         f"the no-prior baseline ({base[0].model_id})")
    for r in sorted(rows, key=lambda r: r.model_id):
        chance = (r.checks or {}).get("chance")
        if isinstance(chance, (int, float)):
            return Reference("chance", None, float(chance),
                             f"chance = {float(chance):.4g}, the {(r.checks or {}).get('chance_rule')}")
    return Reference("none", None, None, "no reference: no no-prior result and no recorded chance level")


def beats(row: ScoreRow, ref: Reference, ref_row: ScoreRow | None, higher: bool) -> bool:
    """Whether `row` is significantly better than the reference in its primary metric."""
    if ref.kind == "none" or row.primary_value is None or ref.value is None:
        return False
    if ref_row is not None:
        pair = ((row.checks or {}).get("peers") or {}).get(ref_row.model_id) or {}
        if "diff_low" in pair and row.primary_metric == "top1":
            return pair["diff_low"] > 0 if higher else pair["diff_high"] < 0
        a, b = row.bootstrap, ref_row.bootstrap
        if a is None or b is None or None in (a.low, a.high, b.low, b.high):
            return False
        return a.low > b.high if higher else a.high < b.low  # type: ignore[operator]
    ci = row.bootstrap
    if ci is None or ci.low is None or ci.high is None:
        return False
    return ci.low > ref.value if higher else ci.high < ref.value


@dataclass(frozen=True)
class Pick:
    """The least-geo-biased verdict of one dataset: the model(s) named, or why none is."""

    model_ids: tuple[str, ...]
    withheld: str | None
    eligible: tuple[str, ...]
    reference: Reference


def least_geobiased(rows: list[ScoreRow], models: dict[str, dict], flagged: set[str], higher: bool) -> Pick:
    """Apply RULE to one dataset's ranked rows."""
    ref = reference_of(rows, models)
    ref_row = next((r for r in rows if r.model_id == ref.model_id), None)
    eligible = [r for r in rows if r.model_id != ref.model_id and r.model_id not in flagged
                and reading_of(r) != UNDEFINED and beats(r, ref, ref_row, higher)]
    ids = tuple(sorted(r.model_id for r in eligible))
    if ref.kind == "none":
        return Pick((), ref.text, ids, ref)
    if not eligible:
        return Pick((), f"no model without an integrity flag is significantly better than {ref.text}", ids, ref)
    calm = sorted(r.model_id for r in eligible if reading_of(r) == UNCLUSTERED)
    if calm:
        return Pick((), f"{len(calm)} of the {len(eligible)} eligible model(s) show no detectable clustering of "
                        f"errors ({', '.join(calm)}), so no one of them is named least geo-biased", ids, ref)
    low = min(reading.headline_of(r).value for r in eligible)  # type: ignore[type-var]
    return Pick(tuple(sorted(r.model_id for r in eligible if reading.headline_of(r).value == low)), None, ids, ref)
