"""Spatial autocorrelation: esda cross-checks on the same neighbour lists, closed forms, seeded permutations."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pytest
from scipy import stats

from georbias import autocorrelation as ac
from georbias.autocorrelation import autocorrelation_scores, join_count_moments, weight_sums
from georbias.errors import GeoBiasInputError
from georbias.neighbours import knn_weights

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


def sample(seed: int, n: int, binary: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded global-ish points with a smooth spatial signal plus noise (positive values)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-30, 60, n)
    lat = np.degrees(np.arcsin(rng.uniform(-0.6, 0.8, n)))
    y = np.sin(np.radians(lon) * 4) + np.cos(np.radians(lat) * 3) + rng.normal(0, 0.6, n) + 4.0
    if binary:
        y = (y > np.median(y)).astype(float)
    return lon, lat, y


def esda_w(lon, lat, k):
    """A libpysal W built from exactly our directed k-NN neighbour lists."""
    return libpysal.weights.WSP(knn_weights(lon, lat, k).tocsr()).to_W(silence_warnings=True)


@pytest.fixture(scope="module")
def small():
    lon, lat, y = sample(1, 220)
    return lon, lat, y, autocorrelation_scores(lon, lat, y, k=6, permutations=99, seed=0)


def test_weight_sums_match_libpysal():
    lon, lat, _ = sample(2, 150)
    a = knn_weights(lon, lat, 5)
    w = esda_w(lon, lat, 5)
    assert weight_sums(a) == pytest.approx((w.s0, w.s1, w.s2), rel=1e-12)
    w.transform = "r"
    wr = (a.multiply(1.0 / 5)).tocsr()
    assert weight_sums(wr) == pytest.approx((w.s0, w.s1, w.s2), rel=1e-12)


def test_moran_matches_esda(small):
    lon, lat, y, res = small
    m = esda.Moran(y, esda_w(lon, lat, 6), permutations=0)
    got = res.moran
    for ours, theirs in (("I", m.I), ("expected", m.EI), ("var_norm", m.VI_norm), ("var_rand", m.VI_rand),
                         ("z_norm", m.z_norm), ("z_rand", m.z_rand)):
        assert got[ours] == pytest.approx(theirs, rel=1e-10, abs=1e-13), ours
    assert got["p_norm"] == pytest.approx(m.p_norm, rel=1e-6, abs=1e-300)
    assert got["p_rand"] == pytest.approx(m.p_rand, rel=1e-6, abs=1e-300)
    assert res.summary()["morans_i"] == got["I"]


def test_moran_weak_signal_p_values_match_esda():
    # With weak autocorrelation the p-values are O(0.1) and compare to 1e-10.
    rng = np.random.default_rng(4)
    lon, lat, _ = sample(4, 200)
    y = rng.normal(size=200)
    res = autocorrelation_scores(lon, lat, y, k=4, permutations=0)
    m = esda.Moran(y, esda_w(lon, lat, 4), permutations=0)
    g = esda.Geary(y, esda_w(lon, lat, 4), permutations=0)
    assert res.moran["p_norm"] == pytest.approx(m.p_norm, rel=1e-10)
    assert res.moran["p_rand"] == pytest.approx(m.p_rand, rel=1e-10)
    assert res.geary["p_norm"] == pytest.approx(g.p_norm, rel=1e-10)
    assert res.geary["p_rand"] == pytest.approx(g.p_rand, rel=1e-10)
    assert np.isnan(res.moran["p_sim"])


def test_geary_matches_esda(small):
    lon, lat, y, res = small
    g = esda.Geary(y, esda_w(lon, lat, 6), permutations=0)
    for ours, theirs in (("C", g.C), ("var_norm", g.VC_norm), ("var_rand", g.VC_rand),
                         ("z_norm", g.z_norm), ("z_rand", g.z_rand)):
        assert res.geary[ours] == pytest.approx(theirs, rel=1e-10), ours


def test_general_g_closed_form_matches_dense_esda_at_small_n(small):
    lon, lat, y, res = small                      # 220 points: esda.G's N x N array is fine here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G(y, esda_w(lon, lat, 6), permutations=0)
    assert res.general_g["G"] == pytest.approx(g.G, rel=1e-10)
    assert res.general_g["expected"] == pytest.approx(g.EG, rel=1e-12)
    assert res.general_g["var_norm"] == pytest.approx(g.VG, rel=1e-10)   # EG2 - EG^2 cancels ~4 digits
    assert res.general_g["z_norm"] == pytest.approx(g.z_norm, rel=1e-10)
    assert res.general_g["p_norm"] == pytest.approx(g.p_norm, rel=1e-6, abs=1e-15)


def test_general_g_undefined_for_negative_values():
    lon, lat, y = sample(3, 60)
    res = autocorrelation_scores(lon, lat, y - 4.0, k=4, permutations=9)
    assert np.isnan(res.general_g["G"]) and "non-negative" in res.general_g["note"]
    assert np.isfinite(res.moran["I"])


def test_local_moran_matches_esda_and_is_deterministic(small):
    lon, lat, y, res = small
    loc = esda.Moran_Local(y, esda_w(lon, lat, 6), permutations=0)
    np.testing.assert_allclose(res.lisa.Is, loc.Is, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(res.lisa.q, loc.q)
    again = autocorrelation_scores(lon, lat, y, k=6, permutations=99, seed=0)
    np.testing.assert_array_equal(again.lisa.p_sim, res.lisa.p_sim)
    assert again.moran["p_sim"] == res.moran["p_sim"] and again.geary["p_sim"] == res.geary["p_sim"]
    other = autocorrelation_scores(lon, lat, y, k=6, permutations=99, seed=1)
    assert not np.array_equal(other.lisa.p_sim, res.lisa.p_sim)
    assert np.all((res.lisa.p_sim >= 1 / 100) & (res.lisa.p_sim <= 0.5 + 1e-12))   # folded pseudo-p


def test_local_moran_pvalues_agree_with_esda_conditional_permutations():
    lon, lat, y = sample(5, 200)
    res = autocorrelation_scores(lon, lat, y, k=6, permutations=999, seed=3)
    loc = esda.Moran_Local(y, esda_w(lon, lat, 6), permutations=999, seed=3)
    # Different random streams, same null: p-values agree up to Monte-Carlo noise.
    assert np.mean(np.abs(res.lisa.p_sim - loc.p_sim)) < 0.02
    assert stats.spearmanr(res.lisa.p_sim, loc.p_sim).statistic > 0.95
    assert np.mean(np.abs(res.lisa.z_sim - loc.z_sim)) < 0.1
    assert np.corrcoef(res.lisa.z_sim, loc.z_sim)[0, 1] > 0.99
    np.testing.assert_allclose(res.lisa.p_z_sim, stats.norm.sf(np.abs(res.lisa.z_sim)))


def test_conditional_samples_exclude_self_and_repeat_nothing():
    rng = np.random.default_rng(0)
    rows = np.array([0, 3, 9])
    idx = ac._sample_others(rng, rows, 10, 500, 6)
    assert idx.shape == (3, 500, 6)
    assert not np.any(idx == rows[:, None, None])
    srt = np.sort(idx, axis=2)
    assert not np.any(srt[:, :, 1:] == srt[:, :, :-1])
    counts = np.bincount(idx[0].ravel(), minlength=10)       # uniform over the 9 others
    assert counts[0] == 0 and counts[1:].min() > 0.8 * 500 * 6 / 9
    # wide rows (shared ties: more than 8 neighbours) take the sorting path
    wide = ac._sample_others(rng, rows, 40, 300, 20)
    assert not np.any(wide == rows[:, None, None])
    srt = np.sort(wide, axis=2)
    assert not np.any(srt[:, :, 1:] == srt[:, :, :-1])
    counts = np.bincount(wide[1].ravel(), minlength=40)
    assert counts[3] == 0 and counts[np.arange(40) != 3].min() > 0.8 * 300 * 20 / 39


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(2)
    p = np.concatenate([rng.uniform(0, 0.002, 20), rng.uniform(0, 1, 180)])
    sig, thr = ac.benjamini_hochberg(p, 0.05)
    np.testing.assert_array_equal(sig, stats.false_discovery_control(p) <= 0.05)
    assert 0 < thr <= 0.05 and sig.sum() >= 20
    none, thr0 = ac.benjamini_hochberg(np.full(10, 0.5), 0.05)
    assert not none.any() and thr0 == 0.0


def test_low_cluster_share_counts_significant_ll_or_hh():
    rng = np.random.default_rng(6)
    n = 400
    lon = rng.uniform(0, 20, n)
    lat = rng.uniform(0, 20, n)
    y = np.where((lon < 6) & (lat < 6), 0.0, 1.0) + rng.normal(0, 0.05, n)   # a cold spot of low accuracy
    res = autocorrelation_scores(lon, lat, y, k=8, permutations=199, seed=0)
    ll = (res.lisa.label == "LL")
    assert res.lisa_low_cluster_share == pytest.approx(ll.mean())
    assert ll.sum() > 10 and np.all(res.lisa.significant[ll]) and np.all(res.lisa.q[ll] == 3)
    assert np.mean(y[ll] < 0.5) > 0.9
    err = autocorrelation_scores(lon, lat, 1.0 - y, k=8, permutations=199, seed=0, higher_is_better=False)
    assert err.lisa_low_cluster_share == pytest.approx(np.mean(err.lisa.label == "HH"))
    assert err.lisa_low_cluster_share > 0
    # The pseudo-p floor 1/(P+1) = 0.01 stops BH from accepting anything at P = 99 for this
    # 9 % cold spot (needs 0.01 <= i * 0.05 / 400); 999 permutations lift the floor.
    floor = autocorrelation_scores(lon, lat, y, k=8, permutations=99, seed=0, lisa_p="sim")
    assert floor.lisa.significant.sum() == 0 and floor.lisa_low_cluster_share == 0.0
    fine = autocorrelation_scores(lon, lat, y, k=8, permutations=999, seed=0, lisa_p="sim")
    assert np.sum(fine.lisa.label == "LL") > 10 and fine.params["lisa_p"] == "sim"


def test_null_values_give_few_lisa_discoveries_and_moran_p_uniformish():
    rng = np.random.default_rng(8)
    lon, lat, _ = sample(8, 600)
    y = rng.normal(size=600)
    res = autocorrelation_scores(lon, lat, y, k=8, permutations=99, seed=2)
    assert 0.03 < np.mean(res.lisa.p_sim <= 0.05) < 0.2        # folded p: ~2 x 5 % under the null
    assert res.lisa.significant.mean() < 0.02
    assert res.moran["p_sim"] > 0.01 and abs(res.moran["z_norm"]) < 4


def test_join_counts_match_esda_counts_and_exact_moments():
    lon, lat, yb = sample(9, 180, binary=True)
    res = autocorrelation_scores(lon, lat, yb, k=5, permutations=199, seed=0)
    jc = esda.Join_Counts(yb, esda_w(lon, lat, 5), permutations=0)
    assert (res.join_counts["bb"], res.join_counts["ww"], res.join_counts["bw"]) == (jc.bb, jc.ww, jc.bw)
    assert res.join_counts["J"] == jc.J
    assert res.summary()["join_count_bb_z"] == res.join_counts["bb_z"]
    assert res.join_counts["bb_p_sim"] == pytest.approx(1 / 200)       # strongly clustered
    # -1/+1 coding gives the same counts (B = the larger value).
    pm = autocorrelation_scores(lon, lat, 2 * yb - 1, k=5, permutations=0)
    assert pm.join_counts["bb"] == res.join_counts["bb"]
    # Non-binary values: no join counts.
    assert autocorrelation_scores(lon, lat, yb + np.arange(180) * 1e-3, k=5, permutations=0).join_counts is None


def test_join_count_moments_equal_exact_enumeration():
    rng = np.random.default_rng(3)
    n, n1 = 9, 4
    a = knn_weights(rng.uniform(0, 10, n), rng.uniform(0, 10, n), 3).tocsr()
    s0, s1, s2 = weight_sums(a)
    sims = []
    for comb in itertools.combinations(range(n), n1):
        x = np.zeros(n)
        x[list(comb)] = 1
        bb = 0.5 * x @ (a @ x)
        ww = 0.5 * (1 - x) @ (a @ (1 - x))
        sims.append((bb, ww, s0 / 2 - bb - ww))
    sims = np.array(sims)
    mom = join_count_moments(s0, s1, s2, n, n1)
    for j, key in enumerate(("bb", "ww", "bw")):
        assert mom[f"{key}_expected"] == pytest.approx(sims[:, j].mean(), rel=1e-12)
        assert mom[f"{key}_var"] == pytest.approx(sims[:, j].var(), rel=1e-10)


def test_constant_values_give_nan_not_a_crash():
    lon, lat, _ = sample(10, 50)
    res = autocorrelation_scores(lon, lat, np.ones(50), k=4, permutations=19)
    assert np.isnan(res.moran["I"]) and np.isnan(res.geary["C"]) and np.isnan(res.general_g["G"])
    assert res.lisa_low_cluster_share == 0.0 and res.join_counts is None
    json.dumps(res.to_dict())


def test_result_records_parameters_and_is_json_safe(small):
    _, _, _, res = small
    assert res.params["k"] == 6 and res.params["permutations"] == 99 and res.params["seed"] == 0
    assert res.counts["n"] == 220 and res.counts["n_links"] == 220 * 6
    d = json.loads(json.dumps(res.to_dict()))
    assert set(d["lisa"]["label_counts"]) <= {"HH", "LH", "LL", "HL", "ns"}
    assert set(res.summary()) == {"morans_i", "morans_i_p", "gearys_c", "getis_ord_g_z",
                                  "lisa_low_cluster_share", "join_count_bb_z"}


def test_bad_input_raises_typed_errors():
    lon, lat, y = sample(11, 10)
    with pytest.raises(GeoBiasInputError, match="at least 9"):
        autocorrelation_scores(lon[:5], lat[:5], y[:5], k=8)
    y2 = y.copy()
    y2[3] = np.nan
    with pytest.raises(GeoBiasInputError, match="row 3 column value"):
        autocorrelation_scores(lon, lat, y2, k=4)
    with pytest.raises(GeoBiasInputError, match="row 0 column lon"):
        autocorrelation_scores(np.r_[200.0, lon[1:]], lat, y, k=4)
    with pytest.raises(GeoBiasInputError, match="alpha"):
        autocorrelation_scores(lon, lat, y, k=4, alpha=1.5)
