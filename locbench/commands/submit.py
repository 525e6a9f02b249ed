"""CLI: `locbench submit` (validate + score a submission) and `locbench import torchspatial`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

SUBMIT_EPILOG = """[bold]Examples[/bold]

  [dim]# check only: every problem is listed with file, row and column; nothing is written[/dim]
  locbench submit submissions/my-encoder --check

  [dim]# score and write results/my-encoder/<dataset>.json under the current folder[/dim]
  locbench submit submissions/my-encoder

  [dim]# a private leaderboard elsewhere, checking ids/coordinates against data on disk[/dim]
  locbench submit ~/runs/my-encoder --root ~/my-board --data-root ~/locbench-data

Format: submissions/README.md. Exit code 2 when the submission is invalid.
"""

IMPORT_EPILOG = """[bold]Examples[/bold]

  [dim]# TorchSpatial's eval_results (classification/ and regression/, .csv or .csv.gz): scored into results/,
  # per-sample rows into imports/ (git-ignored: third-party rows are never committed)[/dim]
  locbench import torchspatial path/to/eval_results

  [dim]# GeoBS/PyGBS foundation_model_result_tables onto the GAIR remote-sensing datasets, 2 processes[/dim]
  locbench import geobs path/to/foundation_model_result_tables --jobs 2

  [dim]# convert only (predictions + cards under --out), without scoring[/dim]
  locbench import torchspatial path/to/eval_results --out converted/ --no-score

  [dim]# then freeze a leaderboard version[/dim]
  locbench leaderboard build

A re-import lists the results it replaces and removes that source's results and files that it no
longer produces.
"""


def register(app: typer.Typer) -> None:
    """Attach `submit` and the `import` group to the top-level app."""

    @app.command("submit", epilog=SUBMIT_EPILOG)
    def submit_cmd(
        path: Path = typer.Argument(..., help="Submission folder: submission.json + <dataset>.csv|.csv.gz|.parquet."),
        check: bool = typer.Option(False, "--check", help="Validate only; write nothing."),
        root: Path = typer.Option(Path("."), "--root", help="Working root holding results/ (default: current folder)."),
        data_root: str = typer.Option(None, "--data-root", help="Dataset root for checks against the data "
                                      "(else $LOCBENCH_DATA, else ~/.locbench/data)."),
        no_geobias: bool = typer.Option(False, "--no-geobias", help="Metrics only (skip Geo-Bias Scores; faster)."),
        strict: bool = typer.Option(False, "--strict", help="Likely coordinate unit mistakes (radians, 0..360, "
                                    "swapped lon/lat) are errors, not warnings."),
        replace: bool = typer.Option(False, "--replace", help="Replace existing results even when they were produced "
                                     "with a longer schedule (e.g. a quick run over a full one); without it submit "
                                     "refuses and names them."),
    ) -> None:
        """Validate a submission folder and (without --check) score it into results/<model-id>/<dataset>.json."""
        from rich.console import Console

        from locbench.atomic import check_output_dir
        from locbench.results import read_result
        from locbench.submissions import refuse_shorter, validate_submission

        console = Console()
        if not check:
            check_output_dir(root / "results", option="--root")
        checked = validate_submission(path, data_root=data_root, strict=strict, root=root)
        for e in checked.entries:
            mark = "[green]verified against data[/green]" if e.verified else "[yellow]not verified against data[/yellow]"
            console.print(f"  {e.dataset}: {len(e.predictions):,} rows, {mark}")
            for w in e.warnings:
                console.print(f"  [yellow]warning[/yellow] {e.file}: {w} (an error under --strict)")
        if check:
            console.print(f"[green]OK[/green] {checked.model_id}: {len(checked.entries)} dataset(s) valid (--check: "
                          "nothing written)")
            return
        for r in refuse_shorter(checked, root, replace):  # raises (exit 2, nothing written) without --replace
            console.print(f"  [yellow]--replace[/yellow] {r.describe()}", soft_wrap=True)
        written = _with_progress(console, checked, root, not no_geobias)
        for p in written:
            console.print(f"  wrote {p}")
            for w in read_result(p).geobias_warnings:
                console.print(f"  [yellow]geo-bias[/yellow] {p.stem}: {w}", soft_wrap=True)
        console.print(f"[green]scored[/green] {checked.model_id}: {len(written)} result(s); "
                      "`locbench leaderboard build` freezes them into a version")

    import_app = typer.Typer(help="Import other benchmarks' per-sample results as scored results.",
                             no_args_is_help=True)
    app.add_typer(import_app, name="import")
    _import_command(import_app, "torchspatial", "TorchSpatial eval_results folder (searched recursively).")
    _import_command(import_app, "geobs", "GeoBS/PyGBS foundation_model_result_tables folder.")


def _with_progress(console: Any, checked: Any, root: Path, geobias: bool) -> list[Path]:
    """Score with a rich bar: one step per dataset (geo-bias dominates the time)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from locbench.submissions import score_submission

    with Progress(TextColumn("scoring {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(checked.model_id, total=len(checked.entries))
        seen: list[str] = []

        def progress(name: str) -> None:
            if seen:
                bar.advance(task)
            seen.append(name)
            bar.update(task, description=f"{checked.model_id} / {name}")

        paths = score_submission(checked, root=root, progress=progress, geobias=geobias)
        bar.advance(task)
    return paths


def _import_command(import_app: typer.Typer, source: str, src_help: str) -> None:
    """`locbench import <source>`: the same options and report for every importer."""

    @import_app.command(source, epilog=IMPORT_EPILOG)
    def import_cmd(
        src: Path = typer.Argument(..., help=src_help),
        root: Path = typer.Option(Path("."), "--root", help="Working root holding results/ (default: current folder)."),
        out: Path = typer.Option(None, "--out", help="Where the per-sample predictions go (default: ROOT/imports, "
                                 "git-ignored)."),
        score: bool = typer.Option(True, "--score/--no-score", help="Score into ROOT/results (default) or only "
                                   "convert into --out."),
        no_geobias: bool = typer.Option(False, "--no-geobias", help="Metrics only (skip Geo-Bias Scores and the "
                                        "maps' LISA hot/cold spots)."),
        jobs: int = typer.Option(1, "--jobs", min=1, help="Processes scoring files in parallel."),
        data_root: str = typer.Option(None, "--data-root", help="Dataset root: when a dataset is there, the import "
                                      "is verified against it (and TorchSpatial rows get its sample ids)."),
    ) -> None:
        """Import published per-sample results, check them like a submission and score each file once."""
        from rich.console import Console

        from locbench.atomic import check_output_dir
        from locbench.importers import run_import

        console = Console()
        if not score and out is None:
            raise typer.BadParameter("--no-score needs --out (where the converted predictions go)")
        check_output_dir(out if out is not None else root / "imports", option="--out")
        if score:
            check_output_dir(root / "results", option="--root")
        from locbench import progress

        with progress.reporter(f"import {source}") as report_progress:   # plain stderr lines when not a terminal
            report = run_import(source, src, root=root if score else None, out=out, data_root=data_root,
                                geobias=not no_geobias, jobs=jobs, progress=report_progress)
        _print_report(console, report, root)


def _print_report(console, report, root: Path) -> None:  # type: ignore[no-untyped-def]
    for w in report.warnings:
        console.print(f"[yellow]warning[/yellow] {w}", soft_wrap=True)
    for r in report.repairs:
        console.print(f"[dim]repair[/dim] {r}", soft_wrap=True)
    for p in report.replaced:
        console.print(f"[dim]replaced[/dim] {p}", soft_wrap=True)
    for p in report.removed:
        console.print(f"[yellow]removed[/yellow] {p} (no longer produced by this import)", soft_wrap=True)
    for w in report.geobias_warnings:
        console.print(f"[yellow]geo-bias[/yellow] {w}", soft_wrap=True)
    console.print(f"imported {len(report.models)} model(s), {len(report.files)} predictions file(s)")
    if report.results:
        console.print(f"[green]scored[/green] {len(report.results)} result(s) into {root / 'results'} "
                      f"({len(report.replaced)} replaced, {len(report.removed)} stale file(s) removed)")
