"""The networks that sit on top of a position encoding (spec §B0).

* `FeedForward`: TorchSpatial's shared multi-layer FFN (every layer: Linear(xavier) -> act ->
  dropout -> +input when widths match -> LayerNorm on hidden layers; the last layer also has
  act + dropout but no skip / LayerNorm).
* `ResidualFCNet`: the `wrap` network of Mac Aodha et al. 2019.
* `SirenNet`: sine-activated MLP with SIREN initialisation (Sitzmann et al. 2020), the network
  Rußwurm et al. 2024 pair with spherical harmonics.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from locbench.errors import InputError

ACTIVATIONS = ("relu", "leakyrelu", "sigmoid", "tanh", "gelu")


def make_activation(name: str) -> nn.Module:
    """Activation by TorchSpatial name; leakyrelu uses slope 0.2 as TorchSpatial does."""
    key = str(name).lower()
    if key == "relu":
        return nn.ReLU()
    if key == "leakyrelu":
        return nn.LeakyReLU(negative_slope=0.2)
    if key == "sigmoid":
        return nn.Sigmoid()
    if key == "tanh":
        return nn.Tanh()
    if key == "gelu":
        return nn.GELU()
    raise InputError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}",
                     column="activation")


class _FFLayer(nn.Module):
    """One FFN layer: Linear -> activation -> dropout (-> skip) (-> LayerNorm)."""

    def __init__(self, in_dim: int, out_dim: int, activation: str, dropout: float,
                 layernorm: bool, skip: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        nn.init.xavier_uniform_(self.linear.weight)
        self.act = make_activation(activation)
        self.dropout = nn.Dropout(p=dropout) if dropout > 0 else nn.Identity()
        self.skip = bool(skip and in_dim == out_dim)
        self.norm = nn.LayerNorm(out_dim) if layernorm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.dropout(self.act(self.linear(x)))
        if self.skip:
            out = out + x
        return self.norm(out)


class FeedForward(nn.Module):
    """TorchSpatial `MultiLayerFeedForwardNN`: `h` hidden layers => `h+1` Linear layers."""

    def __init__(self, input_dim: int, output_dim: int, num_hidden_layers: int = 1,
                 hidden_dim: int = 512, activation: str = "relu", dropout: float = 0.5,
                 layernorm: bool = True, skip_connection: bool = True) -> None:
        super().__init__()
        if num_hidden_layers < 0 or hidden_dim < 1 or output_dim < 1 or input_dim < 1:
            raise InputError(f"invalid FFN shape: input {input_dim}, hidden {num_hidden_layers}x{hidden_dim},"
                             f" output {output_dim}", column="num_hidden_layers")
        if not 0.0 <= float(dropout) < 1.0:
            raise InputError(f"dropout must be in [0, 1), got {dropout}", column="dropout")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        layers: list[nn.Module] = []
        width = input_dim
        for _ in range(num_hidden_layers):
            layers.append(_FFLayer(width, hidden_dim, activation, dropout, layernorm, skip_connection))
            width = hidden_dim
        layers.append(_FFLayer(width, output_dim, activation, dropout, layernorm=False, skip=False))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class _ResLayer(nn.Module):
    """Mac Aodha's residual block: Linear -> ReLU -> Dropout -> Linear -> ReLU, + input."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Dropout(dropout),
                                   nn.Linear(width, width), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class ResidualFCNet(nn.Module):
    """`wrap`'s FCNet: Linear(in, D) -> ReLU -> `num_res_blocks` residual blocks of width D."""

    def __init__(self, input_dim: int, output_dim: int = 256, num_res_blocks: int = 4,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.net = nn.Sequential(nn.Linear(input_dim, output_dim), nn.ReLU(),
                                 *[_ResLayer(output_dim, dropout) for _ in range(num_res_blocks)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _SineLayer(nn.Module):
    """Linear followed by sin(w0 * .), with SIREN's uniform initialisation."""

    def __init__(self, in_dim: int, out_dim: int, w0: float, first: bool, dropout: float) -> None:
        super().__init__()
        self.w0 = float(w0)
        self.linear = nn.Linear(in_dim, out_dim)
        bound = 1.0 / in_dim if first else math.sqrt(6.0 / in_dim) / self.w0
        nn.init.uniform_(self.linear.weight, -bound, bound)
        nn.init.uniform_(self.linear.bias, -bound, bound)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(torch.sin(self.w0 * self.linear(x)))


class SirenNet(nn.Module):
    """SIREN MLP: `num_hidden_layers` sine layers of width `hidden_dim`, then a linear output.

    First layer uses `w0_initial` (30 in Sitzmann et al.), the rest `w0`; weights
    U(-1/in, 1/in) for the first layer and U(-sqrt(6/in)/w0, sqrt(6/in)/w0) after.
    """

    def __init__(self, input_dim: int, output_dim: int, num_hidden_layers: int = 2,
                 hidden_dim: int = 512, w0: float = 1.0, w0_initial: float = 30.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        layers: list[nn.Module] = []
        width = input_dim
        for i in range(max(1, num_hidden_layers)):
            layers.append(_SineLayer(width, hidden_dim, w0_initial if i == 0 else w0, i == 0, dropout))
            width = hidden_dim
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(width, output_dim)
        bound = math.sqrt(6.0 / width) / float(w0)
        nn.init.uniform_(self.out.weight, -bound, bound)
        nn.init.uniform_(self.out.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden(x))
