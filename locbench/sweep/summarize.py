"""Per-seed sweep runs -> one submission folder per model whose results carry the `seeds` block.

For each model x dataset, the finished seeds (same inputs apart from the seed, i.e. one
`group_key`) become `<out>/<model-id>/<dataset>.result.json`: the lowest seed's result with

- `seeds` = {"n", "seeds", "metrics": {key: {"mean", "sd", "per_seed"}}, "headline": {...} | None}
  (contract C3): every metric, and the headline geo-bias value (`headline_value` of the
  geo-bias summary, contract C2) when the per-seed results have it;
- `metrics` and `primary_value` replaced by the means, so tables and ranks use the mean;
- no `integrity` block (it hashed one seed's content; recompute it over the combined result).

`sd` is the sample standard deviation (n - 1); None for one seed. A metric undefined (NaN) for
any seed has mean and sd None: a mean over the seeds where it happens to exist would mislead.
The predictions (`<dataset>.csv`), run record and geo-bias detail are the lowest seed's.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locbench import atomic
from locbench.errors import InputError
from locbench.results import Result
from locbench.scoreinfo import finite
from locbench.sweep.layout import JOB_FILE, read_job_record, staged_job_dir


@dataclass(frozen=True)
class SeedStat:
    """Mean, sample sd and the per-seed values (None where undefined) of one number over seeds."""

    mean: float | None
    sd: float | None
    per_seed: tuple[float | None, ...]

    @classmethod
    def of(cls, values: list[Any]) -> SeedStat:
        per_seed = tuple(finite(v) for v in values)
        if not per_seed or any(v is None for v in per_seed):
            return cls(None, None, per_seed)
        n = len(per_seed)
        mean = math.fsum(per_seed) / n  # type: ignore[arg-type]
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in per_seed) / (n - 1)) if n > 1 else None  # type: ignore[operator]
        return cls(mean, sd, per_seed)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "sd": self.sd, "per_seed": list(self.per_seed)}


@dataclass(frozen=True)
class SeedsBlock:
    """The `seeds` block of a result (contract C3)."""

    seeds: tuple[int, ...]
    metrics: dict[str, SeedStat]
    headline: SeedStat | None

    def to_dict(self) -> dict[str, Any]:
        return {"n": len(self.seeds), "seeds": list(self.seeds),
                "metrics": {k: s.to_dict() for k, s in sorted(self.metrics.items())},
                "headline": None if self.headline is None else self.headline.to_dict()}


@dataclass(frozen=True)
class SummaryEntry:
    model_id: str
    dataset: str
    primary_metric: str
    seeds: dict[str, Any]
    path: Path


def _seed(result: Result) -> int:
    if result.seed is None:
        raise InputError(f"result of {result.model_id} on {result.dataset} has no seed", column="seed")
    return result.seed


def seeds_block(results: list[Result]) -> SeedsBlock:
    """Combine per-seed results (one per seed, any order) into the seeds block."""
    results = sorted(results, key=_seed)
    keys = sorted({k for r in results for k in r.metrics})
    metrics = {k: SeedStat.of([r.metrics.get(k) for r in results]) for k in keys}
    summaries = [r.geobias.get("summary") or {} for r in results]
    headline = SeedStat.of([s.get("headline_value") for s in summaries]) \
        if any("headline_value" in s for s in summaries) else None
    return SeedsBlock(seeds=tuple(_seed(r) for r in results), metrics=metrics, headline=headline)


def combined_result(results: list[Result]) -> Result:
    """The lowest seed's result with the seeds block, and metrics / primary_value replaced by means."""
    block = seeds_block(results)
    base = min(results, key=_seed)
    note = (f"metrics are means over {len(block.seeds)} seed(s) {list(block.seeds)} (sd and per-seed values in "
            f"'seeds'); predictions, run record, geo-bias detail and per-sample blocks are seed {block.seeds[0]}'s")
    # integrity hashes the scored content, which the means change: a stale hash would be worse than none
    return dataclasses.replace(base, metrics={k: s.mean for k, s in block.metrics.items()},
                               primary_value=block.metrics[base.primary_metric].mean, seeds=block.to_dict(),
                               metric_notes=(*base.metric_notes, note), integrity=None)


def collect(folder: str | Path) -> dict[tuple[str, str], list[Path]]:
    """Finished job folders of a sweep, by (model id, dataset); one set of inputs per pair, sorted by seed."""
    groups: dict[tuple[str, str], dict[str, list[tuple[int, Path]]]] = defaultdict(lambda: defaultdict(list))
    for job_file in sorted(Path(folder).glob(f"*/*/seed-*/{JOB_FILE}")):
        record = read_job_record(job_file.parent)
        if record is None or record.get("status") != "done":
            continue
        groups[(record["model_id"], record["dataset"])][record["group_key"]].append((int(record["seed"]), job_file.parent))
    if not groups:
        raise InputError("no finished sweep jobs here (expected <model-id>/<dataset>/seed-<n>/job.json)", file=folder)
    out: dict[tuple[str, str], list[Path]] = {}
    for pair, by_inputs in sorted(groups.items()):
        if len(by_inputs) > 1:
            raise InputError(f"{pair[0]} on {pair[1]}: seeds from {len(by_inputs)} different settings (epochs, "
                             "probe, data, version...); summarize one setting per folder", file=folder)
        out[pair] = [p for _, p in sorted(next(iter(by_inputs.values())))]
    return out


def summarize(folder: str | Path, out: str | Path, *, results_root: str | Path | None = None) -> list[SummaryEntry]:
    """Write `<out>/<model-id>/` (card, lowest seed's predictions and run record, combined results)."""
    from locbench.results import write_result

    by_model: dict[str, list[tuple[str, list[Path]]]] = defaultdict(list)
    for (model_id, dataset), dirs in collect(folder).items():
        by_model[model_id].append((dataset, dirs))
    entries: list[SummaryEntry] = []
    for model_id, datasets in sorted(by_model.items()):
        final = Path(out) / model_id
        final.parent.mkdir(parents=True, exist_ok=True)
        with staged_job_dir(final) as tmp:
            shutil.copyfile(datasets[0][1][0] / "submission.json", tmp / "submission.json")
            for dataset, dirs in datasets:
                combined = combined_result([Result.from_json(d / f"{dataset}.result.json") for d in dirs])
                for suffix in (".csv", ".run.json"):
                    shutil.copyfile(dirs[0] / f"{dataset}{suffix}", tmp / f"{dataset}{suffix}")
                atomic.write_text(tmp / f"{dataset}.result.json", combined.to_json())
                if results_root is not None:
                    write_result(results_root, combined)
                assert combined.seeds is not None
                entries.append(SummaryEntry(model_id, dataset, combined.primary_metric, combined.seeds,
                                            final / f"{dataset}.result.json"))
    return entries
