"""What every importer shares: check, score and write imported tables, and replace a source's old import.

An importer turns someone's published per-sample file into an `ImportedTable` (our predictions
schema + model card + why it may or may not be ranked). `write_import` then
- checks each table exactly as a submission is checked (`submissions.check_frame`);
- scores each once (metrics, geo-bias, map layers) into a `Result`, before anything is written;
- writes the per-sample rows under `out/` (default `ROOT/imports/`, git-ignored: third-party rows are
  never committed) and the results under `ROOT/results/`;
- says what it replaced, and removes results and files of this source that the new import no
  longer produces (an import of a source replaces that source's whole set).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from georbias.geometry_cache import shared_geometry

from locbench import atomic
from locbench.cards import CARD_FILE, ModelMeta
from locbench.errors import InputError, ProblemList
from locbench.hashing import sha256_file
from locbench.results import Comparability, Result, iter_result_files, read_result, result_path, write_result

DEFAULT_OUT = "imports"  # under the root; listed in .gitignore


Parsed = TypeVar("Parsed")


def recognised_files(src: str | Path, folder: str, parse: Callable[[Path], Parsed | None],
                     not_a_name: str, skip: Callable[[Path, Parsed], str | None] | None = None
                     ) -> tuple[list[tuple[Path, Parsed]], list[str]]:
    """Files under `src` (recursively, sorted, hidden ones skipped) whose name `parse` recognises.

    A CSV whose name it does not recognise gets the warning "<path>: <not_a_name>; skipped"; a
    recognised file for which `skip` gives a reason is left out with "<path>: <reason>; skipped".
    """
    src = Path(src)
    if not src.is_dir():
        raise InputError(f"{folder} folder not found", file=src)
    found, warnings = [], []
    for p in sorted(src.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        parsed = parse(p)
        if parsed is None:
            if p.name.endswith((".csv", ".csv.gz")):
                warnings.append(f"{p}: {not_a_name}; skipped")
            continue
        reason = skip(p, parsed) if skip is not None else None
        if reason is not None:
            warnings.append(f"{p}: {reason}; skipped")
            continue
        found.append((p, parsed))
    return found, warnings


@dataclass(frozen=True)
class ImportedTable:
    """One imported (model, dataset): predictions in our schema, the card, and ranking facts."""

    model_id: str
    dataset: str
    predictions: pd.DataFrame
    card: ModelMeta
    source_file: Path
    source: str  # e.g. "torchspatial", "geobs": prefix of the model ids this importer owns
    comparability: Comparability | None = None  # None: the standard rule (results.comparability_for)


@dataclass
class ImportReport:
    """What an import wrote, replaced, removed, and had to repair or skip."""

    models: dict[str, Path] = field(default_factory=dict)  # model_id -> predictions folder
    files: list[Path] = field(default_factory=list)  # predictions files written
    results: list[Path] = field(default_factory=list)
    replaced: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    geobias_warnings: list[str] = field(default_factory=list)  # one line per (dataset, warning), with a count


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _score(table: ImportedTable, root: Path, out: Path, data_root: str | Path | None, geobias: bool,
           geobias_kwargs: dict[str, Any] | None) -> Result:
    """Check one table like a submission and score it (runs in a worker process when jobs > 1)."""
    from locbench.datasets import get_dataset
    from locbench.results import build_result
    from locbench.submissions import add_unit_hints, check_frame

    spec = get_dataset(table.dataset)
    problems = ProblemList()
    where = f"{table.source_file} (as {table.model_id}/{table.dataset})"
    subset = table.comparability is not None and table.comparability.eval_rows_expected not in (
        None, len(table.predictions))
    verified, note, split = check_frame(table.predictions, spec, where, problems, data_root=data_root, subset=subset)
    if problems:
        add_unit_hints(table.predictions, spec, where, problems)  # e.g. "looks like lon and lat are swapped"
    problems.raise_if_any(f"{where}: imported rows fail the submission checks; nothing was written")
    run = {"import": {"source": table.source, "file": table.source_file.name,
                      "file_sha256": sha256_file(table.source_file)}}
    return build_result(model_id=table.model_id, spec=spec, split=split, predictions=table.predictions,
                        source="import", verified=verified, seed=None, geobias_kwargs=geobias_kwargs, run=run,
                        verification_note=note, compute_geobias_scores=geobias,
                        predictions_file=_relative(out / table.model_id / f"{table.dataset}.parquet", root),
                        model_card=table.card, comparability=table.comparability)


def score_tables(tables: list[ImportedTable], *, root: Path, out: Path, data_root: str | Path | None = None,
                 geobias: bool = True, geobias_kwargs: dict[str, Any] | None = None, jobs: int = 1,
                 progress: Callable[..., None] | None = None) -> list[Result]:
    """Score every table (in `jobs` processes); raises before anything is written on the first bad table.
    `progress(stage, done, total)` (locbench.progress) follows the files."""
    if jobs <= 1:
        out_results = []
        with shared_geometry():   # a dataset's models together, on the neighbour graphs of its first
            for i, t in sorted(enumerate(tables), key=lambda it: it[1].dataset):
                if progress:
                    progress("scoring files", len(out_results), len(tables))
                out_results.append((i, _score(t, root, out, data_root, geobias, geobias_kwargs)))
        if progress:
            progress("scoring files", len(tables), len(tables))
        return [r for _, r in sorted(out_results, key=lambda ir: ir[0])]
    # One task per dataset: its models share the coordinates, so one worker scores them one after the
    # other on the neighbour graphs of the first (georbias.geometry_cache). Largest groups first, so
    # the last worker to finish is not left with a big one alone.
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(tables):
        groups.setdefault(t.dataset, []).append(i)
    order = sorted(groups.values(), key=lambda g: -sum(len(tables[i].predictions) for i in g))
    pool = ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or 1))
    try:
        futures = {pool.submit(_score_group, [tables[i] for i in g], root, out, data_root, geobias,
                               geobias_kwargs): g for g in order}
        done: dict[int, Result] = {}
        for f in as_completed(futures):
            if f.exception() is not None:
                raise f.exception()  # type: ignore[misc]  # the first bad file ends the import; nothing written
            done.update(zip(futures[f], f.result()))
            if progress:
                progress("scoring files", len(done), len(tables))
        return [done[i] for i in range(len(tables))]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)   # Ctrl-C or an error: queued groups are dropped


def _score_group(tables: list[ImportedTable], root: Path, out: Path, data_root: str | Path | None, geobias: bool,
                 geobias_kwargs: dict[str, Any] | None) -> list[Result]:
    """The tables of one dataset, in one worker, one after the other (they share the geometry cache)."""
    with shared_geometry():
        return [_score(t, root, out, data_root, geobias, geobias_kwargs) for t in tables]


def geobias_warning_lines(results: list[Result]) -> list[str]:
    """Each distinct geo-bias warning once per dataset, with how many results raised it.

    Models of one dataset share its locations, so a warning about them (e.g. SSI ROIs at the
    surprisal cap) repeats for every model; one line says it once.
    """
    seen: dict[tuple[str, str], int] = {}
    for r in results:
        for w in r.geobias_warnings:
            seen[(r.dataset, w)] = seen.get((r.dataset, w), 0) + 1
    return [f"{ds}: {w} ({n} result{'s' if n > 1 else ''})" for (ds, w), n in sorted(seen.items())]


def write_import(tables: list[ImportedTable], report: ImportReport, *, root: str | Path | None,
                 out: str | Path | None = None, data_root: str | Path | None = None, geobias: bool = True,
                 geobias_kwargs: dict[str, Any] | None = None, jobs: int = 1,
                 progress: Callable[[str], None] | None = None) -> ImportReport:
    """Score all tables, then write predictions, cards and results; replace this source's previous import.

    `root=None` converts only: predictions and cards under `out` (required then), no results.
    """
    if root is None and out is None:
        raise InputError("an import needs a root (to score into results/) or an --out folder (convert only)")
    out = Path(out) if out is not None else Path(root) / DEFAULT_OUT  # type: ignore[arg-type]
    results = [] if root is None else score_tables(tables, root=Path(root), out=out, data_root=data_root,
                                                   geobias=geobias, geobias_kwargs=geobias_kwargs, jobs=jobs,
                                                   progress=progress)
    if results:  # integrity flags need every model of a dataset at once (cross-model correlation)
        from locbench.resultchecks import annotate

        results = annotate(results, {(t.model_id, t.dataset): t.predictions for t in tables})
    sources = {t.source for t in tables}
    _write_rows(tables, out, report)
    report.removed += _remove_stale_files(out, sources, set(report.files) | {f / CARD_FILE for f in report.models.values()})
    if root is None:
        return report
    root = Path(root)
    report.geobias_warnings = geobias_warning_lines(results)
    for r in results:
        path = result_path(root, r.model_id, r.dataset)
        if path.exists():
            report.replaced.append(path)
        report.results.append(write_result(root, r))
    report.removed += _remove_stale_results(root, sources, set(report.results))
    return report


def _write_rows(tables: list[ImportedTable], out: Path, report: ImportReport) -> None:
    """Predictions (Parquet) and one card per model under `out/<model-id>/` (a valid submission folder)."""
    from locbench.predictions import write_predictions

    for t in tables:
        report.files.append(write_predictions(t.predictions, out / t.model_id / f"{t.dataset}.parquet"))
        report.models[t.model_id] = out / t.model_id
    for mid, card in {t.model_id: t.card for t in tables}.items():
        atomic.write_json(out / mid / CARD_FILE, card.to_dict())


def _owned(model_id: str, sources: set[str]) -> bool:
    return any(model_id.lower().startswith(f"{s}-") for s in sources)


def _remove_stale_results(root: Path, sources: set[str], keep: set[Path]) -> list[Path]:
    """Imported results of these sources that the new import did not produce (old ids, dropped files)."""
    removed = []
    for path in iter_result_files(root):
        if path in keep or not _owned(path.parent.name, sources):
            continue
        if read_result(path).source != "import":
            continue  # a user's own submission under a similar name is never touched
        path.unlink()
        removed.append(path)
        if not any(path.parent.iterdir()):
            path.parent.rmdir()
    return removed


def _remove_stale_files(out: Path, sources: set[str], keep: set[Path]) -> list[Path]:
    """Predictions and cards under `out/` left from an earlier import of these sources."""
    removed = []
    if not out.is_dir():
        return removed
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and _owned(p.name, sources)):
        for f in sorted(folder.iterdir()):
            if f.is_file() and f not in keep:
                f.unlink()
                removed.append(f)
        if not any(folder.iterdir()):
            folder.rmdir()
    return removed
