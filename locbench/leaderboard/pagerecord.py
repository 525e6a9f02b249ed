"""`pages.json`: what a version's pages were rendered from, so any older version renders again byte for byte.

Why: pages are derived, the tables are the record (issue 24). A version's pages read its frozen tables
(`scores.json`, `regions.json`, `CHANGES.md`, `manifest.json`) and, for the grid maps, the `map_layers` of
the result files its manifest names. Those files get re-scored later, so the record names each one
by its SHA-256 and its git blob id (computed here, no git needed at build time): `render_again` reads
the file from the working tree while its bytes still match, else `git cat-file` the blob from the
repository's history. The record also keeps the version list of the selector, the versions it linked by their
CHANGES.md and the maps mode (the page bytes depend on them), a digest of the renderer's code, and the SHA-256
and git blob id of every page, so a re-render is checked, not assumed, to reproduce what was published. Once the
renderer has changed (new templates), today's code cannot draw the old pages again: `render_again` then gives
back the published bytes from the folder or from git history, and says so plainly when neither has them.
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
                      progress: Callable[[str, int, int], None] | None = None,
                      pageless: list[str] | None = None, siblings: Path | None = None) -> dict[str, Any]:
    """Render a (staged) version's pages from `root`, then write pages.json describing them.

    `pageless`: the other versions whose selector entry links their CHANGES.md (their pages are removed when
    this version is published: `prune`); recorded, so a re-render links the same way."""
    from locbench.leaderboard.render import pageless_versions, render_version

    version_dir = Path(version_dir)
    siblings = Path(siblings) if siblings is not None else version_dir.parent
    manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
    name = manifest["version"]
    pageless = sorted(set(pageless or ()) | set(pageless_versions(siblings, versions, name)))
    written = render_version(version_dir, versions=versions, root=root, maps=maps, progress=progress,
                             siblings=siblings, pageless=pageless)
    pages = _page_hashes(version_dir, written)
    record = {"schema": SCHEMA, "version": name, "versions": list(versions), "maps": maps,
              "renderer": renderer_digest(), "inputs": _result_inputs(Path(root), manifest), "pages": pages,
              "pageless": pageless,
              "git_blobs": {n: git_blob_id((version_dir / n).read_bytes()) for n in pages}}
    # compact: read by `render_again`, not by eye
    atomic.write_text(version_dir / FILE, json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")
    return record


def _page_hashes(version_dir: Path, written: list[Path]) -> dict[str, str]:
    pages = {p.relative_to(version_dir).as_posix() for p in written}
    pages |= {p.relative_to(version_dir).as_posix() for p in (version_dir / "assets").glob("*")}
    return {n: hashlib.sha256((version_dir / n).read_bytes()).hexdigest() for n in sorted(pages)}


def storage_note(previous_dir: Path | None) -> str:
    """A CHANGES.md section on how the versions before this one are stored (depends only on the previous version,
    so a rebuild writes the same words)."""
    if previous_dir is None:
        return ""
    if (Path(previous_dir) / FILE).exists():
        return ("\n## Storage\n\n"
                f"- {Path(previous_dir).name} and earlier versions with a page record (pages.json) keep their tables; "
                "their pages leave the working tree once committed to git (when this version is published) and "
                "`locbench leaderboard render vNNNN --out DIR` gives them back byte-identical (from git history "
                "when the renderer has changed since; checked against pages.json). The version selector links the "
                "CHANGES.md of a version whose pages are not in the folder. Versions before the record keep their "
                "pages as published.\n"
                "- Pages link shared, content-hashed files in assets/ (stylesheet, table script, country-map "
                "script with the country outlines) instead of repeating them.\n"
                "- manifest.json and verdicts.json are written compact; the manifest names scores.json's geo-bias "
                "parameter sets by their SHA-256 (geobias_params_sha256) instead of repeating them.\n"
                "- scores.json follows schema locbench.leaderboard-scores/2 (lean: each repeated text once, each "
                "paired comparison once per dataset, geo-bias parameter sets as a base plus differences, the keys "
                "of per-row objects once, flat columns that repeat them and default fields left out) and "
                "regions.json locbench.leaderboard-regions/2 (columns); `leaderboard.leanrecord.expand` reads "
                "it back as the earlier layout, values unchanged.\n")
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
    """A re-render: where the pages went and which differ from the published ones (empty: byte-identical).

    `how`: "re-rendered" (today's renderer drew them: it is the one that published them) or "restored" (the
    renderer changed since: the published bytes were read back from the folder or from git history)."""

    path: Path
    pages: int
    differing: list[str]
    renderer_changed: bool
    how: str = "re-rendered"


def render_again(leaderboard_dir: Path, version: str, out_dir: Path, root: Path) -> RenderOutcome:
    """Give back `version`'s pages in out_dir/version: re-rendered from its frozen tables and the result files it
    names while today's renderer is the one that drew them, else the published bytes from git history."""
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
    changed = record["renderer"] != renderer_digest()
    # staged beside the target and renamed whole: a folder named vNNNN holding a manifest counts as published
    with atomic.staged_dir(target) as staged:
        for name in RECORD_FILES:
            if (src / name).is_file():
                shutil.copyfile(src / name, staged / name)
        got = _restore(src, record, staged, Path(root)) if changed else _rerender(src, record, staged, Path(root))
    differing = sorted(n for n in set(got) | set(record["pages"]) if got.get(n) != record["pages"].get(n))
    return RenderOutcome(target, len(got), differing, changed, "restored" if changed else "re-rendered")


def _rerender(src: Path, record: dict[str, Any], staged: Path, root: Path) -> dict[str, str]:
    from locbench.leaderboard.render import render_version

    with tempfile.TemporaryDirectory(prefix="locbench-render-") as tmp:
        _materialise(root, record["inputs"], Path(tmp))
        written = render_version(staged, versions=record["versions"], root=Path(tmp), maps=record["maps"],
                                 siblings=src.parent, pageless=record.get("pageless"))
    return _page_hashes(staged, written)


def _restore(src: Path, record: dict[str, Any], staged: Path, root: Path) -> dict[str, str]:
    """The published pages, byte for byte, when today's renderer is not the one that drew them."""
    blobs = record.get("git_blobs", {})
    for name, sha in sorted(record["pages"].items()):
        data = published_page(root, src / name, sha, blobs.get(name))
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).write_bytes(data)
    return {n: hashlib.sha256((staged / n).read_bytes()).hexdigest() for n in record["pages"]}


def published_page(root: Path, path: Path, sha256: str, blob: str | None = None) -> bytes:
    """A published page's bytes: the file while it is unchanged, else git (its recorded blob id, else the
    history of its path); a clear error when neither holds it."""
    if path.is_file() and hashlib.sha256(data := path.read_bytes()).hexdigest() == sha256:
        return data
    for data in _git_candidates(root, path, blob):
        if hashlib.sha256(data).hexdigest() == sha256:
            return data
    raise DataMissingError(f"page {path.name} of {path.parent.name} as published (sha256 {sha256[:12]}…) is neither "
                           "in the folder nor in this repository's git history, and today's renderer is not the one "
                           "that drew it, so it cannot be re-rendered byte for byte (a shallow clone? run "
                           "`git fetch --unshallow`)", file=path)


def _git(root: Path, *args: str) -> bytes | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def _git_candidates(root: Path, path: Path, blob: str | None):
    """Bytes git holds for this page: the recorded blob, then every version of its path in history."""
    if blob and (data := _git(root, "cat-file", "blob", blob)) is not None:
        yield data
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return
    try:
        rel = Path(path).resolve().relative_to(Path(top.decode().strip()).resolve()).as_posix()
    except ValueError:
        return
    for rev in (_git(root, "log", "--all", "--format=%H", "--", rel) or b"").decode().split():
        data = _git(root, "show", f"{rev}:{rel}")
        if data is not None:
            yield data


def _materialise(root: Path, inputs: dict[str, dict[str, str]], into: Path) -> None:
    """Copy each named result file, as it was, into a scratch root: working tree if unchanged, else git history."""
    for rel, ids in sorted(inputs.items()):
        data = _read_input(root, rel, ids)
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        (into / rel).write_bytes(data)


def _read_input(root: Path, rel: str, ids: dict[str, str]) -> bytes:  # a result file as the version read it
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
