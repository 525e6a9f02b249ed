"""georbias: Geo-Bias Scores (SSI, SRI, spatial autocorrelation) of per-sample performance.

Standalone: it knows nothing of datasets, encoders or files. See docs/geobias.md.

    >>> report = georbias.score(lon, lat, hit_at_1)            # published table settings
    >>> report.summary["marked_ssi"], report.per_roi.head()
    >>> with georbias.shared_geometry():                       # many models, one set of points:
    ...     reports = [georbias.score(lon, lat, v) for v in model_hits]   # graphs built once
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from georbias.config import DEFAULTS, GeoBiasConfig
from georbias.errors import GeoBiasInputError, GeoBiasWarning, warn_all
from georbias.geometry_cache import shared_geometry
from georbias.groups import GROUPS, SCORE_GROUPS, ScoreGroup
from georbias.headline import Headline
from georbias.report import GeoBiasReport

__version__ = "0.1.0"
ENGINE_VERSION = f"georbias {__version__} (ssi-engine 2: pole-frame ring cache, graph summary, preset tie rules)"

__all__ = ["score", "GeoBiasConfig", "DEFAULTS", "GeoBiasReport", "GeoBiasInputError", "GeoBiasWarning", "Headline", "SCORE_GROUPS",
           "GROUPS", "ScoreGroup", "shared_geometry", "ENGINE_VERSION", "__version__"]


def score(lon: Any, lat: Any, values: Any, *, preset: str = DEFAULTS.preset,
          scores: Sequence[str] | str | None = None, radius: float = DEFAULTS.radius,
          radius_unit: str = DEFAULTS.radius_unit, roi_k: int = DEFAULTS.roi_k, weight_k: int = DEFAULTS.weight_k,
          threshold: float | None = None, lower_is_better: bool = False, scale: float = DEFAULTS.scale,
          lag: float = DEFAULTS.lag, sectors: int = DEFAULTS.sectors, partition_min: int = DEFAULTS.partition_min,
          permutations: int = DEFAULTS.permutations, seed: int = DEFAULTS.seed, value_name: str = "value",
          coords_unit: str = DEFAULTS.coords_unit, progress: Callable[[str, int, int], None] | None = None,
          reference_ties: bool = DEFAULTS.reference_ties) -> GeoBiasReport:
    """Geo-Bias Scores of per-sample performance `values` at (lon, lat).

    Defaults are `georbias.config.DEFAULTS`, the published table settings (radius 0.05 rad, ROI cap
    K = 100, 4-NN weights, SRI scale 0.025 / lag 0.005 / 8 sectors / partitions under 20 skipped,
    preset torchspatial).
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
    cfg = GeoBiasConfig(preset=preset, radius=radius, radius_unit=radius_unit, roi_k=roi_k, weight_k=weight_k,
                        scale=scale, lag=lag, sectors=sectors, partition_min=partition_min,
                        permutations=permutations, seed=seed, reference_ties=reference_ties, coords_unit=coords_unit)
    from georbias.engine import run_score

    report = run_score(lon, lat, values, cfg, scores=scores, threshold=threshold, lower_is_better=lower_is_better,
                    value_name=value_name, progress=progress)
    warn_all(report.warnings)   # here, so the warnings point at the caller of score
    return report
