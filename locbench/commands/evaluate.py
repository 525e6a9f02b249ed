"""CLI: `locbench evaluate` — train/score encoders on datasets with the standardized probes."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from locbench.datasets.holdout import HOLDOUTS
from locbench.evaluate import DEFAULT_DATASETS, DEFAULT_ENCODERS, DEFAULT_OUT, QUICK_BUDGET
from locbench.training import DEFAULTS as _TRAINING  # the defaults the options take and the help states
EPILOG = """[bold]Examples[/bold]

  [dim]# the quick default comparison: no prior (= image only) + 3 encoders on embedded-koppen,
  # embedded-elevation and embedded-elevation-location (< 3 min on 2 cores)[/dim]
  locbench evaluate

  [dim]# one encoder on one LocBench dataset (files under --data-root), 5 epochs[/dim]
  locbench evaluate --encoder Sphere2Vec-sphereM --dataset birdsnap --epochs 5 --data-root ~/locbench-data

  [dim]# two encoders and the no-prior baseline on held-out 10° blocks (extrapolation), on a GPU[/dim]
  locbench evaluate -e no_prior -e xyz -e NeRF -d embedded-land-sea --holdout spatial-block --device cuda

  [dim]# TorchSpatial's published settings are the default; override the training batch and activation[/dim]
  locbench evaluate -e Space2Vec-theory -d birdsnap-ebird --batch-size 1024 --activation relu --data-root ~/locbench-data

  [dim]# your own encoder (package.module:factory) with a frozen-embedding kNN probe[/dim]
  locbench evaluate -e mypkg.encoders:make_spec -d embedded-cities-continent --probe knn

  [dim]# a GAIR task on your GeoFM's embeddings, put in <data-root>/<dataset folder>/embeddings/<split>.npy
  # (default probe there: linear; no_prior = the embeddings alone)[/dim]
  locbench evaluate -e no_prior -d geobs-eurosat --data-root ~/locbench-data --model-id my-geofm

Each model gets [bold]OUT/<model-id>/[/bold] with submission.json, <dataset>.csv (per-sample predictions),
<dataset>.result.json (metrics + Geo-Bias Scores) and <dataset>.run.json (config, versions, timings,
hardware); `locbench submit OUT/<model-id>` sends it to the leaderboard.
"""


EncoderOpt = Annotated[Optional[list[str]], typer.Option(
    "--encoder", "-e", help="Encoder name (see `locbench encoders list`), plugin name or package.module:factory. "
    f"Repeatable. Default: {', '.join(DEFAULT_ENCODERS)}.")]
DatasetOpt = Annotated[Optional[list[str]], typer.Option(
    "--dataset", "-d", help=f"Dataset name (see `locbench datasets list`). Repeatable. Default: "
    f"{', '.join(DEFAULT_DATASETS)} (built from installed packages; no download needed).")]
ProbeOpt = Annotated[Optional[str], typer.Option(
    "--probe", "-p", help="geoprior | regression | linear | knn | mlp | coordbench-linear | coordbench-knn | "
    "segmentation (locbench.probes.REGISTRY). Default: geoprior for classification, regression for regression, "
    "segmentation for segmentation, linear for GAIR image tasks. A frozen pretrained encoder (GeoCLIP) trains only "
    "the head, on embeddings computed once, with lr / weight decay / epochs chosen on validation rows carved from "
    "train (early stopping).")]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", help="Seed of every random choice (same seed → same "
                                      "predictions).")]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu or cuda (cuda:N for one GPU).")]
EpochsOpt = Annotated[Optional[int], typer.Option(
    "--epochs", min=1, help=f"Most training epochs (default: the encoder preset, else {_TRAINING.epochs}). A trained "
    f"encoder stops early on validation rows carved from train (--holdout; {_TRAINING.patience} epochs without a "
    f"{_TRAINING.min_delta:.0%} improvement) and "
    "is then refit on all training rows for its best epoch count; a frozen encoder's head is early-stopped the same "
    "way. The no-argument quick run trains exactly "
    f"{QUICK_BUDGET['classification'][0]} (classification) / {QUICK_BUDGET['regression'][0]} (regression) epochs.")]
OutOpt = Annotated[str, typer.Option("--out", "-o", help="Output folder (one sub-folder per model).")]
DataRootOpt = Annotated[Optional[str], typer.Option("--data-root", help="Dataset root (else $LOCBENCH_DATA, else "
                                                    "~/.locbench/data).")]
HoldoutOpt = Annotated[str, typer.Option(
    "--holdout", help="random | spatial-block, two splits: (1) datasets without published splits (embedded) get "
    "70/10/20 train/val/test by random rows or whole cells of an equal-area ~10° grid; (2) every probe's "
    "validation rows (early stopping, the frozen head's selection, linear/knn/mlp) are 20 % of train, carved by "
    "random rows or whole 10°x10° lon/lat cells (locbench.datasets.holdout).")]
NoGeobiasOpt = Annotated[bool, typer.Option("--no-geobias", help="Skip Geo-Bias Scores (metrics only; faster).")]
ThreadsOpt = Annotated[Optional[int], typer.Option(
    "--threads", min=1, help=f"Torch CPU threads (default: half the cores, at most 8; {_TRAINING.torch_threads} "
    "here).")]
ModelIdOpt = Annotated[Optional[str], typer.Option(
    "--model-id", help="Model id of the output folder instead of locbench-<encoder> (one --encoder only), e.g. for "
    "your GAIR embeddings.")]
MaxTrainRowsOpt = Annotated[Optional[int], typer.Option(
    "--max-train-rows", min=1, help="Train on a seeded random subset of at most N training rows (the reported "
    "split is never cut).")]
BatchSizeOpt = Annotated[Optional[int], typer.Option(
    "--batch-size", min=1, help="Training batch of the geoprior and regression probes (default: the encoder's "
    "TorchSpatial preset for the dataset, e.g. 4096 for Space2Vec-theory on birdsnap-ebird, "
    f"else {_TRAINING.batch_size}).")]
ActivationOpt = Annotated[Optional[str], typer.Option(
    "--activation", help="FFN activation of every encoder that has one: relu | leakyrelu (slope 0.2) | sigmoid | "
    "tanh | gelu (default: the preset's; no_prior is skipped, an encoder with a fixed network such as wrap is an "
    "error).")]

EncoderWeightsOpt = Annotated[Optional[str], typer.Option(
    "--encoder-weights", help="Pretrained weights file of the encoder (GeoCLIP: a location_encoder_weights.pth; "
    "default: the file inside the installed geoclip wheel). Its sha256 is recorded in the run record and the model "
    "card.")]


def register(app: typer.Typer) -> None:
    """Attach `evaluate` to the top-level app."""

    @app.command("evaluate", epilog=EPILOG)
    def evaluate_cmd(
        encoder: EncoderOpt = None, dataset: DatasetOpt = None, probe: ProbeOpt = None,
        seed: SeedOpt = _TRAINING.seed, device: DeviceOpt = _TRAINING.device, epochs: EpochsOpt = None,
        out: OutOpt = DEFAULT_OUT, data_root: DataRootOpt = None, holdout: HoldoutOpt = HOLDOUTS[0],
        no_geobias: NoGeobiasOpt = False,
        threads: ThreadsOpt = None, model_id: ModelIdOpt = None, max_train_rows: MaxTrainRowsOpt = None,
        batch_size: BatchSizeOpt = None, activation: ActivationOpt = None,
        encoder_weights: EncoderWeightsOpt = None,
    ) -> None:
        """Evaluate location encoders on datasets with the standardized probes; print a summary table.

        With no arguments: a quick, meaningful comparison on the embedded datasets.
        """
        import time

        from locbench.evaluate import evaluate

        console, reporter = _console_and_reporter(out)
        t0 = time.perf_counter()
        with reporter:
            outcomes = evaluate(encoder or None, dataset or None, probe=probe, seed=seed, device=device,
                                epochs=epochs, out=out, data_root=data_root, holdout=holdout,
                                geobias=not no_geobias, threads=threads, max_train_rows=max_train_rows,
                                model_id=model_id, batch_size=batch_size, activation=activation,
                                encoder_weights=encoder_weights, reporter=reporter)
        console.print(summary_table(outcomes))
        console.print(f"[dim]{len(outcomes)} run(s) in {time.perf_counter() - t0:.1f} s → {out}/<model-id>/ "
                      f"(submit with `locbench submit {out}/<model-id>`)[/dim]")


def _console_and_reporter(out: str) -> tuple[Any, _RichReporter]:
    """Check --out first; a console wide enough for the table in logs and CI, and its progress reporter."""
    from rich.console import Console

    from locbench.atomic import check_output_dir

    check_output_dir(out, option="--out")
    console = Console()
    if not console.is_terminal:  # logs and CI: do not squeeze the table into 80 columns
        console = Console(width=max(console.width, 150))
    return console, _RichReporter(console)


class _RichReporter:
    """Rich progress: one bar for the current run's training, one line per finished run."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.task: Any = None

    def __enter__(self) -> _RichReporter:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def start(self, label: str) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.label = label
        self.task = self.progress.add_task(label, total=None)

    def advance(self, stage: str, completed: int, total: int) -> None:
        self.progress.update(self.task, description=f"{self.label} [{stage}]", completed=completed, total=total)

    def finish(self, outcome: Any) -> None:
        v = "—" if outcome.primary_value is None else f"{outcome.primary_value:.3f}"
        self.progress.console.print(f"[green]✓[/green] {outcome.encoder} on {outcome.dataset}: "
                                    f"{outcome.primary_metric} {v} ({outcome.seconds:.1f} s)")
        for w in outcome.geobias_warnings:
            self.progress.console.print(f"  [yellow]geo-bias[/yellow] {w}", soft_wrap=True)


def quick_note() -> str:
    """What the quick default run is, said wherever its numbers are shown."""
    (c_ep, c_rows), (r_ep, r_rows) = QUICK_BUDGET["classification"], QUICK_BUDGET["regression"]
    return (f"QUICK RUN (no arguments): {c_ep} epochs on at most {c_rows:,} training rows (classification), {r_ep} "
            f"on at most {r_rows:,} (regression): a first look, under-trained and not comparable with the "
            "leaderboard. Its results record quick: true; `locbench submit` will not let them replace a longer "
            "run's result without --replace. Pass --encoder/--dataset for the full protocol. ")


def table_caption(quick: bool = False) -> str:
    """How to read the summary table; the geo-bias sentence is the score registry's."""
    from locbench.scoreinfo import HEADLINE_KEY, info

    return ((quick_note() if quick else "") + "value: the dataset's primary metric on its reported split (metric ↑ = higher is better, ↓ = lower; "
            "best per dataset in bold). no_prior is the model without location: the image-only baseline where the "
            "dataset has images (embedded-koppen: frozen p(y|I); embedded-elevation: MOSAIKS features), else class "
            f"frequency / training mean. geo-bias ↓: {info(HEADLINE_KEY).description}; * = significant at 5%. "
            "The reference-compatible SSI and SRI scores are in each <dataset>.result.json. "
            "location-only: the same model's metric from p(y|x) alone (geo-prior) or with no image input.")


def summary_table(outcomes: list[Any]) -> Any:
    """Primary metric beside the headline geo-bias score and the location-only metric, one row per run."""
    from rich.table import Table

    quick = any(getattr(o, "quick", False) for o in outcomes)
    table = Table(title="locbench evaluate" + (" — QUICK RUN" if quick else ""), show_lines=False,
                  caption=table_caption(quick), caption_justify="left")
    for col, just in (("dataset", "left"), ("model", "left"), ("probe", "left"), ("metric", "left"),
                      ("value", "right"), ("geo-bias ↓", "right"), ("location-only", "right"), ("time (s)", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    best: dict[str, float] = {}
    for o in outcomes:
        if o.primary_value is not None:
            cur = best.get(o.dataset)
            better = cur is None or (o.primary_value > cur if o.higher_is_better else o.primary_value < cur)
            if better:
                best[o.dataset] = o.primary_value

    def fmt(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    for o in outcomes:
        val = fmt(o.primary_value)
        if o.primary_value is not None and best.get(o.dataset) == o.primary_value:
            val = f"[bold]{val}[/bold]"
        metric = f"{o.primary_metric} {'↑' if o.higher_is_better else '↓'}"
        geo = fmt(o.geobias) + ("*" if o.geobias_significant else "")
        table.add_row(o.dataset, o.model_id, o.probe, metric, val, geo, fmt(o.location_only), f"{o.seconds:.1f}")
    return table
