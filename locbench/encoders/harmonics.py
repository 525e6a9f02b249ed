"""Real spherical harmonics up to degree L-1 (L² features), as in Rußwurm et al. 2024.

Orthonormal on the unit sphere (∫ Y_a Y_b dΩ = δ_ab), no Condon-Shortley phase. Uses the
fully normalised associated-Legendre recurrence, stable to high degree (no factorials):

    P̄_0^0 = 1/sqrt(4π)
    P̄_m^m = sqrt((2m+1)/(2m)) sinθ P̄_{m-1}^{m-1}
    P̄_{m+1}^m = sqrt(2m+3) cosθ P̄_m^m
    P̄_l^m = a_lm (cosθ P̄_{l-1}^m - b_lm P̄_{l-2}^m),
        a_lm = sqrt((4l²-1)/(l²-m²)),  b_lm = sqrt(((l-1)²-m²)/(4(l-1)²-1))

with θ the colatitude (cosθ = sin φ̂, sinθ = cos φ̂). Then Y_l^0 = P̄_l^0,
Y_l^m = sqrt(2) P̄_l^m cos(mλ̂), Y_l^{-m} = sqrt(2) P̄_l^m sin(mλ̂) for m > 0.
Feature order: l = 0..L-1, and within l, m = -l..l.

TorchSpatial's basis (in its repository 2024-05-31 .. 2024-06-12) relates as ours = (-1)^l x theirs
for m != 0 and (-1)^l x theirs / π for m = 0: theirs is not orthonormal (docs/encoders.md).
"""

from __future__ import annotations

import math

import torch

from locbench.encoders.base import PositionEncoding, check_latitude
from locbench.errors import InputError


def sh_index(l: int, m: int) -> int:
    """Column of Y_l^m in the feature vector."""
    return l * l + l + m


def real_spherical_harmonics(lon_deg: torch.Tensor, lat_deg: torch.Tensor, L: int) -> torch.Tensor:
    """(N,) degrees -> (N, L²) real orthonormal SH values (float64), degrees 0..L-1.

    Latitudes beyond ±90 raise InputError (`check_latitude`), as every encoder does.
    """
    if L < 1:
        raise InputError(f"legendre_poly_num must be >= 1, got {L}", column="legendre_poly_num")
    check_latitude(lat_deg)
    lam = torch.deg2rad(lon_deg.to(torch.float64))
    phi = torch.deg2rad(lat_deg.to(torch.float64))
    z, s = torch.sin(phi), torch.cos(phi)  # cosθ, sinθ >= 0 for |lat| <= 90
    n = lam.shape[0]
    out = torch.empty((n, L * L), dtype=torch.float64, device=lam.device)
    pmm = torch.full_like(z, 1.0 / math.sqrt(4.0 * math.pi))
    for m in range(L):
        if m > 0:
            pmm = math.sqrt((2 * m + 1) / (2 * m)) * s * pmm
        # column m: P̄_l^m for l = m..L-1
        p_prev2, p_prev = None, pmm
        cm = torch.cos(m * lam) if m else None
        sm = torch.sin(m * lam) if m else None
        for l in range(m, L):
            if l == m:
                p = pmm
            elif l == m + 1:
                p = math.sqrt(2 * m + 3) * z * pmm
            else:
                a = math.sqrt((4 * l * l - 1) / (l * l - m * m))
                b = math.sqrt(((l - 1) ** 2 - m * m) / (4 * (l - 1) ** 2 - 1))
                p = a * (z * p_prev - b * p_prev2)
            if l > m:
                p_prev2, p_prev = p_prev, p
            if m == 0:
                out[:, sh_index(l, 0)] = p
            else:
                out[:, sh_index(l, m)] = math.sqrt(2.0) * p * cm
                out[:, sh_index(l, -m)] = math.sqrt(2.0) * p * sm
    return out


class SphericalHarmonicsEncoding(PositionEncoding):
    """`spherical_harmonics`: the L² real SH values of each point."""

    def __init__(self, legendre_poly_num: int) -> None:
        super().__init__()
        self.L = int(legendre_poly_num)
        if self.L < 1:
            raise InputError(f"legendre_poly_num must be >= 1, got {legendre_poly_num}",
                             column="legendre_poly_num")
        self.output_dim = self.L * self.L

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return real_spherical_harmonics(x[:, 0], x[:, 1], self.L)
