"""GeoCLIP adapter: offline weights from the PyPI wheel, 512-d, frozen, [lat, lon] handled."""

from __future__ import annotations

import importlib
import sys
import types

import pytest
import torch

from locbench.encoders import get_encoder
from locbench.encoders.geoclip import equal_earth, geoclip_available, load_geoclip, weights_path
from locbench.errors import DataMissingError, InputError

needs_geoclip = pytest.mark.skipif(
    not geoclip_available(),
    reason="GeoCLIP weights not installed: pip install 'locbench[geoclip]'")


def test_equal_earth_closed_forms():
    xy = equal_earth(torch.tensor([0.0, 90.0, 0.0], dtype=torch.float64),
                     torch.tensor([0.0, 0.0, 180.0], dtype=torch.float64))
    assert torch.allclose(xy[0], torch.zeros(2, dtype=torch.float64))
    # Equal Earth on the unit sphere: pole y = 1.3173627, equator x(180°) = 2.7066297, scaled by 66.50336/180
    s = 66.50336 / 180
    assert abs(float(xy[1, 1]) - 1.3173627 * s) < 1e-6 and abs(float(xy[1, 0])) < 1e-12
    assert abs(float(xy[2, 0]) - 2.7066297 * s) < 1e-6


def test_missing_weights_file_is_a_typed_error(tmp_path):
    with pytest.raises(InputError):
        bad = tmp_path / "w.pth"
        bad.write_bytes(b"not a torch file")
        load_geoclip(bad)
    if not geoclip_available():
        with pytest.raises(DataMissingError, match="locbench\\[geoclip\\]"):
            weights_path()


@needs_geoclip
def test_geoclip_loads_offline_512d_frozen_deterministic():
    spec = get_encoder("geoclip")
    assert spec.family == "pretrained" and not spec.trainable
    enc = spec.build(seed=0)
    assert enc.output_dim == 512
    assert all(not p.requires_grad for p in enc.parameters()) and not enc.training
    paris = torch.tensor([[2.3522, 48.8566]])
    with torch.no_grad():
        a, b = enc(paris), spec.build(seed=99)(paris)
    assert a.shape == (1, 512) and torch.equal(a, b)
    with pytest.raises(InputError, match="512"):
        spec.build(output_dim=256)
    # golden values (first 4 dims) for Paris, from the shipped weights
    golden = [-0.013069887, 0.007399820, -0.006526845, 0.007470695]
    assert torch.allclose(a[0, :4], torch.tensor(golden), atol=1e-5)


@pytest.fixture(scope="module")
def geoclip_enc():
    return load_geoclip()


@needs_geoclip
def test_geoclip_nearby_points_are_closer_than_far_points(geoclip_enc):
    enc = geoclip_enc
    pts = torch.tensor([[2.3522, 48.8566], [2.45, 48.80], [-74.006, 40.7128], [151.21, -33.87]])
    with torch.no_grad():
        e = torch.nn.functional.normalize(enc(pts), dim=1)
    sim = e @ e.T
    assert sim[0, 1] > sim[0, 2] and sim[0, 1] > sim[0, 3]
    # lon/lat order matters: swapping gives a different place
    with torch.no_grad():
        assert not torch.allclose(enc(pts[:1]), enc(pts[:1, [1, 0]]))


@needs_geoclip
def test_geoclip_matches_reference_module(geoclip_enc):
    """Cross-check against geoclip's own LocationEncoder, loaded without geoclip/__init__ (which needs
    transformers); skipped when that module cannot be loaded standalone."""
    pkg = weights_path().parents[2]
    saved = {k: sys.modules.get(k) for k in ("geoclip", "geoclip.model")}
    try:
        for name, path in (("geoclip", pkg), ("geoclip.model", pkg / "model")):
            mod = types.ModuleType(name)
            mod.__path__ = [str(path)]
            sys.modules[name] = mod
        try:
            ref = importlib.import_module("geoclip.model.location_encoder").LocationEncoder().eval()
        except Exception as exc:  # pragma: no cover - depends on the installed wheel's layout
            pytest.skip(f"reference GeoCLIP module not loadable standalone: {exc}")
    finally:
        for k in [k for k in sys.modules if k == "geoclip" or k.startswith("geoclip.")]:
            del sys.modules[k]
        sys.modules.update({k: v for k, v in saved.items() if v is not None})
    pts = torch.tensor([[2.35, 48.85], [-74.0, 40.7], [151.2, -33.9], [0.0, 0.0], [179.9, 89.0]])
    with torch.no_grad():
        ours = geoclip_enc(pts)
        theirs = ref(pts[:, [1, 0]]).double()
    assert torch.allclose(ours.double(), theirs, atol=1e-4)
