"""CLI: `locbench geobias FILE --value COL` — Geo-Bias Scores of a per-sample results file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from georbias.config import DEFAULTS, EARTH_RADIUS_KM, GeoBiasConfig

EPILOG = f"""[bold]Examples[/bold]

  [dim]# the published TorchSpatial table settings (r = {DEFAULTS.radius:g} {DEFAULTS.radius_unit}, K = {DEFAULTS.roi_k}, \
{DEFAULTS.weight_k}-NN, pdf surprisal)[/dim]
  locbench geobias eval_inat_2018__val_NeRF.csv.gz --value hit@1

  [dim]# per-ROI table and a JSON report with every parameter[/dim]
  locbench geobias results.parquet --value hit@1 --per-roi roi.csv --json report.json

  [dim]# geolocation errors binarised at country scale (750 km: error < 750 -> +1), radius in km[/dim]
  locbench geobias geoloc.csv --value haversine_distance_km --threshold 750 --lower-is-better --radius 637 --radius-unit km

  [dim]# our corrected SSI (two-sided tail, degree = k, misclassified samples are not background)[/dim]
  locbench geobias results.csv --value hit@1 --preset locbench --scores ssi

Coordinates are degrees (columns lon/lat unless --lon-col/--lat-col); rows with NaN coordinates are
dropped and counted. See docs/geobias.md for what each score means and how to read it.
"""


def read_table(path: Path, columns: list[str]) -> Any:
    """The shared table reader, plus a check that the needed columns exist (InputError naming file and column)."""
    from locbench.errors import InputError
    from locbench.predictions import read_table as read_any_table

    df = read_any_table(path)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; the file has {list(df.columns)}", file=path,
                         column=missing[0])
    return df


def check_options(*, outputs: dict[str, Path | None], numbers: dict[str, float | None]) -> None:
    """Before any computation: outputs writable (not a folder, not in a published version), numbers finite."""
    import math

    from locbench.atomic import check_output
    from locbench.errors import InputError

    for option, value in numbers.items():
        if value is not None and not math.isfinite(value):
            raise InputError(f"{option} must be a finite number, got {value!r}")
    for option, out in outputs.items():
        if out is not None:
            check_output(out, option=option)


def check_magnitude(values: Any, path: Path, col: str) -> None:
    """InputError at the first value outside the bounds the scores' arithmetic needs (predictions.MAX/MIN_ABS_VALUE)."""
    import numpy as np

    from locbench.errors import InputError
    from locbench.predictions import magnitude_message, magnitude_outside

    bad = np.nonzero(magnitude_outside(values))[0]
    if len(bad):
        raise InputError(f"{magnitude_message(float(values[bad[0]]))}; {len(bad)} such row(s)",
                         file=path, row=int(bad[0]), column=col)


def unit_warnings(lon: Any, lat: Any, path: Path, *, strict: bool) -> None:
    """Warn (error under --strict) when the coordinates look like radians or 0..360 longitudes."""
    from locbench.errors import InputError
    from locbench.unit_checks import unit_mistakes

    for msg in unit_mistakes(lon, lat):
        if strict:
            raise InputError(f"{msg} (an error under --strict)", file=path)
        typer.secho(f"warning: {path}: {msg}", fg="yellow", err=True)


def _check_ranges(lon: Any, lat: Any, path: Path, lon_col: str, lat_col: str) -> None:
    import numpy as np

    from locbench.errors import InputError

    for arr, col, lim in ((lon, lon_col, 180.0), (lat, lat_col, 90.0)):
        bad = np.nonzero(~np.isnan(arr) & (np.abs(arr) > lim))[0]
        if len(bad):
            i = int(bad[0])
            raise InputError(f"{float(arr[i])!r} is outside [-{lim:g}, {lim:g}] degrees ({len(bad)} such row(s))",
                             file=path, row=i, column=col)


def _fmt(v: Any) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.4g}"


def print_report(report: Any, path: Path) -> None:
    """A readable rich table of the summary, grouped by score, with units and counts."""
    from rich.console import Console
    from rich.table import Table

    s, c, p = report.summary, report.counts, report.params
    console = Console()
    t = Table(title=f"Geo-Bias Scores — {path.name} ({p['value_name']}, preset {p['preset']})", title_justify="left")
    t.add_column("score")
    t.add_column("value", justify="right")
    t.add_column("what it means", style="dim")
    from locbench.scoreinfo import info

    groups = {"ssi": ("marked_ssi", "marked_ssi_weighted", "unmarked_ssi", "unmarked_ssi_weighted", "ssi_n_nan",
                      "ssi_n_saturated"),
              "sri": ("sri_scale_grid", "sri_distance_lag", "sri_direction_sector"),
              "autocorr": ("morans_i", "morans_i_p", "morans_i_p_sim", "gearys_c", "getis_ord_g_z",
                           "lisa_low_cluster_share", "join_count_bb_z")}
    rows = [(group, key, info(key).description) for group, keys in groups.items() for key in keys]
    for group, key, desc in rows:
        if group in p["scores"]:
            shown = f"< {s['morans_i_p_floor']:.2g}" if key == "morans_i_p_sim" and s.get("morans_i_p_at_floor") \
                else _fmt(s.get(key))
            t.add_row(key, shown, report.undefined.get(key, desc))
    console.print(t)
    print_headline(console, report.headline)
    console.print(f"rows: {c['n_input']:,} read, {c['n_dropped_nan']:,} dropped (NaN coordinates), "
                  f"{c['n_used']:,} used · radius {p['radius']} {p['radius_unit']} · K = {p['roi_k']} · "
                  f"k = {p['weight_k']} · {report.engine_version}")
    for msg in report.warnings:
        console.print(f"[yellow]warning: {msg}[/yellow]", highlight=False)


def print_headline(console: Any, h: Any) -> None:
    """The headline score in one line: value, z, p, and whether it differs from no spatial structure."""
    if h.value is None:
        console.print(f"[bold]headline[/bold] {h.score}: undefined — {h.reason}", highlight=False)
        return
    verdict = ("not distinguishable from no spatial structure" if not h.significant else
               "errors cluster in space (significant)" if h.z > 0 else "errors are spread out more evenly than chance")
    console.print(f"[bold]headline[/bold] {h.score} = {h.value:.4g} (z = {h.z:.3g}, p = {h.p:.2g}): {verdict}",
                  highlight=False)


FileArg = Annotated[Path, typer.Argument(help="Per-sample results: CSV, .csv.gz or Parquet, coordinates in degrees.")]
ValueOpt = Annotated[str, typer.Option("--value", "-v", help="Column with per-sample performance (e.g. hit@1).")]
LonColOpt = Annotated[str, typer.Option("--lon-col", help="Longitude column (degrees).")]
LatColOpt = Annotated[str, typer.Option("--lat-col", help="Latitude column (degrees).")]
PresetOpt = Annotated[str, typer.Option("--preset", help="torchspatial (published tables) | pygbs (PyGBS HEAD "
                                        "surprisal; no SRI) | locbench (corrected).")]
ScoresOpt = Annotated[Optional[str], typer.Option("--scores", help="Comma list of ssi,sri,autocorr (default: all the "
                                                  "preset offers).")]
RadiusOpt = Annotated[float, typer.Option("--radius", help=f"ROI radius ({DEFAULTS.radius:g} rad ≈ "
                                          f"{DEFAULTS.radius * EARTH_RADIUS_KM:.0f} km).")]
RadiusUnitOpt = Annotated[str, typer.Option("--radius-unit", help="rad (great-circle angle) or km.")]
RoiKOpt = Annotated[int, typer.Option("--roi-k", min=1, help="SSI ROI cap K (the K nearest within the radius).")]
WeightKOpt = Annotated[int, typer.Option("--weight-k", min=1, max=16, help="k of the k-NN weight graph.")]
ThresholdOpt = Annotated[Optional[float], typer.Option("--threshold", help="Binarise: value < T → −1 and ≥ T → +1 "
                                                       "(reversed with --lower-is-better), as the reference reader "
                                                       "does.")]
LowerOpt = Annotated[bool, typer.Option("--lower-is-better", help="With --threshold: value < T is good.")]
ScaleOpt = Annotated[float, typer.Option("--scale", help="SRI scale-grid cell size (radians).")]
LagOpt = Annotated[float, typer.Option("--lag", help="SRI distance-lag ring width (radians).")]
SectorsOpt = Annotated[int, typer.Option("--sectors", min=1, help="SRI direction sectors.")]
PartitionMinOpt = Annotated[int, typer.Option("--partition-min", min=1, help="SRI: skip partitions under N points.")]
PermutationsOpt = Annotated[int, typer.Option("--permutations", min=0, help="Permutations for Moran/LISA inference.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the permutation tests.")]
ReferenceTiesOpt = Annotated[bool, typer.Option("--reference-ties", help="torchspatial/pygbs: resolve every SSI ROI "
                                                "with a tie (duplicate coordinates, equal distances) through the "
                                                "reference's own BallTree/Rotation calls (~8 ms per such ROI).")]
PerRoiOpt = Annotated[Optional[Path], typer.Option("--per-roi", help="Write the per-ROI table (one row per input row) "
                                                   "as CSV.")]
JsonOpt = Annotated[Optional[Path], typer.Option("--json", help="Write the full report (every parameter, counts) as "
                                                 "JSON.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Likely unit mistakes (radians, 0..360 longitudes) are "
                                         "errors, not warnings.")]


def register(app: typer.Typer) -> None:
    """Attach `geobias` to the top-level app; option defaults are georbias.config.DEFAULTS."""

    @app.command("geobias", epilog=EPILOG)
    def geobias_cmd(
        file: FileArg, value: ValueOpt, lon_col: LonColOpt = "lon", lat_col: LatColOpt = "lat",
        preset: PresetOpt = DEFAULTS.preset, scores: ScoresOpt = None, radius: RadiusOpt = DEFAULTS.radius,
        radius_unit: RadiusUnitOpt = DEFAULTS.radius_unit, roi_k: RoiKOpt = DEFAULTS.roi_k,
        weight_k: WeightKOpt = DEFAULTS.weight_k, threshold: ThresholdOpt = None, lower_is_better: LowerOpt = False,
        scale: ScaleOpt = DEFAULTS.scale, lag: LagOpt = DEFAULTS.lag, sectors: SectorsOpt = DEFAULTS.sectors,
        partition_min: PartitionMinOpt = DEFAULTS.partition_min, permutations: PermutationsOpt = DEFAULTS.permutations,
        seed: SeedOpt = DEFAULTS.seed, reference_ties: ReferenceTiesOpt = DEFAULTS.reference_ties,
        per_roi: PerRoiOpt = None, json_out: JsonOpt = None, strict: StrictOpt = False,
    ) -> None:
        """Geo-Bias Scores (SSI, SRI, spatial autocorrelation) of per-sample performance in FILE."""
        from locbench.errors import InputError

        if threshold is None and lower_is_better:
            raise InputError("--lower-is-better only makes sense with --threshold")
        check_options(outputs={"--per-roi": per_roi, "--json": json_out},
                      numbers={"--threshold": threshold, "--radius": radius, "--scale": scale, "--lag": lag})
        cfg = GeoBiasConfig(preset=preset, radius=radius, radius_unit=radius_unit, roi_k=roi_k, weight_k=weight_k,
                            scale=scale, lag=lag, sectors=sectors, partition_min=partition_min,
                            permutations=permutations, seed=seed, reference_ties=reference_ties)
        lon, lat, full = read_points(file, value, lon_col, lat_col, strict=strict)
        report = score_with_progress(lon, lat, full, cfg, file=file, scores=scores, threshold=threshold,
                                     lower_is_better=lower_is_better, value_name=value)
        print_report(report, file)
        write_outputs(report, per_roi=per_roi, json_out=json_out,
                      input_info={"file": str(file), "lon_col": lon_col, "lat_col": lat_col, "value": value})


def read_points(file: Path, value: str, lon_col: str, lat_col: str, *, strict: bool) -> tuple[Any, Any, Any]:
    """Checked lon, lat and values (NaN where the coordinates are NaN) of FILE."""
    from locbench.datasets.readers import numeric_column

    df = read_table(file, [lon_col, lat_col, value])
    lon = numeric_column(df, lon_col, file, allow_nan=True)
    lat = numeric_column(df, lat_col, file, allow_nan=True)
    located = ~(_isnan(lon) | _isnan(lat))
    vals = numeric_column(df.loc[located], value, file, allow_nan=False) if located.any() else lon[:0]
    full = _nan_like(lon)
    full[located] = vals
    unit_warnings(lon, lat, file, strict=strict)
    _check_ranges(lon, lat, file, lon_col, lat_col)
    check_magnitude(full, file, value)
    return lon, lat, full


def score_with_progress(lon: Any, lat: Any, values: Any, cfg: GeoBiasConfig, *, file: Path, scores: str | None,
                        threshold: float | None, lower_is_better: bool, value_name: str) -> Any:
    """`georbias.score` under a rich progress bar; its input errors become InputError naming FILE."""
    import warnings

    import georbias
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from locbench.errors import InputError

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage.upper()} ROIs", total=total)
            bar.update(tasks[stage], completed=done)

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", georbias.GeoBiasWarning)  # printed from report.warnings
                return georbias.score(lon, lat, values, scores=scores, threshold=threshold,
                                      lower_is_better=lower_is_better, value_name=value_name, progress=progress,
                                      **asdict(cfg))
        except georbias.GeoBiasInputError as exc:
            raise InputError(str(exc), file=file) from None


def write_outputs(report: Any, *, per_roi: Path | None, json_out: Path | None, input_info: dict[str, str]) -> None:
    """The per-ROI CSV and the JSON report (with the input it came from), each written atomically."""
    import json

    from locbench.atomic import write_text

    if per_roi is not None:
        write_text(per_roi, report.per_roi.to_csv(index=False))
        typer.echo(f"per-ROI table: {per_roi}")
    if json_out is not None:
        d = report.to_dict()
        d["input"] = input_info
        write_text(json_out, json.dumps(d, indent=2, sort_keys=True, allow_nan=False) + "\n")
        typer.echo(f"report: {json_out}")


def _isnan(a: Any) -> Any:
    import numpy as np

    return np.isnan(a)


def _nan_like(a: Any) -> Any:
    import numpy as np

    return np.full(len(a), np.nan)
