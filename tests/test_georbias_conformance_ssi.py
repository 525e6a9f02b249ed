"""SSI against the reference implementation's recorded outputs (../shared/conformance/geobias).

Per ROI, rtol 1e-9, for `table_era` (preset torchspatial) and `head` (preset pygbs). An ROI
matches only when the single value we report equals the reference's. Two runs per case:

* default (fast) path: must equal the reference on every ROI without a tie, i.e. every ROI that
  `reference_ties=True` does not send through the reference recipe (no duplicate coordinate, no
  ring, cap or radius tie);
* `reference_ties=True`: counts of matching ROIs are printed (run pytest with -s) and must be at
  least 99.9 % of the case (with the reference's scikit-learn / scipy versions all of them match).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from georbias.presets import get_preset
from georbias.ssi import ssi_scores
from georbias.values import apply_threshold

pytestmark = pytest.mark.shared

CASES = ["ssi_synthetic_300", pytest.param("ssi_inat2018_nerf_europe", marks=pytest.mark.slow),
         pytest.param("ssi_geoloc_country_pm1", marks=pytest.mark.slow),
         pytest.param("ssi_inat2018_nerf_europe_dups", marks=pytest.mark.slow),
         pytest.param("ssi_fmow_nerf_dups", marks=pytest.mark.slow)]
KEYS = [("table_era", "torchspatial"), ("head", "pygbs")]
# Share of ROIs equal to the reference with reference_ties=True, (unmarked, marked). The issue's
# target is 0.999; with scikit-learn 1.9.1 / scipy 1.17.1 (the reference's versions) all are 1.0.
REFERENCE_TIES_FLOOR = 0.999


def _load(shared: Path, case: str) -> tuple[dict, dict, pd.DataFrame]:
    base = shared / "conformance" / "geobias" / case
    if not base.is_dir():
        pytest.skip(f"conformance case {case} absent")
    return (json.loads((base / "params.json").read_text()), json.loads((base / "expected.json").read_text()),
            pd.read_csv(base / "input.csv"))


def _arr(per: list[dict], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else r[key] for r in per], dtype=float)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("key,preset", KEYS)
def test_ssi_per_roi(shared_dir: Path, case: str, key: str, preset: str) -> None:
    params, expected, df = _load(shared_dir, case)
    lat = df["lat"].to_numpy() / 180 * np.pi
    lon = df["lon"].to_numpy() / 180 * np.pi
    v = apply_threshold(df[params["value_column"]].to_numpy(), params.get("thres"), params.get("lower_is_better", False))
    kw = dict(preset=get_preset(preset), radius_rad=params["radius"], roi_k=params["partition_k"],
              weight_k=params["weight_matrix_k"])
    fast = ssi_scores(lat, lon, v, **kw)
    ref = ssi_scores(lat, lon, v, reference_ties=True, **kw)
    per = expected[key]["per_roi"]
    assert [r["idx"] for r in per] == list(range(len(df)))
    for res in (fast, ref):
        assert np.array_equal(res.n_roi, [r["n_presence"] for r in per])
        assert np.array_equal(res.n_background, [r["n_background"] for r in per])
        assert np.array_equal(res.density, [r["density"] for r in per])
    tie_free = ~ref.reference_path
    # every ROI with duplicate coordinates or a cap tie (the reference's own flags) is sent to the recipe
    flagged = np.array([r["has_duplicate_coords"] or r.get("cap_tie", False) for r in per])
    assert not (flagged & tie_free).any()
    counts = []
    for variant in ("unmarked", "marked"):
        want = _arr(per, f"{variant}_ssi")
        ok_fast = np.isclose(getattr(fast, variant).ssi, want, rtol=1e-9, atol=0, equal_nan=True)
        ok_ref = np.isclose(getattr(ref, variant).ssi, want, rtol=1e-9, atol=0, equal_nan=True)
        assert ok_fast[tie_free].all(), np.nonzero(tie_free & ~ok_fast)[0][:10]
        assert np.array_equal(getattr(ref, variant).ssi[tie_free], getattr(fast, variant).ssi[tie_free])
        counts.append(f"{variant}: fast {int(ok_fast.sum())}/{len(want)}, "
                      f"reference_ties {int(ok_ref.sum())}/{len(want)}")
        # the analytic moments do not depend on the graph, only on the ROI's values: every ROI with
        # reference_ties, every ROI without a tie at the K cap on the fast path
        det = [r[f"{variant}_detail"] for r in per]
        mean = np.array([d["mean"] for d in det], float)
        std = np.array([np.nan if d["std"] is None else d["std"] for d in det], float)
        no_cap_tie = ~np.array([r.get("cap_tie", False) for r in per])
        for res, rows in ((fast, no_cap_tie), (ref, slice(None))):
            assert np.allclose(getattr(res, variant).mean[rows], mean[rows], rtol=1e-9, atol=1e-12)
            assert np.allclose(getattr(res, variant).std[rows], std[rows], rtol=1e-9, atol=1e-12, equal_nan=True)
        floor = REFERENCE_TIES_FLOOR
        assert ok_ref.mean() >= floor, f"{case} {key} {'; '.join(counts)} (floor {floor:.3f})"
    print(f"\n{case} {key}/{preset}: {int(tie_free.sum())} tie-free ROIs; " + "; ".join(counts))
    # aggregates recorded by the reference, from the reference_ties run: counts exactly, means to rounding
    agg = expected[key]["aggregate"]
    ours = ref.aggregates()
    for variant in ("unmarked", "marked"):
        assert ours[variant]["n_nan"] == agg[f"{variant}_n_nan"]
        assert ours[variant]["n_saturated"] == agg[f"{variant}_n_saturated"]
        assert ours[variant]["mean"] == pytest.approx(agg[f"{variant}_mean"], rel=1e-9)
        assert ours[variant]["weighted_mean"] == pytest.approx(agg[f"{variant}_weighted_mean_by_n"], rel=1e-9)
    # the default path's unmarked mean stays close (on fMoW, -1.3 % / -2.1 %; marked moves up to -8.7 %)
    assert fast.aggregates()["unmarked"]["mean"] == pytest.approx(agg["unmarked_mean"], rel=5e-2)


def test_reference_aggregates_from_reference_rois(shared_dir: Path) -> None:
    """Our aggregation rule (nan-skipping mean, n-weighted mean) reproduces the recorded aggregates."""
    from georbias.ssi import SSIVariant

    _, expected, _ = _load(shared_dir, "ssi_inat2018_nerf_europe")
    for key, _ in KEYS:
        per = expected[key]["per_roi"]
        n = np.array([r["n_presence"] for r in per])
        for variant in ("unmarked", "marked"):
            s = _arr(per, f"{variant}_ssi")
            a = SSIVariant(s, s, s, s, s).aggregate(n)
            agg = expected[key]["aggregate"]
            assert a["mean"] == pytest.approx(agg[f"{variant}_mean"], rel=1e-12)
            assert a["weighted_mean"] == pytest.approx(agg[f"{variant}_weighted_mean_by_n"], rel=1e-12)
            assert a["n_nan"] == agg[f"{variant}_n_nan"] and a["n_saturated"] == agg[f"{variant}_n_saturated"]


@pytest.mark.slow
def test_eurosat_published_table(shared_dir: Path) -> None:
    """Published eurosat gpt4o table (r = 0.1, K = 100): pnp_ssi and ROI sizes from exact radians."""
    import georbias

    params, expected, df = _load(shared_dir, "table_repro_eurosat_gpt4o")
    ref = expected["reference_table"]
    rep = georbias.score(df["lon_rad"].to_numpy(), df["lat_rad"].to_numpy(), df["hit@1"].to_numpy(),
                         coords_unit="rad", scores="ssi", radius=params["ssi"]["radius"],
                         roi_k=params["ssi"]["partition_k"], weight_k=params["ssi"]["weight_matrix_k"])
    rep_ref = georbias.score(df["lon_rad"].to_numpy(), df["lat_rad"].to_numpy(), df["hit@1"].to_numpy(),
                         coords_unit="rad", scores="ssi", radius=params["ssi"]["radius"],
                         roi_k=params["ssi"]["partition_k"], weight_k=params["ssi"]["weight_matrix_k"],
                         reference_ties=True)
    weight = np.array(ref["ssi_weight"], dtype=float)
    pnp = np.array([np.nan if x is None else x for x in ref["pnp_ssi"]], dtype=float)
    per = rep.per_roi
    assert np.array_equal(per["n_roi"].to_numpy(dtype=float), weight)
    ok = np.isclose(per["unmarked_ssi"].to_numpy(dtype=float), pnp, rtol=1e-9, atol=0, equal_nan=True)
    routed = rep_ref.per_roi["ssi_reference_path"].to_numpy(dtype=bool)
    assert ok[~routed].all(), np.nonzero(~ok & ~routed)[0][:10]
    ok_ref = np.isclose(rep_ref.per_roi["unmarked_ssi"].to_numpy(dtype=float), pnp, rtol=1e-9, atol=0, equal_nan=True)
    print(f"\neurosat pnp_ssi: fast {int(ok.sum())}/{len(ok)}, reference_ties {int(ok_ref.sum())}/{len(ok)}")
    assert ok_ref.mean() >= 0.999


def test_cli_reference_ties(shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`locbench geobias --reference-ties` writes the reference's per-ROI SSI; without it, tie ROIs may differ."""
    from locbench.cli import main

    params, expected, _ = _load(shared_dir, "ssi_synthetic_300")
    src = shared_dir / "conformance" / "geobias" / "ssi_synthetic_300" / "input.csv"
    per = expected["table_era"]["per_roi"]
    counts = {}
    for flag in ([], ["--reference-ties"]):
        out = tmp_path / f"roi{len(flag)}.csv"
        code = main(["geobias", str(src), "--value", params["value_column"], "--scores", "ssi", "--per-roi", str(out),
                     *flag])
        assert code == 0, capsys.readouterr().out
        table = pd.read_csv(out)
        counts[bool(flag)] = int(np.isclose(table["marked_ssi"], _arr(per, "marked_ssi"), rtol=1e-9, atol=0).sum())
    assert counts == {False: 289, True: 300}
    assert main(["geobias", str(src), "--value", "hit", "--preset", "locbench", "--reference-ties"]) == 2
