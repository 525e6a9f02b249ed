"""Analytic mean and std of the unscaled Moran statistic I = X'WX, and the surprisal -ln p.

The formulas follow the reference's AnalyticalSurprisal (spec §1.4): they depend only on the
distinct values c_p and their counts n_p, so they are evaluated for many ROIs at once on
padded (ROI, class) arrays. Classes are sorted ascending; padding has count 0 and is masked.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

FLOOR = 1e-256
SATURATION = -float(np.log(FLOOR))  # 256 ln 10 = 589.4617838...


def moran_moments(cs: np.ndarray, ns: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of I for (R, C) class values `cs` and counts `ns` (0 = padding).

    Majority class r = first argmax of the counts; only non-majority classes enter the variance.
    """
    cs = np.asarray(cs, dtype=np.float64)
    ns = np.asarray(ns, dtype=np.float64)
    valid = ns > 0
    d = float(degree)
    n_tot = ns.sum(axis=1, keepdims=True)
    xbar = (cs * ns).sum(axis=1, keepdims=True) / n_tot
    dev = np.where(valid, cs - xbar, 0.0)  # (R, C)
    pair = valid[:, :, None] & valid[:, None, :]
    eye = np.eye(cs.shape[1], dtype=bool)[None]
    n_p, n_q = ns[:, :, None], ns[:, None, :]
    nn = n_tot[:, :, None]
    m_off = d * n_p * n_q / nn
    m_diag = d * n_p * (n_p - 1.0) / nn - 1.0
    m = np.where(eye, m_diag, m_off)
    mean = np.where(pair, dev[:, :, None] * dev[:, None, :] * m, 0.0).sum(axis=(1, 2))

    r = np.argmax(ns, axis=1)
    c_r = np.take_along_axis(cs, r[:, None], axis=1)  # (R, 1)
    dev_r = c_r - xbar  # (R, 1)
    g = valid.copy()
    g[np.arange(len(r)), r] = False
    gg = g[:, :, None] & g[:, None, :]
    nmin = np.minimum(n_p, n_q)
    nmax = np.maximum(n_p, n_q)
    v_off = nmin * (d * nmax / nn) * (1.0 - d * nmax / nn)
    coef_off = (dev[:, :, None] * dev[:, None, :] - 2.0 * dev[:, :, None] * dev_r[:, :, None]
                + dev_r[:, :, None] ** 2) ** 2
    v_diag = 2.0 * (n_p - 1.0) * d * n_p / nn * (1.0 - d * (2.0 * n_p - 1.0) / (3.0 * nn))
    coef_diag = (cs[:, :, None] - c_r[:, :, None]) ** 4
    terms = np.where(eye, coef_diag * v_diag, coef_off * v_off)
    var = np.where(gg, terms, 0.0).sum(axis=(1, 2))
    return mean, var


def surprisal(i_upper: np.ndarray, mean: np.ndarray, var: np.ndarray, *, probability: str,
              sigma_offset: float, nan_if_degenerate: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ssi, prob, sigma) with SSI = -ln(p + 1e-256); p is a density ("pdf") or a two-sided tail."""
    i_upper = np.asarray(i_upper, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(var) + sigma_offset
        if nan_if_degenerate:
            sigma = np.where(var > 0, sigma, np.nan)
        if probability == "pdf":
            prob = norm.pdf(i_upper, loc=mean, scale=sigma)
        elif probability == "two_sided":
            low = np.minimum(i_upper, 2.0 * mean - i_upper)
            prob = 2.0 * norm.cdf(low, loc=mean, scale=sigma)
        else:  # pragma: no cover - presets are validated
            raise ValueError(f"unknown probability rule {probability!r}")
        ssi = -np.log(prob + FLOOR)
    return ssi, prob, sigma
