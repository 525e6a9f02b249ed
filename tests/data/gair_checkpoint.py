"""A synthetic GAIR checkpoint with the published key layout (tests only; no real weights)."""

from __future__ import annotations

from pathlib import Path

import torch

SIGMAS = (2.0**0, 2.0**4, 2.0**8)


def gair_state(seed: int = 0, prefix: str = "") -> dict[str, torch.Tensor]:
    """`LocEnc{i}.capsule.0.b` (256x2, N(0, σ²)), `capsule.{1,3,5}.*` MLP, `head.0.*` 1024->768, per branch."""
    g = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    shapes = {1: (1024, 512), 3: (1024, 1024), 5: (1024, 1024)}
    for i, sigma in enumerate(SIGMAS):
        p = f"{prefix}LocEnc{i}."
        state[p + "capsule.0.b"] = torch.randn(256, 2, generator=g) * sigma
        for j, (rows, cols) in shapes.items():
            state[p + f"capsule.{j}.weight"] = torch.randn(rows, cols, generator=g) / cols**0.5
            state[p + f"capsule.{j}.bias"] = torch.randn(rows, generator=g) * 0.01
        state[p + "head.0.weight"] = torch.randn(768, 1024, generator=g) / 32.0
        state[p + "head.0.bias"] = torch.randn(768, generator=g) * 0.01
    return state


def write_gair_checkpoint(path: Path, seed: int = 0, prefix: str = "", extra: dict | None = None) -> Path:
    torch.save({**gair_state(seed, prefix), **(extra or {})}, path)
    return path
