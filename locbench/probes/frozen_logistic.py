"""A frozen encoder's multinomial logistic read-out, the geo-prior's convex alternative head.

Why (issue 21, Köppen): on standardised frozen embeddings the geo-prior's presence-only head (one
sigmoid per class, background negatives) ranks 2-3 top-1 points below a multinomial logistic regression
with strong L2 (GeoCLIP: best C = 0.01 on 22 imbalanced classes), and mini-batch Adam with weight decay
does not reach that convex optimum in a reasonable number of epochs. L-BFGS does, exactly. The
geo-prior probe fits this read-out for every C of `C_GRID` on the validation rows carved from train,
compares its best validation top-1 with the presence head's, keeps the better one and refits it on
all training rows (`locbench.probes.geoprior`; the choice is recorded in `info["selection"]`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: Inverse L2 strengths tried (sklearn's C), the `linear` probe's grid: one definition.
from locbench.probes.frozen import GRIDS, fit_logistic

C_GRID: tuple[float, ...] = tuple(GRIDS["linear"]["classification"])
MAX_ITER = 500


def fit(x: np.ndarray, y: np.ndarray, c: int, inv_l2: float, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """`frozen.fit_logistic` at MAX_ITER iterations; p(y|x) as (n, C) (convergence warnings silenced)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit_logistic(x, y, c, inv_l2, seed, max_iter=MAX_ITER)


def select(x: np.ndarray, y: np.ndarray, val: np.ndarray, c: int, seed: int) -> dict[str, Any]:
    """Validation top-1 for every C of `C_GRID` (fit on the non-validation rows); the record of the search."""
    scores = {}
    for inv_l2 in C_GRID:
        proba = fit(x[~val], y[~val], c, inv_l2, seed)
        scores[str(inv_l2)] = float(np.mean(np.argmax(proba(x[val]), axis=1) == y[val]))
    best = max(C_GRID, key=lambda v: scores[str(v)])  # first best on ties: the strongest L2
    return {"grid": list(C_GRID), "val_top1": scores, "C": best, "val_metric": scores[str(best)],
            "max_iter": MAX_ITER}
