"""How a dataset's rows are read: honest geo-bias highlights, ties, undefined values, the paper, worst regions.

Pure functions of `scores.json` rows (`locbench.leaderboard.rows.ScoreRow`), so the rules are tested
without HTML. Who is best, tied or least geo-biased is not decided here but by the policy
(`locbench.leaderboard.policy`, issue 20); this module reads single rows:
- a value that is missing on an existing row is *undefined*, with the registry's (or the engine's) reason;
- a statistic identical for every model is a dataset property, shown once;
- p-values read "p < 0.001", never "p = < 0.001".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from georbias.config import DEFAULTS

from locbench import scoreinfo
from locbench.scoreinfo import finite
from locbench.leaderboard.published import published_for
from locbench.leaderboard.rows import ScoreRow

NO_PRIOR_RE = re.compile(r"(^|[-_])no[-_]?prior($|[-_])", re.I)
DEFAULT_PERMUTATIONS = DEFAULTS.permutations


@dataclass(frozen=True)
class HeadlineView:
    """The headline geo-bias score of one row (contract C2 summary keys)."""

    value: float | None
    z: float | None
    p: float | None
    significant: bool
    reason: str | None
    score: str | None


def headline_of(row: ScoreRow) -> HeadlineView:
    gb = row.geobias
    reason, score = gb.get("headline_reason"), gb.get("headline_score")
    return HeadlineView(row.value("headline_value"), row.value("headline_z"), row.value("headline_p"),
                        gb.get("headline_significant") is True, reason if isinstance(reason, str) else None,
                        score if isinstance(score, str) else None)


def is_no_prior(model_id: str, card: dict) -> bool:
    """The image-only baseline: card family "baseline", or "no-prior"/"no_prior" in the id."""
    return card.get("encoder_family") == "baseline" or bool(NO_PRIOR_RE.search(model_id))


def ranked(row: ScoreRow) -> bool:
    """Whether a row takes part in ranks (l11a's comparability rule: an `unranked_reason` keeps it out)."""
    return not row.unranked_reason


def ci_text(row: ScoreRow, key: str) -> str | None:
    ci = row.bootstrap
    if ci is None or ci.low is None or ci.metric != key:
        return None
    return f"[{scoreinfo.fmt(ci.low, key)}, {scoreinfo.fmt(ci.high, key)}]"


def seeds_text(row: ScoreRow, key: str) -> str | None:
    """ "mean ± sd (n seeds)" from the result's `seeds` block (contract C3), when it has this metric."""
    seeds = row.seeds
    if seeds is None:
        return None
    m = (seeds.get("metrics") or {}).get(key) if key != "headline_value" else seeds.get("headline")
    if not isinstance(m, dict) or finite(m.get("mean")) is None:
        return None
    sd = finite(m.get("sd"))
    sd_text = scoreinfo.fmt(sd, key) if sd is not None else "–"
    return f"{scoreinfo.fmt(finite(m['mean']), key)} ± {sd_text} ({int(seeds.get('n', 0))} seeds)"


def paper_of(row: ScoreRow, key: str) -> dict | None:
    """The published value beside ours: text, agree/disagree, and why they may differ."""
    pub = published_for(row.model_id, row.dataset)
    if pub is None or pub.metric != key:
        return None
    agrees = pub.agrees(row.value(key))
    return {"value": pub.value, "text": f"{pub.value:.{pub.digits}f}", "agrees": agrees, "note": pub.note}


def constant_values(rows: list[ScoreRow], keys: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Keys whose value is the same for every model (at least two), e.g. unmarked SSI: a dataset property."""
    out: dict[str, float] = {}
    for k in keys:
        vals = [r.value(k) for r in rows]
        if len(vals) >= 2 and all(x is not None for x in vals):
            first = vals[0]
            if all(math.isclose(x, first, rel_tol=1e-12, abs_tol=1e-15) for x in vals):  # type: ignore[arg-type]
                out[k] = first  # type: ignore[assignment]
    return out


def undefined_reason(row: ScoreRow, key: str) -> str:
    engine = row.geobias_undefined.get(key)
    if isinstance(engine, str) and engine:
        return engine
    if key.startswith("headline_"):
        reason = headline_of(row).reason
        if reason:
            return reason
    if row.geobias_status not in (None, "ok") and scoreinfo.info(key).kind == "geobias":
        return "geo-bias not computed for this result"
    return scoreinfo.info(key).undefined


def p_floor(params: dict) -> float:
    """The smallest p a permutation test with the recorded number of permutations can return."""
    n = finite(params.get("permutations")) if isinstance(params, dict) else None
    return 1.0 / ((n if n else DEFAULT_PERMUTATIONS) + 1.0)


def worst_regions(rows: list[ScoreRow], direction: str | None, level: str = "countries", n: int = 5) -> list[dict]:
    """Regions where the models on this dataset do worst: the mean over models of each region's metric.

    Only regions with enough samples for every model that has them count.
    """
    acc: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for r in rows:
        rb = r.regions
        if rb is None:
            continue
        for reg in (rb.countries if level == "countries" else rb.continents):
            if reg.few or reg.value is None:
                continue
            acc.setdefault(reg.name, []).append(reg.value)
            counts[reg.name] = reg.n
    items = [{"name": k, "mean": sum(v) / len(v), "low": min(v), "high": max(v), "n_models": len(v),
              "n": counts[k]} for k, v in acc.items()]
    items.sort(key=lambda d: (d["mean"] if direction != "lower" else -d["mean"], d["name"]))
    return items[:n]


def text_or_undefined(row: ScoreRow | None, key: str, params: dict) -> tuple[float | None, str, str]:
    """(value, display text, tooltip) of one cell: "–" when not evaluated, "undefined" with its reason."""
    if row is None:
        return None, "–", "not evaluated on this dataset"
    val = row.value(key)
    if val is None:
        return None, "undefined", "undefined: " + undefined_reason(row, key)
    if key.endswith("_p") or key.endswith("_p_sim"):
        return val, p_display(row, key, val, params), ""
    return val, scoreinfo.fmt(val, key), ""


def p_display(row: ScoreRow | None, key: str, p: float, params: dict) -> str:
    """A permutation p at its floor 1/(P+1) reads "< floor"; an analytic p below 0.001 reads "< 0.001"."""
    if key.endswith("_p_sim"):
        at_floor = row is not None and row.geobias.get(key.replace("_p_sim", "_p_at_floor")) is True
        floor = p_floor(params)
        return f"< {floor:.2g}" if at_floor or p <= floor else scoreinfo.fmt(p, key)
    return "< 0.001" if p < 0.001 else scoreinfo.fmt(p, key)


def p_text(p: float) -> str:
    """A p-value in running text: "< 0.001" below 0.001, else three significant digits."""
    return "< 0.001" if p < 0.001 else f"{p:.3g}"


def p_sentence(label: str, text: str) -> str:
    """ "label = 0.012" or "label < 0.001": never "label = < 0.001"."""
    return f"{label} {text}" if text.startswith(("<", ">")) else f"{label} = {text}"


def format_any(v: Any, key: str) -> str:
    return scoreinfo.fmt(finite(v), key)
