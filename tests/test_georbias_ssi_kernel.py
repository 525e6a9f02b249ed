"""The compiled SSI weight graph (georbias.ssi_kernel) against the numpy graph it replaces.

Tie rule "first" (presets torchspatial, pygbs): every per-ROI number (Moran's I, its moments,
SSI, the ring-tie flag) must be bit for bit the numpy path's, on clustered data, on exact
duplicate coordinates, for both ring-tie policies and for k != 4; the graph summaries must be
equal edge for edge, in the same order (the float sums of Moran's I follow that order).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import georbias.ssi as S
from georbias.presets import get_preset

pytest.importorskip("numba")


def _clustered(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Radians: clustered points (some exact duplicates) and 0/1 values."""
    rng = np.random.default_rng(seed)
    c_lat, c_lon = rng.uniform(-1.2, 1.2, 12), rng.uniform(-3.0, 3.0, 12)
    which = rng.integers(0, 12, n)
    lat = c_lat[which] + rng.normal(0, 0.03, n)
    lon = c_lon[which] + rng.normal(0, 0.03, n)
    dup = rng.random(n) < 0.1            # 10 % of rows copy another row's coordinates
    src = rng.integers(0, n, n)
    lat[dup], lon[dup] = lat[src[dup]], lon[src[dup]]
    return lat, lon, (rng.random(n) < 0.6).astype(float)


def _both(monkeypatch: pytest.MonkeyPatch, lat, lon, v, **kw) -> tuple[S.SSIResult, S.SSIResult]:
    out = []
    for flag in (False, True):
        monkeypatch.setattr(S, "USE_KERNEL", flag)
        out.append(S.ssi_scores(lat, lon, v, **kw))
    return out[0], out[1]


def _assert_same(a: S.SSIResult, b: S.SSIResult) -> None:
    np.testing.assert_array_equal(a.n_roi, b.n_roi)
    np.testing.assert_array_equal(a.tie_live, b.tie_live)
    for var in ("unmarked", "marked"):
        for f in ("ssi", "i_upper", "mean", "std"):
            x, y = getattr(getattr(a, var), f), getattr(getattr(b, var), f)
            assert np.array_equal(x, y, equal_nan=True), f"{var}.{f} differs on {int((x != y).sum())} ROIs"


@pytest.mark.parametrize("preset", ["torchspatial", "pygbs"])
@pytest.mark.parametrize("tie_policy", ["centre", "ring"])
def test_kernel_equals_numpy_graph(monkeypatch: pytest.MonkeyPatch, preset: str, tie_policy: str) -> None:
    lat, lon, v = _clustered(3000, 1)
    a, b = _both(monkeypatch, lat, lon, v, preset=get_preset(preset), radius_rad=0.05, tie_policy=tie_policy)
    assert (a.n_roi == 100).mean() > 0.5 and a.tie_live.any()   # capped ROIs and live ring ties are exercised
    _assert_same(a, b)


@pytest.mark.parametrize("weight_k,radius", [(3, 0.02), (8, 0.08)])
def test_kernel_other_k_and_radius(monkeypatch: pytest.MonkeyPatch, weight_k: int, radius: float) -> None:
    lat, lon, v = _clustered(2000, 2)
    a, b = _both(monkeypatch, lat, lon, v, preset=get_preset("torchspatial"), radius_rad=radius, weight_k=weight_k,
                 roi_k=60)
    _assert_same(a, b)


def test_kernel_graph_summary_edge_for_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary itself: same edges in the same order, same background counts."""
    lat, lon, v = _clustered(1500, 3)
    cl = np.cos(lat)
    xyz = np.column_stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)])
    n_roi, members = S.roi_members(xyz, 0.05, 100)
    st = S._roi_batch(lat, lon, xyz, v, get_preset("torchspatial"), members, 4, "centre", False)
    checked = 0
    for geo, ids in S._chunks(n_roi, 0.05, 4):
        if not S._use_kernel(geo, 4):
            continue
        graphs = []
        for flag in (False, True):
            monkeypatch.setattr(S, "USE_KERNEL", flag)
            graphs.append(S._chunk_graph(st, geo, ids))
        g0, g1 = graphs
        for f in ("pp_row", "pp_q", "to_bg", "from_bg", "tie_live"):
            np.testing.assert_array_equal(np.asarray(getattr(g0, f)), np.asarray(getattr(g1, f)), err_msg=f)
        checked += len(ids)
    assert checked > 1000


@pytest.mark.shared
@pytest.mark.parametrize("case", ["ssi_inat2018_nerf_europe_dups", "ssi_fmow_nerf_dups"])
def test_kernel_on_duplicate_conformance_cases(shared_dir: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    base = shared_dir / "conformance" / "geobias" / case
    if not base.is_dir():
        pytest.skip(f"conformance case {case} absent")
    params = json.loads((base / "params.json").read_text())
    df = pd.read_csv(base / "input.csv")
    from georbias.values import apply_threshold

    v = apply_threshold(df[params["value_column"]].to_numpy(), params.get("thres"), params.get("lower_is_better", False))
    a, b = _both(monkeypatch, df["lat"].to_numpy() / 180 * np.pi, df["lon"].to_numpy() / 180 * np.pi, v,
                 preset=get_preset("torchspatial"), radius_rad=params["radius"], roi_k=params["partition_k"],
                 weight_k=params["weight_matrix_k"])
    _assert_same(a, b)
