"""A toy locbench encoder plugin: cos/sin of lon and lat at K integer frequencies, then the shared FFN.

Shows the plugin contract: a zero-argument factory returning an `EncoderSpec` whose builder takes
(hparams, *, seed, train_lonlat) and returns an nn.Module with `output_dim`.
"""

from __future__ import annotations


import torch

from locbench.encoders import EncoderSpec
from locbench.encoders.base import LocationEncoder, PositionEncoding
from locbench.encoders.builders import FFN_DEFAULTS, TRAIN_DEFAULTS, make_ffn, seeded


class ToyCosine(PositionEncoding):
    """[cos(k λ̂), sin(k λ̂), cos(k φ̂), sin(k φ̂)] for k = 1..K (4K features)."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.register_buffer("k", torch.arange(1, k + 1, dtype=torch.float64))
        self.output_dim = 4 * k

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        lam = torch.deg2rad(x[:, :1]) * self.k
        phi = torch.deg2rad(x[:, 1:]) * self.k
        return torch.cat([torch.cos(lam), torch.sin(lam), torch.cos(phi), torch.sin(phi)], dim=1)


def _build(hp, gen, train_lonlat):
    pe = ToyCosine(int(hp["k"]))
    return LocationEncoder(pe, make_ffn(pe.output_dim, hp), "toy-cosine")


def make_spec() -> EncoderSpec:
    return EncoderSpec(
        name="toy-cosine", family="plugin", pe_dim_fn=lambda h: 4 * int(h["k"]),
        builder=seeded(_build), defaults={**FFN_DEFAULTS, **TRAIN_DEFAULTS, "k": 3, "output_dim": 32,
                                          "hidden_dim": 64},
        citation="locbench test fixture", description="Integer-frequency cos/sin of lon and lat.",
        aliases=("toy",),
    )


#: The same spec as a module attribute, for `--encoder locbench_toy_encoder:SPEC`.
SPEC = make_spec()
