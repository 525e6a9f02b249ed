"""Pretrained GeoCLIP location encoder (Vivanco Cepeda et al., NeurIPS 2023), offline and frozen.

Architecture, from the paper: (lat, lon) -> Equal Earth projection (Šavrič et al. 2018), scaled so
x spans about [-1, 1] -> three branches, each random Fourier features [cos 2πBv, sin 2πBv] with
B (256x2) drawn at σ = 2^0, 2^4, 2^8 -> MLP 512->1024->1024->1024 (ReLU) -> Linear 1024->512;
the branch outputs are summed -> 512-d. The B matrices are buffers in the shipped state dict.

Weights come from `geoclip/model/weights/location_encoder_weights.pth` inside the PyPI `geoclip`
wheel, found with `importlib.util.find_spec` WITHOUT importing geoclip (its __init__ pulls
transformers/torchvision). Our boundary is (lon, lat); GeoCLIP's is [lat, lon]: swapped here.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from locbench.encoders.base import check_lonlat
from locbench.encoders.spec import EncoderSpec
from locbench.errors import DataMissingError, InputError

INSTALL_HINT = ('install the optional extra: pip install "locbench[geoclip]" '
                "(or just the wheel that carries the weights: pip install --no-deps geoclip==1.3.0)")
WEIGHTS_RELPATH = ("model", "weights", "location_encoder_weights.pth")
N_BRANCHES, RFF_DIM, HIDDEN, OUT_DIM = 3, 256, 1024, 512

# Equal Earth constants (Šavrič, Patterson, Jenny 2018).
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3.0) / 2.0
# GeoCLIP scales the projection by 66.50336 / 180 (x spans ~[-1.005, 1.005]).
_SCALE = 66.50336 / 180.0


def equal_earth(lat_deg: torch.Tensor, lon_deg: torch.Tensor) -> torch.Tensor:
    """Equal Earth projection (unit sphere) of degrees -> (N, 2) [x, y], scaled by `_SCALE`."""
    lat, lon = torch.deg2rad(lat_deg), torch.deg2rad(lon_deg)
    theta = torch.asin(_M * torch.sin(lat))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    denom = 3.0 * (_A1 + 3.0 * _A2 * t2 + t6 * (7.0 * _A3 + 9.0 * _A4 * t2))
    x = 2.0 * math.sqrt(3.0) * lon * torch.cos(theta) / denom
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return torch.stack([x, y], dim=1) * _SCALE


class _FourierFeatures(nn.Module):
    """Gaussian random Fourier features [cos(2πBv), sin(2πBv)] with a fixed B buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("b", torch.zeros(RFF_DIM, 2))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        p = 2.0 * math.pi * v @ self.b.T.to(v.dtype)  # float64: phases reach ~1e4 rad at σ = 2^8
        return torch.cat([torch.cos(p), torch.sin(p)], dim=-1).to(torch.float32)


class _Branch(nn.Module):
    def __init__(self, out_dim: int = OUT_DIM) -> None:
        super().__init__()
        self.rff = _FourierFeatures()
        self.mlp = nn.Sequential(nn.Linear(2 * RFF_DIM, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                                 nn.Linear(HIDDEN, HIDDEN), nn.ReLU())
        self.head = nn.Linear(HIDDEN, out_dim)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.head(self.mlp(self.rff(v)))


class GeoCLIPLocationEncoder(nn.Module):
    """(N, 2) lon/lat degrees -> (N, 512) GeoCLIP location embeddings (unnormalised, as GeoCLIP)."""

    output_dim = OUT_DIM
    pe_dim = 2
    weights_file: str | None = None  # set by `load_geoclip`: the file the weights came from
    weights_sha256: str | None = None  # and its sha256

    def __init__(self, out_dim: int = OUT_DIM) -> None:
        super().__init__()
        self.branches = nn.ModuleList(_Branch(out_dim) for _ in range(N_BRANCHES))

    def forward(self, lonlat: torch.Tensor) -> torch.Tensor:
        x = check_lonlat(lonlat)  # float64, (lon, lat) at our boundary
        v = equal_earth(x[:, 1], x[:, 0])  # the projection takes (lat, lon)
        return sum(branch(v) for branch in self.branches)


def _key_map(i: int) -> dict[str, str]:
    """Our parameter names -> the shipped state-dict names of branch i."""
    src = f"LocEnc{i}."
    return {f"branches.{i}.rff.b": src + "capsule.0.b",
            **{f"branches.{i}.mlp.{j}.{w}": src + f"capsule.{j + 1}.{w}"
               for j in (0, 2, 4) for w in ("weight", "bias")},
            **{f"branches.{i}.head.{w}": src + f"head.0.{w}" for w in ("weight", "bias")}}


def weights_path() -> Path:
    """Location of the weights inside the installed geoclip wheel (geoclip is not imported)."""
    spec = importlib.util.find_spec("geoclip")
    if spec is None or not spec.submodule_search_locations:
        raise DataMissingError(f"GeoCLIP is not installed; {INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*WEIGHTS_RELPATH)
    if not path.is_file():
        raise DataMissingError(f"geoclip is installed but its weights are missing; {INSTALL_HINT}", file=path)
    return path


def load_geoclip(path: str | Path | None = None) -> GeoCLIPLocationEncoder:
    """Build the encoder, load and shape-check the shipped weights, freeze, eval mode."""
    path = Path(path) if path is not None else weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or wrong file
        raise InputError(f"cannot read GeoCLIP weights: {exc}", file=path) from exc
    model = GeoCLIPLocationEncoder()
    own = model.state_dict()
    mapped: dict[str, torch.Tensor] = {}
    for i in range(N_BRANCHES):
        for ours, theirs in _key_map(i).items():
            if theirs not in state:
                raise InputError(f"GeoCLIP weights lack key {theirs!r}", file=path, column=theirs)
            if tuple(state[theirs].shape) != tuple(own[ours].shape):
                raise InputError(f"GeoCLIP weight {theirs!r} has shape {tuple(state[theirs].shape)}, "
                                 f"expected {tuple(own[ours].shape)}", file=path, column=theirs)
            mapped[ours] = state[theirs]
    extra = set(state) - {t for i in range(N_BRANCHES) for t in _key_map(i).values()}
    if extra:
        raise InputError(f"unexpected keys in GeoCLIP weights: {sorted(extra)[:5]}", file=path)
    model.load_state_dict(mapped, strict=True)
    for p in model.parameters():
        p.requires_grad_(False)
    from locbench.hashing import sha256_file

    model.weights_file = str(path)  # what run records and model cards cite (`weights_of`)
    model.weights_sha256 = sha256_file(path)
    return model.eval()


def geoclip_available() -> bool:
    try:
        weights_path()
    except DataMissingError:
        return False
    return True


def _build(hp: Mapping[str, Any], *, seed: int = 0, train_lonlat: Any = None) -> GeoCLIPLocationEncoder:
    """Pretrained and frozen: seed and train_lonlat do not apply; the width is fixed at 512."""
    if int(hp.get("output_dim", OUT_DIM)) != OUT_DIM:
        raise InputError(f"GeoCLIP embeddings are {OUT_DIM}-d; output_dim={hp['output_dim']} is not possible",
                         column="output_dim")
    return load_geoclip(hp.get("weights"))


GEOCLIP_SPEC = EncoderSpec(
    name="GeoCLIP", family="pretrained", pe_dim_fn=lambda h: 2, builder=_build,
    defaults={"output_dim": OUT_DIM, "weights": None},  # weights: `locbench evaluate --encoder-weights PATH`
    citation="Vivanco Cepeda, Nayak, Shah. GeoCLIP: Clip-Inspired Alignment between Locations and Images "
             "for Effective Worldwide Geo-localization. NeurIPS 2023.",
    trainable=False,
    description="Pretrained, frozen GeoCLIP location encoder (512-d) from the weights in the PyPI geoclip "
                "wheel; needs `pip install 'locbench[geoclip]'`.",
    deviations=("Re-implemented from the paper (Equal Earth + 3-scale RFF + MLPs) and loaded from the "
                "wheel's state dict, because importing geoclip pulls torchvision/transformers.",
                "Inputs are (lon, lat) like every locbench encoder; swapped to GeoCLIP's [lat, lon] inside."),
    aliases=("geoclip",),
)
