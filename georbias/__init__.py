"""georbias: Geo-Bias Scores (SSI, SRI, spatial autocorrelation) of per-sample performance.

Standalone: it knows nothing of datasets, encoders or files. See docs/geobias.md.

    >>> report = georbias.score(lon, lat, hit_at_1)            # published table settings
    >>> report.summary["marked_ssi"], report.per_roi.head()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from georbias.errors import GeoBiasInputError, GeoBiasWarning
from georbias.headline import Headline
from georbias.report import PER_ROI_COLUMNS, SUMMARY_KEYS, GeoBiasReport

__version__ = "0.1.0"
ENGINE_VERSION = f"georbias {__version__} (ssi-engine 2: pole-frame ring cache, graph summary, preset tie rules)"
SCORE_GROUPS = ("ssi", "sri", "autocorr")

__all__ = ["score", "GeoBiasReport", "GeoBiasInputError", "GeoBiasWarning", "Headline", "SCORE_GROUPS",
           "ENGINE_VERSION", "__version__"]


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


def _parse_scores(scores: Sequence[str] | str | None, sri_offered: bool, preset: str) -> tuple[str, ...]:
    if scores is None:
        return tuple(s for s in SCORE_GROUPS if sri_offered or s != "sri")
    if isinstance(scores, str):
        scores = [s.strip() for s in scores.split(",") if s.strip()]
    chosen = tuple(dict.fromkeys(s.lower() for s in scores))
    bad = [s for s in chosen if s not in SCORE_GROUPS]
    if bad or not chosen:
        raise GeoBiasInputError(f"unknown score group(s) {bad or scores!r}; choose from {', '.join(SCORE_GROUPS)}")
    if "sri" in chosen and not sri_offered:
        raise GeoBiasInputError(
            f"SRI is not offered for preset {preset!r}: the PyGBS HEAD SRIPartitioner is defective (it returns k-NN "
            "list positions, so scale-grid SRI is always 0 and the other variants read the first rows of the file). "
            "Use preset 'torchspatial' or 'locbench' for SRI, or leave 'sri' out of scores.")
    return chosen


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


def score(lon: Any, lat: Any, values: Any, *, preset: str = "torchspatial",
          scores: Sequence[str] | str | None = None, radius: float = 0.05, radius_unit: str = "rad",
          roi_k: int = 100, weight_k: int = 4, threshold: float | None = None, lower_is_better: bool = False,
          scale: float = 0.025, lag: float = 0.005, sectors: int = 8, partition_min: int = 20,
          permutations: int = 99, seed: int = 0, value_name: str = "value", coords_unit: str = "deg",
          progress: Callable[[str, int, int], None] | None = None, reference_ties: bool = False) -> GeoBiasReport:
    """Geo-Bias Scores of per-sample performance `values` at (lon, lat).

    Defaults are the published table settings (radius 0.05 rad, ROI cap K = 100, 4-NN weights,
    SRI scale 0.025 / lag 0.005 / 8 sectors / partitions under 20 skipped, preset torchspatial).
    `scores=None` means every group the preset offers (pygbs has no SRI). `threshold` maps
    values to +1 / -1 as the reference reader does (value < T -> -1 unless lower_is_better).
    `coords_unit="rad"` takes lon/lat in radians (exact inputs of published tables).
    `progress(stage, done, total)` is called as ROIs finish. Rows with NaN coordinates are
    dropped and counted; per_roi keeps one row per input row. `report.headline` is the error
    Moran's I on the raw values (georbias.headline); input problems are issued as GeoBiasWarning
    and listed in `report.warnings`; `report.undefined` says why a summary value is NaN.
    `reference_ties` (torchspatial and pygbs): SSI ROIs with a tie are computed through the
    reference's own library calls, so they follow its tie order (docs/geobias.md, "Ties"). Under
    `locbench` the rows are processed in one canonical order (by lat, lon, value), so every number
    is the same whatever the row order.
    """
    import pandas as pd

    from georbias.errors import warn_all
    from georbias.headline import HEADLINE_ALPHA, HEADLINE_K, headline_score
    from georbias.input_checks import coordinate_warnings, saturation_warnings, value_warnings
    from georbias.report import clean_summary
    from georbias.values import check_threshold

    from georbias.neighbours import radius_to_radians
    from georbias.presets import get_preset
    from georbias.values import apply_threshold

    pre = get_preset(preset)
    chosen = _parse_scores(scores, pre.sri_offered, preset)
    if coords_unit not in ("deg", "rad"):
        raise GeoBiasInputError(f"coords_unit must be 'deg' or 'rad', got {coords_unit!r}")
    try:
        radius_rad = radius_to_radians(radius, radius_unit)
    except ValueError as exc:
        raise GeoBiasInputError(str(exc)) from None
    if not (np.isfinite(radius_rad) and 0 < radius_rad < np.pi / 2):
        raise GeoBiasInputError(f"radius must be positive and below pi/2 rad, got {radius} {radius_unit}")
    if int(weight_k) < 1 or int(weight_k) > 16:
        raise GeoBiasInputError(f"weight_k must be between 1 and 16, got {weight_k}")
    if int(roi_k) < 1:
        raise GeoBiasInputError(f"roi_k must be >= 1, got {roi_k}")
    check_threshold(threshold)
    lon_a, lat_a = _as_float("lon", lon), _as_float("lat", lat)
    vals = _as_float(value_name, values)
    used = _validate(lon_a, lat_a, vals, value_name, coords_unit, int(weight_k) + 1)
    if reference_ties and pre.name == "locbench":
        raise GeoBiasInputError("reference_ties reproduces the reference code's tie order; it applies to the "
                                "presets torchspatial and pygbs, not locbench (whose ties never depend on order)")
    rows = np.nonzero(used)[0]
    if pre.name == "locbench":
        from georbias.neighbours import canonical_order

        rows = rows[canonical_order(lat_a[rows], lon_a[rows], vals[rows])]
    lon_u, lat_u = lon_a[rows], lat_a[rows]
    if coords_unit == "deg":
        lat_rad, lon_rad = lat_u / 180 * np.pi, lon_u / 180 * np.pi  # the reference's conversion, bit for bit
        lon_deg, lat_deg = lon_u, lat_u
    else:
        lat_rad, lon_rad = lat_u, lon_u
        lon_deg, lat_deg = lon_u / np.pi * 180, lat_u / np.pi * 180
    v = apply_threshold(vals[rows], threshold, lower_is_better)
    n_in, n_used = len(lon_a), len(rows)
    warns = coordinate_warnings(lon_u, lat_u, coords_unit) + value_warnings(vals[rows], value_name)
    undefined: dict[str, str] = {}

    summary: dict[str, Any] = {k: float("nan") for k in SUMMARY_KEYS}
    detail: dict[str, Any] = {}
    per = pd.DataFrame({"row": np.arange(n_in), "lon": lon_a, "lat": lat_a})
    for col in PER_ROI_COLUMNS[3:]:
        per[col] = np.nan
    notes: list[str] = []

    def tick(stage: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        done = [0]

        def f(k: int, *_: Any) -> None:
            done[0] += k
            progress(stage, min(done[0], total), total)
        return f

    if "ssi" in chosen:
        from georbias.ssi import ssi_scores

        res = ssi_scores(lat_rad, lon_rad, v, preset=pre, radius_rad=radius_rad, roi_k=int(roi_k),
                         weight_k=int(weight_k), progress=tick("ssi", n_used),
                         reference_ties=bool(reference_ties),
                         progress_ties=(lambda d, t: progress("ssi ties", d, t)) if progress else None)
        agg = res.aggregates()
        u, m = agg["unmarked"], agg["marked"]
        either_nan = ~np.isfinite(res.unmarked.ssi) | ~np.isfinite(res.marked.ssi)
        from georbias.ssi import SATURATED_AT
        from georbias.surprisal import SATURATION
        sat = (res.unmarked.ssi >= SATURATED_AT) | (res.marked.ssi >= SATURATED_AT)
        summary.update(unmarked_ssi=u["mean"], marked_ssi=m["mean"], unmarked_ssi_weighted=u["weighted_mean"],
                       marked_ssi_weighted=m["weighted_mean"], ssi_n_nan=int(either_nan.sum()),
                       ssi_n_saturated=int(sat.sum()))
        warns += saturation_warnings(int(sat.sum()), n_used)
        per.loc[rows, "n_roi"] = res.n_roi
        per.loc[rows, "unmarked_ssi"] = res.unmarked.ssi
        per.loc[rows, "marked_ssi"] = res.marked.ssi
        per["ssi_tie"] = False
        per.loc[rows, "ssi_tie"] = res.tie_live
        if res.reference_path is not None:
            per["ssi_reference_path"] = False
            per.loc[rows, "ssi_reference_path"] = res.reference_path
        detail["ssi"] = {"unmarked": u, "marked": m, "saturation": SATURATION, "params": res.params,
                         "n_tie_rois": int(res.tie_live.sum()),
                         "n_reference_path_rois": (None if res.reference_path is None
                                                   else int(res.reference_path.sum())),
                         "aggregate_rule": "mean / n_roi-weighted mean over ROIs with a finite SSI"}
    if "sri" in chosen:
        from georbias.sri import sri_scores

        sres = sri_scores(lon_deg, lat_deg, v, preset=pre.name, radius_rad=radius_rad, scale=scale, lag=lag,
                          sectors=int(sectors), partition_min=int(partition_min),
                          progress=(lambda d, t: progress("sri", d, t)) if progress else None)
        summary.update({k: float(val) for k, val in sres.summary().items() if k in summary})
        undefined.update(_sri_undefined(sres, int(partition_min)))
        summary.update({k: float("nan") for k in undefined})
        for name, var in sres.variants.items():
            per.loc[rows, f"sri_{name}"] = var.score
        per.loc[rows, "sri_weight"] = sres.weight
        detail["sri"] = sres.to_dict()
    if "autocorr" in chosen:
        try:
            from georbias.autocorrelation import autocorrelation_scores
        except ImportError:
            raise GeoBiasInputError(
                "autocorrelation scores are not available in this build (georbias.autocorrelation is missing); "
                "leave 'autocorr' out of scores") from None
        # On the raw values (as results do for regression errors); which tail is "low performance"
        # follows lower_is_better. Thresholded values would hide the magnitude of the errors.
        ares = autocorrelation_scores(lon_deg, lat_deg, vals[rows], k=int(weight_k), permutations=int(permutations),
                                      seed=int(seed), higher_is_better=not lower_is_better)
        summary.update({k: (float("nan") if val is None else val) for k, val in ares.summary().items()
                        if k in summary})
        summary.update(_permutation_floor(ares.moran, int(permutations)))
        lisa = ares.lisa
        for name, arr in (("lisa_i", lisa.Is), ("lisa_q", lisa.q), ("lisa_p_sim", lisa.p_sim),
                          ("lisa_significant", lisa.significant), ("lisa_label", lisa.label)):
            per[name] = pd.Series([None] * n_in, dtype=object) if arr.dtype.kind in "OUSb" else np.nan
            per.loc[rows, name] = arr
        detail["autocorr"] = ares.to_dict()
        detail["autocorr"]["values"] = "raw values (threshold not applied)"

    per["n_roi"] = per["n_roi"].astype("Int64")
    headline = headline_score(lon_deg, lat_deg, vals[rows])   # raw values: thresholds would hide error sizes
    summary.update(headline.summary())
    if headline.reason:
        undefined["headline_value"] = headline.reason
    summary = clean_summary(summary)
    params = {"preset": pre.name, "preset_rules": pre.to_dict(), "scores": list(chosen), "radius": float(radius),
              "radius_unit": radius_unit, "radius_rad": radius_rad, "roi_k": int(roi_k), "weight_k": int(weight_k),
              "threshold": threshold, "lower_is_better": bool(lower_is_better), "scale": float(scale),
              "lag": float(lag), "sectors": int(sectors), "partition_min": int(partition_min),
              "permutations": int(permutations), "seed": int(seed), "value_name": value_name,
              "reference_ties": bool(reference_ties),
              "coords_unit": coords_unit, "background_density": "ceil(5 n / (pi r^2))",
              "headline": {"score": headline.score, "k": HEADLINE_K, "alpha": HEADLINE_ALPHA,
                           "weights": "tie-shared k-NN, row-standardised", "values": "raw (threshold not applied)",
                           "z": "analytic, randomisation; p two-sided"}}
    counts = {"n_input": n_in, "n_dropped_nan": n_in - n_used, "n_used": n_used}
    return GeoBiasReport(summary=summary, scores=detail, params=params, counts=counts, per_roi=per,
                         engine_version=ENGINE_VERSION, headline=headline, notes=notes, warnings=warn_all(warns),
                         undefined=undefined)
