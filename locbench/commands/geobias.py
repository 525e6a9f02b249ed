"""CLI: `locbench geobias FILE --value COL` — Geo-Bias Scores of a per-sample results file."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from georbias.config import DEFAULTS, EARTH_RADIUS_KM, GeoBiasConfig
from georbias.groups import view_by_group

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

  [dim]# where errors cluster, on a map; rows without a value left out and counted[/dim]
  locbench geobias results.csv --value hit@1 --map where.png --drop-missing

Coordinates are degrees (columns lon/lat, also found as Lat, latitude, LON, lng or long, unless
--lon-col/--lat-col); rows with NaN coordinates are dropped and counted. After the scores, the output
names the countries and continents where errors cluster (significant local clusters) and where the
model does best. See docs/geobias.md for what each score means and how to read it.
"""


def read_table(path: Path, columns: list[str]) -> Any:
    """The shared table reader, plus a check that the needed columns exist (InputError naming file and column)."""
    from locbench.errors import InputError
    from locbench.predictions import read_table as read_any_table
    from locbench.suggest import missing_column_message

    df = read_any_table(path)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(missing_column_message(missing[0], df.columns), file=path, column=missing[0])
    return df


def resolve_columns(path: Path, df: Any, *, value: str, lon_col: str, lat_col: str) -> tuple[str, str, str]:
    """The file's (lon, lat, value) columns: exact, case-insensitive, or a common alias for the coordinates
    (Lat, latitude, LON, lng, long); otherwise an InputError naming the flag that picks another column."""
    from locbench.errors import InputError
    from locbench.suggest import case_insensitive, coordinate_column, missing_column_message

    found = []
    for role, want, flag in (("lon", lon_col, "--lon-col"), ("lat", lat_col, "--lat-col"), (None, value, "--value")):
        col = coordinate_column(role, want, df.columns) if role else (
            want if want in df.columns else case_insensitive(want, df.columns))
        if col is None:
            raise InputError(missing_column_message(want, df.columns, role=role, flag=flag), file=path, column=want)
        found.append(col)
    return found[0], found[1], found[2]


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
    from locbench.unit_checks import swapped_message, unit_mistakes

    for arr, col, lim in ((lon, lon_col, 180.0), (lat, lat_col, 90.0)):
        bad = np.nonzero(~np.isnan(arr) & (np.abs(arr) > lim))[0]
        if len(bad):
            i = int(bad[0])
            swap = swapped_message(lon, lat)
            other = [m for m in unit_mistakes(lon, lat) if "swapped" not in m]
            hint = (f"; {swap}: pass --lon-col {lat_col} --lat-col {lon_col}" if swap
                    else "".join(f"; {m}" for m in other))
            raise InputError(f"{float(arr[i])!r} is outside [-{lim:g}, {lim:g}] degrees ({len(bad)} such row(s))"
                             f"{hint}", file=path, row=i, column=col)


def _fmt(v: Any) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.4g}"


SCORE_GROUPS = view_by_group("cli")   # declared with the score groups (georbias.groups.VIEWS)


def _shown(report: Any, key: str) -> str:
    """A summary value as the table shows it: p-values in the one p format, counts with separators."""
    from locbench.scoreinfo import format_p

    s = report.summary
    if key == "morans_i_p":
        return format_p(s.get(key)).removeprefix("p ").removeprefix("= ")
    if key == "morans_i_p_sim":
        return format_p(s.get(key), s.get("morans_i_p_floor")).removeprefix("p ").removeprefix("= ")
    return _fmt(s.get(key))


def print_report(report: Any, path: Path, *, where: Any = None, read: Any = None) -> None:
    """The scores table (labels, not engine keys), the headline, where errors cluster, and plain notes."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from locbench.scoreinfo import info

    p = report.params
    console = Console()
    t = Table(title=f"Geo-Bias Scores — {path.name} ({p['value_name']}, preset {p['preset']})", title_justify="left")
    t.add_column("score")
    t.add_column("value", justify="right")
    t.add_column("what it means", style="dim")
    for group, keys in SCORE_GROUPS.items():
        if group in p["scores"]:
            for key in keys:
                why = report.undefined.get(key)
                t.add_row(info(key).label, _shown(report, key), "undefined (see the notes below)" if why
                          else info(key).description)
    console.print(t)
    print_headline(console, report.headline)
    if where is not None:
        from locbench.where import describe

        for line in describe(where):
            console.print(escape(line), highlight=False)
    for note in plain_notes(report):
        console.print(f"note: {escape(note)}", highlight=False)
    console.print(rows_line(report, read), highlight=False)
    for msg in report.warnings:
        console.print(f"[yellow]warning: {escape(msg)}[/yellow]", highlight=False)


def rows_line(report: Any, read: Any) -> str:
    """How many rows were read, dropped (and why) and used, and the neighbourhood settings in plain words."""
    from georbias.config import EARTH_RADIUS_KM

    c, p = report.counts, report.params
    no_value = 0 if read is None else read.n_missing_value
    no_coords = c["n_dropped_nan"] - no_value
    dropped = f"{no_coords:,} dropped (NaN coordinates)"
    if no_value:
        dropped += f", {no_value:,} dropped (missing {p['value_name']}, --drop-missing)"
    km = p["radius_rad"] * EARTH_RADIUS_KM
    return (f"rows: {c['n_input']:,} read, {dropped}, {c['n_used']:,} used · neighbourhood: samples within "
            f"{p['radius']:g} {p['radius_unit']} (≈ {km:,.0f} km), at most {p['roi_k']} · {p['weight_k']} nearest "
            "neighbours for the local scores")


def plain_notes(report: Any) -> list[str]:
    """Why a value is missing or NaN, in the user's terms (the engine's own wording stays in --json)."""
    import numpy as np

    from georbias.config import EARTH_RADIUS_KM

    s, p, per = report.summary, report.params, report.per_roi
    km = p["radius_rad"] * EARTH_RADIUS_KM
    notes = []
    sizes = per["n_roi"].dropna().to_numpy(dtype=np.float64) if "n_roi" in per else np.zeros(0)
    n_nan = s.get("ssi_n_nan")
    if "ssi" in p["scores"] and isinstance(n_nan, int) and n_nan > 0 and "marked_ssi" in per:
        bad = (per["marked_ssi"].isna() | per["unmarked_ssi"].isna()) & per["n_roi"].notna()
        med_bad = float(np.median(per.loc[bad, "n_roi"])) if bad.any() else float("nan")
        notes.append(f"SSI is undefined (NaN) for {n_nan:,} of {len(sizes):,} samples' neighbourhoods and left out "
                     f"of the SSI means: their neighbourhood (samples within ≈ {km:,.0f} km) is too small or too "
                     f"uniform for the score's variance (median {med_bad:g} samples there vs {np.median(sizes):g} "
                     "overall). Few NaNs are normal for sparse data; a larger --radius gives fewer.")
    sri_missing = [k for k in SCORE_GROUPS["sri"] if k in report.undefined]
    if sri_missing and len(sizes):
        notes.append(f"SRI is undefined: it compares performance in parts of each neighbourhood (grid cells, "
                     f"distance rings, direction sectors) with the whole, and only uses parts of at least "
                     f"{p['partition_min']} samples. Here a neighbourhood (samples within ≈ {km:,.0f} km, at most "
                     f"{p['roi_k']}) holds {np.median(sizes):g} samples on median and {int(sizes.max()):,} at most, "
                     "so no part is large enough: a global sample of a few thousand points is too sparse. Use "
                     "denser data, a larger --radius or a smaller --partition-min.")
    if report.headline.value is None and report.headline.reason:
        notes.append(f"the headline score is undefined: {report.headline.reason}")
    return notes


def print_headline(console: Any, h: Any) -> None:
    """The headline score in one line: value, z, p, and whether it differs from no spatial structure."""
    from locbench.scoreinfo import format_p

    if h.value is None:
        console.print(f"[bold]headline[/bold] spatial clustering of errors: undefined — {h.reason}", highlight=False)
        return
    verdict = ("not distinguishable from no spatial structure" if not h.significant else
               "errors cluster in space (significant)" if h.z > 0 else "errors are spread out more evenly than chance")
    console.print(f"[bold]headline[/bold] spatial clustering of errors (Moran's I) = {h.value:.4g} "
                  f"(z = {h.z:.3g}, {format_p(h.p)}): {verdict}", highlight=False)


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
DropMissingOpt = Annotated[bool, typer.Option("--drop-missing", help="Drop rows whose value is missing (NaN, empty) "
                                              "instead of refusing the file; the rows dropped are counted.")]
MapOpt = Annotated[Optional[Path], typer.Option("--map", help="Draw where errors cluster and where the model does "
                                                "best on a world map (.png or .svg).")]
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
        drop_missing: DropMissingOpt = False, map_out: MapOpt = None,
    ) -> None:
        """Geo-Bias Scores (SSI, SRI, spatial autocorrelation) of per-sample performance in FILE."""
        from locbench.errors import InputError

        if threshold is None and lower_is_better:
            raise InputError("--lower-is-better only makes sense with --threshold")
        check_map_suffix(map_out)
        check_options(outputs={"--per-roi": per_roi, "--json": json_out, "--map": map_out},
                      numbers={"--threshold": threshold, "--radius": radius, "--scale": scale, "--lag": lag})
        cfg = GeoBiasConfig(preset=preset, radius=radius, radius_unit=radius_unit, roi_k=roi_k, weight_k=weight_k,
                            scale=scale, lag=lag, sectors=sectors, partition_min=partition_min,
                            permutations=permutations, seed=seed, reference_ties=reference_ties)
        lon, lat, full, read = read_points(file, value, lon_col, lat_col, strict=strict, drop_missing=drop_missing)
        report = score_with_progress(lon, lat, full, cfg, file=file, scores=scores, threshold=threshold,
                                     lower_is_better=lower_is_better, value_name=read.value_col)
        restore_dropped(report, read, lon, lat)
        where = where_of(report, full, lower_is_better)
        print_report(report, file, where=where, read=read)
        write_outputs(report, per_roi=per_roi, json_out=json_out, where=where,
                      input_info={"file": str(file), "lon_col": read.lon_col, "lat_col": read.lat_col,
                                  "value": read.value_col, "n_dropped_missing_value": read.n_missing_value})
        if map_out is not None:
            write_map(map_out, report, lower_is_better, title=f"{file.name}: {read.value_col}")


@dataclass(frozen=True)
class ReadInfo:
    """Which columns were used (after case / alias matching) and how many rows had no value (--drop-missing)."""

    lon_col: str
    lat_col: str
    value_col: str
    n_missing_value: int = 0
    located_nan_value: Any = None  # rows whose coordinates were blanked because the value is missing
    lon_orig: Any = None
    lat_orig: Any = None


def read_points(file: Path, value: str, lon_col: str, lat_col: str, *, strict: bool,
                drop_missing: bool = False) -> tuple[Any, Any, Any, ReadInfo]:
    """Checked lon, lat and values (NaN where the coordinates are NaN) of FILE, and what was read.

    With `drop_missing`, a row whose value is missing is left out like an unlocated row (coordinates
    set to NaN for the engine, put back in the per-ROI table) and counted."""
    import numpy as np

    from locbench.datasets.readers import numeric_column
    from locbench.errors import InputError
    from locbench.predictions import read_table as read_any_table

    df = read_any_table(file)
    lon_col, lat_col, value = resolve_columns(file, df, value=value, lon_col=lon_col, lat_col=lat_col)
    lon = numeric_column(df, lon_col, file, allow_nan=True)
    lat = numeric_column(df, lat_col, file, allow_nan=True)
    _check_ranges(lon, lat, file, lon_col, lat_col)  # first: an out-of-range swap is an error, not a warning
    unit_warnings(lon, lat, file, strict=strict)
    located = ~(_isnan(lon) | _isnan(lat))
    no_value = located & df[value].isna().to_numpy()
    if no_value.any() and not drop_missing:
        i = int(np.flatnonzero(no_value)[0])
        raise InputError(f"missing value ({int(no_value.sum())} such row(s)); pass --drop-missing to leave those "
                         "rows out (they are counted)", file=file, row=i, column=value)
    lon0, lat0 = lon.copy(), lat.copy()
    lon[no_value], lat[no_value] = np.nan, np.nan
    located &= ~no_value
    vals = numeric_column(df.loc[located], value, file, allow_nan=False) if located.any() else lon[:0]
    full = _nan_like(lon)
    full[located] = vals
    check_magnitude(full, file, value)
    return lon, lat, full, ReadInfo(lon_col, lat_col, value, int(no_value.sum()), no_value, lon0, lat0)


def restore_dropped(report: Any, read: ReadInfo, lon: Any, lat: Any) -> None:
    """Rows dropped for a missing value keep their coordinates in the per-ROI table."""
    if read.n_missing_value and "lon" in report.per_roi:
        m = read.located_nan_value
        report.per_roi.loc[m, "lon"] = read.lon_orig[m]
        report.per_roi.loc[m, "lat"] = read.lat_orig[m]


def where_of(report: Any, values: Any, lower_is_better: bool) -> Any:
    """The 'where' summary from the run's LISA labels (None when the local scores were not run)."""
    from locbench.where import where_summary

    per = report.per_roi
    if "lisa_label" not in per:
        return None
    lab = per["lisa_label"].fillna("ns").to_numpy(dtype=object)
    return where_summary(per["lon"].to_numpy(dtype=float), per["lat"].to_numpy(dtype=float), values, lab,
                         higher_is_better=not lower_is_better, value_name=report.params["value_name"])


def check_map_suffix(path: Path | None) -> None:
    from locbench.errors import InputError

    if path is not None and path.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"--map must name a .png or .svg file, got {path.name!r} (e.g. --map where.png)")


def write_map(path: Path, report: Any, lower_is_better: bool, *, title: str) -> None:
    """The cluster map, written atomically."""
    from locbench.atomic import write_bytes
    from locbench.where import draw_map

    per = report.per_roi
    if "lisa_label" not in per:
        typer.echo("map: not drawn (the local cluster scores were not run: add autocorr to --scores)")
        return
    data = draw_map(path, per["lon"].to_numpy(dtype=float), per["lat"].to_numpy(dtype=float),
                    per["lisa_label"].fillna("ns").to_numpy(dtype=object), higher_is_better=not lower_is_better,
                    title=title)
    write_bytes(path, data)
    typer.echo(f"map: {path}")


def score_with_progress(lon: Any, lat: Any, values: Any, cfg: GeoBiasConfig, *, file: Path, scores: str | None,
                        threshold: float | None, lower_is_better: bool, value_name: str) -> Any:
    """`georbias.score` with progress (a rich bar on a terminal, plain stderr lines otherwise); its input
    errors become InputError naming FILE."""
    import warnings

    import georbias

    from locbench import progress as progress_mod
    from locbench.errors import InputError

    with progress_mod.reporter("geobias") as progress:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", georbias.GeoBiasWarning)  # printed from report.warnings
                return georbias.score(lon, lat, values, scores=scores, threshold=threshold,
                                      lower_is_better=lower_is_better, value_name=value_name, progress=progress,
                                      **asdict(cfg))
        except georbias.GeoBiasInputError as exc:
            raise InputError(user_terms(str(exc)), file=file) from None


ENGINE_TERMS = {"weight_k": "--weight-k", "roi_k": "--roi-k", "partition_min": "--partition-min",
                "radius_unit": "--radius-unit", "lower_is_better": "--lower-is-better"}


def user_terms(message: str) -> str:
    """An engine message with its parameter names spelled as the CLI flags the user types."""
    import re

    return re.sub(r"\b(" + "|".join(ENGINE_TERMS) + r")\b", lambda m: ENGINE_TERMS[m.group(1)], message)


def write_outputs(report: Any, *, per_roi: Path | None, json_out: Path | None, input_info: dict[str, Any],
                  where: Any = None) -> None:
    """The per-ROI CSV and the JSON report (with the input it came from and the 'where' summary), written atomically."""
    import json

    from locbench.atomic import write_text

    if per_roi is not None:
        write_text(per_roi, report.per_roi.to_csv(index=False))
        typer.echo(f"per-ROI table: {per_roi}")
    if json_out is not None:
        d = report.to_dict()
        d["input"] = input_info
        d["where"] = None if where is None else where.to_dict()
        write_text(json_out, json.dumps(d, indent=2, sort_keys=True, allow_nan=False) + "\n")
        typer.echo(f"report: {json_out}")


def _isnan(a: Any) -> Any:
    import numpy as np

    return np.isnan(a)


def _nan_like(a: Any) -> Any:
    import numpy as np

    return np.full(len(a), np.nan)
