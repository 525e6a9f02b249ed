"""Plugins: entry-point group `locbench.encoders` and `package.module:factory` references."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest
import torch

from locbench.encoders import EncoderSpec, get_encoder, list_encoders, resolve_encoder
from locbench.encoders.catalog import reload_plugins
from locbench.errors import InputError, NotFoundError

toy_installed = pytest.mark.skipif(
    importlib.util.find_spec("locbench_toy_encoder") is None,
    reason="toy plugin not installed: pip install -e tests/plugins/toy_encoder_plugin")

PLUGIN_MODULE = textwrap.dedent('''
    import torch
    from torch import nn
    from locbench.encoders import EncoderSpec

    class Lin(nn.Module):
        output_dim = 3
        def __init__(self):
            super().__init__()
            self.w = nn.Linear(2, 3)
        def forward(self, x):
            return self.w(x)

    def _build(hp, *, seed, train_lonlat):
        torch.manual_seed(seed)
        return Lin()

    def factory():
        return EncoderSpec(name="tmp-linear", family="plugin", pe_dim_fn=lambda h: 2, builder=_build)

    SPEC = factory()
    NOT_A_SPEC = 42

    def bad_factory():
        return "nope"
''')


@pytest.fixture()
def plugin_module(tmp_path, monkeypatch):
    (tmp_path / "tmp_locbench_plugin.py").write_text(PLUGIN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "tmp_locbench_plugin"


def test_module_factory_reference(plugin_module):
    for ref in (f"{plugin_module}:factory", f"{plugin_module}:SPEC"):
        spec = resolve_encoder(ref)
        assert isinstance(spec, EncoderSpec) and spec.name == "tmp-linear"
        enc = spec.build(seed=1)
        assert tuple(enc(torch.zeros(4, 2)).shape) == (4, 3)


def test_bad_references_raise_typed_errors(plugin_module):
    with pytest.raises(InputError, match="int"):
        resolve_encoder(f"{plugin_module}:NOT_A_SPEC")
    with pytest.raises(InputError, match="returned str"):
        resolve_encoder(f"{plugin_module}:bad_factory")
    with pytest.raises(NotFoundError, match="no attribute"):
        resolve_encoder(f"{plugin_module}:missing")
    with pytest.raises(NotFoundError, match="cannot import"):
        resolve_encoder("no_such_package_xyz.mod:factory")
    with pytest.raises(InputError, match="package.module:factory"):
        resolve_encoder(":factory")


@toy_installed
def test_entry_point_plugin_is_discovered():
    reload_plugins()
    names = [s.name for s in list_encoders()]
    assert "toy-cosine" in names
    assert "toy-cosine" not in [s.name for s in list_encoders(include_plugins=False)]
    spec = get_encoder("toy-cosine")
    assert spec.family == "plugin" and spec.pe_dim({"k": 5}) == 20
    assert get_encoder("toy") is spec  # plugin alias
    a, b = spec.build(seed=4).eval(), spec.build(seed=4).eval()
    x = torch.tensor([[10.0, 20.0], [-30.0, 5.0]])
    out = a(x)
    assert tuple(out.shape) == (2, 32) and torch.equal(out, b(x))
    # integer frequencies -> continuous across the antimeridian
    assert torch.allclose(a.pe(torch.tensor([[180.0, 3.0]])), a.pe(torch.tensor([[-180.0, 3.0]])), atol=1e-6)
    assert resolve_encoder("locbench_toy_encoder:make_spec").name == "toy-cosine"
