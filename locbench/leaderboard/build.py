"""Freeze result files into a new, never-rewritten leaderboard version `leaderboard/vNNNN/`.

Why each step:
- a lock file (`leaderboard/.build.lock`, fcntl.flock) serialises concurrent builds, so two never
  pick the same version number; it and the other crash/tamper guards live in `safety`;
- the version is assembled in a staged folder (HTML included) and renamed as a whole, so a crash
  leaves no partial version and readers never see one;
- inputs are hashed; when they equal the latest version's, nothing is built (unless forced);
- outputs depend only on the inputs, except `scores.json` `created` (the one date field), so the
  same inputs give byte-identical `scores.csv`, `manifest.json` and `CHANGES.md`;
- what is frozen is small (issue 24): the tables (`scores.csv`, compact `scores.json` whose rows no
  longer carry their regional breakdown), `regions.json` (every breakdown once, `regionstore`),
  `verdicts.json` when the policy writes one, `CHANGES.md` and `manifest.json`. Pages are derived:
  the build renders them with light SVG maps and records in `pages.json` (`pagerecord`) what they were
  rendered from, so `locbench leaderboard render vNNNN` reproduces them byte for byte later;
- the previous versions' pages leave the working tree when the new version is published, but only those
  committed at HEAD byte for byte (`prune`): `locbench leaderboard render` restores them from git.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locbench import atomic
from locbench.hashing import sha256_file
from locbench.errors import InputError
from locbench.leaderboard.config import DEFAULTS as RENDER
from locbench.leaderboard.config import RenderConfig
from locbench.leaderboard import leanrecord, pagerecord, prune, regionstore
from locbench.leaderboard.rows import ScoreRow, rows_of
from locbench.leaderboard.versions import VERSION_RE, version_folders
from locbench.leaderboard.safety import (build_lock, check_published_outputs, check_root, checked_results,
                                         fault_point, prepare)

if TYPE_CHECKING:
    from locbench.cards import ModelMeta
    from locbench.results import Result

MANIFEST_SCHEMA = "locbench.leaderboard-manifest/1"


@dataclass(frozen=True)
class BuildOutcome:
    """What a build did: the version folder, whether it is new, and a one-line message."""

    path: Path
    version: str
    created: bool
    message: str
    html: bool = False


def list_versions(leaderboard_dir: Path) -> list[str]:
    """Complete version folders (a manifest.json inside), oldest first."""
    return version_folders(leaderboard_dir, "manifest.json")


def next_version(leaderboard_dir: Path) -> str:
    """One past the highest existing vNNNN (any folder of that name counts, complete or not)."""
    nums = [int(m.group(1)) for p in (leaderboard_dir.iterdir() if leaderboard_dir.is_dir() else [])
            if (m := VERSION_RE.match(p.name))]
    return f"v{(max(nums) + 1) if nums else 1:04d}"


def collect_inputs(root: Path, notify: Callable[[str], None] | None = None
                   ) -> tuple[list[Result], dict[str, ModelMeta | None], list[dict[str, Any]]]:
    """Results, model cards and the hashed input list (results + cards of models with results).

    A model's card is its submission folder's submission.json when present, else the card the
    result carries (imports keep no submission folder in the tree), else None. Result files pass
    `checked_results` first (bad ones left out, tampered ones refused).
    """
    from locbench.cards import CARD_FILE, ModelMeta

    results, inputs = [], []
    for path, result in checked_results(root, notify)[0]:
        results.append(result)
        inputs.append(_input_entry(root, path))
    cards: dict[str, ModelMeta | None] = {}
    for mid in sorted({r.model_id for r in results}):
        path = root / "submissions" / mid / CARD_FILE
        if path.is_file():
            cards[mid] = ModelMeta.read(path, folder_name=mid)
            inputs.append(_input_entry(root, path))
        else:
            cards[mid] = next((r.model_card for r in results if r.model_id == mid and r.model_card is not None), None)
    inputs.sort(key=lambda e: e["path"])
    return results, cards, inputs


def _input_entry(root: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "sha256": sha256_file(path), "bytes": path.stat().st_size}


def inputs_digest(inputs: list[dict[str, Any]]) -> str:
    text = "".join(f"{e['path']}\t{e['sha256']}\n" for e in inputs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _geobias_params(results: list[Result]) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """Distinct geo-bias parameter sets, keyed by a short content hash, and which result used which."""
    sets: dict[str, Any] = {}
    used: dict[tuple[str, str], str] = {}
    for r in results:
        gb = r.geobias
        params = {"params": gb.get("params"), "value_name": gb.get("value_name"), "value_rule": gb.get("value_rule"),
                  "engine_version": gb.get("engine_version"), "status": gb.get("status")}
        key = hashlib.sha256(atomic.dumps_json(params).encode("utf-8")).hexdigest()[:12]
        sets[key] = params
        used[(r.model_id, r.dataset)] = key
    return dict(sorted(sets.items())), used


def _latest_manifest(leaderboard_dir: Path) -> tuple[str | None, dict[str, Any] | None, list[ScoreRow] | None,
                                                    dict[str, Any] | None]:
    """The latest version's name, manifest, rows and scores.json (what CHANGES.md compares against); Nones when
    there is none."""
    versions = list_versions(leaderboard_dir)
    if not versions:
        return None, None, None, None
    latest = versions[-1]
    docs = []
    for name in ("manifest.json", "scores.json"):
        path = leaderboard_dir / latest / name
        try:
            docs.append(json.loads(path.read_text(encoding="utf-8")) if path.exists() else None)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"published version is unreadable ({exc}); it must not be edited by hand",
                             file=path) from exc
    docs[1] = leanrecord.expand(docs[1], leaderboard_dir / latest / "scores.json")  # either layout
    rows = None if docs[1] is None else rows_of(docs[1], leaderboard_dir / latest / "scores.json")
    if rows is not None:
        rows = regionstore.attach(rows, leaderboard_dir / latest)
    return latest, docs[0], rows, docs[1]


@dataclass(frozen=True)
class _VersionFiles:
    """The text files of one version, before they are written."""

    scores: dict[str, Any]
    csv_text: str
    changes: str
    manifest: dict[str, Any]
    regions: dict[str, Any]
    verdicts: str | None = None  # verdicts.json text (locbench.leaderboard.policy)
    compact: bool = False  # the compact record (`compact_record`)


def _scores_doc(version: str, rows: list[ScoreRow], params: dict[str, Any],
                cards: dict[str, ModelMeta | None], aggregates: dict[str, Any]) -> dict[str, Any]:
    """scores.json: every row, the model cards, datasets, aggregates and the geo-bias parameter sets."""
    from locbench.leaderboard import tables
    from locbench.results import now_iso

    model_ids = sorted({r.model_id for r in rows})
    return {
        "version": version,
        "created": now_iso(),
        "rows": [regionstore.row_dict(r) for r in rows],
        "models": {m: tables.card_dict(m, cards) for m in model_ids},
        "datasets": tables.datasets_info(rows),
        "aggregates": aggregates,
        "columns": tables.columns(),
        "geobias_params": params,
        "species_datasets": list(tables.species_average_datasets()),
    }


def compact_record(previous_dir: Path | None) -> bool:
    """Whether the version writes the compact record: manifest.json and verdicts.json without indentation, the
    manifest naming scores.json's geo-bias parameter sets by their digest instead of repeating them (0.28 MB),
    and scores.json in the lean layout (`leanrecord`: shared texts, each pair once, parameter-set differences).

    Every version built after one with a page record does (v0004 on); tied to the predecessor because a rebuild
    must reproduce a published version byte for byte, so a version's layout follows from what it was built
    after, never from when the code changed."""
    return previous_dir is not None and (Path(previous_dir) / pagerecord.FILE).exists()


def _manifest(scores: dict[str, Any], rows: list[ScoreRow], previous: str | None, inputs: list[dict[str, Any]],
              digest: str, results: list[Result], outputs: dict[str, str], compact: bool = False) -> dict[str, Any]:
    """manifest.json: inputs and their digest, what the version holds, software versions, output hashes."""
    from locbench.results import package_versions

    result_versions = sorted({json.dumps(r.versions, sort_keys=True) for r in results})
    params: dict[str, Any] = {"geobias_params": scores["geobias_params"]}
    if compact:  # one definition: the sets are in scores.json; their digest ties the two files
        params = {"geobias_params_sha256": hashlib.sha256(
            regionstore.dumps_compact(scores["geobias_params"]).encode("utf-8")).hexdigest()}
    return {
        "schema": MANIFEST_SCHEMA,
        "version": scores["version"],
        "previous_version": previous,
        "inputs": inputs,
        "inputs_digest": digest,
        "models": sorted({r.model_id for r in rows}),
        "datasets": sorted({r.dataset for r in rows}),
        "n_results": len(rows),
        "versions": package_versions(),
        "result_versions": [json.loads(s) for s in result_versions],
        "engine_versions": sorted({str(r.geobias.get("engine_version")) for r in results}),
        **params,
        "outputs": {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in outputs.items()},
        "date_field": "scores.json:created (the only field that depends on the build time)",
    }


def _version_files(version: str, previous: str | None, prev_rows: list[ScoreRow] | None, results: list[Result],
                   cards: dict[str, ModelMeta | None], inputs: list[dict[str, Any]], digest: str,
                   previous_dir: Path | None = None, prev_doc: dict[str, Any] | None = None,
                   prev_header: list[str] | None = None) -> _VersionFiles:
    from locbench.leaderboard import policy, tables

    params, used = _geobias_params(results)
    rows = [replace(r, geobias_params_id=used[(r.model_id, r.dataset)]) for r in tables.score_rows(results, cards)]
    verdicts = policy.compute(rows, {m: tables.card_dict(m, cards) for m in {r.model_id for r in rows}}, version)
    rows = tables.with_policy_ranks(rows, verdicts)  # the pages, the tables and verdicts.json share one rank
    scores = _scores_doc(version, rows, params, cards, tables.aggregates(rows, verdicts))
    csv_text = tables.csv_text(rows, verdicts)
    changes = (tables.changes_markdown(version, previous, prev_rows, rows, prev_doc, prev_header,
                                       old_rules=_previous_rules(previous_dir), new_rules=verdicts.to_dict()["rules"])
               + pagerecord.storage_note(previous_dir))
    compact = compact_record(previous_dir)  # also regions.json in columns, scores.json lean (at writing)
    verdicts_text = (regionstore.dumps_compact if compact else atomic.dumps_json)(verdicts.to_dict())
    outputs = {"scores.csv": csv_text, "CHANGES.md": changes, VERDICTS_FILE: verdicts_text}
    manifest = _manifest(scores, rows, previous, inputs, digest, results, outputs, compact)
    return _VersionFiles(scores=scores, csv_text=csv_text, changes=changes, manifest=manifest,
                         regions=regionstore.store_doc(rows, columns=compact), verdicts=verdicts_text, compact=compact)


VERDICTS_FILE = "verdicts.json"  # every claim of the pages, machine-readable (issue 20.7)


def _previous_rules(previous_dir: Path | None) -> dict[str, str] | None:
    """The verdict rules the previous version published (None before verdicts.json existed)."""
    path = None if previous_dir is None else previous_dir / VERDICTS_FILE
    if path is None or not path.is_file():
        return None
    rules = json.loads(path.read_text(encoding="utf-8")).get("rules")
    return rules if isinstance(rules, dict) else None


def _publish(lb: Path, version: str, files: _VersionFiles, *, root: Path, render: bool, maps: str,
             progress: Callable[[str], None] | None) -> bool:
    """Write the version in a staged folder (pages too), rename it into place, make it read-only; True if HTML."""
    html = False
    superseded = prune.prunable(lb, root) if render else []  # their pages leave the tree once this one is out
    with atomic.staged_dir(lb / version) as staged:
        atomic.write_text(staged / "scores.csv", files.csv_text)
        scores = leanrecord.pack(files.scores) if files.compact else files.scores  # lean layout from v0004
        atomic.write_text(staged / "scores.json", regionstore.dumps_compact(scores))
        atomic.write_text(staged / regionstore.FILE, regionstore.dumps_compact(files.regions))
        if files.verdicts is not None:
            atomic.write_text(staged / VERDICTS_FILE, files.verdicts)
        atomic.write_text(staged / "CHANGES.md", files.changes)
        if files.compact:
            atomic.write_text(staged / "manifest.json", regionstore.dumps_compact(files.manifest))
        else:
            atomic.write_json(staged / "manifest.json", files.manifest)
        fault_point("tables")
        if render:
            if progress:
                progress("HTML pages")
            pagerecord.render_and_record(staged, versions=[*list_versions(lb), version], root=root, maps=maps,
                                         progress=_page_progress(progress), pageless=superseded, siblings=lb)
            html = True
        fault_point("html")
    fault_point("renamed")
    atomic.make_read_only(lb / version)
    for old in superseded:  # committed at HEAD: `locbench leaderboard render` gives them back from git
        prune.remove_pages(lb / old)
    if html:
        from locbench.leaderboard.render import render_latest

        render_latest(lb)
    fault_point("index")
    return html


def build_version(root: str | Path = ".", *, force_new: bool = False, render: bool = True,
                  maps: str = RENDER.maps, progress: Callable[[str], None] | None = None,
                  notify: Callable[[str], None] | None = None) -> BuildOutcome:
    """Build the next version from root/results (+ model cards); see the module docstring.

    `maps` (config.MAPS_MODES) says which world maps the model pages draw; checked before anything is built.
    """
    RenderConfig(maps=maps)  # an unknown mode is refused here, not after the tables are staged
    root = Path(root)
    lb = root / "leaderboard"
    check_root(root)
    with atomic.published_guard(), build_lock(lb, notify):
        prepare(lb, notify, render)
        results, cards, inputs = collect_inputs(root, notify)
        if not results:
            raise InputError("no result files to build a leaderboard from (run `locbench submit` or "
                             "`locbench evaluate` first)", file=root / "results")
        digest = inputs_digest(inputs)
        previous, prev_manifest, prev_rows, prev_doc = _latest_manifest(lb)
        if previous is not None and prev_manifest is not None:
            check_published_outputs(lb, previous, prev_manifest)
        if prev_manifest is not None and prev_manifest.get("inputs_digest") == digest and not force_new:
            return BuildOutcome(lb / previous, previous, False,
                                f"inputs unchanged since {previous}; nothing built (use --force-new to build anyway)")
        version = next_version(lb)
        if progress:
            progress(f"tables for {len(results)} result(s)")
        header = (lb / previous / "scores.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",") if (
            previous and (lb / previous / "scores.csv").is_file()) else None
        files = _version_files(version, previous, prev_rows, results, cards, inputs, digest,
                               None if previous is None else lb / previous, prev_doc, header)
        html = _publish(lb, version, files, root=root, render=render, maps=maps, progress=progress)
        m = files.manifest
        return BuildOutcome(lb / version, version, True, f"built {version}: {m['n_results']} result(s), "
                            f"{len(m['models'])} model(s), {len(m['datasets'])} dataset(s)", html)


def _page_progress(progress: Callable[[str], None] | None) -> Callable[[str, int, int], None] | None:
    """Adapt the build's one-line progress to the renderer's (label, done, total) callback."""
    if progress is None:
        return None
    report: Any = progress   # locbench.progress reporters also take (stage, done, total)
    return lambda label, done, total: report("HTML pages", done, total)


def build(root: str | Path = ".", *, force_new: bool = False, render: bool = True) -> Path:
    """Contract entry point: build the next version (or keep the latest if inputs are unchanged)."""
    return build_version(root, force_new=force_new, render=render).path
