"""CLI commands: `locbench datasets list | info | check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

DataRoot = Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional at runtime
    "--data-root", help="Folder holding the downloaded datasets (default: $LOCBENCH_DATA, else ~/.locbench/data).",
    show_default=False)]

app = typer.Typer(
    name="datasets", no_args_is_help=True, rich_markup_mode="rich",
    help=("Registered datasets: LocBench (TorchSpatial layout), SustainBench, GAIR (its ten v1 tasks), GeoBS "
          "(remote-sensing sets) and embedded offline data.\n\n"
          "Examples:\n\n"
          "  locbench datasets list\n\n"
          "  locbench datasets list --group gair --json\n\n"
          "  locbench datasets info inat2018\n\n"
          "  locbench datasets tasks\n\n"
          "  locbench datasets check birdsnap-ebird --data-root ~/geo_prior_data/data"),
)


def _classes_or_targets(spec) -> str:
    if spec.num_classes or not spec.targets:  # classification and segmentation
        return f"{spec.num_classes} classes" if spec.num_classes else "classes from data"
    return ", ".join(spec.targets) if len(spec.targets) <= 2 else f"{len(spec.targets)} targets"


@app.command("list")
def list_cmd(
    group: Annotated[Optional[str], typer.Option("--group", "-g", help="Only this group: locbench, sustainbench, gair, geobs, embedded.")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    data_root: DataRoot = None,
) -> None:
    """List datasets with their task and whether their files are present.

    Examples: [bold]locbench datasets list[/bold], [bold]locbench datasets list --group embedded --json[/bold]
    """
    from locbench.datasets import data_root as resolve
    from locbench.datasets import list_datasets
    from locbench.datasets.check import is_present

    root = resolve(data_root)
    rows = []
    for spec in list_datasets(group):
        present = is_present(spec, root)
        rows.append({"name": spec.name, "group": spec.group, "task_type": spec.task_type, "modality": spec.modality,
                     "num_classes": spec.num_classes, "targets": list(spec.targets),
                     "reported_split": spec.reported_split, "primary_metric": spec.primary_metric,
                     "present": present, "status": "embedded" if not spec.needs_files else ("present" if present else "missing"),
                     "inferred": bool(spec.inferred)})
    if as_json:
        typer.echo(json.dumps({"data_root": str(root), "datasets": rows}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    specs = {s.name: s for s in list_datasets(group)}
    table = Table(title=f"datasets (data root: {root})", pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("group")
    table.add_column("task", no_wrap=True)
    table.add_column("classes / targets")
    table.add_column("split", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for r in rows:
        colour = {"present": "green", "embedded": "green", "missing": "yellow"}[r["status"]]
        from locbench.tasks import get_task

        task = get_task(r["task_type"]).short_label
        table.add_row(r["name"], r["group"], task, _classes_or_targets(specs[r["name"]]), r["reported_split"],
                      f"[{colour}]{r['status']}[/{colour}]")
    Console().print(table)


@app.command("tasks")
def tasks_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    data_root: DataRoot = None,
) -> None:
    """GAIR's ten downstream tasks (v1 paper) and the registered datasets each is measured on.

    Location tasks reference LocBench's own datasets (one definition, shown under both benchmarks).
    Example: [bold]locbench datasets tasks --json[/bold]
    """
    from locbench.datasets import data_root as resolve
    from locbench.datasets import get_dataset
    from locbench.datasets.catalog_gair import FOLLOWS, GAIR_TASKS
    from locbench.datasets.check import is_present

    root = resolve(data_root)
    rows = [{"task": t.title, "family": t.family, "inferred": t.inferred,
             "datasets": [{"name": d, "group": get_dataset(d).group, "present": is_present(get_dataset(d), root)}
                          for d in t.datasets]} for t in GAIR_TASKS]
    if as_json:
        typer.echo(json.dumps({"data_root": str(root), "follows": FOLLOWS, "tasks": rows}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"GAIR v1 tasks (data root: {root})", caption=FOLLOWS, pad_edge=False)
    for col in ("family", "task", "datasets (group, status)"):
        table.add_column(col)
    for r in rows:
        cells = [f"{d['name']} ({d['group']}, {'[green]present[/green]' if d['present'] else '[yellow]missing[/yellow]'})"
                 for d in r["datasets"]]
        table.add_row(r["family"], r["task"], "\n".join(cells))
    Console().print(table)


@app.command("info")
def info_cmd(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. inat2018 (see `locbench datasets list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    data_root: DataRoot = None,
) -> None:
    """Everything the registry knows about one dataset, plus the exact files expected and which are there.

    Example: [bold]locbench datasets info mosaiks-population --json[/bold]
    """
    from locbench.datasets import data_root as resolve
    from locbench.datasets import get_dataset
    from locbench.datasets.check import missing_files

    spec = get_dataset(name)
    root = resolve(data_root)
    info = spec.to_dict()
    missing = missing_files(spec, root)
    info["data_root"] = str(root)
    info["files"] = [{"path": f, "absolute": str(root / f), "required": True, "present": f not in missing}
                     for f in spec.expected_files]
    info["files"] += [{"path": f, "absolute": str(root / f), "required": False, "present": (root / f).is_file()}
                      for f in spec.optional_files]
    info["status"] = "embedded" if not spec.needs_files else ("missing" if missing else "present")
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{spec.name} ({info['status']})", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in info.items():
        if key == "files":
            continue
        if isinstance(value, (list, tuple)):
            sep = ", " if all(isinstance(v, (int, float)) for v in value) or key == "splits" else "\n"
            value = sep.join(map(str, value)) if value else "-"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={'not stated' if v is None else v}" for k, v in value.items()) or "-"
        table.add_row(key, "not stated" if value is None else str(value))
    for f in info["files"]:
        mark = "[green]present[/green]" if f["present"] else ("[red]missing[/red]" if f["required"] else "absent (optional)")
        table.add_row("file" if f["required"] else "optional file", f"{f['absolute']}  {mark}")
    Console().print(table)


@app.command("check")
def check_cmd(
    name: Annotated[Optional[str], typer.Argument(help="One dataset to check fully (loads it); omit to check every dataset's files.")] = None,  # noqa: UP045
    deep: Annotated[bool, typer.Option("--deep/--files-only", help="Also load the splits to find malformed files (default: on for a named dataset, off for all).")] = None,  # type: ignore[assignment]
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    data_root: DataRoot = None,
) -> None:
    """Report missing or malformed files and where to get them; exit 2 when a named dataset is not usable.

    Examples: [bold]locbench datasets check[/bold], [bold]locbench datasets check inat2018 --data-root /data/geo_prior[/bold]
    """
    from locbench.datasets import list_datasets
    from locbench.datasets.check import check_dataset

    names = [name] if name else [s.name for s in list_datasets()]
    deep_on = (name is not None) if deep is None else deep
    reports = []
    if len(names) > 1 and deep_on:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("checking datasets", total=len(names))
            for n in names:
                reports.append(check_dataset(n, data_root, deep=True))
                progress.advance(task)
    else:
        reports = [check_dataset(n, data_root, deep=deep_on) for n in names]
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        from rich.console import Console
        from rich.markup import escape

        console = Console()
        for r in reports:
            colour = "green" if r.ok else ("yellow" if r.status == "missing" else "red")
            extra = ", ".join(f"{s}: {k:,} rows" for s, k in r.loaded.items())
            console.print(f"[{colour}]{r.status:9}[/{colour}] {r.name}" + (f"  ({extra})" if extra else ""))
            for f in r.missing:
                console.print(f"    missing {escape(str(Path(r.root) / f))}")
            for p in r.problems:
                console.print(f"    [red]{escape(p)}[/red]")
            for w in r.warnings:
                console.print(f"    [yellow]note:[/yellow] {escape(w)}")
            if not r.ok:
                console.print(f"    get it: {escape(r.source)}")
    if name is not None and not reports[0].ok:
        raise typer.Exit(code=2)


def register(root_app: typer.Typer) -> None:
    """Attach `locbench datasets ...` to the top-level app."""
    root_app.add_typer(app, name="datasets")
