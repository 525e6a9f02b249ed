"""Leaderboard version folders `vNNNN/`: their name rule and how to list them (one definition)."""

from __future__ import annotations

import re
from pathlib import Path

VERSION_RE = re.compile(r"^v(\d{4,})$")


def version_folders(leaderboard_dir: str | Path, marker: str) -> list[str]:
    """Names of the vNNNN folders that hold `marker` (the file that makes them complete), oldest first."""
    leaderboard_dir = Path(leaderboard_dir)
    if not leaderboard_dir.is_dir():
        return []
    found = [p.name for p in leaderboard_dir.iterdir()
             if p.is_dir() and VERSION_RE.match(p.name) and (p / marker).exists()]
    return sorted(found, key=lambda n: int(n[1:]))
