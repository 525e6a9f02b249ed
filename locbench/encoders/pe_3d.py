"""3D (spherical) position encodings: xyz, NeRF and the Sphere2Vec family (spec §B rows 8-14).

Notation: λ̂, φ̂ = lon, lat in radians; λ_s = λ̂ f_s, φ_s = φ̂ f_s with the frequency list of
`frequencies.py`. All features are laid out frequency-major (all features of s = 0, then s = 1 ...),
except NeRF (coordinate-major, as published) and dfs (outer product first).
"""

from __future__ import annotations

import math

import torch

from locbench.encoders.base import PositionEncoding
from locbench.encoders.frequencies import frequency_list
from locbench.errors import InputError


def unit_xyz(x: torch.Tensor) -> torch.Tensor:
    """(N, 2) degrees -> (N, 3) points on the unit sphere: [cosφ cosλ, cosφ sinλ, sinφ]."""
    lam, phi = torch.deg2rad(x[:, 0]), torch.deg2rad(x[:, 1])
    return torch.stack([torch.cos(phi) * torch.cos(lam), torch.cos(phi) * torch.sin(lam),
                        torch.sin(phi)], dim=1)


class XYZEncoding(PositionEncoding):
    """`xyz`: the 3D unit vector of the point."""

    output_dim = 3

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return unit_xyz(x)


class NeRFEncoding(PositionEncoding):
    """`NeRF` on unit-sphere xyz: f_l = π 2^l, l < L = frequency_num;
    [sin(p_x f), sin(p_y f), sin(p_z f), cos(p_x f), cos(p_y f), cos(p_z f)] (each block over l)."""

    def __init__(self, frequency_num: int) -> None:
        super().__init__()
        L = int(frequency_num)
        if L < 1:
            raise InputError(f"NeRF frequency_num must be >= 1, got {frequency_num}", column="frequency_num")
        self.register_buffer("freqs", math.pi * 2.0 ** torch.arange(L, dtype=torch.float64))
        self.output_dim = 6 * L

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        a = unit_xyz(x)[:, :, None] * self.freqs[None, None, :]  # (N, 3, L)
        n = len(x)
        return torch.cat([torch.sin(a).reshape(n, -1), torch.cos(a).reshape(n, -1)], dim=1)


class _SphereBase(PositionEncoding):
    features_per_scale = 0

    def __init__(self, frequency_num: int, min_radius: float, max_radius: float,
                 freq_list: str = "geometric") -> None:
        super().__init__()
        f = frequency_list(frequency_num, min_radius, max_radius, freq_list)
        self.register_buffer("freqs", torch.as_tensor(f))
        self.output_dim = self.pe_dim(len(f))

    @classmethod
    def pe_dim(cls, S: int) -> int:
        return cls.features_per_scale * S

    def _angles(self, x: torch.Tensor):
        lam, phi = torch.deg2rad(x[:, 0:1]), torch.deg2rad(x[:, 1:2])  # (N, 1)
        return lam, phi, lam * self.freqs[None, :], phi * self.freqs[None, :]  # scaled: (N, S)

    @staticmethod
    def _per_scale(*feats: torch.Tensor) -> torch.Tensor:
        """Stack (N, S) features into (N, S * k), frequency-major."""
        return torch.stack(feats, dim=2).reshape(feats[0].shape[0], -1)


class SphereCEncoding(_SphereBase):
    """`sphereC`: per s [sin φ_s, cos φ_s cos λ_s, cos φ_s sin λ_s]."""

    features_per_scale = 3

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, _, ls, ps = self._angles(x)
        return self._per_scale(torch.sin(ps), torch.cos(ps) * torch.cos(ls), torch.cos(ps) * torch.sin(ls))


class SphereCPlusEncoding(_SphereBase):
    """`sphereC+`: per s [sin φ_s, cos φ_s, sin λ_s, cos λ_s, cos φ_s cos λ_s, cos φ_s sin λ_s]."""

    features_per_scale = 6

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, _, ls, ps = self._angles(x)
        return self._per_scale(torch.sin(ps), torch.cos(ps), torch.sin(ls), torch.cos(ls),
                               torch.cos(ps) * torch.cos(ls), torch.cos(ps) * torch.sin(ls))


class SphereMEncoding(_SphereBase):
    """`sphereM`: per s [sin φ_s, cos φ_s cos λ̂, cos φ̂ cos λ_s, cos φ_s sin λ̂, cos φ̂ sin λ_s]."""

    features_per_scale = 5

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        lam, phi, ls, ps = self._angles(x)
        return self._per_scale(torch.sin(ps), torch.cos(ps) * torch.cos(lam),
                               torch.cos(phi) * torch.cos(ls), torch.cos(ps) * torch.sin(lam),
                               torch.cos(phi) * torch.sin(ls))


class SphereMPlusEncoding(_SphereBase):
    """`sphereM+`: per s [sin φ_s, cos φ_s, sin λ_s, cos λ_s,
    cos φ_s cos λ̂, cos φ̂ cos λ_s, cos φ_s sin λ̂, cos φ̂ sin λ_s]."""

    features_per_scale = 8

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        lam, phi, ls, ps = self._angles(x)
        return self._per_scale(torch.sin(ps), torch.cos(ps), torch.sin(ls), torch.cos(ls),
                               torch.cos(ps) * torch.cos(lam), torch.cos(phi) * torch.cos(ls),
                               torch.cos(ps) * torch.sin(lam), torch.cos(phi) * torch.sin(ls))


class DFSEncoding(_SphereBase):
    """`dfs` (double Fourier sphere): vec(A ⊗ B) ‖ per s [sin φ_s, cos φ_s, sin λ_s, cos λ_s],
    A = [sin λ_0..S-1, cos λ_0..S-1], B = [sin φ_0..S-1, cos φ_0..S-1]; rows = lon features."""

    @classmethod
    def pe_dim(cls, S: int) -> int:
        return 4 * S * S + 4 * S

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, _, ls, ps = self._angles(x)
        A = torch.cat([torch.sin(ls), torch.cos(ls)], dim=1)  # (N, 2S)
        B = torch.cat([torch.sin(ps), torch.cos(ps)], dim=1)  # (N, 2S)
        outer = (A[:, :, None] * B[:, None, :]).reshape(len(x), -1)
        return torch.cat([outer, self._per_scale(torch.sin(ps), torch.cos(ps), torch.sin(ls),
                                                 torch.cos(ls))], dim=1)
