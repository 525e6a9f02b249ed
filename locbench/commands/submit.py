"""CLI: `locbench submit` (validate + score a submission) and `locbench import torchspatial`."""

from __future__ import annotations

from pathlib import Path

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

  [dim]# TorchSpatial's eval_results (classification/ and regression/, .csv or .csv.gz)[/dim]
  locbench import torchspatial path/to/eval_results --out submissions/

  [dim]# convert only, without scoring into results/[/dim]
  locbench import torchspatial path/to/eval_results --out submissions/ --no-score

  [dim]# then freeze a leaderboard version[/dim]
  locbench leaderboard build
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
    ) -> None:
        """Validate a submission folder and (without --check) score it into results/<model-id>/<dataset>.json."""
        from rich.console import Console

        from locbench.atomic import check_output_dir
        from locbench.submissions import validate_submission

        console = Console()
        if not check:
            check_output_dir(root / "results", option="--root")
        checked = validate_submission(path, data_root=data_root, strict=strict)
        for e in checked.entries:
            mark = "[green]verified against data[/green]" if e.verified else "[yellow]not verified against data[/yellow]"
            console.print(f"  {e.dataset}: {len(e.predictions):,} rows, {mark}")
            for w in e.warnings:
                console.print(f"  [yellow]warning[/yellow] {e.file}: {w} (an error under --strict)")
        if check:
            console.print(f"[green]OK[/green] {checked.model_id}: {len(checked.entries)} dataset(s) valid (--check: "
                          "nothing written)")
            return
        written = _with_progress(console, checked, root, not no_geobias)
        for p in written:
            console.print(f"  wrote {p}")
        console.print(f"[green]scored[/green] {checked.model_id}: {len(written)} result(s); "
                      "`locbench leaderboard build` freezes them into a version")

    def _with_progress(console, checked, root: Path, geobias: bool) -> list[Path]:  # type: ignore[no-untyped-def]
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

    import_app = typer.Typer(help="Import other benchmarks' per-sample results as submissions.", no_args_is_help=True)
    app.add_typer(import_app, name="import")

    @import_app.command("torchspatial", epilog=IMPORT_EPILOG)
    def import_torchspatial_cmd(
        src: Path = typer.Argument(..., help="TorchSpatial eval_results folder (searched recursively)."),
        out: Path = typer.Option(None, "--out", help="Where submission folders go (default: ROOT/submissions)."),
        root: Path = typer.Option(Path("."), "--root", help="Working root holding results/ (default: current folder)."),
        score: bool = typer.Option(True, "--score/--no-score", help="Also validate and score the imported "
                                   "submissions into ROOT/results (default: yes)."),
        no_geobias: bool = typer.Option(False, "--no-geobias", help="When scoring: metrics only (skip Geo-Bias Scores)."),
        data_root: str = typer.Option(None, "--data-root", help="Dataset root: when a dataset is there, its sample "
                                      "ids are used and the import is verified against it."),
    ) -> None:
        """Convert TorchSpatial eval_results CSVs into submissions/torchspatial-<encoder>/ folders.

        Coordinates are restored from sibling files where the CSVs lack them (no-prior) or hold
        sin-transformed values (wrap); every repair is verified and reported.
        """
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from locbench.atomic import check_output_dir
        from locbench.importers.torchspatial import import_torchspatial
        from locbench.submissions import score_submission, validate_submission

        console = Console()
        dest = out if out is not None else root / "submissions"
        check_output_dir(dest, option="--out")
        if score:
            check_output_dir(root / "results", option="--root")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("reading", total=None)
            report = import_torchspatial(src, dest, data_root=data_root,
                                         progress=lambda s: bar.update(task, description=f"importing {s}"))
        for w in report.warnings:
            console.print(f"[yellow]warning[/yellow] {w}")
        for r in report.repairs:
            console.print(f"[dim]repair[/dim] {r}")
        console.print(f"imported {len(report.models)} model(s), {len(report.files)} predictions file(s) → {dest}")
        if not score:
            return
        checked = [validate_submission(folder, data_root=data_root) for folder in report.models.values()]
        n = sum(len(c.entries) for c in checked)
        from rich.progress import BarColumn, MofNCompleteColumn

        with Progress(TextColumn("scoring {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("", total=n)
            written: list[Path] = []
            for c in checked:
                def progress(name: str, c=c) -> None:  # type: ignore[no-untyped-def]
                    bar.update(task, description=f"{c.model_id} / {name}")

                written += score_submission(c, root=root, progress=progress, source="import", geobias=not no_geobias)
                bar.advance(task, len(c.entries))
        console.print(f"[green]scored[/green] {len(written)} result(s) into {root / 'results'}")
