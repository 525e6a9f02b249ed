"""Builders: hyper-parameters + seed -> a seeded `LocationEncoder` (PE + network)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from locbench.encoders import harmonics, pe_2d, pe_3d
from locbench.encoders.base import LocationEncoder, check_latitude
from locbench.encoders.networks import FeedForward, ResidualFCNet, SirenNet
from locbench.errors import InputError
from locbench.training import DEFAULTS as TRAINING

FFN_DEFAULTS: dict[str, Any] = {
    "output_dim": 256, "num_hidden_layers": 1, "hidden_dim": 512, "activation": "relu",
    "dropout": 0.5, "layernorm": True, "skip_connection": True,
}
TRAIN_DEFAULTS: dict[str, Any] = TRAINING.schedule()  # presets override these per dataset


def make_ffn(pe_dim: int, hp: Mapping[str, Any]) -> FeedForward:
    """The shared §B0 FFN from merged hyper-parameters."""
    return FeedForward(pe_dim, int(hp["output_dim"]), int(hp["num_hidden_layers"]), int(hp["hidden_dim"]),
                       str(hp["activation"]), float(hp["dropout"]), bool(hp["layernorm"]),
                       bool(hp["skip_connection"]))


def seeded(build: Callable[[Mapping[str, Any], torch.Generator, Any], nn.Module]) -> Callable[..., nn.Module]:
    """Wrap a builder so every random draw (init, anchors, frequencies) follows `seed` only,
    without disturbing the caller's global torch RNG."""

    def builder(hp: Mapping[str, Any], *, seed: int = 0, train_lonlat: Any = None) -> nn.Module:
        gen = torch.Generator().manual_seed(int(seed))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            return build(hp, gen, train_lonlat)

    builder.__doc__ = build.__doc__
    return builder


def with_ffn(make_pe: Callable[[Mapping[str, Any], torch.Generator, Any], nn.Module], name: str):
    """Builder: PE from `make_pe`, then the shared FFN (or SIREN when hp['network'] == 'siren')."""

    def build(hp: Mapping[str, Any], gen: torch.Generator, train_lonlat: Any) -> nn.Module:
        pe = make_pe(hp, gen, train_lonlat)
        network = str(hp.get("network", "ffn")).lower()
        if network == "ffn":
            net: nn.Module = make_ffn(pe.output_dim, hp)
        elif network == "siren":
            net = SirenNet(pe.output_dim, int(hp["output_dim"]), int(hp["num_hidden_layers"]),
                           int(hp["hidden_dim"]), float(hp.get("siren_w0", 1.0)),
                           float(hp.get("siren_w0_initial", 30.0)), float(hp.get("siren_dropout", 0.0)))
        else:
            raise InputError(f"unknown network {network!r}; choose 'ffn' or 'siren'", column="network")
        return LocationEncoder(pe, net, name)

    return seeded(build)


def _extent(hp: Mapping[str, Any]):
    ext = hp.get("extent", pe_2d.GLOBAL_EXTENT)
    if len(tuple(ext)) != 4:
        raise InputError(f"extent must be [x_min, x_max, y_min, y_max], got {ext}", column="extent")
    return tuple(float(v) for v in ext)


def rbf_anchors(hp: Mapping[str, Any], seed_gen: torch.Generator, train_lonlat: Any) -> np.ndarray:
    """M anchors: a seeded sample of the training locations (without replacement when there are
    enough distinct rows), else seeded uniform-on-sphere points."""
    M = int(hp["num_rbf_anchor_pts"])
    if M < 1:
        raise InputError(f"num_rbf_anchor_pts must be >= 1, got {M}", column="num_rbf_anchor_pts")
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=seed_gen))
    rng = np.random.default_rng(seed)
    if train_lonlat is not None:
        pts = np.asarray(train_lonlat, dtype=np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise InputError(f"train_lonlat must have shape (N, 2) (lon, lat), got {pts.shape}")
        pts = pts[np.isfinite(pts).all(axis=1)]
        check_latitude(torch.as_tensor(pts[:, 1]), column="train_lonlat")
        if len(pts):
            idx = rng.choice(len(pts), size=M, replace=len(pts) < M)
            return pts[idx]
    lon = rng.uniform(-180.0, 180.0, M)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, M)))
    return np.stack([lon, lat], axis=1)


# -- position-encoding factories: (hp, generator, train_lonlat) -> PositionEncoding ---------------
def pe_tile(hp, gen, _):
    return pe_2d.TileEncoding(float(hp["min_radius"]), int(hp["output_dim"]), _extent(hp), gen)


def pe_wrap(hp, gen, _):
    return pe_2d.WrapEncoding()


def pe_rbf(hp, gen, train_lonlat):
    return pe_2d.RBFEncoding(rbf_anchors(hp, gen, train_lonlat), float(hp["rbf_kernel_size"]))


def pe_rff(hp, gen, _):
    return pe_2d.RFFEncoding(int(hp["frequency_num"]), float(hp["rbf_kernel_size"]), _extent(hp), gen)


def _multiscale(cls):
    def make(hp, gen, _):
        return cls(int(hp["frequency_num"]), float(hp["min_radius"]), float(hp["max_radius"]))
    return make


def _sphere(cls):
    def make(hp, gen, _):
        return cls(int(hp["frequency_num"]), float(hp["min_radius"]), float(hp["max_radius"]),
                   str(hp.get("freq_list", "geometric")))
    return make


pe_grid = _multiscale(pe_2d.GridEncoding)
pe_theory = _multiscale(pe_2d.TheoryEncoding)


def pe_xyz(hp, gen, _):
    return pe_3d.XYZEncoding()


def pe_nerf(hp, gen, _):
    return pe_3d.NeRFEncoding(int(hp["frequency_num"]))


pe_sphere_c = _sphere(pe_3d.SphereCEncoding)
pe_sphere_cplus = _sphere(pe_3d.SphereCPlusEncoding)
pe_sphere_m = _sphere(pe_3d.SphereMEncoding)
pe_sphere_mplus = _sphere(pe_3d.SphereMPlusEncoding)
pe_dfs = _sphere(pe_3d.DFSEncoding)


def pe_sh(hp, gen, _):
    return harmonics.SphericalHarmonicsEncoding(int(hp["legendre_poly_num"]))


def build_wrap(hp: Mapping[str, Any], gen: torch.Generator, _: Any) -> nn.Module:
    """`wrap`: wrap features -> residual FCNet (no FFN)."""
    net = ResidualFCNet(4, int(hp["output_dim"]), int(hp["num_res_blocks"]), float(hp["dropout"]))
    return LocationEncoder(pe_2d.WrapEncoding(), net, "wrap")


def build_none(hp: Mapping[str, Any], *, seed: int = 0, train_lonlat: Any = None) -> None:
    """`no_prior`: there is no location model; probes use the image-only / mean prediction."""
    return None
