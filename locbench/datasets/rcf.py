"""MOSAIKS random convolutional features (Rolf et al. 2021) of small RGB patches, seeded.

Recipe (our reading of the paper's method; no code copied):

1. Draw `n_filters` sub-patches of `kernel_px` x `kernel_px` pixels at random positions of the
   *filter-source* patches (a set disjoint from the patches to be featurised), seeded.
2. ZCA-whiten: from `n_whitening` further random sub-patches, mean mu and covariance S of the
   flattened sub-patch, W = S^(-1/2) (eigenvalues floored at `whitening_eps`). Each filter is its
   whitened sub-patch w_k = W (p_k - mu).
3. Convolve each (whitened) image with each filter: r_k(x) = <W (x - mu), w_k> for every
   kernel_px x kernel_px window x (valid positions only), i.e. a plain convolution of the raw image
   with kernel W w_k and bias -<mu, W w_k>.
4. Features: mean over positions of ReLU(r_k - b) and of ReLU(-r_k - b) (b = `bias`), so
   2 * n_filters features per image.

Pixels are scaled to [0, 1] before step 1. Computed with torch on the CPU in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RCFConfig:
    """Everything that determines the features (part of the dataset recipe hash)."""

    n_filters: int = 256
    kernel_px: int = 3
    bias: float = 1.0
    n_whitening: int = 20_000
    whitening_eps: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class Filters:
    """Convolution kernels on raw [0, 1] pixels, (K, 3, k, k) float32, and their biases (K,)."""

    kernels: np.ndarray
    biases: np.ndarray


def _sub_patches(images: np.ndarray, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """n random k x k windows of the (M, P, P, 3) uint8 images, flattened channel-first to (n, 3 k k)."""
    m, p = images.shape[0], images.shape[1]
    which = rng.integers(0, m, n)
    r = rng.integers(0, p - k + 1, n)
    c = rng.integers(0, p - k + 1, n)
    off = np.arange(k)
    win = images[which[:, None, None], r[:, None, None] + off[None, :, None], c[:, None, None] + off[None, None, :]]
    return (win.transpose(0, 3, 1, 2).reshape(n, -1) / 255.0).astype(np.float64)


def fit_filters(source: np.ndarray, cfg: RCFConfig) -> Filters:
    """Steps 1-2 on the filter-source patches (M, P, P, 3) uint8; deterministic for `cfg.seed`."""
    if source.ndim != 4 or source.shape[3] != 3 or source.shape[1] < cfg.kernel_px:
        raise ValueError(f"filter source must be (M, P, P, 3) with P >= {cfg.kernel_px}, got {source.shape}")
    rng = np.random.default_rng(cfg.seed)
    stats = _sub_patches(source, cfg.n_whitening, cfg.kernel_px, rng)
    mu = stats.mean(axis=0)
    cov = np.cov(stats, rowvar=False)
    vals, vecs = np.linalg.eigh(cov)
    w = (vecs / np.sqrt(np.maximum(vals, 0.0) + cfg.whitening_eps)) @ vecs.T  # symmetric S^(-1/2)
    picks = _sub_patches(source, cfg.n_filters, cfg.kernel_px, rng)
    whitened = (picks - mu) @ w  # w_k = W (p_k - mu), W symmetric
    raw_kernels = whitened @ w  # kernel on raw pixels: W w_k
    biases = -(raw_kernels @ mu)
    k = cfg.kernel_px
    return Filters(kernels=raw_kernels.reshape(cfg.n_filters, 3, k, k).astype(np.float32),
                   biases=biases.astype(np.float32))


def featurise(images: np.ndarray, filters: Filters, bias: float, chunk: int = 512) -> np.ndarray:
    """Steps 3-4: (N, P, P, 3) uint8 -> (N, 2K) float32 MOSAIKS features."""
    import torch

    k = torch.from_numpy(filters.kernels)
    b = torch.from_numpy(filters.biases) - float(bias)
    out = np.empty((images.shape[0], 2 * k.shape[0]), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, images.shape[0], chunk):
            x = torch.from_numpy(np.ascontiguousarray(images[s:s + chunk])).permute(0, 3, 1, 2).float() / 255.0
            r = torch.nn.functional.conv2d(x, k, b)  # r_k - bias
            neg = (r + 2.0 * float(bias)).clamp_(max=0.0).mean(dim=(2, 3)).neg_()  # ReLU(-r_k - bias)
            pos = r.clamp_(min=0.0).mean(dim=(2, 3))  # ReLU(r_k - bias)
            out[s:s + chunk, : k.shape[0]] = pos.numpy()
            out[s:s + chunk, k.shape[0]:] = neg.numpy()
    return out
