"""Freeze result files into a new, never-rewritten leaderboard version `leaderboard/vNNNN/`.

Why each step:
- a lock file (`leaderboard/.build.lock`, fcntl.flock) serialises concurrent builds, so two never
  pick the same version number;
- the version is assembled in a staged folder (HTML included) and renamed as a whole, so a crash
  leaves no partial version and readers never see one;
- inputs are hashed; when they equal the latest version's, nothing is built (unless forced);
- outputs depend only on the inputs, except `scores.json` `created` (the one date field), so the
  same inputs give byte-identical `scores.csv`, `manifest.json` and `CHANGES.md`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locbench import atomic
from locbench.hashing import sha256_file
from locbench.errors import InputError

if TYPE_CHECKING:
    from locbench.cards import ModelMeta
    from locbench.results import Result

LOCK_NAME = ".build.lock"
VERSION_RE = re.compile(r"^v(\d{4,})$")
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
    if not leaderboard_dir.is_dir():
        return []
    found = [p.name for p in leaderboard_dir.iterdir()
             if p.is_dir() and VERSION_RE.match(p.name) and (p / "manifest.json").exists()]
    return sorted(found, key=lambda n: int(n[1:]))


def next_version(leaderboard_dir: Path) -> str:
    """One past the highest existing vNNNN (any folder of that name counts, complete or not)."""
    nums = [int(m.group(1)) for p in (leaderboard_dir.iterdir() if leaderboard_dir.is_dir() else [])
            if (m := VERSION_RE.match(p.name))]
    return f"v{(max(nums) + 1) if nums else 1:04d}"


@contextlib.contextmanager
def build_lock(leaderboard_dir: Path) -> Iterator[None]:
    """Exclusive lock on leaderboard/.build.lock for the duration of a build (blocks until free)."""
    import fcntl

    leaderboard_dir.mkdir(parents=True, exist_ok=True)
    with open(leaderboard_dir / LOCK_NAME, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def collect_inputs(root: Path) -> tuple[list[Result], dict[str, ModelMeta | None], list[dict[str, Any]]]:
    """Results, model cards and the hashed input list (results + cards of models with results).

    A model's card is its submission folder's submission.json when present, else the card the
    result carries (imports keep no submission folder in the tree), else None.
    """
    from locbench.cards import CARD_FILE, ModelMeta
    from locbench.results import iter_result_files, read_result

    results, inputs = [], []
    for path in iter_result_files(root):
        results.append(read_result(path))
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


def _latest_manifest(leaderboard_dir: Path) -> tuple[str | None, dict[str, Any] | None, dict[str, Any] | None]:
    versions = list_versions(leaderboard_dir)
    if not versions:
        return None, None, None
    latest = versions[-1]
    docs = []
    for name in ("manifest.json", "scores.json"):
        path = leaderboard_dir / latest / name
        try:
            docs.append(json.loads(path.read_text(encoding="utf-8")) if path.exists() else None)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"published version is unreadable ({exc}); it must not be edited by hand",
                             file=path) from exc
    return latest, docs[0], docs[1]


def build_version(root: str | Path = ".", *, force_new: bool = False, render: bool = True,
                  progress: Callable[[str], None] | None = None) -> BuildOutcome:
    """Build the next version from root/results (+ model cards); see the module docstring."""
    from locbench.leaderboard import tables
    from locbench.results import now_iso, package_versions

    root = Path(root)
    lb = root / "leaderboard"
    with build_lock(lb):
        results, cards, inputs = collect_inputs(root)
        if not results:
            raise InputError("no result files to build a leaderboard from (run `locbench submit` or "
                             "`locbench evaluate` first)", file=root / "results")
        digest = inputs_digest(inputs)
        previous, prev_manifest, prev_scores = _latest_manifest(lb)
        if prev_manifest is not None and prev_manifest.get("inputs_digest") == digest and not force_new:
            return BuildOutcome(lb / previous, previous, False,
                                f"inputs unchanged since {previous}; nothing built (use --force-new to build anyway)")
        version = next_version(lb)
        if progress:
            progress(f"tables for {len(results)} result(s)")
        rows = tables.score_rows(results, cards)
        params, used = _geobias_params(results)
        for r in rows:
            r["geobias_params_id"] = used[(r["model_id"], r["dataset"])]
        model_ids = sorted({r["model_id"] for r in rows})
        scores = {
            "version": version,
            "created": now_iso(),
            "rows": rows,
            "models": {m: tables.card_dict(m, cards) for m in model_ids},
            "datasets": tables.datasets_info(rows),
            "aggregates": tables.aggregates(rows),
            "columns": tables.columns(),
            "geobias_params": params,
            "species_datasets": list(tables.SPECIES_DATASETS),
        }
        csv_text = tables.csv_text(rows)
        changes = tables.changes_markdown(version, previous, prev_scores, scores)
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "version": version,
            "previous_version": previous,
            "inputs": inputs,
            "inputs_digest": digest,
            "models": model_ids,
            "datasets": sorted({r["dataset"] for r in rows}),
            "n_results": len(rows),
            "versions": package_versions(),
            "result_versions": sorted({json.dumps(r.versions, sort_keys=True) for r in results}),
            "engine_versions": sorted({str(r.geobias.get("engine_version")) for r in results}),
            "geobias_params": params,
            "outputs": {"scores.csv": hashlib.sha256(csv_text.encode("utf-8")).hexdigest(),
                        "CHANGES.md": hashlib.sha256(changes.encode("utf-8")).hexdigest()},
            "date_field": "scores.json:created (the only field that depends on the build time)",
        }
        manifest["result_versions"] = [json.loads(s) for s in manifest["result_versions"]]
        html = False
        _remove_stale_partials(lb)
        with atomic.staged_dir(lb / version) as staged:
            atomic.write_text(staged / "scores.csv", csv_text)
            atomic.write_json(staged / "scores.json", scores)
            atomic.write_text(staged / "CHANGES.md", changes)
            atomic.write_json(staged / "manifest.json", manifest)
            if render:
                from locbench.leaderboard.render import render_version

                if progress:
                    progress("HTML pages")
                render_version(staged, versions=[*list_versions(lb), version], root=root,
                               progress=_page_progress(progress))
                html = True
        if html:
            from locbench.leaderboard.render import render_latest

            render_latest(lb)
        return BuildOutcome(lb / version, version, True, f"built {version}: {len(rows)} result(s), "
                            f"{len(model_ids)} model(s), {len(manifest['datasets'])} dataset(s)", html)


def _page_progress(progress: Callable[[str], None] | None) -> Callable[[str, int, int], None] | None:
    """Adapt the build's one-line progress to the renderer's (label, done, total) callback."""
    if progress is None:
        return None
    report = progress
    return lambda label, done, total: report(f"HTML page {done}/{total} ({label})")


def _remove_stale_partials(lb: Path) -> None:
    """Delete staging folders a killed build left behind (SIGKILL skips cleanup); we hold the lock."""
    import shutil

    for stale in lb.glob(".v*.partial"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def build(root: str | Path = ".", *, force_new: bool = False, render: bool = True) -> Path:
    """Contract entry point: build the next version (or keep the latest if inputs are unchanged)."""
    return build_version(root, force_new=force_new, render=render).path
