"""CLI commands: leaderboard (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the top-level app."""
