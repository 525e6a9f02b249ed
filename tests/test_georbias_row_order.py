"""Preset `locbench` is exactly invariant to row order: SSI, SRI and autocorrelation.

The duplicate cases of ../shared/conformance/geobias keep every exact-duplicate coordinate
(many photos per site), where ties are everywhere. Shuffling the rows and mapping the per-ROI
table back must give the same bits in every column, and the same summary. A seeded synthetic
set with planted duplicates and equal distances runs without ../shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import georbias

VALUE_COLUMNS = ["n_roi", "unmarked_ssi", "marked_ssi", "sri_scale_grid", "sri_distance_lag", "sri_direction_sector",
                 "sri_weight", "lisa_i", "lisa_q", "lisa_p_sim", "lisa_significant", "lisa_label"]


def _score(lon: np.ndarray, lat: np.ndarray, v: np.ndarray) -> georbias.GeoBiasReport:
    return georbias.score(lon, lat, v, preset="locbench", permutations=49, seed=3)


def _assert_invariant(lon: np.ndarray, lat: np.ndarray, v: np.ndarray, seeds: tuple[int, ...]) -> None:
    base = _score(lon, lat, v)
    for seed in seeds:
        perm = np.random.default_rng(seed).permutation(len(lon))
        shuffled = _score(lon[perm], lat[perm], v[perm])
        back = shuffled.per_roi.iloc[np.argsort(perm)].reset_index(drop=True)
        for col in VALUE_COLUMNS:
            a, b = base.per_roi[col].to_numpy(), back[col].to_numpy()
            if a.dtype.kind == "f" or b.dtype.kind == "f":
                a, b = a.astype(float), b.astype(float)
                same = (a == b) | (np.isnan(a) & np.isnan(b))
            else:
                same = a == b
            assert same.all(), f"{col}: {int((~same).sum())} rows differ after shuffling (seed {seed})"
        for key, val in base.summary.items():
            other = shuffled.summary[key]
            assert val == other or (val != val and other != other), key


def test_synthetic_duplicates_and_equal_distances() -> None:
    rng = np.random.default_rng(11)
    sites_lat, sites_lon = rng.uniform(40, 44, 60), rng.uniform(8, 14, 60)
    which = rng.integers(0, 60, 500)  # 500 rows on 60 sites: every site has many exact duplicates
    lat, lon = sites_lat[which], sites_lon[which]
    grid = np.arange(-3, 4) * 0.05  # a regular grid: equal distances between distinct points
    glat, glon = np.meshgrid(42 + grid, 11 + grid)
    lat, lon = np.concatenate([lat, glat.ravel()]), np.concatenate([lon, glon.ravel()])
    v = (rng.random(len(lat)) < 0.6).astype(float)
    _assert_invariant(lon, lat, v, seeds=(1, 2))


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("case", ["ssi_inat2018_nerf_europe_dups", "ssi_fmow_nerf_dups"])
def test_conformance_duplicate_cases(shared_dir: Path, case: str) -> None:
    path = shared_dir / "conformance" / "geobias" / case / "input.csv"
    if not path.is_file():
        pytest.skip(f"conformance case {case} absent")
    df = pd.read_csv(path)
    _assert_invariant(df["lon"].to_numpy(), df["lat"].to_numpy(), df["hit@1"].to_numpy(dtype=float), seeds=(5,))


def test_reference_ties_is_refused_for_locbench() -> None:
    lat, lon = np.linspace(40, 41, 20), np.linspace(10, 11, 20)
    with pytest.raises(georbias.GeoBiasInputError, match="reference_ties"):
        georbias.score(lon, lat, np.ones(20), preset="locbench", scores="ssi", reference_ties=True)


def test_autocorrelation_is_order_free_under_every_preset() -> None:
    """Moran/Geary/G/join counts and the LISA permutation draws are computed in one canonical order, so
    a shuffled input gives the same bits (per-point LISA arrays come back at their input rows), with
    duplicate locations kept. Before, LISA draws followed the input order."""
    from georbias.autocorrelation import autocorrelation_scores

    rng = np.random.default_rng(4)
    sites = rng.uniform(-20, 20, (80, 2))
    xy = sites[rng.integers(0, 80, 600)]
    v = (rng.random(600) < np.where(xy[:, 0] > 5, 0.9, 0.3)).astype(float)  # errors crowd into the west
    base = autocorrelation_scores(xy[:, 0], xy[:, 1], v, permutations=49, seed=2)
    perm = rng.permutation(600)
    other = autocorrelation_scores(xy[perm, 0], xy[perm, 1], v[perm], permutations=49, seed=2)
    assert base.summary() == other.summary() and base.to_dict() == other.to_dict()
    back = np.argsort(perm)
    for name in ("Is", "q", "p_sim", "z_sim", "p_z_sim", "significant", "label"):
        assert np.array_equal(getattr(base.lisa, name), getattr(other.lisa, name)[back]), name
    assert (base.lisa.label != "ns").any()  # the check has significant clusters to move


def test_reference_preset_aggregates_are_order_free_without_ties() -> None:
    """torchspatial: on tie-free points every per-ROI value is the same in any order, and the ROI means
    are exact sums (math.fsum), so the summary is bit-identical too."""
    rng = np.random.default_rng(8)
    lon, lat = rng.uniform(0, 12, 700), rng.uniform(40, 50, 700)
    v = (rng.random(700) < 0.5).astype(float)
    perm = rng.permutation(700)
    a = georbias.score(lon, lat, v, scores=("ssi", "sri"))
    b = georbias.score(lon[perm], lat[perm], v[perm], scores=("ssi", "sri"))
    for key, val in a.summary.items():
        assert val == b.summary[key] or (val != val and b.summary[key] != b.summary[key]), key
