"""GAIR's location encoder loaded from a synthetic checkpoint with the published key layout."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent / "data"))
from gair_checkpoint import gair_state, write_gair_checkpoint  # noqa: E402

from locbench.encoders import get_encoder  # noqa: E402
from locbench.encoders.gair import load_gair  # noqa: E402
from locbench.errors import DataMissingError, InputError  # noqa: E402

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796


def _reference(state: dict, lon: float, lat: float, prefix: str = "") -> np.ndarray:
    """GAIR's forward written out from the published math in float64 numpy (independent of our module)."""
    theta = math.asin(math.sqrt(3) / 2 * math.sin(math.radians(lat)))
    x = 2 * math.sqrt(3) * math.radians(lon) * math.cos(theta) / (
        3 * (9 * A4 * theta**8 + 7 * A3 * theta**6 + 3 * A2 * theta**2 + A1))
    y = A4 * theta**9 + A3 * theta**7 + A2 * theta**3 + A1 * theta
    v = np.array([x, y]) * 66.50336 / 180
    out = np.zeros(768)
    for i in range(3):
        s = {k[len(prefix) + len(f"LocEnc{i}."):]: t.double().numpy() for k, t in state.items()
             if k.startswith(f"{prefix}LocEnc{i}.")}
        p = 2 * math.pi * s["capsule.0.b"] @ v
        h = np.concatenate([np.cos(p), np.sin(p)])
        for j in (1, 3, 5):
            h = np.maximum(s[f"capsule.{j}.weight"] @ h + s[f"capsule.{j}.bias"], 0)
        out += s["head.0.weight"] @ h + s["head.0.bias"]
    return out


def test_matches_the_published_math_and_is_frozen(tmp_path):
    path = write_gair_checkpoint(tmp_path / "gair.pt", seed=3)
    enc = get_encoder("GAIR").build(weights=path)
    pts = torch.tensor([[-74.006, 40.7128], [139.69, 35.69], [0.0, -60.0]], dtype=torch.float64)
    out = enc(pts)
    assert out.shape == (3, 768) and not out.requires_grad and not enc.training
    assert all(not p.requires_grad for p in enc.parameters())
    state = gair_state(seed=3)
    for row, (lon, lat) in enumerate(pts.tolist()):
        np.testing.assert_allclose(out[row].double().numpy(), _reference(state, lon, lat), rtol=2e-4, atol=2e-4)


def test_prefixed_checkpoint_inside_a_full_model(tmp_path):
    other = {"rs_encoder.patch_embed.weight": torch.zeros(4, 4)}
    a = load_gair(write_gair_checkpoint(tmp_path / "a.pt", seed=1))
    b = load_gair(write_gair_checkpoint(tmp_path / "b.pt", seed=1, prefix="location_encoder.", extra=other))
    pts = torch.tensor([[10.0, 50.0], [-120.0, -30.0]], dtype=torch.float64)
    torch.testing.assert_close(a(pts), b(pts))
    torch.save({"state_dict": gair_state(seed=1, prefix="module.loc.")}, tmp_path / "c.pt")
    torch.testing.assert_close(load_gair(tmp_path / "c.pt")(pts), a(pts))


def test_shape_and_key_errors_name_the_file_and_key(tmp_path):
    state = gair_state()
    state["LocEnc1.head.0.weight"] = torch.zeros(512, 1024)  # a GeoCLIP-width head
    torch.save(state, tmp_path / "geoclip_like.pt")
    with pytest.raises(InputError, match=r"'LocEnc1.head.0.weight' has shape \(512, 1024\), expected \(768, 1024\)"):
        load_gair(tmp_path / "geoclip_like.pt")
    state = gair_state()
    del state["LocEnc2.capsule.3.bias"]
    torch.save(state, tmp_path / "short.pt")
    with pytest.raises(InputError, match="lacks key 'LocEnc2.capsule.3.bias'") as exc:
        load_gair(tmp_path / "short.pt")
    assert "short.pt" in str(exc.value)
    torch.save({**gair_state(prefix="a."), **gair_state(prefix="b.")}, tmp_path / "two.pt")
    with pytest.raises(InputError, match="2 .* location encoders"):
        load_gair(tmp_path / "two.pt")


def test_no_weights_means_no_download_and_a_clear_error(tmp_path):
    with pytest.raises(DataMissingError, match="PingL/GAIR"):
        get_encoder("GAIR").build()
    with pytest.raises(DataMissingError, match="not found"):
        load_gair(tmp_path / "missing.pt")
    with pytest.raises(InputError, match="768-d"):
        get_encoder("GAIR").build(weights=tmp_path / "x.pt", output_dim=512)
