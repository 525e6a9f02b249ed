"""`pages.json`: what a version's pages were rendered from, so any older version renders again byte for byte.

Why: pages are derived, the tables are the record (issue 24). A version's pages read its frozen tables
(`scores.json`, `regions.json`, `CHANGES.md`, `manifest.json`) and, for the grid maps, the `map_layers` of
the result files its manifest names. Those files get re-scored later, so the record names each one
by its SHA-256 and its git blob id (computed here, no git needed at build time): `render_again` reads
the file from the working tree while its bytes still match, else `git cat-file` the blob from the
repository's history. The record also keeps the version list of the selector and the maps mode
(the page bytes depend on both), a digest of the renderer's code, and the SHA-256 of every page, so a
re-render is checked, not assumed, to reproduce what was published.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locbench import atomic
from locbench.errors import DataMissingError, InputError

FILE = "pages.json"
SCHEMA = "locbench.leaderboard-pages/1"
RECORD_FILES = ("scores.csv", "scores.json", "regions.json", "verdicts.json", "CHANGES.md", "manifest.json", FILE)
HERE = Path(__file__).parent


def git_blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob: sha1 of "blob <size>\\0" + data."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def renderer_digest() -> str:
    """SHA-256 over the code and bundled data the pages are drawn with (a changed renderer shows here)."""
    h = hashlib.sha256()
    files = [*sorted((HERE / "templates").glob("*")), *sorted((HERE / "static").glob("*")),
             *sorted(HERE.glob("*.py")), *sorted((HERE / "data").glob("*"))]
    for f in files:
        h.update(f.relative_to(HERE).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _result_inputs(root: Path, manifest: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {}
    for e in manifest.get("inputs", []):
        if str(e.get("path", "")).startswith("results/"):
            data = (root / e["path"]).read_bytes()
            out[e["path"]] = {"sha256": e["sha256"], "git_blob": git_blob_id(data)}
    return out


def render_and_record(version_dir: Path, *, versions: list[str], root: Path, maps: str,
                      progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Render a (staged) version's pages from `root`, then write pages.json describing them."""
    from locbench.leaderboard.render import render_version

    version_dir = Path(version_dir)
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    written = render_version(version_dir, versions=versions, root=root, maps=maps, progress=progress)
    record = {"schema": SCHEMA, "version": manifest["version"], "versions": list(versions), "maps": maps,
              "renderer": renderer_digest(), "inputs": _result_inputs(Path(root), manifest),
              "pages": _page_hashes(version_dir, written)}
    atomic.write_text(version_dir / FILE, json.dumps(record, sort_keys=True, indent=1) + "\n")
    return record


def _page_hashes(version_dir: Path, written: list[Path]) -> dict[str, str]:
    pages = {p.relative_to(version_dir).as_posix() for p in written}
    pages |= {p.relative_to(version_dir).as_posix() for p in (version_dir / "assets").glob("*")}
    return {n: hashlib.sha256((version_dir / n).read_bytes()).hexdigest() for n in sorted(pages)}


def storage_note(previous_dir: Path | None) -> str:
    """A CHANGES.md section when the previous version predates this storage scheme (said once)."""
    if previous_dir is None or (Path(previous_dir) / FILE).exists():
        return ""
    return ("\n## Storage\n\n"
            "- From this version on a version freezes its tables (scores.csv, a compact scores.json whose rows "
            "no longer repeat their regional breakdown), regions.json (every breakdown once), CHANGES.md and "
            "manifest.json; its pages carry light SVG maps with absolute legends and are re-rendered on demand "
            "with `locbench leaderboard render vNNNN` (checked against pages.json).\n"
            f"- Earlier versions (up to {Path(previous_dir).name}) are left as they were published, pages "
            "included (inline PNG maps, relative country legends): their tables are unchanged, and re-rendered "
            "pages would show different maps, so they were not migrated.\n")


@dataclass(frozen=True)
class RenderOutcome:
    """A re-render: where the pages went and which differ from the published ones (empty: byte-identical)."""

    path: Path
    pages: int
    differing: list[str]
    renderer_changed: bool


def render_again(leaderboard_dir: Path, version: str, out_dir: Path, root: Path) -> RenderOutcome:
    """Render `version`'s pages into out_dir/version from its frozen tables and the result files it names."""
    from locbench.leaderboard.render import render_version

    src = Path(leaderboard_dir) / version
    if not (src / "manifest.json").is_file():
        raise InputError(f"no leaderboard version {version}", file=src)
    if not (src / FILE).is_file():
        raise InputError(f"{version} has no page record ({FILE}): it predates it (its committed pages are the "
                         "published ones) or was built with --no-html", file=src / FILE)
    record = json.loads((src / FILE).read_text(encoding="utf-8"))
    target = atomic.check_output_dir(Path(out_dir), option="--out") / version
    if target.exists():
        raise InputError("already exists; remove it or choose another --out", file=target)
    # staged beside the target and renamed whole: a folder named vNNNN holding a manifest counts as published
    with atomic.staged_dir(target) as staged, tempfile.TemporaryDirectory(prefix="locbench-render-") as tmp:
        for name in RECORD_FILES:
            if (src / name).is_file():
                shutil.copyfile(src / name, staged / name)
        _materialise(Path(root), record["inputs"], Path(tmp))
        written = render_version(staged, versions=record["versions"], root=Path(tmp), maps=record["maps"],
                                 siblings=src.parent)
        got = _page_hashes(staged, written)
    differing = sorted(n for n in set(got) | set(record["pages"]) if got.get(n) != record["pages"].get(n))
    return RenderOutcome(target, len(got), differing, record["renderer"] != renderer_digest())


def _materialise(root: Path, inputs: dict[str, dict[str, str]], into: Path) -> None:
    """Copy each named result file, as it was, into a scratch root: working tree if unchanged, else git history."""
    for rel, ids in sorted(inputs.items()):
        data = _read_input(root, rel, ids)
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        (into / rel).write_bytes(data)


def _read_input(root: Path, rel: str, ids: dict[str, str]) -> bytes:
    path = root / rel
    if path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == ids["sha256"]:
            return data
    try:
        data = subprocess.run(["git", "-C", str(root), "cat-file", "blob", ids["git_blob"]], check=True,
                              capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise DataMissingError(f"result file {rel} as published (git blob {ids['git_blob']}) is neither in the "
                               "working tree nor in this repository's git history (a shallow clone? run "
                               "`git fetch --unshallow`)", file=path) from exc
    if hashlib.sha256(data).hexdigest() != ids["sha256"]:
        raise InputError(f"git blob {ids['git_blob']} does not hash to the published SHA-256", file=path)
    return data
