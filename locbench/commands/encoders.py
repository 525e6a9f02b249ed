"""CLI commands: `locbench encoders list` and `locbench encoders info NAME`."""

from __future__ import annotations

import json

import typer

encoders_app = typer.Typer(
    name="encoders",
    help="List the location encoders (TorchSpatial zoo, GeoCLIP, plugins) and show their details.",
    no_args_is_help=True,
)


@encoders_app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (a JSON list)."),
) -> None:
    """List every registered encoder with its family and position-encoding width.

    Examples:
      locbench encoders list
      locbench encoders list --json
    """
    from locbench.encoders import list_encoders

    specs = list_encoders()
    if as_json:
        rows = [{k: d[k] for k in ("name", "family", "pe_dim", "output_dim", "trainable",
                                   "needs_train_locations", "aliases", "description")}
                for d in (s.to_dict() for s in specs)]
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(specs)} location encoders")
    table.add_column("name", no_wrap=True)
    for col in ("family", "PE dim", "D", "aliases", "description"):
        table.add_column(col, overflow="fold")
    for s in specs:
        d = s.to_dict()
        table.add_row(s.name, s.family, "" if d["pe_dim"] is None else str(d["pe_dim"]),
                      "" if d["output_dim"] is None else str(d["output_dim"]),
                      escape(", ".join(s.aliases)), escape(s.description))
    Console().print(table)


@encoders_app.command("info")
def info_cmd(
    name: str = typer.Argument(..., help="Encoder name, alias, or package.module:factory."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (a JSON object)."),
) -> None:
    """Show one encoder: defaults, PE dim, citation, TorchSpatial presets and deviations.

    Examples:
      locbench encoders info Sphere2Vec-sphereM
      locbench encoders info tile_ffn --json
      locbench encoders info my_pkg.encoders:make_spec
    """
    from locbench.encoders import resolve_encoder

    d = resolve_encoder(name).to_dict()
    if as_json:
        typer.echo(json.dumps(d, indent=2, default=str))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{d['name']}[/bold]  family={d['family']}  PE dim={d['pe_dim']}  "
                  f"D={d['output_dim']}  trainable={d['trainable']}")
    console.print(escape(d["description"]))
    if d["aliases"]:
        console.print(f"aliases: {escape(', '.join(d['aliases']))}")
    console.print(f"citation: {escape(d['citation'] or 'not stated')}")
    if d["family"] == "plugin":
        console.print(f"licence: {escape(d['licence'] or 'not stated')}  authors: "
                      f"{escape(', '.join(d['authors']) or 'not stated')}")
    if d["needs_train_locations"]:
        console.print("needs training locations (train_lonlat) at build time")
    defaults = Table(title="defaults")
    defaults.add_column("hyper-parameter")
    defaults.add_column("value")
    for k, v in d["defaults"].items():
        defaults.add_row(k, escape(str(v)))
    console.print(defaults)
    if d["presets"]:
        presets = Table(title="TorchSpatial presets (the settings of TorchSpatial's published runs, per dataset)")
        presets.add_column("dataset")
        presets.add_column("overrides", overflow="fold")
        for ds, kw in d["presets"].items():
            presets.add_row(ds, escape(", ".join(f"{k}={v}" for k, v in kw.items())))
        console.print(presets)
    for dev in d["deviations"]:
        console.print(f"- deviation: {escape(dev)}")


def register(app: typer.Typer) -> None:
    """Attach this group's commands to the top-level app."""
    app.add_typer(encoders_app, name="encoders")
