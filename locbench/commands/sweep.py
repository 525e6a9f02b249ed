"""CLI: `locbench sweep` (many runs, resumable, local/processes/Dask) and `locbench sweep summarize`."""

from __future__ import annotations

from typing import Any

import typer

EPILOG = """[bold]Examples[/bold]

  [dim]# 2 encoders x 1 dataset x 5 seeds on this machine, one job after the other[/dim]
  locbench sweep -e no_prior -e Sphere2Vec-sphereM -d embedded-land-sea --seeds 0-4 --epochs 3 --out runs

  [dim]# the same, 2 jobs at a time; re-running skips every finished job[/dim]
  locbench sweep -e no_prior -e Sphere2Vec-sphereM -d embedded-land-sea --seeds 0-4 --epochs 3 --out runs \\
      --executor processes --workers 2

  [dim]# a sweep file on a Dask cluster, one GPU per job; print the plan first[/dim]
  locbench sweep -f sweep.toml --executor dask --scheduler tcp://10.0.0.5:8786 --gpus-per-job 1 --dry-run

  [dim]# per-seed runs -> one submission per model (mean, sd and per-seed values of every metric)[/dim]
  locbench sweep summarize runs --out submissions

Each job writes [bold]OUT/<model-id>/<dataset>/seed-<n>/[/bold] (evaluate's files plus job.json) whole or not
at all. Exit code 1 when a job failed after its retries (they are listed), 2 on bad input. See docs/sweeps.md.
"""


def register(app: typer.Typer) -> None:
    """Attach the `sweep` group to the top-level app."""
    group = typer.Typer(help="Many encoder x dataset x seed runs: resumable, on this machine or a Dask cluster.",
                        rich_markup_mode="rich")

    @group.callback(invoke_without_command=True, epilog=EPILOG)
    def sweep_cmd(
        ctx: typer.Context,
        file: str = typer.Option(None, "--file", "-f", help="Sweep file (.toml or .yaml) with the same settings; "
                                 "flags given here win."),
        encoder: list[str] = typer.Option(None, "--encoder", "-e", help="Encoder name or package.module:factory. Repeatable."),
        dataset: list[str] = typer.Option(None, "--dataset", "-d", help="Dataset name. Repeatable."),
        seeds: str = typer.Option(None, "--seeds", help="Seeds: '0-4', '0,3,7' or '0-2,9' (default 0)."),
        probe: str = typer.Option(None, "--probe", "-p", help="Probe (default: the dataset's default probe)."),
        epochs: int = typer.Option(None, "--epochs", min=1, help="Training epochs (default: preset / protocol)."),
        max_train_rows: int = typer.Option(None, "--max-train-rows", min=1, help="Seeded training subset per job."),
        holdout: str = typer.Option(None, "--holdout", help="random | spatial-block."),
        geobias: bool = typer.Option(None, "--geobias/--no-geobias", help="Geo-Bias Scores per job (default on).",
                                     show_default=False),
        device: str = typer.Option(None, "--device", help="cpu or cuda (default cpu)."),
        threads: int = typer.Option(None, "--threads", min=1, help="Torch/BLAS threads per job (default 1: "
                                    "bit-identical results whatever the executor)."),
        data_root: str = typer.Option(None, "--data-root", help="Dataset root (else $LOCBENCH_DATA)."),
        out: str = typer.Option(None, "--out", "-o", help="Sweep folder (default locbench-sweep)."),
        executor: str = typer.Option(None, "--executor", help="local (default) | processes | dask."),
        workers: int = typer.Option(None, "--workers", min=1, help="Worker processes of --executor processes (default 2)."),
        scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, tcp://HOST:PORT."),
        gpus_per_job: float = typer.Option(None, "--gpus-per-job", help="Dask worker resource 'GPU' each job claims."),
        retries: int = typer.Option(None, "--retries", min=0, help="Retries of a failing job (default 2)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (jobs, keys, states); run nothing."),
    ) -> None:
        """Run encoder x dataset x seed jobs; finished jobs are skipped, failed or changed ones rerun."""
        if ctx.invoked_subcommand is not None:
            return
        from locbench.sweep import build_spec, read_sweep_file

        flags = {"encoders": encoder or None, "datasets": dataset or None, "seeds": seeds, "probe": probe,
                 "epochs": epochs, "max_train_rows": max_train_rows, "holdout": holdout,
                 "geobias": geobias, "device": device, "threads": threads,
                 "data_root": data_root, "out": out, "kind": executor, "workers": workers, "scheduler": scheduler,
                 "gpus_per_job": gpus_per_job, "retries": retries}
        spec = build_spec(read_sweep_file(file) if file else {}, flags, where=file or "flags")
        raise typer.Exit(_run(spec, dry_run))

    _register_summarize(group)
    app.add_typer(group, name="sweep")


def _register_summarize(group: typer.Typer) -> None:
    @group.command("summarize")
    def summarize_cmd(
        folder: str = typer.Argument(..., help="A sweep's --out folder."),
        out: str = typer.Option(..., "--out", "-o", help="Submission folder: one <model-id>/ per model."),
        results_root: str = typer.Option(None, "--results-root", help="Also write ROOT/results/<model>/<dataset>.json "
                                         "(the leaderboard's input) with the seeds block."),
    ) -> None:
        """Per-seed runs -> one submission per model: mean, sd and per-seed values of every metric."""
        from rich.console import Console

        from locbench.sweep.summarize import summarize

        console = _console(Console)
        entries = summarize(folder, out, results_root=results_root)
        console.print(summary_table(entries))
        console.print(f"[dim]{len(entries)} result(s) → {out}/<model-id>/"
                      + (f" and {results_root}/results/" if results_root else "") + "[/dim]")


def _console(cls: Any) -> Any:
    console = cls()
    return console if console.is_terminal else cls(width=max(console.width, 150))


def _run(spec: Any, dry_run: bool) -> int:
    from pathlib import Path

    from rich.console import Console

    from locbench.sweep import expand, job_state, make_executor, run_sweep
    from locbench.sweep.layout import hash_cache_file

    console = _console(Console)
    jobs = expand(spec, hash_cache=hash_cache_file(Path(spec.out)))
    if dry_run:
        states = {j.name: job_state(Path(spec.out), j) for j in jobs}
        console.print(plan_table(jobs, states))
        console.print(f"[dim]{_count_line(states)}; --dry-run: nothing was run[/dim]")
        return 0
    from locbench.sweep.progress import RichSweepReporter

    with RichSweepReporter(console, retries=spec.executor.retries) as reporter:
        outcome = run_sweep(jobs, spec.out, make_executor(spec.executor), retries=spec.executor.retries,
                            reporter=reporter)
    run_n, skipped = len(outcome.reports), sum(s == "done" for s in outcome.states.values())
    console.print(f"{len(jobs)} jobs: {run_n} run, {skipped} already done, {len(outcome.failed)} failed "
                  f"in {outcome.seconds:.1f} s → {spec.out}/sweep.json")
    if outcome.failed:
        console.print("[red]failed jobs[/red] (details in <job>.failed.json; re-run the same command to retry):")
        for name, error in outcome.failed.items():
            console.print(f"  [red]✗[/red] {name}: {error}")
        return 1
    return 0


def _count_line(states: dict[str, str]) -> str:
    counts = {s: sum(v == s for v in states.values()) for s in ("done", "changed", "failed", "todo")}
    return (f"{len(states)} jobs: {counts['done']} done (skipped), {counts['changed']} changed, "
            f"{counts['failed']} failed before, {counts['todo']} new")


def plan_table(jobs: list[Any], states: dict[str, str]) -> Any:
    """One row per job: what runs, its key, and whether a re-run would skip it."""
    from rich.table import Table

    style = {"done": "green", "changed": "yellow", "failed": "red", "todo": ""}
    table = Table(title="locbench sweep plan")
    for col in ("#", "model", "dataset", "seed", "probe", "epochs", "key", "state"):
        table.add_column(col, justify="right" if col in ("#", "seed", "epochs") else "left")
    for i, job in enumerate(jobs, 1):
        state = states[job.name]
        table.add_row(str(i), job.model_id, job.dataset, str(job.seed), job.probe,
                      "default" if job.epochs is None else str(job.epochs), job.key[:12],
                      f"[{style[state]}]{state}[/{style[state]}]" if style[state] else state)
    return table


def summary_table(entries: list[Any]) -> Any:
    """Model x dataset: primary metric as mean ± sd (n seeds), and the headline geo-bias score when present."""
    from rich.table import Table

    table = Table(title="locbench sweep summarize")
    for col in ("model", "dataset", "metric", "mean ± sd", "seeds", "headline geo-bias"):
        table.add_column(col, justify="right" if col in ("mean ± sd", "seeds") else "left")
    for e in entries:
        block = e.seeds
        m = block["metrics"][e.primary_metric]
        sd = "—" if m["sd"] is None else f"{m['sd']:.3f}"
        head = block.get("headline")
        head_txt = "—" if not head or head["mean"] is None else f"{head['mean']:.3f} ± " + (
            "—" if head["sd"] is None else f"{head['sd']:.3f}")
        table.add_row(e.model_id, e.dataset, e.primary_metric, f"{m['mean']:.3f} ± {sd}", str(block["n"]), head_txt)
    return table
