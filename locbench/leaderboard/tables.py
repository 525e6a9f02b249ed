"""Leaderboard tables from result files: one row per (model, dataset), ranks, aggregates, column meanings.

Pure functions of their inputs (no clock, no file system), so the same results always give the
same tables; `build.py` adds the version name and date and writes them.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from georbias.groups import view
from locbench.bootstrap import BootstrapCI
from locbench.errors import NotFoundError
from locbench.leaderboard.rows import GEOBIAS_KEYS, ScoreRow
from locbench.regions import RegionBreakdown
from locbench.scoreinfo import METRIC_KEYS, finite, higher_is_better, info

if TYPE_CHECKING:
    from locbench.cards import ModelMeta
    from locbench.leaderboard.policy import Verdicts
    from locbench.results import Result

# New columns go at the end, so a reader of the older layout keeps its column positions.
CSV_COLUMNS = ("model_id", "model_name", "dataset", "group", "task_type", "split", "primary_metric", "primary_value",
               "rank", *METRIC_KEYS, *GEOBIAS_KEYS, "verified", "n_rows", "n_located", "source", "unranked_reason",
               "headline_value", "headline_z", "headline_p", "flags")
HEADLINE_CSV = ("headline_value", "headline_z", "headline_p")

# The columns scores.json describes; their labels, directions and meanings come from the score registry.
COLUMN_KEYS = ("primary_value", "rank", *METRIC_KEYS, "headline_value", "headline_z", "headline_p",
               *view("described"), "mean_rank", "locbench_species_avg", "verified", "n_rows", "n_located", "unranked_reason")


def card_name(model_id: str, cards: dict[str, ModelMeta | None]) -> str:
    card = cards.get(model_id)
    return card.name if card is not None else model_id


def card_dict(model_id: str, cards: dict[str, ModelMeta | None]) -> dict[str, Any]:
    """scores.json `models` entry: the card's fields; a model without a card shows its id as name."""
    card = cards.get(model_id)
    return card.to_dict() if card is not None else {"model_id": model_id, "name": model_id}


def score_rows(results: list[Result], cards: dict[str, ModelMeta | None]) -> list[ScoreRow]:
    """One row per result, with the dataset rank filled in; sorted by dataset, rank, model id."""
    rows = assign_ranks([_score_row(res, cards) for res in results])
    return sorted(rows, key=lambda r: (r.dataset, r.rank if r.rank is not None else math.inf, r.model_id))


def _score_row(res: Result, cards: dict[str, ModelMeta | None]) -> ScoreRow:
    """A result's row before ranking: its flat columns, nested scores and scoring-time blocks."""
    summary = res.geobias.get("summary") or {}
    return ScoreRow(
        model_id=res.model_id, model_name=card_name(res.model_id, cards), dataset=res.dataset, group=res.group,
        task_type=res.task_type, split=res.split, primary_metric=res.primary_metric,
        primary_value=finite(res.primary_value), unranked_reason=_unranked_reason(res),
        **{k: finite(res.metrics.get(k)) for k in METRIC_KEYS}, **{k: finite(summary.get(k)) for k in GEOBIAS_KEYS},
        verified=res.verified_against_data, n_rows=res.n_rows, n_located=res.n_located, source=res.source,
        metrics={k: finite(v) for k, v in sorted(res.metrics.items())},
        geobias={k: (v if isinstance(v, (int, str)) else finite(v)) for k, v in sorted(summary.items())},
        bootstrap=None if res.bootstrap is None else BootstrapCI.from_dict(res.bootstrap),
        regions=_slim_regions(res.regions), seeds=res.seeds, geobias_undefined=_undefined_reasons(res.geobias),
        geobias_status=res.geobias.get("status"), verification_note=res.verification_note,
        predictions_sha256=res.predictions_sha256, dataset_version=res.dataset_version, checks=res.checks)


def _undefined_reasons(geobias: dict[str, Any]) -> dict[str, str]:
    """Summary key -> why the engine left it undefined (georbias report `undefined`, headline `reason`)."""
    out: dict[str, str] = {}
    for detail in (geobias.get("detail") or {}).values():
        out.update({k: str(v) for k, v in (detail.get("undefined") or {}).items()})
        reason = (detail.get("headline") or {}).get("reason")
        if reason:
            out.setdefault("headline_value", str(reason))
    return dict(sorted(out.items()))


def _slim_regions(regions: dict[str, Any] | None) -> RegionBreakdown | None:
    """A result's regions block; countries under the sample minimum keep their count, not a value to misread."""
    if not regions:
        return None
    rb = RegionBreakdown.from_dict(regions)
    return replace(rb, countries=tuple(c if not c.few else replace(c, value=None) for c in rb.countries))


def _unranked_reason(res: Result) -> str | None:
    if res.comparability is not None:
        return res.comparability.unranked_reason
    return None if res.verified_against_data else (
        "scored before comparability was recorded (locbench.result/1) and not verified against data")


def assign_ranks(rows: list[ScoreRow]) -> list[ScoreRow]:
    """The rows (same order) with competition ranks per dataset by primary value, direction-aware; ties share
    the best rank; a row without a value or with an `unranked_reason` has none."""
    by_ds: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_ds.setdefault(r.dataset, []).append(i)
    ranks: dict[int, int] = {}
    for idx in by_ds.values():
        hib = higher_is_better(rows[idx[0]].primary_metric)  # type: ignore[arg-type]
        scored = [i for i in idx if rows[i].primary_value is not None and rows[i].unranked_reason is None]
        values = sorted((rows[i].primary_value for i in scored), reverse=hib)  # type: ignore[type-var]
        ranks.update({i: values.index(rows[i].primary_value) + 1 for i in scored})  # type: ignore[arg-type]
    return [replace(r, rank=ranks.get(i)) for i, r in enumerate(rows)]


def species_average_datasets() -> tuple[str, ...]:
    """The sets whose mean Top-1 is TorchSpatial's Table 1 "Avg": the specs marked `in_species_average`."""
    from locbench.datasets import list_datasets

    return tuple(d.name for d in list_datasets() if d.in_species_average)


def aggregates(rows: list[ScoreRow], verdicts: Verdicts) -> dict[str, dict[str, Any]]:
    """Per model: its rank in each task family it has results in (never a mean over families), and the
    LocBench species Avg when all five are present."""
    out: dict[str, dict[str, Any]] = {}
    species_sets = species_average_datasets()
    for mid in sorted({r.model_id for r in rows}):
        mine = [r for r in rows if r.model_id == mid]
        top1 = {r.dataset: r.top1 for r in mine}
        species = [top1.get(d) for d in species_sets]
        families = {}
        for fam in verdicts.families:
            place = next((p for p in fam.ranking if p.model_id == mid), None)
            if place is not None or mid in fam.excluded:
                families[fam.key] = {"rank": None if place is None else place.rank,
                                     "mean_rank": None if place is None else place.value,
                                     "of": len(fam.ranking), "n_datasets": len(fam.test_datasets),
                                     "excluded": fam.excluded.get(mid)}
        out[mid] = {
            "families": families,
            "n_datasets": len(mine),
            "locbench_species_avg": (sum(species) / len(species)  # type: ignore[arg-type]
                                     if all(v is not None for v in species) else None),
        }
    return out


def with_policy_ranks(rows: list[ScoreRow], verdicts: Verdicts) -> list[ScoreRow]:
    """The rows with the policy's rank: tied models share their tie group's rank (None when unranked)."""
    return [replace(r, rank=(v.rank if (v := verdicts.result(r.model_id, r.dataset)) else None)) for r in rows]


def datasets_info(rows: list[ScoreRow]) -> dict[str, dict[str, Any]]:
    """Dataset facts for the tables; descriptions come from the registry when it knows the name."""
    from locbench.datasets import get_dataset

    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.dataset in out:
            continue
        try:
            description = get_dataset(r.dataset).description
        except NotFoundError:  # a result on a dataset this install does not register (e.g. a plugin's)
            description = ""
        out[r.dataset] = {"group": r.group, "task_type": r.task_type, "primary_metric": r.primary_metric,
                          "higher_is_better": higher_is_better(r.primary_metric), "split": r.split,
                          "description": description}
    return dict(sorted(out.items()))


def columns() -> list[dict[str, Any]]:
    """Every column's label, direction and meaning (scores.json `columns`), from the score registry."""
    return [{"key": k, "label": info(k).label, "higher_is_better": info(k).higher_is_better,
             "direction": info(k).direction_text, "description": info(k).description} for k in COLUMN_KEYS]


def csv_text(rows: list[ScoreRow], verdicts: Verdicts | None = None) -> str:
    """scores.csv: the contract's columns, stable number formatting, LF line ends; `flags` = the policy's
    integrity flag codes of the row, ";"-joined."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow([_cell(_csv_value(r, c, verdicts)) for c in CSV_COLUMNS])
    return buf.getvalue()


def _csv_value(r: ScoreRow, column: str, verdicts: Verdicts | None) -> Any:
    if column in HEADLINE_CSV:
        return r.value(column)
    if column == "flags":
        v = verdicts.result(r.model_id, r.dataset) if verdicts is not None else None
        return ";".join(f.code for f in v.flags) if v is not None else ""
    return r.flat(column)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(v)
    return str(v)


# Every value CHANGES.md compares per result (flat columns, then nested metrics / geo-bias summary keys).
COMPARED_KEYS = ("primary_value", "rank", *METRIC_KEYS, "headline_value", "headline_z", "headline_p", *GEOBIAS_KEYS,
                 "verified")


def changes_markdown(version: str, previous: str | None, old: list[ScoreRow] | None, new: list[ScoreRow],
                     old_doc: dict[str, Any] | None = None, old_csv_header: list[str] | None = None, *,
                     old_rules: dict[str, str] | None = None, new_rules: dict[str, str] | None = None) -> str:
    """CHANGES.md against the previous version: models/datasets/results added or removed, changes of method or
    column meaning (columns added, descriptions, verdict rules or headline score changed), and every changed
    value per result."""
    lines = [f"# Changes in {version}", ""]
    new_rows = {(r.model_id, r.dataset): r for r in new}
    if old is None or previous is None:
        models = sorted({m for m, _ in new_rows})
        dsets = sorted({d for _, d in new_rows})
        lines += ["First version.", "",
                  f"- {len(models)} model(s): {', '.join(models) or '-'}",
                  f"- {len(dsets)} dataset(s): {', '.join(dsets) or '-'}",
                  f"- {len(new_rows)} result(s)", ""]
        return "\n".join(lines)
    old_rows = {(r.model_id, r.dataset): r for r in old}
    lines += [f"Compared with {previous}.", ""]

    def section(title: str, items: list[str]) -> None:
        lines.extend([f"## {title}", ""])
        lines.extend([f"- {i}" for i in items] or ["- none"])
        lines.append("")

    om, nm = {m for m, _ in old_rows}, {m for m, _ in new_rows}
    od, nd = {d for _, d in old_rows}, {d for _, d in new_rows}
    renamed = _renamed(od - nd, nd - od)
    sources, targets = {a for a, _ in renamed}, {b for _, b in renamed}
    section("Models added", sorted(nm - om))
    section("Models removed", sorted(om - nm))
    section("Datasets added", sorted(nd - od - targets))
    section("Datasets removed", sorted(od - nd - sources))
    if renamed:  # only when a version renames ids
        section("Datasets renamed", [f"{a} -> {b} (locbench.datasets.catalog_geobs.ID_MIGRATION)" for a, b in renamed])
        old_rows = {(m, dict(renamed).get(d, d)): r for (m, d), r in old_rows.items()}  # compared across the rename
        om, od = {m for m, _ in old_rows}, {d for _, d in old_rows}
    section("Results added", [f"{m} on {d}{_why_new(m, d, om, od)}" for m, d in sorted(set(new_rows) - set(old_rows))])
    section("Results removed", [f"{m} on {d}{_why_new(m, d, nm, nd, gone=True)}"
                                for m, d in sorted(set(old_rows) - set(new_rows))])
    section("Changes of method or column meaning", _method_changes(old_rows, new_rows, old_doc, old_csv_header)
            + _rule_changes(old_rules, new_rules))
    changed, n_fields = _changed_scores(old_rows, new_rows)
    shared = len(set(old_rows) & set(new_rows))
    lines += [f"{n_fields} value(s) changed across {len(changed)} of the {shared} result(s) both versions share.", ""]
    section("Changed scores", changed)
    return "\n".join(lines)


def _why_new(model: str, dataset: str, models: set[str], datasets: set[str], *, gone: bool = False) -> str:
    """' (new model)' / ' (new dataset)' (or 'removed'), so every result line agrees with the sections above."""
    what = "removed" if gone else "new"
    if model not in models:
        return f" ({what} model)"
    return f" ({what} dataset)" if dataset not in datasets else ""


def _method_changes(old_rows: dict, new_rows: dict, old_doc: dict[str, Any] | None,
                    old_csv_header: list[str] | None) -> list[str]:
    """Columns added/removed, column descriptions that changed, headline scores computed another way."""
    out = []
    if old_csv_header is not None:
        added = [c for c in CSV_COLUMNS if c not in old_csv_header]
        gone = [c for c in old_csv_header if c not in CSV_COLUMNS]
        out += [f"scores.csv column added: {c}" for c in added] + [f"scores.csv column removed: {c}" for c in gone]
    old_cols = {c.get("key"): c for c in (old_doc or {}).get("columns") or [] if isinstance(c, dict)}
    for c in columns():
        before = old_cols.get(c["key"])
        if before is not None and before.get("description") != c["description"]:
            out.append(f"column {c['key']!r} now means: {c['description']} (was: {before.get('description')})")
    methods: dict[tuple[str, str], int] = {}
    for key in set(old_rows) & set(new_rows):
        a, b = (str(x.geobias.get("headline_score")) for x in (old_rows[key], new_rows[key]))
        if a != b:
            methods[(a, b)] = methods.get((a, b), 0) + 1
    out += [f"headline geo-bias score computed as {b} instead of {a} on {n} result(s)"
            for (a, b), n in sorted(methods.items())]
    if _has_cross_family_mean_rank(old_doc):
        out.append("the mean rank over all of a model's datasets (mixing task families) is gone: models are ranked "
                   "within each task family (verdicts.json)")
    return out


def _rule_changes(old: dict[str, str] | None, new: dict[str, str] | None) -> list[str]:
    """Verdict rules (verdicts.json `rules`) added or reworded since the previous version."""
    if not old or not new:
        return []
    return [f"verdict rule {key!r} now reads: {text}" + (f" (was: {old[key]})" if key in old else " (new rule)")
            for key, text in sorted(new.items()) if old.get(key) != text]


def _has_cross_family_mean_rank(doc: dict | None) -> bool:
    """v0002's aggregates carried one mean rank per model over all its datasets; from v0003 ranks sit per family."""
    aggregates = (doc or {}).get("aggregates") or {}
    return any(isinstance(entry, dict) and "mean_rank" in entry for entry in aggregates.values())


def _changed_scores(old_rows: dict, new_rows: dict) -> tuple[list[str], int]:
    """One line per shared result whose values differ, and the number of differing values."""
    changed, n = [], 0
    for key in sorted(set(old_rows) & set(new_rows)):
        a, b = old_rows[key], new_rows[key]
        diffs = []
        for col in COMPARED_KEYS:
            va, vb = (a.flat(col) if col in ("verified",) else a.value(col)), (
                b.flat(col) if col in ("verified",) else b.value(col))
            if _differs(va, vb):
                diffs.append(f"{col} {_show(va)} -> {_show(vb)}")
        n += len(diffs)
        if a.predictions_sha256 != b.predictions_sha256 and not diffs:
            diffs.append("predictions changed (scores equal)")
        if diffs:
            changed.append(f"{key[0]} on {key[1]}: " + "; ".join(diffs))
    return changed, n


def _renamed(removed: set[str], added: set[str]) -> list[tuple[str, str]]:
    """Dataset ids a version renamed (old id gone, new id new): their scores are compared as one dataset."""
    from locbench.datasets.catalog_geobs import ID_MIGRATION

    return [(a, b) for a, b in sorted(ID_MIGRATION.items()) if a in removed and b in added]


def _differs(a: Any, b: Any) -> bool:
    fa, fb = finite(a), finite(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a != b
    if fa is None or fb is None:
        return (fa is None) != (fb is None)
    return abs(fa - fb) > 1e-12 * max(1.0, abs(fa))


def _show(v: Any) -> str:
    f = finite(v)
    if isinstance(v, bool) or f is None:
        return str(v)
    return f"{f:.6g}"
