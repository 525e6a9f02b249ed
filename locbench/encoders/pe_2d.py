"""2D position encodings: they treat (lon, lat) degrees as a flat plane (spec §B rows 1-7)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from locbench.encoders.base import PositionEncoding, check_lonlat
from locbench.encoders.frequencies import frequency_list
from locbench.errors import InputError

GLOBAL_EXTENT = (-180.0, 180.0, -90.0, 90.0)
MAX_TILE_CELLS = 2_000_000


class TileEncoding(PositionEncoding):
    """`tile`: one learned D-vector per grid cell of side `cell_size` degrees over `extent`.

    col = floor((lon - x_min) / Δ), row = floor((lat - y_min) / Δ), idx = row * ncol + col,
    clipped to the grid (so lon = 180 and lat = 90 fall in the last column / row).
    """

    def __init__(self, cell_size: float, dim: int, extent=GLOBAL_EXTENT,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        x_min, x_max, y_min, y_max = (float(v) for v in extent)
        if not cell_size > 0:
            raise InputError(f"tile min_radius (cell size, degrees) must be > 0, got {cell_size}",
                             column="min_radius")
        if not (x_max > x_min and y_max > y_min):
            raise InputError(f"invalid extent {extent}; need [x_min, x_max, y_min, y_max]", column="extent")
        self.cell_size = float(cell_size)
        self.extent = (x_min, x_max, y_min, y_max)
        self.ncol = max(1, math.ceil((x_max - x_min) / self.cell_size - 1e-9))
        self.nrow = max(1, math.ceil((y_max - y_min) / self.cell_size - 1e-9))
        if self.ncol * self.nrow > MAX_TILE_CELLS:
            raise InputError(
                f"tile cell size {cell_size}° gives {self.ncol}x{self.nrow} cells (> {MAX_TILE_CELLS}); "
                "use a larger min_radius (TorchSpatial's tile r_min values are not usable cell sizes)",
                column="min_radius")
        self.output_dim = int(dim)
        self.embedding = nn.Embedding(self.ncol * self.nrow, self.output_dim)
        with torch.no_grad():  # N(0, std 1/D) as TorchSpatial's grid lookup
            self.embedding.weight.copy_(torch.randn(self.embedding.weight.shape, generator=generator)
                                        / self.output_dim)

    def cell_index(self, lonlat: torch.Tensor) -> torch.Tensor:
        """Flat cell index (int64) of each point."""
        x = check_lonlat(lonlat)
        x_min, _, y_min, _ = self.extent
        col = torch.floor((x[:, 0] - x_min) / self.cell_size).clamp(0, self.ncol - 1)
        row = torch.floor((x[:, 1] - y_min) / self.cell_size).clamp(0, self.nrow - 1)
        return (row * self.ncol + col).to(torch.int64)

    def forward(self, lonlat: torch.Tensor) -> torch.Tensor:
        return self.embedding(self.cell_index(lonlat))


class WrapEncoding(PositionEncoding):
    """`wrap` features [sin(πλ/180), sin(πφ/90), cos(πλ/180), cos(πφ/90)] (Mac Aodha et al. 2019)."""

    output_dim = 4

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        a = math.pi * x[:, 0] / 180.0
        b = math.pi * x[:, 1] / 90.0
        return torch.stack([torch.sin(a), torch.sin(b), torch.cos(a), torch.cos(b)], dim=1)


class RBFEncoding(PositionEncoding):
    """`rbf`: e_j = exp(-||(λ, φ) - a_j||² / (2σ²)) in degree space, anchors a_j fixed."""

    def __init__(self, anchors: np.ndarray, kernel_size: float) -> None:
        super().__init__()
        if not kernel_size > 0:
            raise InputError(f"rbf_kernel_size must be > 0, got {kernel_size}", column="rbf_kernel_size")
        self.register_buffer("anchors", torch.as_tensor(np.asarray(anchors, dtype=np.float64)))
        self.kernel_size = float(kernel_size)
        self.output_dim = int(self.anchors.shape[0])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        d2 = torch.cdist(x, self.anchors.to(torch.float64)) ** 2  # (N, M): N x M, not N x N
        return torch.exp(-d2 / (2.0 * self.kernel_size ** 2))


class RFFEncoding(PositionEncoding):
    """`rff` (Rahimi & Recht): z = sqrt(2/S) cos(x^T ω + b), x min-max scaled to [-1, 1] by `extent`.

    ω ~ N(0, σ I) with σ = rbf_kernel_size used as the variance (as TorchSpatial), b ~ U(0, 2π);
    both drawn from the seeded generator and stored as buffers.
    """

    def __init__(self, frequency_num: int, kernel_size: float, extent=GLOBAL_EXTENT,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        S = int(frequency_num)
        if S < 1 or not kernel_size > 0:
            raise InputError(f"rff needs frequency_num >= 1 and rbf_kernel_size > 0, got {S}, {kernel_size}",
                             column="frequency_num")
        x_min, x_max, y_min, y_max = (float(v) for v in extent)
        self.extent = (x_min, x_max, y_min, y_max)
        omega = torch.randn((2, S), generator=generator, dtype=torch.float64) * math.sqrt(kernel_size)
        b = torch.rand((S,), generator=generator, dtype=torch.float64) * 2.0 * math.pi
        self.register_buffer("omega", omega)
        self.register_buffer("bias", b)
        self.output_dim = S

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        x_min, x_max, y_min, y_max = self.extent
        u = torch.stack([2.0 * (x[:, 0] - x_min) / (x_max - x_min) - 1.0,
                         2.0 * (x[:, 1] - y_min) / (y_max - y_min) - 1.0], dim=1)
        return math.sqrt(2.0 / self.output_dim) * torch.cos(u @ self.omega + self.bias)


class GridEncoding(PositionEncoding):
    """`Space2Vec-grid`: per coordinate c, per scale s: [sin(c f_s), cos(c f_s)]; all λ then all φ."""

    def __init__(self, frequency_num: int, min_radius: float, max_radius: float) -> None:
        super().__init__()
        f = frequency_list(frequency_num, min_radius, max_radius, "geometric")
        self.register_buffer("freqs", torch.as_tensor(f))
        self.output_dim = 4 * len(f)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        parts = []
        for c in (x[:, 0], x[:, 1]):
            a = c[:, None] * self.freqs[None, :]  # (N, S)
            parts.append(torch.stack([torch.sin(a), torch.cos(a)], dim=2).reshape(len(x), -1))
        return torch.cat(parts, dim=1)


_THEORY_AXES = ((1.0, 0.0), (-0.5, math.sqrt(3) / 2), (-0.5, -math.sqrt(3) / 2))


class TheoryEncoding(PositionEncoding):
    """`Space2Vec-theory`: three unit vectors 120° apart; per scale s, per axis a_k:
    [sin(<x, a_k> f_s), cos(<x, a_k> f_s)] (frequency-major, 6 per scale)."""

    def __init__(self, frequency_num: int, min_radius: float, max_radius: float) -> None:
        super().__init__()
        f = frequency_list(frequency_num, min_radius, max_radius, "geometric")
        self.register_buffer("freqs", torch.as_tensor(f))
        self.register_buffer("axes", torch.tensor(_THEORY_AXES, dtype=torch.float64))
        self.output_dim = 6 * len(f)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        proj = x @ self.axes.T  # (N, 3)
        a = proj[:, None, :] * self.freqs[None, :, None]  # (N, S, 3)
        return torch.stack([torch.sin(a), torch.cos(a)], dim=3).reshape(len(x), -1)
