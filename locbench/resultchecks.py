"""Data-integrity checks of scored results, computed where the per-sample outcomes exist.

Why: a result can be numerically valid and still mean nothing. Three things a reader must be told
(issue 20.3), recorded in the result's `checks` block so every page and `verdicts.json` can show them:

- **near chance**: the primary metric closes less than `NEAR_CHANCE_SKILL` of the gap between chance and
  perfect (skill = (value - chance) / (perfect - chance)); chance is the majority-class rate of the labels
  for top-1 (a property of the evaluation rows, so any model's labels on the same sample ids give it)
  and 0 for R² (predicting the mean). Geo-bias of a near-chance model says nothing about the model.
- **possible row misalignment**: per-sample outcomes (hit@1; minus the absolute error for regression) of
  the models of one dataset are correlated pairwise on their shared sample ids (Spearman). Two models
  are *associated* when r · sqrt(n) >= `ASSOCIATION_Z` (a z-test of r = 0). The largest group of mutually
  associated models is the consensus; a model outside it, associated with none of its members, while
  that group is strictly the largest and has at least two models, is flagged: its rows may be attached
  to the wrong samples (GeoBS's SatMAE tables: r in [-0.03, 0.007] with CROMA and GPT-4o, which agree).
- **duplicate**: two models' prediction rows are identical (same content hash in sample_id order; the
  build also compares the recorded `predictions_sha256`).

Work is near-linear: one ranked vector per model, pairwise correlations over M ≤ a few dozen models.
Flagged results keep their numbers; the leaderboard's policy takes their highlights away.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from locbench.results import Result

CHECKS_SCHEMA = "locbench.result-checks/1"
NEAR_CHANCE_SKILL = 0.1
ASSOCIATION_Z = 3.0
MIN_SHARED = 30  # fewer shared sample ids: no correlation is computed for the pair
PERFECT = {"top1": 100.0, "r2": 1.0}  # the metrics' units (top-1 is in percent): what a perfect model scores
FLAG_CODES = ("near_chance", "misaligned", "duplicate")
METHOD = (f"near_chance: skill (value - chance)/(perfect - chance) < {NEAR_CHANCE_SKILL}; chance = majority-class "
          f"rate of the labels (top-1) or 0 (R²). misaligned: Spearman r of per-sample outcomes on shared sample "
          f"ids; associated when r*sqrt(n) >= {ASSOCIATION_Z}; flagged when associated with no member of the "
          f"strictly largest associated group (>= 2 models). duplicate: identical prediction rows (in sample_id order).")


@dataclass(frozen=True)
class Flag:
    """One integrity flag: a code from FLAG_CODES and a sentence a reader understands."""

    code: str
    message: str


@dataclass(frozen=True)
class ResultChecks:
    """The `checks` block of a result file."""

    flags: tuple[Flag, ...] = ()
    chance: float | None = None
    chance_rule: str | None = None
    skill: float | None = None
    peers: dict[str, dict[str, float]] = field(default_factory=dict)  # peer -> {r, n[, diff, diff_low, diff_high]}
    method: str = METHOD
    schema: str = CHECKS_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "method": self.method, "chance": self.chance, "chance_rule": self.chance_rule,
                "skill": self.skill, "flags": [{"code": f.code, "message": f.message} for f in self.flags],
                "peers": {k: dict(v) for k, v in sorted(self.peers.items())}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResultChecks:
        return cls(flags=tuple(Flag(str(f["code"]), str(f["message"])) for f in d.get("flags") or []),
                   chance=d.get("chance"), chance_rule=d.get("chance_rule"), skill=d.get("skill"),
                   peers=dict(d.get("peers") or {}), method=str(d.get("method") or METHOD),
                   schema=str(d.get("schema") or CHECKS_SCHEMA))


# ---------------------------------------------------------------- per-sample inputs

def outcomes(df: pd.DataFrame, task_type: str, targets: tuple[str, ...] | None = None) -> pd.Series:
    """Per-sample outcome, higher = better (the task type's geo-bias value: hit@1, or minus the absolute error),
    indexed by sample_id; undefined values (NaN) are left out."""
    from locbench.results import geobias_values

    value = geobias_values(df, task_type, targets)
    values = np.asarray(value.values, dtype=np.float64) * (-1.0 if value.lower_is_better else 1.0)
    out = pd.Series(values, index=df["sample_id"].astype(str).to_numpy())
    return out[np.isfinite(out.to_numpy())]


def majority_rate(df: pd.DataFrame) -> float | None:
    """Share of the most frequent true class; None when the labels are not published."""
    from locbench.tasks.classification import UNKNOWN_LABEL

    y = df["y_true"].astype(str)
    y = y[y != UNKNOWN_LABEL]
    if len(y) == 0 or len(y) < len(df):
        return None
    return float(y.value_counts().iloc[0] / len(y))


def chance_for(primary: str, frames: dict[str, pd.DataFrame], task_type: str) -> tuple[float | None, str | None]:
    """(chance value, how it was obtained) for a dataset's primary metric, from any model's labels."""
    if primary == "r2":
        return 0.0, "R² of predicting the mean of the targets"
    if primary != "top1" or task_type != "classification":
        return None, None
    for mid in sorted(frames):
        rate = majority_rate(frames[mid])
        if rate is not None:
            return 100.0 * rate, f"majority-class rate of the labels on the evaluation rows (labels from {mid})"
    return None, None


# ---------------------------------------------------------------- the three checks

def _ranked(s: pd.Series) -> pd.Series:
    return s.rank(method="average")


def shared_ids(a: pd.Series, b: pd.Series) -> pd.Index:
    """The sample ids both outcome series have, sorted: sums over them do not depend on either file's row order."""
    return a.index.intersection(b.index).sort_values()


def pair_correlations(series: dict[str, pd.Series]) -> dict[tuple[str, str], tuple[float, int]]:
    """Spearman r and the number of shared sample ids for every pair with >= MIN_SHARED shared ids."""
    out: dict[tuple[str, str], tuple[float, int]] = {}
    ids = sorted(series)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            sa, sb = series[a], series[b]
            shared = shared_ids(sa, sb)
            if len(shared) < MIN_SHARED:
                continue
            x, y = _ranked(sa.loc[shared]).to_numpy(), _ranked(sb.loc[shared]).to_numpy()
            if np.std(x) == 0 or np.std(y) == 0:
                continue
            r = float(np.corrcoef(x, y)[0, 1])
            out[(a, b)] = out[(b, a)] = (r, int(len(shared)))
    return out


def _associated(pairs: dict[tuple[str, str], tuple[float, int]], a: str, b: str) -> bool:
    r, n = pairs.get((a, b), (0.0, 0))
    return n > 0 and r * np.sqrt(n) >= ASSOCIATION_Z


def _groups(models: list[str], pairs: dict[tuple[str, str], tuple[float, int]]) -> list[set[str]]:
    """Connected groups of the 'associated' relation, largest first (ties by sorted names)."""
    left, out = set(models), []
    while left:
        stack, comp = [min(left)], set()
        while stack:
            m = stack.pop()
            if m in comp:
                continue
            comp.add(m)
            stack += [o for o in left - comp if _associated(pairs, m, o)]
        left -= comp
        out.append(comp)
    return sorted(out, key=lambda c: (-len(c), sorted(c)))


def misaligned(series: dict[str, pd.Series]) -> tuple[dict[str, Flag], dict[tuple[str, str], tuple[float, int]]]:
    """Models whose outcomes are associated with none of the consensus group's (see module docstring)."""
    pairs = pair_correlations(series)
    models = sorted(series)
    groups = _groups(models, pairs)
    if len(groups) < 2 or len(groups[0]) < 2 or len(groups[0]) == len(groups[1]):
        return {}, pairs
    consensus = groups[0]
    flags = {}
    for m in models:
        if m in consensus or any(_associated(pairs, m, c) for c in consensus):
            continue
        rs = [pairs[(m, c)][0] for c in sorted(consensus) if (m, c) in pairs]
        if not rs:
            continue
        flags[m] = Flag("misaligned", (
            f"per-sample outcomes are uncorrelated with those of {', '.join(sorted(consensus))} on the same sample "
            f"ids (Spearman r {min(rs):.3f} to {max(rs):.3f}), which agree with each other: the rows may be "
            "attached to the wrong samples"))
    return flags, pairs


def near_chance(value: float | None, chance: float | None, perfect: float) -> tuple[float | None, Flag | None]:
    """(skill, flag or None): skill = share of the chance-to-perfect gap the model closes."""
    if value is None or chance is None or not np.isfinite(value) or perfect <= chance:
        return None, None
    skill = float((value - chance) / (perfect - chance))
    if skill >= NEAR_CHANCE_SKILL:
        return skill, None
    return skill, Flag("near_chance", f"primary metric {value:.4g} is near chance ({chance:.4g}): it closes "
                                      f"{skill:.1%} of the gap to perfect, below {NEAR_CHANCE_SKILL:.0%}, so its "
                                      "geo-bias says little about the model")


def paired_difference(a: pd.Series, b: pd.Series, primary: str) -> dict[str, float]:
    """Top-1 of a minus top-1 of b on their shared sample ids, with its 95 % paired normal interval.

    Why paired: both models answer the same samples, so the difference's standard error is that of the
    per-sample differences (McNemar-like), far smaller than two separate intervals suggest. Only for
    top-1 (100 x the mean of hit@1); other metrics are not means of per-sample outcomes.
    """
    if primary != "top1":
        return {}
    shared = shared_ids(a, b)
    d = 100.0 * (a.loc[shared].to_numpy() - b.loc[shared].to_numpy())
    if len(d) < MIN_SHARED:
        return {}
    mean, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
    return {"diff": round(mean, 6), "diff_low": round(mean - 1.959964 * se, 6),
            "diff_high": round(mean + 1.959964 * se, 6)}


def duplicates(hashes: dict[str, str]) -> dict[str, Flag]:
    """Models whose prediction rows are byte-for-byte the same as another model's."""
    by_hash: dict[str, list[str]] = {}
    for m, h in hashes.items():
        by_hash.setdefault(h, []).append(m)
    out = {}
    for same in by_hash.values():
        for m in same if len(same) > 1 else []:
            others = ", ".join(sorted(set(same) - {m}))
            out[m] = Flag("duplicate", f"its prediction rows are identical to those of {others}")
    return out


# ---------------------------------------------------------------- one dataset, and where it is called


def _rows_hash(df: pd.DataFrame) -> str:
    """Content hash of the rows in sample_id order: a reordered copy of a file is still the same file."""
    from locbench.predictions import canonical_rows
    from locbench.results import predictions_sha256

    return predictions_sha256(canonical_rows(df.reset_index(drop=True)))

def check_dataset(results: list[Result], frames: dict[str, pd.DataFrame]) -> dict[str, ResultChecks]:
    """Checks of every result of ONE dataset, from all of its models' per-sample rows (model id -> frame)."""
    if not results:
        return {}
    first = results[0]
    targets = None
    from locbench.datasets import get_dataset
    from locbench.errors import NotFoundError

    try:
        targets = tuple(get_dataset(first.dataset).targets or ()) or None
    except NotFoundError:
        pass
    series = {m: outcomes(df, first.task_type, targets) for m, df in frames.items()}
    mis, pairs = misaligned(series)
    dup = duplicates({m: _rows_hash(df) for m, df in frames.items()})
    chance, rule = chance_for(first.primary_metric, frames, first.task_type)
    out = {}
    for r in results:
        skill, nc = near_chance(r.primary_value, chance, PERFECT.get(r.primary_metric, 1.0))
        flags = tuple(f for f in (nc, mis.get(r.model_id), dup.get(r.model_id)) if f is not None)
        corr = {b: {"r": round(v[0], 6), "n": v[1], **paired_difference(series[a], series[b], r.primary_metric)}
                for (a, b), v in pairs.items() if a == r.model_id}
        out[r.model_id] = ResultChecks(flags=flags, chance=chance, chance_rule=rule, skill=skill, peers=corr)
    return out


def annotate(results: list[Result], frames: dict[tuple[str, str], pd.DataFrame]) -> list[Result]:
    """The results (same order) with their `checks` block, computed per dataset across all given models."""
    by_ds: dict[str, list[Result]] = {}
    for r in results:
        by_ds.setdefault(r.dataset, []).append(r)
    checks: dict[tuple[str, str], ResultChecks] = {}
    for ds, rs in by_ds.items():
        got = check_dataset(rs, {r.model_id: frames[(r.model_id, ds)] for r in rs if (r.model_id, ds) in frames})
        checks.update({(m, ds): c for m, c in got.items()})
    return [replace(r, checks=checks[(r.model_id, r.dataset)].to_dict()) for r in results]


def annotate_with_peers(results: list[Result], frames: dict[tuple[str, str], pd.DataFrame],
                        root: str | Path) -> tuple[list[Result], list[Result]]:
    """`annotate`, with the other models' rows of the same datasets read from the files their results name;
    returns (the results, the peers whose records of them changed).

    Used by `submit`: a new model is compared with every result under `root/results` whose per-sample
    rows are on disk (`predictions_file`, relative to root); peers whose rows are absent are skipped.
    A peer's record of a re-submitted model was made against that model's old rows, so the peers are
    brought up to date (`refresh_peer`): on a dataset where every result's rows are on disk each peer's
    checks are recomputed whole (flags included); elsewhere its pair records of the submitted models
    are replaced by the mirror of theirs (or dropped where they have none).
    """
    from locbench.predictions import read_table
    from locbench.results import load_results

    mine = {(r.model_id, r.dataset) for r in results}
    datasets = {r.dataset for r in results}
    peers = [p for p in load_results(root) if p.dataset in datasets and (p.model_id, p.dataset) not in mine]
    allframes = dict(frames)
    for p in peers:
        path = Path(root) / p.predictions_file if p.predictions_file else None
        if path is not None and path.is_file():
            allframes[(p.model_id, p.dataset)] = read_table(path)
    framed = [p for p in peers if (p.model_id, p.dataset) in allframes]
    annotated = annotate([*results, *framed], allframes)
    ours = annotated[:len(results)]
    whole = {ds for ds in datasets if all((p.model_id, p.dataset) in allframes for p in peers if p.dataset == ds)}
    recomputed = {(r.model_id, r.dataset): r.checks for r in annotated[len(results):] if r.dataset in whole}
    refreshed = [refresh_peer(p, ours, recomputed.get((p.model_id, p.dataset))) for p in peers]
    return ours, [new for old, new in zip(peers, refreshed) if new.checks != old.checks]


#: The fields of a pair record that change sign when the pair is seen from the other model.
MIRRORED = ("diff", "diff_low", "diff_high")


def mirror_pair(record: dict[str, Any]) -> dict[str, Any]:
    """b's record of a from a's record of b: the same r and n, the difference negated (its interval flipped).

    `-v + 0.0`: a zero difference stays 0.0, not -0.0, so a mirrored record is byte-identical to a computed one.
    """
    def neg(v: Any) -> Any:
        return -v + 0.0 if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    out = {k: v for k, v in record.items() if k not in MIRRORED}
    for key, source in (("diff", "diff"), ("diff_low", "diff_high"), ("diff_high", "diff_low")):
        if source in record:
            out[key] = neg(record[source])
    return out


def refresh_peer(peer: Result, submitted: list[Result], recomputed: dict[str, Any] | None) -> Result:
    """`peer` with checks that agree with the just-scored `submitted` results (see `annotate_with_peers`)."""
    if recomputed is not None:
        return replace(peer, checks=recomputed)
    if not isinstance(peer.checks, dict):
        return peer
    records = dict(peer.checks.get("peers") or {})
    for r in submitted:
        if r.dataset != peer.dataset:
            continue
        theirs = ((r.checks or {}).get("peers") or {}).get(peer.model_id)
        if theirs is None:
            records.pop(r.model_id, None)
        else:
            records[r.model_id] = mirror_pair(theirs)
    return replace(peer, checks={**peer.checks, "peers": {k: records[k] for k in sorted(records)}})
