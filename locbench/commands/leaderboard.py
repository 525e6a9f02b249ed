"""CLI: `locbench leaderboard build` (freeze results into a new version) and `render` (an older version's pages)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from locbench.leaderboard.config import DEFAULTS as RENDER
from locbench.leaderboard.config import MAPS_MODES

MapsMode = enum.Enum("MapsMode", {m.upper(): m for m in MAPS_MODES}, type=str)  # choices from RenderConfig

EPILOG = """[bold]Examples[/bold]

  [dim]# freeze results/ (+ submissions/*/submission.json) into leaderboard/vNNNN/ and refresh index.html[/dim]
  locbench leaderboard build

  [dim]# a private leaderboard in another folder[/dim]
  locbench leaderboard build --root ~/my-board

  [dim]# a new version even though no input changed (e.g. after upgrading locbench)[/dim]
  locbench leaderboard build --force-new

  [dim]# a faster build: performance maps only, no LISA hot/cold-spot maps[/dim]
  locbench leaderboard build --maps performance

Published versions are never rewritten; a build with unchanged inputs builds nothing.
"""

RENDER_EPILOG = """[bold]Examples[/bold]

  [dim]# the pages of v0003 as published, into build/pages/v0003/ (checked against v0003/pages.json)[/dim]
  locbench leaderboard render v0003 --out build/pages

Result files re-scored since the version are read from git history by the blob ids the version recorded.
When the renderer has changed since the version was published, its pages are given back from git history
instead (a superseded version's pages leave the working tree once committed); a shallow clone cannot.
"""


def register(app: typer.Typer) -> None:
    """Attach the `leaderboard` group to the top-level app."""
    lb_app = typer.Typer(help="Versioned leaderboard tables and HTML.", no_args_is_help=True)
    app.add_typer(lb_app, name="leaderboard")

    @lb_app.command("build", epilog=EPILOG)
    def build_cmd(
        root: Path = typer.Option(Path("."), "--root", help="Working root holding results/, submissions/ and "
                                  "leaderboard/ (default: current folder)."),
        force_new: bool = typer.Option(False, "--force-new", help="Build a new version even if inputs are unchanged."),
        no_html: bool = typer.Option(False, "--no-html", help="Tables only (scores.csv/json, manifest, CHANGES.md)."),
        maps: MapsMode = typer.Option(MapsMode(RENDER.maps), "--maps", case_sensitive=False,
                                      help="World maps on the model pages: all (performance + LISA hot/cold "
                                           "spots), performance (no LISA maps), none."),
    ) -> None:
        """Freeze every result into leaderboard/vNNNN/ (scores.csv, scores.json, manifest.json, CHANGES.md, HTML)."""
        from rich.console import Console

        from locbench import progress
        from locbench.leaderboard.build import build_version

        console = Console()
        with progress.reporter("build") as report:   # a rich bar, or plain stderr lines when not a terminal
            outcome = build_version(root, force_new=force_new, render=not no_html, maps=maps.value,
                                    progress=report, notify=lambda s: typer.secho(s, fg="yellow", err=True))
        style = "green" if outcome.created else "yellow"
        console.print(f"[{style}]{outcome.message}[/{style}]")
        console.print(f"  {outcome.path}" + ("" if outcome.html or not outcome.created else "  (no HTML)"))

    @lb_app.command("render", epilog=RENDER_EPILOG)
    def render_cmd(
        version: str = typer.Argument(..., help="The version to render, e.g. v0003."),
        out: Path = typer.Option(Path("build") / "pages", "--out", help="Folder to write <version>/ into."),
        root: Path = typer.Option(Path("."), "--root", help="Working root holding leaderboard/ and results/ "
                                  "(a git checkout, for result files re-scored since)."),
    ) -> None:
        """Render an older version's pages from its frozen tables and the result files it names."""
        from rich.console import Console

        from locbench.leaderboard.pagerecord import render_again

        console = Console()
        outcome = render_again(root / "leaderboard", version, out, root)
        if outcome.differing:
            why = " (the renderer's code changed since)" if outcome.renderer_changed else ""
            console.print(f"[yellow]{len(outcome.differing)} of {outcome.pages} page(s) differ from the published "
                          f"ones{why}: {', '.join(outcome.differing[:5])}[/yellow]")
            console.print(f"  {outcome.path}")
            raise typer.Exit(1)
        how = ("restored from the folder / git history (the renderer changed since)" if outcome.how == "restored"
               else "re-rendered")
        console.print(f"[green]{outcome.pages} page(s) of {version}, byte-identical to the published ones ({how})"
                      "[/green]")
        console.print(f"  {outcome.path}")
