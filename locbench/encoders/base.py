"""Shared pieces of every built encoder: input checking and the PE + network wrapper."""

from __future__ import annotations

import torch
from torch import nn

from locbench.errors import InputError


def check_latitude(lat: torch.Tensor, column: str = "lat") -> None:
    """Refuse latitudes beyond ±90 (InputError naming the first such row).

    Every encoder takes (lon, lat) with lat in [-90, 90]. A latitude past a pole is not wrapped
    (lat 95 ≡ lat 85, lon + 180 on the sphere): the 2D encoders treat (lon, lat) as a plane where
    that identity does not hold, and such a value is nearly always a data error (swapped columns),
    which the dataset readers and the predictions schema refuse too.
    """
    bad = lat.abs() > 90.0
    if bool(bad.any()):
        row = int(torch.nonzero(bad)[0, 0])
        raise InputError(f"latitude {float(lat[row])!r} outside [-90, 90] degrees (is the (lon, lat) order "
                         "swapped?); encoders refuse latitudes past the poles", row=row, column=column)


def check_lonlat(x: torch.Tensor) -> torch.Tensor:
    """Accept an `(N, 2)` lon/lat-degree tensor (finite, |lat| <= 90); return it as float64.

    Float64 matters: high-frequency features (f = 1/r_min up to ~1e4) lose every digit of
    phase in float32. The encodings are cast back to float32 before the network.
    """
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if x.ndim != 2 or x.shape[1] != 2:
        raise InputError(f"encoder input must have shape (N, 2) as (lon, lat) degrees, got {tuple(x.shape)}")
    x = x.to(torch.float64)
    finite = torch.isfinite(x).all(dim=1)
    if not bool(finite.all()):
        row = int(torch.nonzero(~finite)[0, 0])
        raise InputError("encoder input has NaN/inf coordinates; leave unlocated rows out "
                         "(probes use the image-only prediction for them)", row=row)
    check_latitude(x[:, 1])
    return x


class PositionEncoding(nn.Module):
    """Base class: a (usually parameter-free) map `(N, 2)` degrees -> `(N, output_dim)`."""

    output_dim: int

    def encode(self, lonlat: torch.Tensor) -> torch.Tensor:  # float64 in, float64/32 out
        raise NotImplementedError

    def forward(self, lonlat: torch.Tensor) -> torch.Tensor:
        return self.encode(check_lonlat(lonlat)).to(torch.float32)


class LocationEncoder(nn.Module):
    """Position encoding followed by a network; `output_dim` is the embedding width D."""

    def __init__(self, pe: nn.Module, net: nn.Module, name: str = "") -> None:
        super().__init__()
        self.pe = pe
        self.net = net
        self.name = name
        self.pe_dim = int(pe.output_dim)
        self.output_dim = int(net.output_dim)

    def forward(self, lonlat: torch.Tensor) -> torch.Tensor:
        return self.net(self.pe(lonlat))
