"""SRI's compiled counting (georbias.sri_fast / sri_kernel) against the pair code and a brute force from the math.

The inputs are built to hit the kernel's weak spots: exact duplicates, points at a distance of
exactly a ring edge or the radius from others (the exact re-check band), the antimeridian and
the southern hemisphere (table-era angle wraps), binary and continuous values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from scipy.special import rel_entr

from georbias import geometry as geo
from georbias import sri as sri_mod
from georbias import sri_kernel
from georbias.sri import sri_scores

VARIANTS = ("scale_grid", "distance_lag", "direction_sector")
R, S, LAG, M = 0.05, 0.025, 0.005, 8


def destination(lat_deg: float, lon_deg: float, bearing: float, dist: float) -> tuple[float, float]:
    """Point at great-circle distance `dist` (rad) and initial bearing (rad) from a start point (degrees)."""
    p1, l1 = math.radians(lat_deg), math.radians(lon_deg)
    p2 = math.asin(math.sin(p1) * math.cos(dist) + math.cos(p1) * math.sin(dist) * math.cos(bearing))
    l2 = l1 + math.atan2(math.sin(bearing) * math.sin(dist) * math.cos(p1), math.cos(dist) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 180.0) % 360.0 - 180.0


def hard_points(seed: int, n: int = 240) -> tuple[np.ndarray, np.ndarray]:
    """Clumps at the antimeridian (south) and in Europe, exact duplicates, and points placed at ring-edge
    and radius distances from earlier points."""
    rng = np.random.default_rng(seed)
    lat = np.r_[rng.normal(-30, 0.8, n // 2), rng.normal(45, 0.8, n // 2)]
    lon = np.r_[179.6 + rng.normal(0, 0.8, n // 2), rng.normal(10, 0.8, n // 2)]
    lon = (lon + 180.0) % 360.0 - 180.0
    extra = []
    for i in rng.integers(0, n, 60):
        dist = rng.choice([R, LAG * rng.integers(1, 10), 0.0])
        extra.append(destination(lat[i], lon[i], rng.uniform(0, 2 * np.pi), float(dist)))
    dup = rng.integers(0, n, 30)
    lat = np.r_[lat, [e[0] for e in extra], lat[dup]]
    lon = np.r_[lon, [e[1] for e in extra], lon[dup]]
    return lon, lat


def _kl_sum(pg: np.ndarray, parts: list[tuple[np.ndarray, int]], n_roi: int, smooth: float, renorm: bool):
    """(sum KL_j n_j / n_roi, sum w_j, count) over partitions given as (histogram, n_j)."""
    tot, wsum, k = 0.0, 0.0, 0
    for h, nj in parts:
        pl = h / nj + smooth
        if renorm:
            pl = pl / (1.0 + len(h) * smooth)
        tot += rel_entr(pg, pl).sum() * nj / n_roi
        wsum += nj / n_roi
        k += 1
    return tot, wsum, k


def brute_force(lon, lat, vals, preset: str, pmin: int, bins: int = 2):
    """Per-centre loops from the SRI definition (docs/geobias.md, shared spec section 3)."""
    la, lo = geo.deg_to_rad_reference(lat), geo.deg_to_rad_reference(lon)
    ts = preset == "torchspatial"
    edges = np.linspace(vals.min(), vals.max(), bins + 1)

    def hist(x):
        return np.histogram(x, bins=bins)[0] if ts else np.histogram(x, bins=edges)[0]

    raw = {v: np.zeros(len(vals)) for v in VARIANTS}
    norm = {v: np.full(len(vals), np.nan) for v in VARIANTS}
    for i in range(len(vals)):
        d = geo.haversine_rad(la[i], lo[i], la, lo)
        roi = d <= R
        pg = hist(vals[roi]) / roi.sum()
        groups = {v: [] for v in VARIANTS}
        nr = math.ceil(R / LAG)
        for a in range(nr):
            mk = (d >= LAG * a) & (d < LAG * (a + 1)) if ts else roi & (np.minimum(np.floor(d / LAG), nr - 1) == a)
            groups["distance_lag"].append(mk)
        if ts:
            kap = math.ceil(R / S)
            for a in range(-kap, kap):
                for b in range(-kap, kap):
                    groups["scale_grid"].append((la >= la[i] + a * S) & (la < la[i] + (a + 1) * S)
                                                & (lo >= lo[i] + b * S) & (lo < lo[i] + (b + 1) * S))
            p = Rotation.from_euler("zy", [-lo[i], -(np.pi / 2 - la[i])]).apply(geo.xyz_reference(la, lo))
            ang = np.arctan2(p[:, 1], p[:, 0]) - lo[i]
            if (ang[roi] > np.pi).any() and (ang[roi] < -np.pi).any():
                groups["direction_sector"] = None        # the reference crashed: undefined
            else:
                ang = np.where(ang > np.pi, ang - 2 * np.pi, np.where(ang < -np.pi, ang + 2 * np.pi, ang))
                groups["direction_sector"] = [roi & (ang >= -np.pi + 2 * np.pi * a / M)
                                              & (ang < -np.pi + 2 * np.pi * (a + 1) / M) for a in range(M)]
        else:
            east, north = geo.laea_local(la[i], lo[i], la, lo)
            half = math.ceil(R / S - 0.5)
            a, b = np.floor(north / S + 0.5), np.floor(east / S + 0.5)
            for ca in range(-half, half + 1):
                for cb in range(-half, half + 1):
                    groups["scale_grid"].append(roi & (a == ca) & (b == cb))
            brg = geo.initial_bearing(la[i], lo[i], la, lo)
            sec = np.floor(np.mod(brg + np.pi / M, 2 * np.pi) / (2 * np.pi / M)) % M
            groups["direction_sector"] = [roi & (d > 0) & (sec == a) for a in range(M)]
        for v in VARIANTS:
            if groups[v] is None:
                raw[v][i] = norm[v][i] = np.nan
                continue
            parts = [(hist(vals[mk]), int(mk.sum())) for mk in groups[v] if mk.sum() >= pmin]
            tot, wsum, k = _kl_sum(pg, parts, int(roi.sum()), 1e-8, renorm=not ts)
            raw[v][i] = tot
            norm[v][i] = tot / wsum if k else np.nan
    return raw, norm


@pytest.mark.parametrize("preset", ["torchspatial", "locbench"])
@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_kernel_matches_brute_force(preset: str, kind: str) -> None:
    lon, lat = hard_points(3)
    rng = np.random.default_rng(4)
    vals = (rng.random(len(lon)) < 0.4 + 0.3 * (lat > 0)).astype(float)
    if kind == "continuous":
        vals = vals + rng.normal(0, 0.3, len(vals))
    res = sri_scores(lon, lat, vals, preset=preset, partition_min=4)
    raw, norm = brute_force(lon, lat, vals, preset, pmin=4)
    for v in VARIANTS:
        assert res.variants[v].n_partitions.sum() > 0, v
        np.testing.assert_allclose(res.variants[v].sri_raw, raw[v], rtol=1e-9, atol=1e-14, err_msg=v)
        np.testing.assert_allclose(res.variants[v].sri_normalized, norm[v], rtol=1e-9, atol=1e-14, err_msg=v)


@pytest.mark.parametrize("preset", ["torchspatial", "locbench"])
@pytest.mark.parametrize("values", ["binary", "pm1", "continuous", "constant", "binary_rounded", "continuous_rounded"])
def test_kernel_equals_pair_code_bit_for_bit(monkeypatch, preset: str, values: str) -> None:
    lon, lat = hard_points(11, n=400)
    if values.endswith("_rounded"):          # many exact copies: counted in the kernel, not re-checked
        lon, lat, values = np.round(lon * 20) / 20, np.round(lat * 20) / 20, values[:-len("_rounded")]
    rng = np.random.default_rng(5)
    v = (rng.random(len(lon)) < 0.5).astype(float)
    v = {"binary": v, "pm1": 2 * v - 1, "continuous": v + rng.normal(0, 0.2, len(v)), "constant": 0 * v}[values]
    kw = dict(preset=preset, details=True, partition_min=5)
    monkeypatch.setattr(sri_mod, "_PAIR_BUDGET", 3000)                 # many kernel chunks
    fast = sri_scores(lon, lat, v, **kw)
    monkeypatch.setattr(sri_mod, "_FAST", False)
    pairs = sri_scores(lon, lat, v, **kw)
    np.testing.assert_array_equal(fast.n_roi, pairs.n_roi)
    for name in VARIANTS:
        a, b = fast.variants[name], pairs.variants[name]
        for f in ("sri_raw", "sri_normalized", "n_partitions"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f"{name} {f}")
        assert a.aggregate == pytest.approx(b.aggregate, nan_ok=True, rel=0, abs=0)
        for k in ("roi", "key", "size", "kl"):
            np.testing.assert_array_equal(a.partitions[k], b.partitions[k], err_msg=f"{name} {k}")


@pytest.mark.parametrize("preset", ["torchspatial", "locbench"])
def test_other_settings_bins_and_single_variants_match_pair_code(monkeypatch, preset: str) -> None:
    lon, lat = hard_points(21, n=300)
    v = np.random.default_rng(2).normal(size=len(lon))
    kw = dict(preset=preset, radius_rad=0.04, scale=0.013, lag=0.0033, sectors=7, partition_min=3, bins=3)
    for variants, vals in ((VARIANTS, np.sign(v)), (VARIANTS, v), (("direction_sector",), v),
                           (("scale_grid", "distance_lag"), np.sign(v))):
        fast = sri_scores(lon, lat, vals, variants=variants, **kw)
        with monkeypatch.context() as mp:
            mp.setattr(sri_mod, "_FAST", False)
            pairs = sri_scores(lon, lat, vals, variants=variants, **kw)
        for name in variants:
            np.testing.assert_array_equal(fast.variants[name].sri_raw, pairs.variants[name].sri_raw, err_msg=name)
            assert fast.variants[name].n_partitions.sum() > 0


def test_fast_atan2_error_and_signed_zeros() -> None:
    rng = np.random.default_rng(1)
    y, x = rng.normal(size=20_000), rng.normal(size=20_000)
    y[:50], x[50:100], y[100:150] = 0.0, 0.0, x[100:150]
    got = np.array([sri_kernel.fast_atan2(a, b) for a, b in zip(y, x)])
    assert np.abs(got - np.arctan2(y, x)).max() < sri_kernel.ANG_TOL / 10
    for a, b in ((0.0, -1.0), (-0.0, -1.0), (-0.0, 1.0), (-1.0, -0.0), (0.0, 0.0)):
        assert sri_kernel.fast_atan2(a, b) == math.atan2(a, b)


def test_chord_series_and_table_era_cells() -> None:
    ch = np.linspace(0, 0.4, 100_001)
    series = np.array([sri_kernel.chord_angle(c) for c in ch[::97]])
    np.testing.assert_allclose(series, 2 * np.arcsin(ch[::97] / 2), rtol=0, atol=1e-14)
    # ts_cell equals the pair code's _cell_index, edges included
    rng = np.random.default_rng(0)
    kappa, s = 2, 0.025
    offs = s * np.arange(-kappa, kappa + 1)
    centre = rng.uniform(-1, 1, 2000)
    x = np.r_[centre[:1000] + rng.uniform(-0.06, 0.06, 1000), centre[1000:] + offs[rng.integers(0, 5, 1000)]]
    want = sri_mod._cell_index(x, centre, offs)
    got = [sri_kernel.ts_cell(a, c, 1.0 / (offs[1] - offs[0]), s, kappa) for a, c in zip(x, centre)]
    np.testing.assert_array_equal(got, want)


def test_shared_geometry_keeps_only_the_linear_index() -> None:
    import georbias
    from georbias.geometry_cache import CACHE

    lon, lat = hard_points(8, n=600)
    v = (np.random.default_rng(0).random(len(lon)) < 0.5).astype(float)
    sri_scores(lon, lat, v)
    assert CACHE.used == 0 and not CACHE.entries                   # nothing kept outside the block
    with georbias.shared_geometry():
        first = sri_scores(lon, lat, v)
        hits = CACHE.hits
        second = sri_scores(lon, lat, v)
        assert CACHE.hits == hits + 1
        assert 0 < CACHE.used < 200 * len(lon)                    # the band index and plan: O(n), no pairs
    for name in VARIANTS:
        np.testing.assert_array_equal(first.variants[name].sri_raw, second.variants[name].sri_raw)
