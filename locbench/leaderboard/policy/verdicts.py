"""Every claim the leaderboard makes, computed once into typed objects (issue 20.7).

`compute(rows, models)` applies the policy (families, ranks and ties, highlights, least geo-biased,
flags) to one version's rows; the build writes `Verdicts.to_dict()` as `verdicts.json` and the pages
read the same object back (`Verdicts.from_dict`), so what a page shows and what a machine audits are
one computation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from locbench.leaderboard import reading
from locbench.leaderboard.policy import geobias, ranks
from locbench.leaderboard.policy.families import family_of_dataset
from locbench.leaderboard.policy.flags import flags_of
from locbench.leaderboard.rows import ScoreRow
from locbench.resultchecks import METHOD as FLAG_METHOD
from locbench.resultchecks import Flag
from locbench.scoreinfo import higher_is_better

SCHEMA = "locbench.verdicts/1"
RULES = {
    "families": "Datasets are ranked together only within a task family (dataset group and task type; GAIR also "
                "by input modality); no aggregate mixes families.",
    "dataset_ranks": f"Per dataset, models in value order share a rank with their group's best until the first "
                     f"that is significantly worse than it ({ranks.PAIRED}; else {ranks.UNPAIRED}), which starts "
                     f"the next group; a rank never puts a model below one with a worse value.",
    "family_ranks": "Per family, Friedman's test on the per-dataset ranks of the models with results on all of the "
                    "family's rankable datasets, then the Nemenyi critical difference at alpha 0.05; models "
                    "within the CD of their group's best share its rank.",
    "highlights": "Bold = best point value among the unflagged leaders' tie group; results with an integrity flag "
                  "keep their numbers and rank but lose every highlight.",
    "least_geobiased": geobias.RULE,
    "flags": FLAG_METHOD,
}


@dataclass(frozen=True)
class Place:
    model_id: str
    rank: int
    group: int
    value: float  # the primary value (dataset) or the mean rank (family)
    basis: str
    n_datasets: int | None = None


@dataclass(frozen=True)
class FamilyVerdict:
    key: str
    label: str
    datasets: tuple[str, ...]
    n_datasets: int  # datasets of the family in this version
    n_models: int  # models with a result in the family
    test_datasets: tuple[str, ...]  # the complete block behind the ranking
    friedman_chi2: float | None
    friedman_p: float | None
    cd: float | None
    ranking: tuple[Place, ...]
    excluded: dict[str, str]  # model -> why it is not in the family ranking


@dataclass(frozen=True)
class HeadlineClaim:
    model_id: str
    value: float | None
    z: float | None
    p: float | None
    significant: bool
    reading: str


@dataclass(frozen=True)
class DatasetVerdict:
    name: str
    family: str
    primary_metric: str
    higher_is_better: bool
    n_models: int
    n_ranked: int
    ranking: tuple[Place, ...]
    reference: dict[str, Any]
    least_geobiased: tuple[str, ...]
    withheld: str | None
    eligible: tuple[str, ...]
    headlines: tuple[HeadlineClaim, ...]


@dataclass(frozen=True)
class ResultVerdict:
    model_id: str
    dataset: str
    rank: int | None
    best: bool
    tied: bool
    least_geobiased: bool
    reading: str
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class Verdicts:
    version: str
    families: tuple[FamilyVerdict, ...]
    datasets: dict[str, DatasetVerdict]
    results: tuple[ResultVerdict, ...]
    rules: dict[str, str] = field(default_factory=lambda: dict(RULES))
    schema: str = SCHEMA

    def result(self, model_id: str, dataset: str) -> ResultVerdict | None:
        return next((r for r in self.results if r.model_id == model_id and r.dataset == dataset), None)

    def family(self, key: str) -> FamilyVerdict | None:
        return next((f for f in self.families if f.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdicts:
        """The object `to_dict` wrote (verdicts.json), typed again."""
        def places(items: list[dict]) -> tuple[Place, ...]:
            return tuple(Place(**p) for p in items)

        fams = tuple(FamilyVerdict(**{**f, "datasets": tuple(f["datasets"]), "test_datasets": tuple(f["test_datasets"]),
                                      "ranking": places(f["ranking"])}) for f in d["families"])
        dsets = {k: DatasetVerdict(**{**v, "ranking": places(v["ranking"]), "least_geobiased": tuple(v["least_geobiased"]),
                                      "eligible": tuple(v["eligible"]),
                                      "headlines": tuple(HeadlineClaim(**h) for h in v["headlines"])})
                 for k, v in d["datasets"].items()}
        res = tuple(ResultVerdict(**{**r, "flags": tuple(Flag(**f) for f in r["flags"])}) for r in d["results"])
        return cls(str(d.get("version", "")), fams, dsets, res, dict(d.get("rules") or RULES), str(d["schema"]))


# ---------------------------------------------------------------- computing them


def _entry(r: ScoreRow, peers: set[str]) -> ranks.Entry:
    ci = r.bootstrap
    pairs = ((r.checks or {}).get("peers") or {}) if r.primary_metric == "top1" else {}
    paired = {m: (p["diff_low"], p["diff_high"]) for m, p in pairs.items()
              if m in peers and isinstance(p, dict) and "diff_low" in p}
    return ranks.Entry(r.model_id, float(r.primary_value),  # type: ignore[arg-type]
                       None if ci is None else ci.low, None if ci is None else ci.high, paired or None)


def _dataset(name: str, rows: list[ScoreRow], models: dict[str, dict], flagged: set[str]) -> DatasetVerdict:
    ranked = [r for r in rows if reading.ranked(r) and r.primary_value is not None]
    pm = rows[0].primary_metric or ""
    higher = higher_is_better(pm) if pm else True
    ids = {r.model_id for r in ranked}
    placed = ranks.tie_groups([_entry(r, ids) for r in ranked], higher)
    pick = geobias.least_geobiased(ranked, models, flagged, higher)
    if not ranked:
        reasons = sorted({r.unranked_reason for r in rows if r.unranked_reason})
        pick = geobias.Pick((), "no result on this dataset is ranked" + (f" ({reasons[0]})" if len(reasons) == 1 else ""),
                            (), pick.reference)
    heads = []
    for r in sorted(rows, key=lambda r: r.model_id):
        h = reading.headline_of(r)
        heads.append(HeadlineClaim(r.model_id, h.value, h.z, h.p, h.significant, geobias.reading_of(r)))
    fam = family_of_dataset(name, rows[0].group, rows[0].task_type)
    return DatasetVerdict(
        name, fam.key, pm, higher, len(rows), len(ranked),
        tuple(Place(p.model_id, p.rank, p.group, p.value, p.basis) for p in placed),
        asdict(pick.reference), pick.model_ids, pick.withheld, pick.eligible, tuple(heads))


def _family(key: str, label: str, dverdicts: list[DatasetVerdict], all_models: set[str],
            flagged: set[tuple[str, str]]) -> FamilyVerdict:
    """The family ranking; a result with an integrity flag does not enter it (it keeps its dataset rank)."""
    present = {d.name: {p.model_id for p in d.ranking if (p.model_id, d.name) not in flagged} for d in dverdicts}
    block_ds, block_models = ranks.complete_block(present)
    excluded = {}
    for m in sorted(all_models - set(block_models)):
        k = sum(1 for d in block_ds if m in present[d]) if block_ds else 0
        have = sum(1 for ms in present.values() if m in ms)
        excluded[m] = (f"ranked on {k} of the {len(block_ds)} dataset(s) the family ranking compares"
                       if block_ds else "no dataset of this family has two ranked results") + (
                      "" if have else " (no ranked result in this family)")
        n_flag = sum(1 for d in dverdicts if (m, d.name) in flagged)
        if n_flag:
            excluded[m] += f"; {n_flag} of its results here carry an integrity flag and are left out"
    if not block_ds:
        return FamilyVerdict(key, label, tuple(d.name for d in dverdicts), len(dverdicts), len(all_models), (),
                             None, None, None, (), excluded)
    by = {d.name: d for d in dverdicts}
    per_ds = [ranks.average_ranks({p.model_id: p.value for p in by[n].ranking if p.model_id in block_models},
                                  by[n].higher_is_better) for n in block_ds]
    test = ranks.friedman_nemenyi(per_ds)
    if len(block_ds) == 1:  # one dataset: its own tie groups are the family's ranking
        only = by[block_ds[0]]
        placed = [Place(p.model_id, p.rank, p.group, test.mean_ranks[p.model_id], p.basis, 1)
                  for p in only.ranking if p.model_id in block_models]
    else:
        placed = [Place(p.model_id, p.rank, p.group, p.value, p.basis, len(block_ds))
                  for p in ranks.family_groups(test)]
    return FamilyVerdict(key, label, tuple(d.name for d in dverdicts), len(dverdicts), len(all_models),
                         tuple(block_ds), test.friedman_chi2, test.friedman_p, test.cd, tuple(placed), excluded)


def _results(rows: list[ScoreRow], dsv: dict[str, DatasetVerdict],
             flags: dict[tuple[str, str], tuple[Flag, ...]]) -> tuple[ResultVerdict, ...]:
    out = []
    for r in sorted(rows, key=lambda r: (r.dataset, r.model_id)):
        d = dsv[r.dataset]
        place = next((p for p in d.ranking if p.model_id == r.model_id), None)
        leaders = [p for p in d.ranking if p.group == 0 and not flags[(p.model_id, r.dataset)]]
        top = max((p.value for p in leaders), default=None) if d.higher_is_better else \
            min((p.value for p in leaders), default=None)
        mine = flags[(r.model_id, r.dataset)]
        lead = place is not None and not mine and place in leaders
        best = lead and place.value == top and d.n_ranked >= 2  # type: ignore[union-attr]
        out.append(ResultVerdict(r.model_id, r.dataset, place.rank if place else None, best, lead and not best,
                                 r.model_id in d.least_geobiased, geobias.reading_of(r), mine))
    return tuple(out)


def compute(rows: list[ScoreRow], models: dict[str, dict], version: str = "") -> Verdicts:
    """All verdicts of one version's rows (`models`: scores.json `models`, for the no-prior rule)."""
    flags = flags_of(rows)
    by_ds: dict[str, list[ScoreRow]] = {}
    for r in rows:
        by_ds.setdefault(r.dataset, []).append(r)
    dsv = {}
    for name in sorted(by_ds):
        flagged = {m for (m, d), f in flags.items() if d == name and f}
        dsv[name] = _dataset(name, by_ds[name], models, flagged)
    fams: dict[str, list[DatasetVerdict]] = {}
    labels: dict[str, tuple[str, tuple]] = {}
    for name, d in dsv.items():
        fam = family_of_dataset(name, by_ds[name][0].group, by_ds[name][0].task_type)
        fams.setdefault(fam.key, []).append(d)
        labels[fam.key] = (fam.label, fam.order)
    flagged = {k for k, f in flags.items() if f}
    families = tuple(_family(k, labels[k][0], fams[k], {r.model_id for d in fams[k] for r in by_ds[d.name]}, flagged)
                     for k in sorted(fams, key=lambda k: labels[k][1]))
    return Verdicts(version, families, dsv, _results(rows, dsv, flags))
