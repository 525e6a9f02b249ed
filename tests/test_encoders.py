"""Encoder zoo: PE widths, hand-computed values, sphere continuity, poles, gradients, seeds, presets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from locbench.encoders import EncoderSpec, get_encoder, list_encoders, resolve_encoder
from locbench.encoders.frequencies import frequency_list
from locbench.encoders.harmonics import real_spherical_harmonics, sh_index
from locbench.encoders.networks import FeedForward, ResidualFCNet, SirenNet
from locbench.errors import InputError, NotFoundError

TRAINABLE = ["tile", "wrap", "wrap_ffn", "rbf", "rff", "Space2Vec-grid", "Space2Vec-theory", "xyz", "NeRF",
             "Sphere2Vec-sphereC", "Sphere2Vec-sphereC+", "Sphere2Vec-sphereM", "Sphere2Vec-sphereM+",
             "Sphere2Vec-dfs", "spherical_harmonics"]
SMALL = {"hidden_dim": 16, "output_dim": 8}  # keeps the networks tiny
SPHERE = ["Sphere2Vec-sphereC", "Sphere2Vec-sphereC+", "Sphere2Vec-sphereM", "Sphere2Vec-sphereM+", "Sphere2Vec-dfs"]


def small(name: str, **kw):
    hp = dict(kw)
    if name != "wrap":
        hp.setdefault("hidden_dim", 16)
    hp.setdefault("output_dim", 8)
    if name == "tile":
        hp.setdefault("min_radius", 30.0)
    return get_encoder(name).build(seed=0, **hp)


def pe(name: str, x, **kw) -> torch.Tensor:
    enc = small(name, **kw)
    return enc.pe(torch.as_tensor(x, dtype=torch.float64)).double()


def pts(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


# --- registry -------------------------------------------------------------------------------
def test_registry_has_the_zoo_and_baseline():
    names = {s.name for s in list_encoders(include_plugins=False)}
    assert set(TRAINABLE) | {"no_prior", "GeoCLIP"} <= names
    assert get_encoder("tile_ffn").name == "tile"
    assert get_encoder("wrap+ffn").name == "wrap_ffn"
    assert get_encoder("sphereM+").name == "Sphere2Vec-sphereM+"
    assert get_encoder("SPHERICAL_HARMONICS").name == "spherical_harmonics"
    assert resolve_encoder("xyz") is get_encoder("xyz")
    families = {s.name: s.family for s in list_encoders(include_plugins=False)}
    assert families["xyz"] == "3D" and families["rbf"] == "2D" and families["GeoCLIP"] == "pretrained"


def test_unknown_encoder_suggests_close_names():
    with pytest.raises(NotFoundError, match="Sphere2Vec-sphereM"):
        get_encoder("Sphere2Vec-sphereMM")


def test_no_prior_is_a_baseline_without_model():
    spec = get_encoder("no_prior")
    assert spec.family == "baseline" and not spec.trainable
    assert spec.build(seed=3) is None
    assert spec.pe_dim() == 0


def test_unknown_hyperparameter_is_an_input_error():
    with pytest.raises(InputError, match="frequncy_num"):
        get_encoder("xyz").build(frequncy_num=3)


def test_spec_is_frozen():
    with pytest.raises(Exception):
        get_encoder("xyz").name = "other"  # type: ignore[misc]


# --- PE dimensions equal the §B formulas -------------------------------------------------------
FORMULAS = [
    ("tile", {"output_dim": 8}, 8),
    ("wrap", {}, 4), ("wrap_ffn", {}, 4),
    ("rbf", {"num_rbf_anchor_pts": 17}, 17),
    ("rff", {"frequency_num": 13}, 13),
    ("Space2Vec-grid", {"frequency_num": 5}, 20),
    ("Space2Vec-theory", {"frequency_num": 5}, 30),
    ("xyz", {}, 3),
    ("NeRF", {"frequency_num": 16}, 96), ("NeRF", {"frequency_num": 4}, 24),
    ("Sphere2Vec-sphereC", {"frequency_num": 7}, 21),
    ("Sphere2Vec-sphereC+", {"frequency_num": 7}, 42),
    ("Sphere2Vec-sphereM", {"frequency_num": 7}, 35),
    ("Sphere2Vec-sphereM+", {"frequency_num": 7}, 56),
    ("Sphere2Vec-dfs", {"frequency_num": 3}, 4 * 9 + 12),
    ("spherical_harmonics", {"legendre_poly_num": 8}, 64),
    ("spherical_harmonics", {"legendre_poly_num": 5}, 25),
]


@pytest.mark.parametrize("name,hp,dim", FORMULAS)
def test_pe_dim_matches_formula(name, hp, dim):
    spec = get_encoder(name)
    assert spec.pe_dim(hp) == dim
    enc = small(name, **hp)
    assert enc.pe_dim == dim
    x = pts([[10.0, 20.0], [-120.5, -33.3], [179.0, 89.0]])
    assert tuple(enc.pe(x).shape) == (3, dim)
    out = enc.eval()(x)
    assert tuple(out.shape) == (3, enc.output_dim) == (3, 8)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()


def test_default_dims_match_torchspatial():
    assert get_encoder("NeRF").pe_dim() == 96
    assert get_encoder("spherical_harmonics").pe_dim() == 64
    assert get_encoder("xyz").build(seed=0).output_dim == 256


# --- hand-computed values ---------------------------------------------------------------------
def test_xyz_values():
    got = pe("xyz", [[0.0, 0.0], [90.0, 0.0], [0.0, 90.0], [180.0, 0.0], [45.0, 45.0]])
    want = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0.5, 0.5, math.sqrt(0.5)]],
                        dtype=torch.float64)
    assert torch.allclose(got, want, atol=1e-7)


def test_frequency_lists():
    np.testing.assert_allclose(frequency_list(3, 0.01, 1.0), [100.0, 10.0, 1.0])
    np.testing.assert_allclose(frequency_list(3, 0.01, 4.0, "max_only"), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(frequency_list(1, 0.5, 1.0), [2.0])
    with pytest.raises(InputError):
        frequency_list(3, 2.0, 1.0)


def test_space2vec_grid_values():
    lam, phi = 30.0, 60.0
    got = pe("Space2Vec-grid", [[lam, phi]], frequency_num=2, min_radius=1.0, max_radius=360.0)[0]
    f = [1.0, 1 / 360]
    want = [fn(c * fs) for c in (lam, phi) for fs in f for fn in (math.sin, math.cos)]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-6)


def test_space2vec_theory_values():
    x = np.array([10.0, -20.0])
    got = pe("Space2Vec-theory", [x.tolist()], frequency_num=2, min_radius=2.0, max_radius=360.0)[0]
    axes = [(1, 0), (-0.5, math.sqrt(3) / 2), (-0.5, -math.sqrt(3) / 2)]
    want = [fn(float(x @ np.array(a)) * fs) for fs in (0.5, 1 / 360) for a in axes for fn in (math.sin, math.cos)]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-6)


def test_wrap_values():
    got = pe("wrap_ffn", [[90.0, 45.0]])[0]
    np.testing.assert_allclose(got.numpy(), [1.0, 1.0, 0.0, 0.0], atol=1e-7)
    got = pe("wrap", [[-90.0, -45.0]])[0]
    np.testing.assert_allclose(got.numpy(), [-1.0, -1.0, 0.0, 0.0], atol=1e-7)


def test_nerf_values_at_origin():
    got = pe("NeRF", [[0.0, 0.0]], frequency_num=3)[0].numpy()  # p = (1, 0, 0)
    f = [math.pi, 2 * math.pi, 4 * math.pi]
    want = ([math.sin(v) for v in f] + [0.0] * 6 + [math.cos(v) for v in f] + [1.0] * 6)
    np.testing.assert_allclose(got, want, atol=1e-7)


def test_sphere_family_values_at_unit_frequency():
    lam, phi = math.radians(40.0), math.radians(-25.0)
    x = [[40.0, -25.0]]
    hp = {"frequency_num": 1, "min_radius": 1.0, "max_radius": 1.0}  # f_0 = 1
    s, c = math.sin, math.cos
    np.testing.assert_allclose(pe("Sphere2Vec-sphereC", x, **hp)[0], [s(phi), c(phi) * c(lam), c(phi) * s(lam)],
                               atol=1e-7)
    np.testing.assert_allclose(pe("Sphere2Vec-sphereC+", x, **hp)[0],
                               [s(phi), c(phi), s(lam), c(lam), c(phi) * c(lam), c(phi) * s(lam)], atol=1e-7)
    np.testing.assert_allclose(pe("Sphere2Vec-sphereM", x, **hp)[0],
                               [s(phi), c(phi) * c(lam), c(phi) * c(lam), c(phi) * s(lam), c(phi) * s(lam)],
                               atol=1e-7)
    np.testing.assert_allclose(pe("Sphere2Vec-sphereM+", x, **hp)[0],
                               [s(phi), c(phi), s(lam), c(lam)] + [c(phi) * c(lam)] * 2 + [c(phi) * s(lam)] * 2,
                               atol=1e-7)
    A, B = [s(lam), c(lam)], [s(phi), c(phi)]
    np.testing.assert_allclose(pe("Sphere2Vec-dfs", x, **hp)[0],
                               [a * b for a in A for b in B] + [s(phi), c(phi), s(lam), c(lam)], atol=1e-7)


def test_sphere_m_plus_and_dfs_honour_min_radius():
    x = [[12.0, 34.0]]
    for name in ("Sphere2Vec-sphereM+", "Sphere2Vec-dfs"):
        a = pe(name, x, frequency_num=4, min_radius=1e-3, max_radius=1.0)
        b = pe(name, x, frequency_num=4, min_radius=1e-2, max_radius=1.0)
        assert not torch.allclose(a, b)
        # TorchSpatial's max-only list ignores min_radius, and with r_max = 1 all frequencies are 1
        c = pe(name, x, frequency_num=4, min_radius=1e-3, max_radius=1.0, freq_list="max_only")
        d = pe(name, x, frequency_num=4, min_radius=1e-2, max_radius=1.0, freq_list="max_only")
        assert torch.equal(c, d)


def test_sphere_c_frequency_major_layout():
    x = [[40.0, -25.0]]
    got = pe("Sphere2Vec-sphereC", x, frequency_num=3, min_radius=0.25, max_radius=1.0)[0].numpy()
    lam, phi = math.radians(40.0), math.radians(-25.0)
    want = []
    for f in (4.0, 2.0, 1.0):
        want += [math.sin(phi * f), math.cos(phi * f) * math.cos(lam * f), math.cos(phi * f) * math.sin(lam * f)]
    np.testing.assert_allclose(got, want, atol=1e-7)


def test_rff_normalised_by_global_extent():
    enc = small("rff", frequency_num=6)
    omega, b = enc.pe.omega, enc.pe.bias
    for (lon, lat), u in (((180.0, 90.0), (1.0, 1.0)), ((-180.0, -90.0), (-1.0, -1.0)), ((0.0, 0.0), (0.0, 0.0)),
                          ((90.0, -45.0), (0.5, -0.5))):
        want = math.sqrt(2 / 6) * torch.cos(torch.tensor(u, dtype=torch.float64) @ omega + b)
        got = enc.pe(pts([[lon, lat]]))[0].double()
        assert torch.allclose(got, want, atol=1e-6)
    assert enc.pe.extent == (-180.0, 180.0, -90.0, 90.0)
    na = small("rff", frequency_num=6, extent=[-162, -59, 20, 56])
    assert na.pe.extent == (-162.0, -59.0, 20.0, 56.0)


def test_rff_variance_is_kernel_size():
    enc = get_encoder("rff").build(seed=1, frequency_num=20000, rbf_kernel_size=4.0, hidden_dim=4, output_dim=2)
    assert abs(float(enc.pe.omega.var()) - 4.0) < 0.15
    assert float(enc.pe.bias.min()) >= 0 and float(enc.pe.bias.max()) < 2 * math.pi


def test_rbf_anchors_from_training_locations():
    rng = np.random.default_rng(0)
    train = np.stack([rng.uniform(-10, 10, 50), rng.uniform(40, 50, 50)], axis=1)
    train[3] = np.nan  # unlocated rows are ignored
    enc = small("rbf", num_rbf_anchor_pts=20, train_lonlat=train)
    anchors = enc.pe.anchors.numpy()
    assert anchors.shape == (20, 2) and len(np.unique(anchors, axis=0)) == 20
    finite = train[np.isfinite(train).all(axis=1)]
    assert all((np.abs(finite - a).sum(axis=1) == 0).any() for a in anchors)
    # the kernel: 1 at an anchor, exp(-d²/2σ²) elsewhere (degree space)
    a0 = anchors[0]
    got = enc.pe(torch.tensor(np.stack([a0, a0 + [3.0, 4.0]]), dtype=torch.float32)).double()
    assert abs(float(got[0, 0]) - 1.0) < 1e-6
    assert abs(float(got[1, 0]) - math.exp(-25.0 / (2 * 2.0 ** 2))) < 1e-6


def test_rbf_falls_back_to_sphere_anchors():
    enc = small("rbf", num_rbf_anchor_pts=2000)
    a = enc.pe.anchors.numpy()
    assert np.all(np.abs(a[:, 0]) <= 180) and np.all(np.abs(a[:, 1]) <= 90)
    # uniform on the sphere: sin(lat) ~ U(-1, 1) -> mean |sin(lat)| ≈ 0.5
    assert abs(np.abs(np.sin(np.radians(a[:, 1]))).mean() - 0.5) < 0.03


def test_tile_cell_index_and_lookup():
    enc = small("tile", min_radius=10.0)
    tile = enc.pe
    assert (tile.ncol, tile.nrow) == (36, 18)
    idx = tile.cell_index(pts([[-180, -90], [-175, -85], [5, 5], [180, 90], [-180, 90], [179.9, -89.9]]))
    assert idx.tolist() == [0, 0, 9 * 36 + 18, 36 * 18 - 1, 17 * 36, 35]
    out = tile(pts([[1.0, 1.0], [9.0, 9.0], [11.0, 1.0]]))
    assert torch.equal(out[0], out[1]) and not torch.equal(out[0], out[2])
    assert torch.equal(out[2], tile.embedding.weight[9 * 36 + 19])


def test_tile_refuses_unusable_cell_sizes():
    with pytest.raises(InputError, match="min_radius"):
        get_encoder("tile").build(min_radius=1.9e-6)


# --- spherical harmonics ----------------------------------------------------------------------
def test_sh_low_degree_closed_forms():
    lon, lat = torch.tensor([25.0, -100.0], dtype=torch.float64), torch.tensor([30.0, -60.0], dtype=torch.float64)
    Y = real_spherical_harmonics(lon, lat, 3)
    lam, phi = np.radians(lon.numpy()), np.radians(lat.numpy())
    z, r = np.sin(phi), np.cos(phi)
    k1 = math.sqrt(3 / (4 * math.pi))
    np.testing.assert_allclose(Y[:, sh_index(0, 0)], 1 / math.sqrt(4 * math.pi))
    np.testing.assert_allclose(Y[:, sh_index(1, 0)], k1 * z)
    np.testing.assert_allclose(Y[:, sh_index(1, 1)], k1 * r * np.cos(lam))
    np.testing.assert_allclose(Y[:, sh_index(1, -1)], k1 * r * np.sin(lam))
    np.testing.assert_allclose(Y[:, sh_index(2, 0)], math.sqrt(5 / (16 * math.pi)) * (3 * z ** 2 - 1))
    np.testing.assert_allclose(Y[:, sh_index(2, 2)], math.sqrt(15 / (16 * math.pi)) * r ** 2 * np.cos(2 * lam))


def test_sh_matches_scipy_legendre():
    from scipy.special import factorial, lpmv

    lat = np.array([-73.0, -5.0, 12.0, 64.0])
    lon = np.array([10.0, 20.0, 30.0, 40.0])
    L = 16
    Y = real_spherical_harmonics(torch.tensor(lon), torch.tensor(lat), L).numpy()
    z = np.sin(np.radians(lat))
    for l in range(L):
        for m in range(0, l + 1):
            K = math.sqrt((2 * l + 1) / (4 * math.pi) * factorial(l - m) / factorial(l + m))
            p = (-1) ** m * K * lpmv(m, l, z)  # scipy includes the Condon-Shortley phase
            if m == 0:
                np.testing.assert_allclose(Y[:, sh_index(l, 0)], p, rtol=1e-9, atol=1e-12)
            else:
                np.testing.assert_allclose(Y[:, sh_index(l, m)], math.sqrt(2) * p * np.cos(m * np.radians(lon)),
                                           rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("L", [8, 30])
def test_sh_orthonormal_by_quadrature(L):
    # Gauss-Legendre in z = sin(lat), uniform in lon: exact for band-limited products
    nz, nl = L + 1, 2 * L + 1
    z, w = np.polynomial.legendre.leggauss(nz)
    lon = np.arange(nl) * 360.0 / nl - 180.0
    lat = np.degrees(np.arcsin(z))
    LON, LAT = np.meshgrid(lon, lat)
    W = np.repeat(w, nl) * (2 * math.pi / nl)
    Y = real_spherical_harmonics(torch.tensor(LON.ravel()), torch.tensor(LAT.ravel()), L).numpy()
    gram = (Y * W[:, None]).T @ Y
    np.testing.assert_allclose(gram, np.eye(L * L), atol=1e-10)


# TorchSpatial's SH basis (in its repository 2024-05-31 .. 2024-06-12, when its SH results were made),
# measured at (lon 30°, lat 45°): (l, m) -> value. Ours = (-1)^l x theirs (m != 0), (-1)^l x theirs / π (m = 0).
TORCHSPATIAL_SH_30_45 = {(0, 0): 0.8862269255, (1, 0): -1.0854018818, (1, 1): -0.2992067103}


def from_torchspatial_basis(l: int, m: int, theirs):
    return (-1) ** l * theirs / (math.pi if m == 0 else 1.0)


def test_sh_relation_to_torchspatial_basis():
    Y = real_spherical_harmonics(torch.tensor([30.0], dtype=torch.float64), torch.tensor([45.0], dtype=torch.float64),
                                 2)[0].numpy()
    ours = {(0, 0): 0.2820947918, (1, 0): 0.3454941495, (1, 1): 0.2992067103}  # the issue's numbers for ours
    for (l, m), theirs in TORCHSPATIAL_SH_30_45.items():
        assert Y[sh_index(l, m)] == pytest.approx(from_torchspatial_basis(l, m, theirs), abs=1e-9)
        assert Y[sh_index(l, m)] == pytest.approx(ours[(l, m)], abs=1e-10)
    # closed forms: Y00 = 1/sqrt(4π), Y10 = sqrt(3/4π) sin φ, Y11 = sqrt(3/4π) cos φ cos λ
    c = math.sqrt(3 / (4 * math.pi))
    assert Y[0] == pytest.approx(1 / math.sqrt(4 * math.pi), abs=1e-15)
    assert Y[sh_index(1, 0)] == pytest.approx(c * math.sin(math.radians(45)), abs=1e-15)
    assert Y[sh_index(1, 1)] == pytest.approx(c * math.cos(math.radians(45)) * math.cos(math.radians(30)), abs=1e-15)


def test_torchspatial_sh_basis_is_not_orthonormal():
    # ours orthonormal by Gauss-Legendre quadrature; theirs (ours mapped back through the relation) has
    # norm² π² on every m = 0 column: the relation is a scaling, not a rotation
    L = 6
    z, w = np.polynomial.legendre.leggauss(L + 1)
    nl = 2 * L + 1
    LON, LAT = np.meshgrid(np.arange(nl) * 360.0 / nl - 180.0, np.degrees(np.arcsin(z)))
    W = np.repeat(w, nl) * (2 * math.pi / nl)
    Y = real_spherical_harmonics(torch.tensor(LON.ravel()), torch.tensor(LAT.ravel()), L).numpy()
    np.testing.assert_allclose((Y * W[:, None]).T @ Y, np.eye(L * L), atol=1e-12)
    scale = np.array([(-1) ** l * (math.pi if m == 0 else 1.0) for l in range(L) for m in range(-l, l + 1)])
    theirs = Y * scale
    np.testing.assert_allclose((theirs * W[:, None]).T @ theirs, np.diag(scale ** 2), atol=1e-10)
    assert np.count_nonzero(np.abs(scale) != 1.0) == L  # one m = 0 column per degree


def test_sh_siren_network_option():
    enc = get_encoder("spherical_harmonics").build(seed=0, network="siren", hidden_dim=16, output_dim=8,
                                                   num_hidden_layers=2)
    assert isinstance(enc.net, SirenNet)
    first = enc.net.hidden[0].linear
    assert float(first.weight.detach().abs().max()) <= 1.0 / 64 + 1e-9  # SIREN first-layer init U(-1/in, 1/in)
    assert enc.net.hidden[0].w0 == 30.0 and enc.net.hidden[1].w0 == 1.0
    assert tuple(enc(pts([[1.0, 2.0]])).shape) == (1, 8)
    with pytest.raises(InputError):
        get_encoder("spherical_harmonics").build(network="transformer")


# --- sphere geometry: antimeridian and poles ------------------------------------------------
INTEGER_FREQS = {"frequency_num": 4, "min_radius": 0.125, "max_radius": 1.0}  # f = 8, 4, 2, 1


@pytest.mark.parametrize("name,hp", [("xyz", {}), ("NeRF", {"frequency_num": 6}),
                                     ("spherical_harmonics", {"legendre_poly_num": 10})]
                         + [(n, INTEGER_FREQS) for n in SPHERE])
def test_3d_encoders_continuous_across_antimeridian(name, hp):
    enc = small(name, **hp).eval()
    lats = [-60.0, -10.0, 0.0, 33.0, 75.0]
    east = pts([[179.9999, la] for la in lats])
    west = pts([[-179.9999, la] for la in lats])
    with torch.no_grad():
        assert torch.allclose(enc.pe(east), enc.pe(west), atol=1e-3)
        assert torch.allclose(enc(east), enc(west), atol=1e-3)
        assert torch.allclose(enc.pe(pts([[180.0, 20.0]])), enc.pe(pts([[-180.0, 20.0]])), atol=1e-5)


def test_non_integer_sphere_frequencies_are_not_periodic():
    # documented property of the published formulas: λ̂·f_s with non-integer f_s jumps at ±180°
    a = pe("Sphere2Vec-sphereC", [[179.9999, 10.0]], frequency_num=3, min_radius=0.3, max_radius=1.0)
    b = pe("Sphere2Vec-sphereC", [[-179.9999, 10.0]], frequency_num=3, min_radius=0.3, max_radius=1.0)
    assert (a - b).abs().max() > 0.1


@pytest.mark.parametrize("name,hp", [("xyz", {}), ("NeRF", {"frequency_num": 6}),
                                     ("spherical_harmonics", {"legendre_poly_num": 10})])
@pytest.mark.parametrize("pole", [90.0, -90.0])
def test_3d_encoders_consistent_at_poles(name, hp, pole):
    enc = small(name, **hp).eval()
    x = pts([[lon, pole] for lon in (-180.0, -97.0, 0.0, 45.0, 170.0)])
    with torch.no_grad():
        p, out = enc.pe(x), enc(x)
    assert torch.allclose(p, p[:1].expand_as(p), atol=1e-6)
    assert torch.allclose(out, out[:1].expand_as(out), atol=1e-5)


# --- networks, gradients, seeds -----------------------------------------------------------------
@pytest.mark.parametrize("name", TRAINABLE)
def test_gradients_flow_to_every_parameter(name):
    enc = small(name, train_lonlat=np.array([[0.0, 0.0], [10.0, 10.0], [-50.0, 30.0]])) if name == "rbf" \
        else small(name)
    enc.train()
    x = pts([[-120.0, 35.0], [2.0, 48.0], [151.0, -33.0], [30.0, 0.0]])
    loss = (enc(x) ** 2).sum() + enc(x).sum()
    loss.backward()
    params = [(n, p) for n, p in enc.named_parameters() if p.requires_grad]
    assert params
    for n, p in params:
        assert p.grad is not None, n
    assert sum(float(p.grad.abs().sum()) for _, p in params) > 0


@pytest.mark.parametrize("name", TRAINABLE)
def test_same_seed_same_output_different_seed_differs(name):
    spec = get_encoder(name)
    hp = {"output_dim": 8} if name == "wrap" else {"hidden_dim": 16, "output_dim": 8}
    if name == "tile":
        hp["min_radius"] = 30.0
    x = pts([[-120.0, 35.0], [2.0, 48.0], [151.0, -33.0]])
    a, b, c = (spec.build(seed=s, **hp).eval() for s in (7, 7, 8))
    with torch.no_grad():
        assert torch.equal(a(x), b(x))
        assert not torch.equal(a(x), c(x))


def test_random_encodings_depend_on_seed():
    x = pts([[10.0, 10.0], [100.0, -40.0]])
    rff = [get_encoder("rff").build(seed=s, hidden_dim=4, output_dim=2) for s in (0, 0, 1)]
    assert torch.equal(rff[0].pe.omega, rff[1].pe.omega) and not torch.equal(rff[0].pe.omega, rff[2].pe.omega)
    assert not torch.equal(rff[0].pe(x), rff[2].pe(x))
    train = np.random.default_rng(3).uniform(-50, 50, size=(400, 2))
    rbf = [get_encoder("rbf").build(seed=s, train_lonlat=train, hidden_dim=4, output_dim=2) for s in (0, 0, 1)]
    assert torch.equal(rbf[0].pe.anchors, rbf[1].pe.anchors)
    assert not torch.equal(rbf[0].pe.anchors, rbf[2].pe.anchors)


def test_build_leaves_global_rng_alone():
    torch.manual_seed(123)
    want = torch.rand(3)
    torch.manual_seed(123)
    get_encoder("Space2Vec-grid").build(seed=5, hidden_dim=8, output_dim=4)
    assert torch.equal(torch.rand(3), want)


def test_feedforward_structure_and_values():
    ffn = FeedForward(3, 4, num_hidden_layers=2, hidden_dim=5, activation="leakyrelu", dropout=0.5).eval()
    linears = [m for m in ffn.modules() if isinstance(m, nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(3, 5), (5, 5), (5, 4)]
    norms = [m for m in ffn.modules() if isinstance(m, nn.LayerNorm)]
    assert len(norms) == 2  # hidden layers only
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    act = nn.LeakyReLU(0.2)
    l0, l1, l2 = ffn.layers
    h = l0.norm(act(l0.linear(x)))                 # 3 != 5: no skip
    h = l1.norm(act(l1.linear(h)) + h)            # 5 == 5: skip
    want = act(l2.linear(h))                      # last: activation, no skip / LayerNorm
    assert torch.allclose(ffn(x), want, atol=1e-6)
    with pytest.raises(InputError):
        FeedForward(3, 4, activation="swish")


def test_wrap_uses_residual_fcnet():
    enc = small("wrap")
    assert isinstance(enc.net, ResidualFCNet)
    assert len(enc.net.net) == 2 + 4
    assert get_encoder("wrap").pe_dim() == 4


# --- presets ------------------------------------------------------------------------------------
def test_presets_carry_torchspatial_b2_values():
    p = get_encoder("Space2Vec-grid").preset("inat2018")
    assert (p["lr"], p["frequency_num"], p["min_radius"], p["max_radius"], p["hidden_dim"], p["batch_size"]) == \
        (1e-2, 32, 1e-4, 360.0, 512, 4096)
    p = get_encoder("NeRF").preset("birdsnap")
    assert (p["activation"], p["num_hidden_layers"], p["hidden_dim"], p["frequency_num"]) == ("sigmoid", 2, 512, 16)
    p = get_encoder("rbf").preset("inat2017")
    assert (p["num_rbf_anchor_pts"], p["rbf_kernel_size"], p["lr"]) == (500, 2.0, 1e-2)
    assert get_encoder("xyz").preset("nabirds-ebird")["hidden_dim"] == 1024
    assert get_encoder("Sphere2Vec-sphereC").preset("birdsnap")["activation"] == "leakyrelu"
    for name in TRAINABLE:
        spec = get_encoder(name)
        for ds in ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018", "fmow"):
            p = spec.preset(ds)
            assert {"lr", "batch_size", "epochs"} <= set(p)
    assert get_encoder("Space2Vec-grid").preset("some-other-dataset") == dict(get_encoder("Space2Vec-grid").defaults)


def test_build_with_preset_and_override():
    enc = get_encoder("Sphere2Vec-dfs").build(seed=0, preset="fmow", hidden_dim=8, output_dim=4)
    assert enc.pe_dim == 4 * 64 ** 2 + 4 * 64
    enc = get_encoder("NeRF").build(seed=0, preset="birdsnap")
    assert isinstance(enc.net.layers[0].act, nn.Sigmoid) and len(enc.net.layers) == 3


# --- latitudes past the poles: refused by every encoder -----------------------------------------
def _built(spec):
    train = np.array([[0.0, 0.0], [10.0, 10.0], [-50.0, 30.0]])
    if spec.name == "GeoCLIP":
        from locbench.encoders.geoclip import geoclip_available

        if not geoclip_available():
            pytest.skip("geoclip weights not installed")
        return spec.build()
    if spec.name == "GAIR":  # weights are the user's: a synthetic checkpoint with the published key layout
        import sys
        import tempfile
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).parent / "data"))
        from gair_checkpoint import write_gair_checkpoint

        return spec.build(weights=write_gair_checkpoint(Path(tempfile.mkdtemp()) / "gair.pt"))
    if spec.name == "wrap":
        return spec.build(seed=0, output_dim=8)
    hp = {k: v for k, v in SMALL.items() if k in spec.defaults}
    if spec.name == "tile":
        hp["min_radius"] = 30.0
    return spec.build(seed=0, train_lonlat=train if spec.needs_train_locations else None, **hp)


@pytest.mark.parametrize("name", [s.name for s in list_encoders()])
def test_every_encoder_refuses_latitudes_past_the_poles(name):
    spec = get_encoder(name)
    enc = _built(spec)
    if enc is None:  # no_prior: no module, nothing encodes a coordinate
        assert spec.family == "baseline"
        return
    ok = enc(pts([[30.0, 90.0], [-150.0, -90.0], [0.0, 0.0]]))  # the poles themselves are fine
    assert torch.isfinite(ok).all()
    for lat in (95.0, -90.5, 180.0):
        with pytest.raises(InputError, match=r"outside \[-90, 90\]") as info:
            enc(pts([[0.0, 10.0], [30.0, lat]]))
        assert (info.value.problem.row, info.value.problem.column) == (1, "lat")


def test_sh_function_and_rbf_anchors_refuse_latitudes_past_the_poles():
    with pytest.raises(InputError, match="outside"):
        real_spherical_harmonics(torch.tensor([0.0]), torch.tensor([95.0]), 4)
    with pytest.raises(InputError, match="outside") as info:
        get_encoder("rbf").build(seed=0, train_lonlat=np.array([[0.0, 0.0], [1.0, 91.0]]), hidden_dim=4)
    assert info.value.problem.column == "train_lonlat"


def test_cli_refuses_a_latitude_past_the_pole_with_exit_2(tmp_path, capsys):
    import json
    import sys
    from pathlib import Path

    from locbench.cli import main

    sys.path.insert(0, str(Path(__file__).parent / "data"))
    from make_dataset_fixtures import write_fixture

    write_fixture("birdsnap", tmp_path / "data", seed=0, n=30, num_classes=3, class_regions="auto")
    path = tmp_path / "data" / "birdsnap" / "birdsnap_with_loc_2019.json"
    doc = json.loads(path.read_text())
    row = next(i for i, e in enumerate(doc["test"]) if e["orig_meta"]["lat"] is not None)
    doc["test"][row]["orig_meta"]["lat"] = 95.0
    path.write_text(json.dumps(doc))
    code = main(["evaluate", "-e", "spherical_harmonics", "-d", "birdsnap", "--data-root", str(tmp_path / "data"),
                 "--out", str(tmp_path / "out"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "outside [-90, 90]" in err and "orig_meta.lat" in err
    assert not (tmp_path / "out").exists()


def test_outputs_within_the_poles_unchanged_by_the_check():
    # SH no longer clamps cos φ: at ±90 it is 6e-17 > 0 in float64, so the poles give the same values
    Y = real_spherical_harmonics(torch.tensor([0.0, 77.0], dtype=torch.float64),
                                 torch.tensor([90.0, -90.0], dtype=torch.float64), 5).numpy()
    for l in range(5):
        np.testing.assert_allclose(Y[:, sh_index(l, 0)], [math.sqrt((2 * l + 1) / (4 * math.pi)),
                                                          (-1) ** l * math.sqrt((2 * l + 1) / (4 * math.pi))],
                                   rtol=1e-12)
        for m in range(1, l + 1):
            assert np.abs(Y[:, [sh_index(l, m), sh_index(l, -m)]]).max() < 1e-14


# --- input errors -------------------------------------------------------------------------------
def test_bad_input_shape_and_nan():
    enc = small("xyz")
    with pytest.raises(InputError, match=r"\(N, 2\)"):
        enc(torch.zeros(3, 3))
    with pytest.raises(InputError) as info:
        enc(pts([[0.0, 0.0], [float("nan"), float("nan")]]))
    assert info.value.problem.row == 1


def test_custom_spec_roundtrip():
    spec = get_encoder("xyz")
    assert isinstance(spec, EncoderSpec)
    d = spec.to_dict()
    assert d["pe_dim"] == 3 and d["family"] == "3D" and "inat2018" in d["presets"]


def _reference_sphere(name: str, lam: float, phi: float, f: list[float]) -> list[float]:
    """Spec §B formulas written out literally, one scale at a time (radians)."""
    s, c = math.sin, math.cos
    out: list[float] = []
    if name == "Sphere2Vec-dfs":
        A = [s(lam * fs) for fs in f] + [c(lam * fs) for fs in f]
        B = [s(phi * fs) for fs in f] + [c(phi * fs) for fs in f]
        out = [a * b for a in A for b in B]
    for fs in f:
        ls, ps = lam * fs, phi * fs
        if name == "Sphere2Vec-sphereC":
            out += [s(ps), c(ps) * c(ls), c(ps) * s(ls)]
        elif name == "Sphere2Vec-sphereC+":
            out += [s(ps), c(ps), s(ls), c(ls), c(ps) * c(ls), c(ps) * s(ls)]
        elif name == "Sphere2Vec-sphereM":
            out += [s(ps), c(ps) * c(lam), c(phi) * c(ls), c(ps) * s(lam), c(phi) * s(ls)]
        elif name == "Sphere2Vec-sphereM+":
            out += [s(ps), c(ps), s(ls), c(ls), c(ps) * c(lam), c(phi) * c(ls), c(ps) * s(lam), c(phi) * s(ls)]
        elif name == "Sphere2Vec-dfs":
            out += [s(ps), c(ps), s(ls), c(ls)]
    return out


@pytest.mark.parametrize("name", SPHERE)
def test_sphere_family_matches_literal_formulas_at_three_scales(name):
    lon, lat = -71.3, 52.7
    hp = {"frequency_num": 3, "min_radius": 0.04, "max_radius": 1.0}  # f = 25, 5, 1
    got = pe(name, [[lon, lat]], **hp)[0].numpy()
    want = _reference_sphere(name, math.radians(lon), math.radians(lat), [25.0, 5.0, 1.0])
    np.testing.assert_allclose(got, want, atol=1e-9)
