"""Validate and score a submission folder `submissions/<model-id>/`.

A submission is a model card (`submission.json`) plus one predictions file per dataset, named
`<dataset>.csv`, `<dataset>.csv.gz` or `<dataset>.parquet` (schema: `locbench.predictions`).
Validation collects every problem (file, row, column) before raising, so a submitter fixes
everything in one round; nothing is written unless the whole submission is valid.

When the dataset is on disk, sample ids, coordinates (within 1e-4 degrees) and true labels are
checked against it; otherwise against the registry's published facts (row count, class count,
coordinate bounds) and the result is marked "not verified against data".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from locbench.errors import (DataMissingError, LocbenchError, NotFoundError, Problem, ProblemList, ValidationError,
                             did_you_mean, shown)
from locbench.cards import CARD_FILE, ModelMeta, check_card, read_card
from locbench.hashing import sha256_file as file_sha256
from locbench.ids import id_problems
from locbench.tasks import get_task
from locbench.tasks.base import limited
from locbench.runrecord import Schedule, shorter

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSpec, DatasetSplit

PREDICTION_SUFFIXES = (".csv.gz", ".csv", ".parquet")
IGNORED_SUFFIXES = (".md", ".txt", ".result.json", ".run.json")  # notes and `locbench evaluate` records
COORD_TOLERANCE_DEG = 1e-4
# Published coordinate ranges are rounded to 0.1 deg (e.g. BirdSnap† lon -176.6..-37.4 holds -176.644):
# half a unit of that rounding plus the coordinate tolerance keeps true rows in and still catches
# swapped lon/lat or other gross errors.
BOUNDS_SLACK_DEG = 0.05 + COORD_TOLERANCE_DEG


@dataclass
class Entry:
    """One validated predictions file of a submission."""

    dataset: str
    file: Path
    spec: DatasetSpec
    split: str
    predictions: pd.DataFrame
    verified: bool
    note: str
    warnings: list[str] = field(default_factory=list)  # likely unit mistakes (errors under --strict)
    schedule: Schedule | None = None  # from `<dataset>.run.json` beside it (a `locbench evaluate` run), if any


@dataclass
class CheckedSubmission:
    """A submission that passed validation (nothing written yet)."""

    path: Path
    model_id: str
    card: ModelMeta
    entries: list[Entry] = field(default_factory=list)


# ------------------------------------------------------------------------------ predictions

def dataset_of(file: Path) -> str | None:
    """Dataset name from a predictions file name, or None when the suffix is not a predictions format."""
    name = file.name
    for suffix in PREDICTION_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return None


_limit = limited  # at most MAX_PROBLEMS_PER_KIND rows per kind of problem (locbench.tasks.base)


def _bounds(spec: DatasetSpec) -> tuple[float, float, float, float] | None:
    """The spec's (lon_min, lon_max, lat_min, lat_max) as floats, or None when it declares none."""
    b = spec.coord_bounds
    return None if b is None else (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def check_against_data(df: pd.DataFrame, split: DatasetSplit, file: str, problems: ProblemList) -> None:
    """Sample ids exactly the split's; coordinates within 1e-4 deg; true labels/targets agree."""
    ids = df["sample_id"].astype(str).to_numpy()
    ref_ids = np.asarray(split.sample_ids).astype(str)
    ref_pos = pd.Index(ref_ids)
    if not ref_pos.is_unique:  # pragma: no cover - loaders guarantee unique ids
        ref_pos = pd.Index(pd.Series(ref_ids).drop_duplicates())
    pos = ref_pos.get_indexer(ids)
    extra = np.nonzero(pos < 0)[0]
    _limit(problems, extra, lambda r: Problem(f"sample_id {shown(ids[r])} is not in the dataset's {split.split!r} split",
                                              file, r, "sample_id"))
    present = np.zeros(len(ref_pos), dtype=bool)
    present[pos[pos >= 0]] = True
    missing = np.asarray(ref_pos)[~present]  # in split order; setdiff1d on strings is quadratic-slow
    if len(missing):
        listed = ", ".join(repr(str(x)) for x in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        problems.add(f"{len(missing)} sample id(s) of the {split.split!r} split are missing: {listed}{more}",
                     file=file, column="sample_id")
    ok = np.nonzero(pos >= 0)[0]
    p = pos[ok]
    for col, ref in (("lon", np.asarray(split.lon, dtype=np.float64)), ("lat", np.asarray(split.lat, dtype=np.float64))):
        mine = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)[ok]
        theirs = ref[p]
        diff = np.abs(mine - theirs)
        if col == "lon":
            diff = np.minimum(diff, 360.0 - diff)  # -180 and 180 are the same meridian
        bad = (np.isnan(mine) != np.isnan(theirs)) | (np.isfinite(diff) & (diff > COORD_TOLERANCE_DEG))
        rows = ok[np.nonzero(bad)[0]]
        _limit(problems, rows, lambda r, col=col, mine_all=pd.to_numeric(df[col], errors="coerce").to_numpy(),
               ref=ref, pos=pos: Problem(
                   f"{col} {shown(mine_all[r])} differs from the dataset's {shown(ref[pos[r]])} by more than {COORD_TOLERANCE_DEG} deg",
                   file, r, col))
    get_task(split.spec.task_type).check_against_data(df, split, file, problems, ok, p)


def check_against_registry(df: pd.DataFrame, spec: DatasetSpec, file: str, problems: ProblemList, *,
                           subset: bool = False) -> str:
    """Published-facts checks when the data is not on disk; returns the note for the result file.

    `subset`: the rows are a declared subset (an importer's, kept unranked), so the row count is not checked.
    """
    checked = []
    n_expected = spec.n_eval_rows
    if n_expected is not None and not subset:
        checked.append("row count")
        if len(df) != int(n_expected):
            gap = int(n_expected) - len(df)
            what = f"{gap:,} sample id(s) missing" if gap > 0 else f"{-gap:,} row(s) too many"
            problems.add(f"{len(df):,} rows, but the {spec.reported_split!r} split of {spec.name} has "
                         f"{int(n_expected):,}: {what}. The dataset files are not on disk, so the ids cannot be "
                         "named; pass --data-root (or set $LOCBENCH_DATA) to list them", file=file)
    checked += get_task(spec.task_type).check_against_registry(df, spec, file, problems)
    bounds = _bounds(spec)
    if bounds is not None:
        checked.append("coordinate bounds")
        lo_lon, hi_lon, lo_lat, hi_lat = bounds
        tol = BOUNDS_SLACK_DEG
        for col, lo, hi in (("lon", lo_lon, hi_lon), ("lat", lo_lat, hi_lat)):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            rows = np.nonzero(np.isfinite(v) & ((v < lo - tol) | (v > hi + tol)))[0]
            _limit(problems, rows, lambda r, col=col, v=v, lo=lo, hi=hi: Problem(
                f"{col} {v[r]:g} outside the dataset's published range [{lo:g}, {hi:g}]", file, r, col))
    what = ", ".join(checked) if checked else "nothing (no published facts)"
    return f"not verified against data: dataset files not on disk; checked against the registry's published {what}"


def check_frame(df: pd.DataFrame, spec: DatasetSpec, file: str, problems: ProblemList, *,
                data_root: str | Path | None = None, subset: bool = False) -> tuple[bool, str, str]:
    """Check a structurally valid frame against the data (when on disk) or the registry's published facts.

    Returns (verified, verification note, split name); problems are added to `problems`. Shared by
    submissions and importers, so imported rows pass exactly the checks a submission does. A declared
    `subset` (importers only) is checked against the registry without its row count.
    """
    from locbench.datasets import load_split

    split = None
    if not subset:
        try:
            split = load_split(spec.name, split=None, data_root=data_root)
        except DataMissingError:
            split = None
    if split is not None:
        check_against_data(df, split, file, problems)
        return (True, f"sample ids, coordinates (within {COORD_TOLERANCE_DEG} deg) and labels checked against the "
                      "dataset files", split.split)
    return False, check_against_registry(df, spec, file, problems, subset=subset), spec.reported_split


def check_predictions_file(path: Path, spec: DatasetSpec, problems: ProblemList, *, data_root: str | Path | None = None,
                           strict: bool = False) -> Entry | None:
    """Read one predictions file and run every check; None when it has problems.

    Coordinate unit mistakes (radians, 0..360, swapped) are a warning on the Entry, a problem under
    `strict`, and always a problem beside other problems (they usually explain them).
    """
    from locbench.predictions import check_predictions, normalise_predictions, read_table

    before = len(problems.items)
    try:
        df = read_table(path)
    except LocbenchError as exc:
        problems.items.extend(exc.problems)
        return None
    targets = tuple(spec.targets or ()) or None
    check_predictions(df, spec.task_type, file=path, targets=targets, problems=problems,
                      n_classes=int(spec.num_classes) if spec.num_classes else None)
    if len(problems.items) > before:
        add_unit_hints(df, spec, path, problems)
        return None  # structural problems first: the data checks assume the columns exist
    df = normalise_predictions(df)
    verified, note, split_name = check_frame(df, spec, str(path), problems, data_root=data_root)
    units = _unit_mistakes(df, spec)
    failed = len(problems.items) > before
    if failed or (strict and units):
        for msg in units:
            problems.add(msg if failed else f"{msg} (an error under --strict)", file=path)
        return None
    return Entry(spec.name, path, spec, split_name, df, verified, note, warnings=units)


def _unit_mistakes(df: pd.DataFrame, spec: DatasetSpec) -> list[str]:
    from locbench.unit_checks import unit_mistakes

    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype=np.float64)
    return unit_mistakes(lon, lat, _bounds(spec))


def add_unit_hints(df: pd.DataFrame, spec: DatasetSpec, path: Path | str, problems: ProblemList) -> None:
    """'likely cause: ...' lines (radians, 0..360, swapped lon/lat) beside coordinate problems; shared with imports."""
    if "lon" in df.columns and "lat" in df.columns:
        for msg in _unit_mistakes(df, spec):
            problems.add(f"likely cause: {msg}", file=path)


def outside_links(folder: Path) -> list[Problem]:
    """Symbolic links in a submission folder that lead outside it (a submission is a closed folder)."""
    base = folder.resolve()
    found = []
    for f in sorted(folder.iterdir()):
        if f.is_symlink():
            target = f.resolve()
            if target != base and base not in target.parents:
                found.append(Problem(f"symbolic link leading outside the submission folder (to {target}); "
                                     "copy the file into the folder instead", str(f)))
    return found


# ------------------------------------------------------------------------------- submission

def duplicate_predictions(checked: CheckedSubmission, root: str | Path) -> list[Problem]:
    """Predictions identical to a result already scored under another model id (same dataset), naming both:
    the same predictions must not rank twice under two names."""
    import json

    from locbench.results import predictions_sha256

    results = Path(root) / "results"
    if not results.is_dir():
        return []
    found = []
    for e in checked.entries:
        sha = predictions_sha256(e.predictions.reset_index(drop=True))
        for other in sorted(results.glob(f"*/{e.dataset}.json")):
            if other.parent.name == checked.model_id:
                continue
            try:
                stored = json.loads(other.read_text(encoding="utf-8")).get("predictions_sha256")
            except (OSError, ValueError, AttributeError):
                continue  # an unreadable result is the leaderboard build's to report
            if stored == sha:
                found.append(Problem(
                    f"these predictions are identical to those already scored as model {other.parent.name!r} on "
                    f"{e.dataset} ({other}); the same predictions cannot rank under two model ids "
                    f"({checked.model_id!r} and {other.parent.name!r}): submit them under one id", str(e.file)))
    return found


def validate_submission(path: str | Path, *, data_root: str | Path | None = None,
                        strict: bool = False, root: str | Path | None = None) -> CheckedSubmission:
    """Check a submission folder completely; raise ValidationError listing every problem.

    `strict`: likely coordinate unit mistakes are errors instead of warnings. `root`: also refuse
    predictions identical to a result of another model id under root/results.
    """
    checked = _validate_folder(Path(path), data_root=data_root, strict=strict)
    if root is not None:
        ProblemList(duplicate_predictions(checked, root)).raise_if_any(
            f"{path}: submission is invalid (predictions scored before under another model id); nothing was written")
    return checked


def _validate_folder(path: Path, *, data_root: str | Path | None, strict: bool) -> CheckedSubmission:
    """Every check of the folder itself (card, file names, each predictions file)."""
    from locbench.datasets import get_dataset, list_datasets

    path = Path(path)
    problems = ProblemList()
    if not path.is_dir():
        raise ValidationError([Problem("submission folder not found (expected submissions/<model-id>/)", str(path))],
                              summary=f"{path}: not a submission folder")
    folder = path.resolve().name  # `locbench submit .` names the folder it is run in
    for msg in id_problems(folder, kind="submission folder name"):
        problems.add(msg, file=path)
    links = outside_links(path)
    problems.items.extend(links)
    card_path = path / CARD_FILE
    card = read_card(card_path, problems) if not any(p.file == str(card_path) for p in links) else None
    if card is not None:
        check_card(card, file=str(card_path), folder_name=folder, problems=problems)
    known = [s if isinstance(s, str) else s.name for s in list_datasets()]
    seen: dict[str, Path] = {}
    entries: list[Entry] = []
    files = sorted(p for p in path.iterdir() if p.name != CARD_FILE and not p.name.startswith("."))
    linked = {p.file for p in links}
    for f in files:
        if str(f) in linked:
            continue
        if f.is_dir():
            problems.add("unexpected folder in a submission", file=f)
            continue
        name = dataset_of(f)
        if name is None:
            if not f.name.lower().endswith(IGNORED_SUFFIXES):
                problems.add(f"unexpected file; predictions must be named <dataset>{{{','.join(PREDICTION_SUFFIXES)}}}",
                             file=f)
            continue
        if name in seen:
            problems.add(f"two predictions files for dataset {name!r} (also {seen[name].name})", file=f)
            continue
        seen[name] = f
        try:
            spec = get_dataset(name)
        except NotFoundError:
            hint = did_you_mean(name, known) or f" Known: {', '.join(sorted(known))}"
            problems.add(f"unknown dataset {name!r} (from the file name).{hint}", file=f)
            continue
        entry = check_predictions_file(f, spec, problems, data_root=data_root, strict=strict)
        if entry is not None:
            entry.schedule = run_schedule(path / f"{name}.run.json")
            entries.append(entry)
    if not seen and not links and not any(p.file == str(card_path) and "missing model card" in p.message
                                          for p in problems.items):
        problems.add("no predictions files (expected <dataset>.csv, .csv.gz or .parquet)", file=path)
    problems.raise_if_any(f"{path}: submission is invalid ({len(problems.items)} problem(s)); nothing was written")
    meta = ModelMeta.from_dict(card, file=card_path, folder_name=folder)
    return CheckedSubmission(path, meta.model_id, meta, entries)


def score_submission(checked: CheckedSubmission, *, root: str | Path,
                     geobias_kwargs: dict[str, Any] | None = None,
                     progress: Callable[[str], None] | None = None, source: str = "submission",
                     geobias: bool = True) -> list[Path]:
    """Score every dataset of a validated submission and write the result files.

    All results are computed before the first one is written, so a failure while scoring leaves
    results/ as it was.
    """
    from locbench.results import build_result, write_result

    results = []
    for entry in checked.entries:
        if progress:
            progress(entry.dataset)
        run: dict[str, Any] = {"submission": {"folder": checked.path.name, "file": entry.file.name,
                                              "file_sha256": file_sha256(entry.file)}}
        if entry.schedule is not None:
            run["schedule"] = entry.schedule.to_dict()
        try:
            where = entry.file.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            where = str(entry.file.resolve())
        results.append(build_result(model_id=checked.model_id, spec=entry.spec, split=entry.split,
                                    predictions=entry.predictions, source=source, verified=entry.verified,
                                    seed=None, geobias_kwargs=geobias_kwargs, run=run,
                                    verification_note=entry.note, predictions_file=where,
                                    compute_geobias_scores=geobias, model_card=checked.card))
    from locbench.integrity import seal
    from locbench.resultchecks import annotate_with_peers

    frames = {(checked.model_id, e.spec.name): e.predictions for e in checked.entries}
    results, peers = annotate_with_peers(results, frames, root)  # flags against the models already under root
    # every result is sealed (non-finite ones refused) before the first write; the peers' records of these
    # models were made against the rows being replaced, so they are rewritten too
    sealed, sealed_peers = [seal(r) for r in results], [seal(p) for p in peers]
    written = [write_result(root, r) for r in sealed]
    for peer in sealed_peers:
        write_result(root, peer)
    return written


def run_schedule(path: Path) -> Schedule | None:
    """The schedule recorded in a `locbench evaluate` run record; None when absent or not one."""
    import json

    try:
        return Schedule.from_run_record(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Replacement:
    """An existing result a submission would overwrite with a shorter training schedule."""

    path: Path
    old: Schedule | None
    new: Schedule

    def describe(self) -> str:
        old = self.old.describe() if self.old is not None else "a run with no recorded schedule (taken as full)"
        return f"{self.path}: {old} would be replaced by a {self.new.describe()}"


def shorter_replacements(checked: CheckedSubmission, root: str | Path) -> list[Replacement]:
    """Existing results under `root` that this submission would replace with less training."""
    from locbench.results import read_result

    out = []
    for entry in checked.entries:
        path = Path(root) / "results" / checked.model_id / f"{entry.dataset}.json"
        if entry.schedule is None or not path.is_file():
            continue
        old = Schedule.from_dict((read_result(path).run or {}).get("schedule"))
        if shorter(entry.schedule, old):
            out.append(Replacement(path, old, entry.schedule))
    return out


def refuse_shorter(checked: CheckedSubmission, root: str | Path, replace: bool) -> list[Replacement]:
    """InputError naming every result a shorter run would replace, unless `replace` (then they are returned)."""
    from locbench.errors import InputError

    found = shorter_replacements(checked, root)
    if found and not replace:
        lines = "; ".join(r.describe() for r in found)
        raise InputError(f"refusing to replace {len(found)} result(s) produced with a longer schedule: {lines}. "
                         "Nothing was written; pass --replace to replace them anyway")
    return found


def submit(path: str | Path, *, root: str | Path = ".", data_root: str | Path | None = None, check_only: bool = False,
           geobias_kwargs: dict[str, Any] | None = None, progress: Callable[[str], None] | None = None,
           geobias: bool = True, strict: bool = False, replace: bool = False) -> tuple[CheckedSubmission, list[Path]]:
    """Validate (and unless `check_only`, score and write) one submission folder.

    A result under `root` produced with a longer schedule than this submission's (quick over full,
    fewer epochs, fewer training rows) is not replaced unless `replace`: InputError naming it.
    """
    checked = validate_submission(path, data_root=data_root, strict=strict, root=root)
    if check_only:
        return checked, []
    refuse_shorter(checked, root, replace)
    return checked, score_submission(checked, root=root, geobias_kwargs=geobias_kwargs, progress=progress,
                                     geobias=geobias)
