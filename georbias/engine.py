"""The engine behind `georbias.score`: check the input, place the points, run each chosen score
group (georbias.groups declares them), assemble the report.

Each group's runner reads the shared `Points` and fills the shared `Outputs`; which groups run and
in which order comes from georbias.groups, not from an if-chain here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from georbias.config import GeoBiasConfig
from georbias.errors import GeoBiasInputError
from georbias.groups import BY_NAME, GROUPS, PER_ROI_COLUMNS, SCORE_GROUPS, SUMMARY_KEYS, offered
from georbias.headline import Headline
from georbias.presets import SSIPreset
from georbias.report import GeoBiasReport

ENGINE_VERSION = "georbias {version} (ssi-engine 2: pole-frame ring cache, graph summary, preset tie rules)"


def _as_float(name: str, x: Any) -> np.ndarray:
    """A 1-D float array, or GeoBiasInputError naming the first non-numeric row."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise GeoBiasInputError(f"column {name!r}: expected a 1-D sequence, got shape {arr.shape}")
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        for i, v in enumerate(arr):
            try:
                float(v)
            except (TypeError, ValueError):
                raise GeoBiasInputError(f"row {i}, column {name!r}: non-numeric value {v!r}") from None
        raise  # pragma: no cover


def _parse_scores(scores: Sequence[str] | str | None, preset: str) -> tuple[str, ...]:
    """The chosen groups (default: every group the preset offers), or GeoBiasInputError."""
    if scores is None:
        return offered(preset)
    if isinstance(scores, str):
        scores = [s.strip() for s in scores.split(",") if s.strip()]
    chosen = tuple(dict.fromkeys(s.lower() for s in scores))
    bad = [s for s in chosen if s not in SCORE_GROUPS]
    if bad or not chosen:
        raise GeoBiasInputError(f"unknown score group(s) {bad or scores!r}; choose from {', '.join(SCORE_GROUPS)}")
    if "sri" in chosen and preset not in BY_NAME["sri"].presets:
        raise GeoBiasInputError(
            f"SRI is not offered for preset {preset!r}: the PyGBS HEAD SRIPartitioner is defective (it returns k-NN "
            "list positions, so scale-grid SRI is always 0 and the other variants read the first rows of the file). "
            "Use preset 'torchspatial' or 'locbench' for SRI, or leave 'sri' out of scores.")
    return chosen


def _engine_version() -> str:
    from georbias import __version__

    return ENGINE_VERSION.format(version=__version__)


def _validate(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, value_name: str, coords_unit: str,
              need: int) -> np.ndarray:
    """Checks; returns the mask of used rows (coordinates not NaN)."""
    if not (len(lon) == len(lat) == len(values)):
        raise GeoBiasInputError(f"lon, lat and {value_name!r} differ in length: {len(lon)}, {len(lat)}, {len(values)}")
    used = ~(np.isnan(lon) | np.isnan(lat))
    lat_max, lon_max = (90.0, 180.0) if coords_unit == "deg" else (np.pi / 2, np.pi)
    for name, arr, lim in (("lon", lon, lon_max), ("lat", lat, lat_max)):
        bad = np.nonzero(used & ~(np.abs(arr) <= lim))[0]
        if len(bad):
            i = int(bad[0])
            raise GeoBiasInputError(f"row {i}, column {name!r}: {float(arr[i])!r} is outside [-{lim:g}, {lim:g}] "
                                    f"({coords_unit}); {len(bad)} such row(s)")
    bad = np.nonzero(used & ~np.isfinite(values))[0]
    if len(bad):
        i = int(bad[0])
        raise GeoBiasInputError(f"row {i}, column {value_name!r}: value {float(values[i])!r} is not a finite number "
                                f"({len(bad)} such row(s))")
    if int(used.sum()) < need:
        raise GeoBiasInputError(f"need at least weight_k + 1 = {need} located points, got {int(used.sum())} "
                                f"(of {len(lon)} rows; {int((~used).sum())} had NaN coordinates)")
    return used


def _sri_undefined(sres: Any, partition_min: int) -> dict[str, str]:
    """SRI variants with no partition of >= partition_min points anywhere: undefined, not 0."""
    out = {}
    for name, var in sres.variants.items():
        if var.aggregate["n_rois_with_partitions"] == 0:
            out[f"sri_{name}"] = (f"no ROI has a {name.replace('_', ' ')} partition of >= {partition_min} points "
                                  "(partition_min): there is nothing to compare, so SRI is undefined")
    return out


def _permutation_floor(moran: dict[str, float], permutations: int) -> dict[str, Any]:
    """Moran's permutation pseudo-p with its floor 1 / (P + 1): at the floor it means 'p < floor'."""
    if permutations < 1:
        return {"morans_i_p_sim": float("nan"), "morans_i_p_floor": float("nan"), "morans_i_p_at_floor": False}
    floor = 1.0 / (permutations + 1)
    p_sim = moran["p_sim"]
    return {"morans_i_p_sim": p_sim, "morans_i_p_floor": floor,
            "morans_i_p_at_floor": bool(np.isfinite(p_sim) and p_sim <= floor * (1 + 1e-9))}


@dataclass
class _Points:
    """The located rows in processing order, in both units, with the values the scores see."""

    rows: np.ndarray          # indices into the input of the used rows, in processing order
    lon_deg: np.ndarray
    lat_deg: np.ndarray
    lon_rad: np.ndarray
    lat_rad: np.ndarray
    raw: np.ndarray           # the input values of the used rows
    marks: np.ndarray         # the values after the threshold (SSI / SRI input)
    lon_all: np.ndarray       # every input row, in the input's unit (the per-ROI table's columns)
    lat_all: np.ndarray

    @property
    def n_input(self) -> int:
        return len(self.lon_all)


@dataclass
class _Outputs:
    """What the score groups fill in: flat summary, nested detail, per-ROI table, warnings, undefined."""

    summary: dict[str, Any]
    per: Any                  # pandas.DataFrame, one row per input row
    detail: dict[str, Any] = field(default_factory=dict)
    warns: list[Any] = field(default_factory=list)
    undefined: dict[str, str] = field(default_factory=dict)


@dataclass
class RunContext:
    """What every group's runner reads: the points, the settings, the preset, the radius, progress."""

    pts: _Points
    cfg: GeoBiasConfig
    preset: SSIPreset
    radius_rad: float
    lower_is_better: bool
    progress: Callable[[str, int, int], None] | None


def _check_settings(cfg: GeoBiasConfig, threshold: float | None) -> float:
    """Checks the settings that do not depend on the data; returns the radius in radians."""
    from georbias.neighbours import radius_to_radians
    from georbias.values import check_threshold

    if cfg.coords_unit not in ("deg", "rad"):
        raise GeoBiasInputError(f"coords_unit must be 'deg' or 'rad', got {cfg.coords_unit!r}")
    try:
        radius_rad = radius_to_radians(cfg.radius, cfg.radius_unit)
    except ValueError as exc:
        raise GeoBiasInputError(str(exc)) from None
    if not (np.isfinite(radius_rad) and 0 < radius_rad < np.pi / 2):
        raise GeoBiasInputError(f"radius must be positive and below pi/2 rad, got {cfg.radius} {cfg.radius_unit}")
    if int(cfg.weight_k) < 1 or int(cfg.weight_k) > 16:
        raise GeoBiasInputError(f"weight_k must be between 1 and 16, got {cfg.weight_k}")
    if int(cfg.roi_k) < 1:
        raise GeoBiasInputError(f"roi_k must be >= 1, got {cfg.roi_k}")
    check_threshold(threshold)
    return radius_rad


def _points(lon: Any, lat: Any, values: Any, cfg: GeoBiasConfig, pre: SSIPreset, value_name: str,
            threshold: float | None, lower_is_better: bool) -> _Points:
    """Validated located rows; under `locbench` in the canonical (lat, lon, value) order."""
    from georbias.neighbours import canonical_order
    from georbias.values import apply_threshold

    lon_a, lat_a = _as_float("lon", lon), _as_float("lat", lat)
    vals = _as_float(value_name, values)
    used = _validate(lon_a, lat_a, vals, value_name, cfg.coords_unit, int(cfg.weight_k) + 1)
    if cfg.reference_ties and pre.name == "locbench":
        raise GeoBiasInputError("reference_ties reproduces the reference code's tie order; it applies to the "
                                "presets torchspatial and pygbs, not locbench (whose ties never depend on order)")
    rows = np.nonzero(used)[0]
    if pre.name == "locbench":
        rows = rows[canonical_order(lat_a[rows], lon_a[rows], vals[rows])]
    lon_u, lat_u = lon_a[rows], lat_a[rows]
    if cfg.coords_unit == "deg":
        lat_rad, lon_rad = lat_u / 180 * np.pi, lon_u / 180 * np.pi  # the reference's conversion, bit for bit
        lon_deg, lat_deg = lon_u, lat_u
    else:
        lat_rad, lon_rad = lat_u, lon_u
        lon_deg, lat_deg = lon_u / np.pi * 180, lat_u / np.pi * 180
    return _Points(rows=rows, lon_deg=lon_deg, lat_deg=lat_deg, lon_rad=lon_rad, lat_rad=lat_rad, raw=vals[rows],
                   marks=apply_threshold(vals[rows], threshold, lower_is_better), lon_all=lon_a, lat_all=lat_a)


def _empty_outputs(pts: _Points, cfg: GeoBiasConfig, value_name: str) -> _Outputs:
    """NaN summary and per-ROI table, with the input-check warnings."""
    import pandas as pd

    from georbias.input_checks import coordinate_warnings, value_warnings

    summary: dict[str, Any] = {k: float("nan") for k in SUMMARY_KEYS}
    per = pd.DataFrame({"row": np.arange(pts.n_input), "lon": pts.lon_all, "lat": pts.lat_all})
    for col in PER_ROI_COLUMNS[3:]:
        per[col] = np.nan
    warns = (coordinate_warnings(pts.lon_all[pts.rows], pts.lat_all[pts.rows], cfg.coords_unit)
             + value_warnings(pts.raw, value_name))
    return _Outputs(summary=summary, per=per, warns=warns)


def _ticker(progress: Callable[[str, int, int], None] | None, stage: str,
            total: int) -> Callable[[int], None] | None:
    """A per-ROI counter that reports `progress(stage, done, total)`."""
    if progress is None:
        return None
    done = [0]

    def f(k: int, *_: Any) -> None:
        done[0] += k
        progress(stage, min(done[0], total), total)
    return f


def _stage(progress: Callable[[str, int, int], None] | None, name: str, fn: Callable[[], Any]) -> Any:
    """Run a stage that has no inner counter, reporting it as 0/1 then 1/1 (so progress lines name it)."""
    if progress is not None:
        progress(name, 0, 1)
    res = fn()
    if progress is not None:
        progress(name, 1, 1)
    return res


def run_ssi(run: RunContext, out: _Outputs) -> None:
    """Unmarked and marked SSI (georbias.ssi) into the summary, the per-ROI table and the detail."""
    pts, cfg, pre, radius_rad, progress = run.pts, run.cfg, run.preset, run.radius_rad, run.progress
    from georbias.input_checks import saturation_warnings
    from georbias.ssi import SATURATED_AT, ssi_scores
    from georbias.surprisal import SATURATION

    n_used, rows, per = len(pts.rows), pts.rows, out.per
    res = ssi_scores(pts.lat_rad, pts.lon_rad, pts.marks, preset=pre, radius_rad=radius_rad, roi_k=int(cfg.roi_k),
                     weight_k=int(cfg.weight_k), progress=_ticker(progress, "ssi", n_used),
                     reference_ties=bool(cfg.reference_ties),
                     progress_ties=(lambda d, t: progress("ssi ties", d, t)) if progress else None,
                     progress_neighbours=(lambda d, t: progress("ssi neighbours", d, t)) if progress else None)
    agg = res.aggregates()
    u, m = agg["unmarked"], agg["marked"]
    either_nan = ~np.isfinite(res.unmarked.ssi) | ~np.isfinite(res.marked.ssi)
    sat = (res.unmarked.ssi >= SATURATED_AT) | (res.marked.ssi >= SATURATED_AT)
    out.summary.update(unmarked_ssi=u["mean"], marked_ssi=m["mean"], unmarked_ssi_weighted=u["weighted_mean"],
                       marked_ssi_weighted=m["weighted_mean"], ssi_n_nan=int(either_nan.sum()),
                       ssi_n_saturated=int(sat.sum()))
    out.warns += saturation_warnings(int(sat.sum()), n_used)
    per.loc[rows, "n_roi"] = res.n_roi
    per.loc[rows, "unmarked_ssi"] = res.unmarked.ssi
    per.loc[rows, "marked_ssi"] = res.marked.ssi
    per["ssi_tie"] = False
    per.loc[rows, "ssi_tie"] = res.tie_live
    if res.reference_path is not None:
        per["ssi_reference_path"] = False
        per.loc[rows, "ssi_reference_path"] = res.reference_path
    out.detail["ssi"] = {"unmarked": u, "marked": m, "saturation": SATURATION, "params": res.params,
                         "n_tie_rois": int(res.tie_live.sum()),
                         "n_reference_path_rois": (None if res.reference_path is None
                                                   else int(res.reference_path.sum())),
                         "aggregate_rule": "mean / n_roi-weighted mean over ROIs with a finite SSI"}


def run_sri(run: RunContext, out: _Outputs) -> None:
    """The three SRI variants (georbias.sri); a variant with no partition anywhere is undefined, not 0."""
    pts, cfg, pre, radius_rad, progress = run.pts, run.cfg, run.preset, run.radius_rad, run.progress
    from georbias.sri import sri_scores

    sres = sri_scores(pts.lon_deg, pts.lat_deg, pts.marks, preset=pre.name, radius_rad=radius_rad, scale=cfg.scale,
                      lag=cfg.lag, sectors=int(cfg.sectors), partition_min=int(cfg.partition_min),
                      progress=(lambda d, t: progress("sri", d, t)) if progress else None)
    out.summary.update({k: float(val) for k, val in sres.summary().items() if k in out.summary})
    out.undefined.update(_sri_undefined(sres, int(cfg.partition_min)))
    out.summary.update({k: float("nan") for k in out.undefined})
    for name, var in sres.variants.items():
        out.per.loc[pts.rows, f"sri_{name}"] = var.score
    out.per.loc[pts.rows, "sri_weight"] = sres.weight
    out.detail["sri"] = sres.to_dict()


def run_autocorr(run: RunContext, out: _Outputs) -> None:
    """Autocorrelation statistics, reported as one stage."""
    _stage(run.progress, "autocorr", lambda: _autocorr(run.pts, run.cfg, run.lower_is_better, out))


def _autocorr(pts: _Points, cfg: GeoBiasConfig, lower_is_better: bool, out: _Outputs) -> None:
    """On the raw values (as results do for regression errors); which tail is "low performance"
    follows lower_is_better. Thresholded values would hide the magnitude of the errors."""
    import pandas as pd

    from georbias.autocorrelation import autocorrelation_scores

    ares = autocorrelation_scores(pts.lon_deg, pts.lat_deg, pts.raw, k=int(cfg.weight_k),
                                  permutations=int(cfg.permutations), seed=int(cfg.seed),
                                  higher_is_better=not lower_is_better)
    out.summary.update({k: (float("nan") if val is None else val) for k, val in ares.summary().items()
                        if k in out.summary})
    out.summary.update(_permutation_floor(ares.moran, int(cfg.permutations)))
    lisa = ares.lisa
    for name, arr in (("lisa_i", lisa.Is), ("lisa_q", lisa.q), ("lisa_p_sim", lisa.p_sim),
                      ("lisa_significant", lisa.significant), ("lisa_label", lisa.label)):
        out.per[name] = pd.Series([None] * pts.n_input, dtype=object) if arr.dtype.kind in "OUSb" else np.nan
        out.per.loc[pts.rows, name] = arr
    out.detail["autocorr"] = ares.to_dict()
    out.detail["autocorr"]["values"] = "raw values (threshold not applied)"


def _params(cfg: GeoBiasConfig, pre: SSIPreset, chosen: tuple[str, ...], radius_rad: float,
            threshold: float | None, lower_is_better: bool, value_name: str, headline: Headline) -> dict[str, Any]:
    """Every setting of the run, as the report records it."""
    from georbias.headline import HEADLINE_ALPHA, HEADLINE_K

    return {"preset": pre.name, "preset_rules": pre.to_dict(), "scores": list(chosen), "radius": float(cfg.radius),
            "radius_unit": cfg.radius_unit, "radius_rad": radius_rad, "roi_k": int(cfg.roi_k),
            "weight_k": int(cfg.weight_k), "threshold": threshold, "lower_is_better": bool(lower_is_better),
            "scale": float(cfg.scale), "lag": float(cfg.lag), "sectors": int(cfg.sectors),
            "partition_min": int(cfg.partition_min), "permutations": int(cfg.permutations), "seed": int(cfg.seed),
            "value_name": value_name, "reference_ties": bool(cfg.reference_ties),
            "coords_unit": cfg.coords_unit, "background_density": "ceil(5 n / (pi r^2))",
            "headline": {"score": headline.score, "k": HEADLINE_K, "alpha": HEADLINE_ALPHA,
                         "weights": "tie-shared k-NN, row-standardised", "values": "raw (threshold not applied)",
                         "z": "analytic, randomisation; p two-sided"}}


def run_score(lon: Any, lat: Any, values: Any, cfg: GeoBiasConfig, *, scores: Sequence[str] | str | None,
           threshold: float | None, lower_is_better: bool, value_name: str,
           progress: Callable[[str, int, int], None] | None) -> GeoBiasReport:
    """`score` on one settings object: check, place the points, run each chosen group, assemble the report."""
    from georbias.headline import headline_score
    from georbias.presets import get_preset
    from georbias.report import clean_summary

    pre = get_preset(cfg.preset)
    chosen = _parse_scores(scores, cfg.preset)
    radius_rad = _check_settings(cfg, threshold)
    pts = _points(lon, lat, values, cfg, pre, value_name, threshold, lower_is_better)
    out = _empty_outputs(pts, cfg, value_name)
    run = RunContext(pts=pts, cfg=cfg, preset=pre, radius_rad=radius_rad, lower_is_better=lower_is_better,
                     progress=progress)
    for group in GROUPS:
        if group.name in chosen:
            group.run(run, out)
    out.per["n_roi"] = out.per["n_roi"].astype("Int64")
    # raw values: thresholds would hide error sizes
    headline = _stage(progress, "headline", lambda: headline_score(pts.lon_deg, pts.lat_deg, pts.raw))
    out.summary.update(headline.summary())
    if headline.reason:
        out.undefined["headline_value"] = headline.reason
    n_used = len(pts.rows)
    counts = {"n_input": pts.n_input, "n_dropped_nan": pts.n_input - n_used, "n_used": n_used}
    return GeoBiasReport(summary=clean_summary(out.summary), scores=out.detail,
                         params=_params(cfg, pre, chosen, radius_rad, threshold, lower_is_better, value_name, headline),
                         counts=counts, per_roi=out.per, engine_version=_engine_version(), headline=headline, notes=[],
                         warnings=out.warns, undefined=out.undefined)
