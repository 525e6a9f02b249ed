"""The frozen image classifier behind p(y|I): multinomial logistic regression on image features.

Trained once, on points disjoint from every benchmark split, then only applied — the role of
TorchSpatial's precomputed CNN predictions. Full-batch L-BFGS on the cross-entropy plus an L2
penalty, a fixed number of iterations, on one torch thread (a fixed summation order; several threads
only spin on a busy machine), so the fit is deterministic (no sampling at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassifierConfig:
    """Part of the dataset recipe hash."""

    l2: float = 1e-3
    max_iter: int = 100
    log_features: bool = True  # log1p before standardising: RCF means are skewed, non-negative


@dataclass(frozen=True)
class FrozenClassifier:
    """Standardisation statistics and weights; `predict_proba` is all that is ever called after fitting."""

    mean: np.ndarray
    std: np.ndarray
    weight: np.ndarray  # (D, C)
    bias: np.ndarray  # (C,)
    log_features: bool

    def _inputs(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, dtype=np.float64)
        if self.log_features:
            x = np.log1p(np.maximum(x, 0.0))
        return (x - self.mean) / self.std

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(N, C) float32 class probabilities (rows sum to 1)."""
        z = self._inputs(features) @ self.weight + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def fit(features: np.ndarray, labels: np.ndarray, n_classes: int, cfg: ClassifierConfig) -> FrozenClassifier:
    """Fit on (N, D) features and int labels in [0, n_classes); classes absent from `labels` get low scores."""
    import torch

    x = np.asarray(features, dtype=np.float64)
    if cfg.log_features:
        x = np.log1p(np.maximum(x, 0.0))
    mean = x.mean(axis=0)
    std = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    xt = torch.from_numpy(((x - mean) / std).astype(np.float32))
    yt = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    w = torch.zeros((x.shape[1], n_classes), dtype=torch.float32, requires_grad=True)
    b = torch.zeros(n_classes, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=cfg.max_iter, history_size=20,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(xt @ w + b, yt) + cfg.l2 * (w * w).sum()
        loss.backward()
        return loss

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        opt.step(closure)
    finally:
        torch.set_num_threads(threads)
    return FrozenClassifier(mean=mean, std=std, weight=w.detach().numpy().copy(), bias=b.detach().numpy().copy(),
                            log_features=cfg.log_features)
