"""SSI engine: closed forms, an independent brute-force cross-check, presets and determinism.

Everything here stands without ../shared: inputs come from seeded generators.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation
from scipy.stats import norm

from georbias.presets import PRESETS, get_preset
from georbias.errors import GeoBiasInputError
from georbias.ssi import background_density, ring_points, ssi_scores
from georbias.surprisal import SATURATION, moran_moments, surprisal
from georbias.values import apply_threshold, presence_marks


def synth(n: int = 260, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded points in a 6 x 5 degree box with a performance gradient (radians, values 0/1)."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(37.5, 42.5, n)
    lon = rng.uniform(7.0, 13.0, n)
    hit = (rng.random(n) < np.where(lon > 11, 0.35, 0.85)).astype(float)
    return lat / 180 * np.pi, lon / 180 * np.pi, hit


def test_saturation_is_256_ln10() -> None:
    assert SATURATION == pytest.approx(256 * math.log(10), rel=1e-15)
    assert SATURATION == pytest.approx(589.4617838064758, rel=1e-15)


def test_ring_geometry_spec_section7() -> None:
    # spec §7: ROI of 100 points at r = 0.05 -> density 63662 and 578 background points
    assert background_density(100, 0.05) == 63662
    xyz, density, spacing, n_rings = ring_points(100, 0.05)
    assert (density, len(xyz), n_rings) == (63662, 578, 13)
    assert spacing == pytest.approx(1 / math.sqrt(63662))
    # ring i holds ceil(2 pi i) points at colatitude i * spacing; all are unit vectors
    assert np.allclose(np.linalg.norm(xyz, axis=1), 1.0)
    colat = np.arccos(np.clip(xyz[:, 2], -1, 1))
    assert np.allclose(colat[:7], spacing) and np.allclose(colat[7:20], 2 * spacing)


def test_moments_closed_form_two_classes_spec_section7() -> None:
    # 100 presence (1) + 578 background (0), degree 4: mu = -1.25148, sigma = 8.43204 (spec §7)
    mu, var = moran_moments(np.array([[0.0, 1.0]]), np.array([[578.0, 100.0]]), 4)
    n_tot, xbar = 678.0, 100 / 678
    m00 = 4 * 578 * 577 / n_tot - 1
    m11 = 4 * 100 * 99 / n_tot - 1
    m01 = 4 * 578 * 100 / n_tot
    mu_cf = xbar ** 2 * m00 + (1 - xbar) ** 2 * m11 - 2 * xbar * (1 - xbar) * m01
    var_cf = 2 * 99 * 4 * 100 / n_tot * (1 - 4 * 199 / (3 * n_tot))
    assert mu[0] == pytest.approx(mu_cf, rel=1e-12)
    assert var[0] == pytest.approx(var_cf, rel=1e-12)
    assert mu[0] == pytest.approx(-1.25148, abs=5e-6)
    assert math.sqrt(var[0]) == pytest.approx(8.43204, abs=5e-6)
    # surprisal given the reference's I for that ROI: 28.5154 (table era) and 22.4532 (HEAD)
    i_ref = np.array([58.923303834808266])
    s_te, p_te, _ = surprisal(i_ref, mu, var, probability="pdf", sigma_offset=0.0, nan_if_degenerate=False)
    s_hd, _, sig = surprisal(i_ref, mu, var, probability="two_sided", sigma_offset=1.0, nan_if_degenerate=False)
    assert s_te[0] == pytest.approx(-math.log(norm.pdf(i_ref[0], mu[0], math.sqrt(var[0])) + 1e-256), rel=1e-14)
    assert s_te[0] == pytest.approx(28.5154, abs=5e-5)
    assert sig[0] == pytest.approx(9.43204, abs=5e-6)
    assert s_hd[0] == pytest.approx(22.4532, abs=5e-5)


def test_moments_three_classes_by_hand() -> None:
    # classes -1 (n=2), 0 (n=5, majority), 1 (n=3), degree 4: evaluate §1.4 term by term
    cs, ns, d = np.array([-1.0, 0.0, 1.0]), np.array([2.0, 5.0, 3.0]), 4.0
    n_tot = ns.sum()
    xbar = (cs * ns).sum() / n_tot
    mu = 0.0
    var = 0.0
    r = 1
    for p in range(3):
        for q in range(3):
            dp, dq = cs[p] - xbar, cs[q] - xbar
            if p == q:
                mu += dp * dq * (d * ns[p] * (ns[p] - 1) / n_tot - 1)
            else:
                mu += dp * dq * d * ns[p] * ns[q] / n_tot
            if p == r or q == r:
                continue
            if p == q:
                var += (cs[p] - cs[r]) ** 4 * 2 * (ns[p] - 1) * d * ns[p] / n_tot * (1 - d * (2 * ns[p] - 1) / (3 * n_tot))
            else:
                mx = max(ns[p], ns[q])
                coef = (dp * dq - 2 * dp * (cs[r] - xbar) + (cs[r] - xbar) ** 2) ** 2
                var += coef * min(ns[p], ns[q]) * (d * mx / n_tot) * (1 - d * mx / n_tot)
    # padded with an empty class: the padding must not change anything
    got_mu, got_var = moran_moments(np.array([[-1.0, 0.0, 1.0, 0.0]]), np.array([[2.0, 5.0, 3.0, 0.0]]), 4)
    assert got_mu[0] == pytest.approx(mu, rel=1e-13)
    assert got_var[0] == pytest.approx(var, rel=1e-13)


def test_degenerate_variance() -> None:
    # one class only (every mark equals background): var = 0
    mu, var = moran_moments(np.array([[0.0]]), np.array([[50.0]]), 4)
    assert mu[0] == pytest.approx(0.0) and var[0] == 0.0
    te = surprisal(np.zeros(1), mu, var, probability="pdf", sigma_offset=0.0, nan_if_degenerate=False)[0]
    hd = surprisal(np.zeros(1), mu, var, probability="two_sided", sigma_offset=1.0, nan_if_degenerate=False)[0]
    lb = surprisal(np.zeros(1), mu, var, probability="two_sided", sigma_offset=0.0, nan_if_degenerate=True)[0]
    assert np.isnan(te[0])  # reference: pdf with scale 0 is NaN
    assert hd[0] == pytest.approx(-math.log(1 + 1e-256))  # HEAD: sigma + 1 hides it (p = 1)
    assert np.isnan(lb[0])
    # negative variance (a minority class above ~3/8 of N) -> NaN in every preset
    mu, var = moran_moments(np.array([[0.0, 1.0]]), np.array([[10.0, 9.0]]), 4)
    assert var[0] < 0
    for pre in PRESETS.values():
        s = surprisal(np.zeros(1), mu, var, probability=pre.probability, sigma_offset=pre.sigma_offset,
                      nan_if_degenerate=pre.nan_if_degenerate)[0]
        assert np.isnan(s[0])


def test_saturation_floor() -> None:
    s, p, _ = surprisal(np.array([1e6]), np.array([0.0]), np.array([1.0]), probability="pdf", sigma_offset=0,
                        nan_if_degenerate=False)
    assert p[0] == 0.0 and s[0] == SATURATION


def brute_i_upper(lat: np.ndarray, lon: np.ndarray, values: np.ndarray, centre: int, members: np.ndarray,
                  k: int) -> float:
    """Independent path: rotate the rings onto the centre with scipy Rotation, k-NN on the union."""
    n = len(members)
    ring, *_ = ring_points(n, 0.05)
    rot = Rotation.from_euler("yz", [np.pi / 2 - lat[centre], lon[centre]])
    bg = rot.apply(ring)
    cl = np.cos(lat[members])
    pres = np.column_stack([cl * np.cos(lon[members]), cl * np.sin(lon[members]), np.sin(lat[members])])
    pts = np.vstack([pres, bg])
    vals = np.concatenate([values, np.zeros(len(bg))])
    x = vals - vals.mean()
    _, nb = cKDTree(pts).query(pts, k=k + 1)
    total = 0.0
    for i in range(len(pts)):
        row = [j for j in nb[i] if j != i][:k]
        total += x[i] * x[row].sum()
    return total


@pytest.mark.parametrize("k", [4, 6])
def test_fast_graph_matches_brute_force(k: int) -> None:
    lat, lon, hit = synth(160, seed=3)
    pre = get_preset("torchspatial")
    res = [ssi_scores(lat, lon, hit, preset=pre, radius_rad=0.05, roi_k=60, weight_k=k, tie_policy=t)
           for t in ("centre", "ring")]
    from georbias.ssi import roi_members

    cl = np.cos(lat)
    xyz = np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])
    n_roi, members = roi_members(xyz, 0.05, 60)
    assert np.array_equal(n_roi, res[0].n_roi)
    rng = np.random.default_rng(0)
    for i in rng.choice(len(lat), 25, replace=False):
        mem = members[i, :n_roi[i]]
        for vals, attr in ((np.ones(len(mem)), "unmarked"), (hit[mem], "marked")):
            want = brute_i_upper(lat, lon, vals, i, mem, k)
            got = [getattr(r, attr).i_upper[i] for r in res]
            if res[0].tie_live[i]:  # exact geometric tie: the brute force may take either side
                assert min(abs(g - want) for g in got) < 1e-9 * max(1.0, abs(want))
            else:
                assert got[0] == pytest.approx(want, rel=1e-10, abs=1e-9)


def brute_i_shared(lat: np.ndarray, lon: np.ndarray, values: np.ndarray, centre: int, members: np.ndarray,
                   k: int) -> float:
    """Dense check of the locbench tie rule: neighbours at the k-th distance share what is left of k."""
    n = len(members)
    ring, *_ = ring_points(n, 0.05)
    bg = Rotation.from_euler("yz", [np.pi / 2 - lat[centre], lon[centre]]).apply(ring)
    cl = np.cos(lat[members])
    pres = np.column_stack([cl * np.cos(lon[members]), cl * np.sin(lon[members]), np.sin(lat[members])])
    pts = np.vstack([pres, bg])
    x = np.concatenate([values, np.zeros(len(bg))])
    x = x - x.mean()
    total = 0.0
    for i in range(len(pts)):
        d = np.linalg.norm(pts - pts[i], axis=1)
        d[i] = np.inf  # self by index; exact duplicates stay at distance 0
        dk = np.sort(d)[k - 1]
        closer, tied = d < dk, d == dk
        w = closer + tied * (k - closer.sum()) / tied.sum()
        total += x[i] * float(w @ x)
    return total


def test_locbench_shared_ties_match_dense_rule_on_duplicates() -> None:
    lat, lon, hit = synth(140, seed=5)
    rng = np.random.default_rng(1)
    dup = rng.choice(140, 40)  # 40 exact duplicates, with their own values
    lat, lon = np.concatenate([lat, lat[dup]]), np.concatenate([lon, lon[dup]])
    hit = np.concatenate([hit, (rng.random(40) < 0.5).astype(float)])
    res = ssi_scores(lat, lon, hit, preset=get_preset("locbench"), radius_rad=0.05, roi_k=60, weight_k=4)
    from georbias.ssi import roi_members

    cl = np.cos(lat)
    xyz = np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])
    n_roi, members = roi_members(xyz, 0.05, 60, keep_cap_ties=True)
    assert np.array_equal(n_roi, res.n_roi) and (n_roi > 60).any()  # duplicates tied at the cap all join
    marks = presence_marks(hit, "shifted")
    checked = 0
    for i in np.nonzero(~res.tie_live)[0][::3]:
        mem = members[i, :n_roi[i]]
        assert res.unmarked.i_upper[i] == pytest.approx(brute_i_shared(lat, lon, np.ones(len(mem)), i, mem, 4),
                                                        rel=1e-10, abs=1e-9)
        assert res.marked.i_upper[i] == pytest.approx(brute_i_shared(lat, lon, marks[mem], i, mem, 4),
                                                      rel=1e-10, abs=1e-9)
        checked += 1
    assert checked >= 30


def test_deterministic_and_order_independent_values() -> None:
    lat, lon, hit = synth()
    pre = get_preset("torchspatial")
    a = ssi_scores(lat, lon, hit, preset=pre)
    b = ssi_scores(lat, lon, hit, preset=pre)
    assert np.array_equal(a.marked.ssi, b.marked.ssi, equal_nan=True)
    assert np.array_equal(a.unmarked.ssi, b.unmarked.ssi, equal_nan=True)
    # unmarked SSI depends only on where the points are
    c = ssi_scores(lat, lon, 1 - hit, preset=pre)
    assert np.array_equal(a.unmarked.ssi, c.unmarked.ssi, equal_nan=True)
    agg = a.aggregates()
    ok = np.isfinite(a.marked.ssi)
    assert agg["marked"]["mean"] == pytest.approx(a.marked.ssi[ok].mean())
    assert agg["marked"]["weighted_mean"] == pytest.approx((a.marked.ssi[ok] * a.n_roi[ok]).sum() / a.n_roi[ok].sum())


def test_presets_differ_as_documented() -> None:
    lat, lon, hit = synth()
    te = ssi_scores(lat, lon, hit, preset=get_preset("torchspatial"))
    hd = ssi_scores(lat, lon, hit, preset=get_preset("pygbs"))
    lb = ssi_scores(lat, lon, hit, preset=get_preset("locbench"), weight_k=6)
    # same statistic, different probability rule: table era and HEAD share I, mu
    assert np.allclose(te.marked.i_upper, hd.marked.i_upper) and np.allclose(te.marked.mean, hd.marked.mean)
    assert np.allclose(hd.marked.std, te.marked.std + 1.0)
    # locbench: degree follows k (6) -> ring geometry per n is the same, moments use 6
    assert lb.params["moment_degree"] == 6 and te.params["moment_degree"] == 4
    # locbench marks: a miss is 1, a hit 2, background 0 -> every presence point differs from background
    assert np.array_equal(presence_marks(np.array([0.0, 1.0]), "shifted"), [1.0, 2.0])


def test_locbench_marks_separate_misses_from_background() -> None:
    lat, lon, _ = synth()
    misses = np.zeros(len(lat))  # a model that gets everything wrong
    te = ssi_scores(lat, lon, misses, preset=get_preset("torchspatial"))
    lb = ssi_scores(lat, lon, misses, preset=get_preset("locbench"))
    assert np.isnan(te.marked.ssi).all()  # reference: all marks equal background, sigma = 0
    # locbench: constant marks equal the unmarked configuration (presence 1 vs background 0)
    assert np.allclose(lb.marked.i_upper, lb.unmarked.i_upper)


def test_threshold_rule() -> None:
    v = np.array([10.0, 750.0, 749.9, 3000.0])
    assert list(apply_threshold(v, 750, True)) == [1, -1, 1, -1]
    assert list(apply_threshold(v, 750, False)) == [-1, 1, -1, 1]
    assert apply_threshold(v, None, False) is not None


def test_unknown_preset() -> None:
    with pytest.raises(GeoBiasInputError, match="unknown preset"):
        get_preset("nope")
