"""Ranks that honour uncertainty (issue 20.1).

Per dataset: models are put in tie groups best-first; a group is the best model not yet placed and
the unplaced models after it, in value order, up to the first that is significantly worse than it.
The group stops there even when a model further down is not significantly worse (a paired interval can
be wider for a lower value): otherwise a model would rank below one with a worse point value (v0005
draft, land-sea: Sphere2Vec-sphereM 95.65 rank 7 under Sphere2Vec-sphereC 95.21 rank 1). "Significantly" uses, in order of preference,
the paired interval of the difference on the shared sample ids (recorded at scoring time by
`locbench.resultchecks`), else the two 95 % bootstrap intervals not overlapping (conservative). Every
member of a group shares the group's competition rank (1 + the number of models in better groups).

Across the datasets of a family: Friedman's test on the per-dataset ranks of the models that have
results on all of them, then the Nemenyi critical difference (Demšar 2006): models whose mean ranks
differ by less than the CD from the group's best share its rank; when Friedman's p >= ALPHA, all tie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
PAIRED = "paired 95% interval of the difference on shared sample ids"
UNPAIRED = "95% bootstrap intervals overlap"
POINT = "equal point values"


@dataclass(frozen=True)
class Entry:
    """One ranked model on one dataset, as the rank rules need it."""

    model_id: str
    value: float
    low: float | None = None
    high: float | None = None
    paired: dict[str, tuple[float, float]] | None = None  # peer -> (diff_low, diff_high) of self - peer


@dataclass(frozen=True)
class Placed:
    """A model's place: shared rank, tie-group number (0 = leaders) and how the tie was decided."""

    model_id: str
    rank: int
    group: int
    value: float
    basis: str


def not_worse(e: Entry, lead: Entry, higher: bool) -> tuple[bool, str]:
    """Whether `e` is not significantly worse than `lead`, and on what evidence."""
    pair = (e.paired or {}).get(lead.model_id)
    if pair is not None:
        low, high = pair  # e - lead
        return (high >= 0 if higher else low <= 0), PAIRED
    if None not in (e.low, e.high, lead.low, lead.high):
        return bool(e.low <= lead.high and lead.low <= e.high), UNPAIRED  # type: ignore[operator]
    return e.value == lead.value, POINT


def tie_groups(entries: list[Entry], higher: bool) -> list[Placed]:
    """Entries placed in tie groups, best first (sorted by value, then model id); ranks never invert values."""
    order = sorted(entries, key=lambda e: ((-e.value if higher else e.value), e.model_id))
    placed: list[Placed] = []
    left = list(order)
    group = 0
    while left:
        lead, rank = left[0], len(placed) + 1
        members = [(lead, "leader")]
        for e in left[1:]:
            tied, basis = not_worse(e, lead, higher)
            if not tied:
                break
            members.append((e, basis))
        placed += [Placed(e.model_id, rank, group, e.value, basis) for e, basis in members]
        done = {e.model_id for e, _ in members}
        left = [e for e in left if e.model_id not in done]
        group += 1
    return placed


def average_ranks(values: dict[str, float], higher: bool) -> dict[str, float]:
    """1 = best; equal values share the mean of their positions (Friedman's within-block ranks)."""
    ids = sorted(values)
    x = np.array([-values[m] if higher else values[m] for m in ids], dtype=np.float64)
    from scipy.stats import rankdata

    return dict(zip(ids, (float(r) for r in rankdata(x, method="average"))))


@dataclass(frozen=True)
class FamilyTest:
    """Friedman + Nemenyi on a complete block of models x datasets."""

    mean_ranks: dict[str, float]
    n_datasets: int
    n_models: int
    friedman_chi2: float | None
    friedman_p: float | None
    cd: float | None


def friedman_nemenyi(ranks: list[dict[str, float]]) -> FamilyTest:
    """`ranks`: one dict per dataset (model -> average rank), all with the same models."""
    from scipy.stats import chi2, studentized_range

    models = sorted(ranks[0])
    n, k = len(ranks), len(models)
    mean = {m: float(np.mean([r[m] for r in ranks])) for m in models}
    if n < 2 or k < 2:
        return FamilyTest(mean, n, k, None, None, None)
    stat = 12.0 * n / (k * (k + 1)) * (sum(v * v for v in mean.values()) - k * (k + 1) ** 2 / 4.0)
    p = float(chi2.sf(stat, k - 1))
    q = float(studentized_range.ppf(1 - ALPHA, k, np.inf)) / math.sqrt(2.0)
    cd = q * math.sqrt(k * (k + 1) / (6.0 * n))
    return FamilyTest(mean, n, k, float(stat), p, cd)


def family_groups(test: FamilyTest) -> list[Placed]:
    """Models by mean rank in CD groups (all one group when Friedman finds no difference)."""
    order = sorted(test.mean_ranks, key=lambda m: (test.mean_ranks[m], m))
    if test.friedman_p is None or test.friedman_p >= ALPHA or test.cd is None:
        basis = ("one dataset or one model" if test.friedman_p is None
                 else f"Friedman p = {test.friedman_p:.3g} >= {ALPHA}: no significant difference")
        return [Placed(m, 1, 0, test.mean_ranks[m], basis if i else "leader") for i, m in enumerate(order)]
    placed: list[Placed] = []
    left, group = list(order), 0
    while left:
        lead, rank = left[0], len(placed) + 1
        members = [m for m in left if test.mean_ranks[m] - test.mean_ranks[lead] < test.cd]
        placed += [Placed(m, rank, group, test.mean_ranks[m],
                          "leader" if m == lead else f"within the Nemenyi CD {test.cd:.2f}") for m in members]
        left = [m for m in left if m not in members]
        group += 1
    return placed


def complete_block(present: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """(datasets, models) of the complete block with the most results (models x datasets, >= 2 models).

    Candidates come from dropping, one at a time, the dataset with fewest models (`present`: dataset ->
    ranked model ids); ties prefer more datasets. A model outside the block is not in the family's test.
    """
    datasets = sorted(d for d, ms in present.items() if len(ms) >= 2)
    best: tuple[int, int, list[str], list[str]] = (0, 0, [], [])
    while datasets:
        models = sorted(set.intersection(*(present[d] for d in datasets)))
        if len(models) >= 2 and (len(models) * len(datasets), len(datasets)) > best[:2]:
            best = (len(models) * len(datasets), len(datasets), list(datasets), models)
        datasets.remove(min(datasets, key=lambda d: (len(present[d]), d)))
    return best[2], best[3]
