"""The headline geo-bias score: is per-sample error spatially clustered? (docs/geobias.md, "Headline score")

Global Moran's I of the per-sample values (hit@1 for classification, absolute error for
regression) on the tie-shared, row-standardised k-NN graph (`neighbours.tie_shared_knn_weights`),
with the analytic z under randomisation (Cliff & Ord). Moran's I is unchanged by any increasing or
decreasing affine map of the values (I(1 - hit) = I(hit)), so it reads "errors cluster in space"
for either direction, and its no-structure value, -1 / (n - 1), does not depend on the error rate:
a model that fails more often, but nowhere in particular, is not scored as more geo-biased.

Order invariance: rows are put in georbias's one canonical order (`neighbours.canonical_order`,
by lat, lon, value) before any sum; rows equal in all three keys are interchangeable, so any input
order gives the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

HEADLINE_SCORE = "error_morans_i"
HEADLINE_K = 8          # neighbours per point: the one default (stable under duplicate locations)
HEADLINE_ALPHA = 0.05   # two-sided significance level of `significant`
MAX_TIED_LINKS = 20_000_000  # links of exactly tied neighbours (duplicate groups of g > k give g (g - 1))
HEADLINE_SUMMARY_KEYS = ("headline_score", "headline_value", "headline_z", "headline_p", "headline_significant")


@dataclass(frozen=True)
class Headline:
    """Contract C2: the one geo-bias number a leaderboard shows; `reason` says why it is undefined."""

    score: str
    value: float | None
    z: float | None
    p: float | None
    significant: bool
    higher_is_more_biased: bool = True
    reason: str | None = None

    def summary(self) -> dict[str, Any]:
        """Flat keys for `GeoBiasReport.summary` and result files (None stays None)."""
        return {"headline_score": self.score, "headline_value": self.value, "headline_z": self.z,
                "headline_p": self.p, "headline_significant": self.significant}

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "value": self.value, "z": self.z, "p": self.p, "significant": self.significant,
                "higher_is_more_biased": self.higher_is_more_biased, "reason": self.reason}


def _clean(x: float) -> float:
    """Python float with -0.0 normalised to 0.0."""
    return float(x) + 0.0


def undefined_headline(reason: str) -> Headline:
    return Headline(score=HEADLINE_SCORE, value=None, z=None, p=None, significant=False, reason=reason)


def headline_score(lon_deg: np.ndarray, lat_deg: np.ndarray, values: np.ndarray, *, k: int = HEADLINE_K,
                   alpha: float = HEADLINE_ALPHA) -> Headline:
    """Moran's I of `values` on the tie-shared k-NN graph, its randomisation z and two-sided p."""
    from georbias.autocorrelation import _global_stats
    from georbias.neighbours import canonical_order, tie_shared_knn_weights

    lon, lat, v = (np.asarray(a, dtype=np.float64) for a in (lon_deg, lat_deg, values))
    n = len(v)
    if n < max(k + 1, 4):
        return undefined_headline(f"needs at least {max(k + 1, 4)} located samples for a {k}-NN graph, got {n}")
    if float(np.min(v)) == float(np.max(v)):
        return undefined_headline(f"every per-sample value is {float(v[0]):g}: there is no error pattern to place")
    if float(np.ptp(lon)) == 0.0 and float(np.ptp(lat)) == 0.0:
        return undefined_headline("every sample is at the same location: there is no 'where' to compare")
    order = canonical_order(lat, lon, v)
    lon, lat, v = lon[order], lat[order], v[order]
    starts = np.flatnonzero(np.r_[True, (np.diff(lon) != 0) | (np.diff(lat) != 0), True])
    group = np.diff(starts)          # sizes of groups of samples at one location
    big = group[group > k].astype(np.float64)
    if float((big * (big - 1)).sum()) > MAX_TIED_LINKS:
        return undefined_headline(f"{int(big.sum()):,} samples share {len(big):,} locations (largest group "
                                  f"{int(group.max()):,}): the tie-shared {k}-NN graph would need over "
                                  f"{MAX_TIED_LINKS:,} links; aggregate duplicates first")
    a = tie_shared_knn_weights(lon, lat, k)
    w = (a / float(k)).tocsr()
    with np.errstate(all="ignore"):
        moran, _, _ = _global_stats(v, a, w, None, 0, False, only_moran=True)
    value, z, p = moran["I"], moran["z_rand"], moran["p_rand"]
    if not (np.isfinite(z) and moran["var_rand"] > 0):
        return undefined_headline(f"the randomisation variance of Moran's I is not positive (I = {value:.4g})")
    return Headline(score=HEADLINE_SCORE, value=_clean(value), z=_clean(z), p=_clean(p), significant=bool(p < alpha))
