"""Superseded pages leave the working tree once git holds them (issue 24: pages are derived, the record is frozen).

When vN+1 is published, vN keeps its record (scores.csv, scores.json, regions.json, verdicts.json, CHANGES.md,
manifest.json, pages.json) and its pages and page assets are removed, but only when every one of them is
committed at HEAD byte for byte (the git blob of the file equals the one at its path in HEAD's tree): then
`locbench leaderboard render vN` gives them back from git history, byte-identical (`pagerecord.render_again`).
Versions without a page record (v0001, v0002) keep their pages as published. The new version's selector links
a pageless version's CHANGES.md (`render.version_link`), so no page links a page that is not there.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from locbench.leaderboard.pagerecord import FILE, git_blob_id


def recorded_pages(version_dir: Path) -> list[str]:
    """The pages and page assets its pages.json lists (empty without a record)."""
    path = Path(version_dir) / FILE
    if not path.is_file():
        return []
    return sorted(json.loads(path.read_text(encoding="utf-8")).get("pages", {}))


def _head_blobs(root: Path, folder: Path) -> dict[str, str] | None:
    """path (relative to `folder`) -> blob id in HEAD's tree; None without git or outside the repository."""
    def git(*args: str) -> str | None:
        try:
            return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                                  text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    top = git("rev-parse", "--show-toplevel")
    if top is None:
        return None
    try:
        rel = Path(folder).resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    except ValueError:
        return None
    listing = git("ls-tree", "-r", "HEAD", "--", rel + "/")
    if listing is None:
        return None
    out = {}
    for line in listing.splitlines():
        meta, _, path = line.partition("\t")
        out[path[len(rel) + 1:]] = meta.split()[2]
    return out


def committed(root: Path, version_dir: Path) -> bool:
    """Whether the version still has recorded pages in the folder and each of them is committed at HEAD with these
    bytes (pages already gone, e.g. after a build killed while removing them, are left to git history)."""
    present = [n for n in recorded_pages(version_dir) if (Path(version_dir) / n).is_file()]
    head = _head_blobs(root, version_dir) if present else None
    if head is None:
        return False
    return all(head.get(n) == git_blob_id((Path(version_dir) / n).read_bytes()) for n in present)


def prunable(leaderboard_dir: Path, root: Path) -> list[str]:
    """Versions whose pages can leave the working tree when the next version is published."""
    from locbench.leaderboard.build import list_versions

    return [v for v in list_versions(leaderboard_dir) if committed(root, Path(leaderboard_dir) / v)]


def remove_pages(version_dir: Path) -> list[str]:
    """Delete the version's recorded pages and page assets (its record stays); the folder stays read-only."""
    version_dir = Path(version_dir)
    names = [n for n in recorded_pages(version_dir) if (version_dir / n).is_file()]
    folders = sorted({(version_dir / n).parent for n in names}, key=lambda p: -len(p.parts))
    for d in folders:
        os.chmod(d, stat.S_IMODE(d.stat().st_mode) | stat.S_IWUSR)
    try:
        for n in names:
            (version_dir / n).unlink()
        for d in folders:
            if d != version_dir and not any(d.iterdir()):
                d.rmdir()
    finally:
        for d in folders:
            if d.exists():
                os.chmod(d, stat.S_IMODE(d.stat().st_mode) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return names
