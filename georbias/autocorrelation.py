"""Spatial autocorrelation of per-sample performance on a k-NN graph on the sphere.

Weights: the *directed* (not symmetrised) k-NN graph from `neighbours.tie_shared_knn_weights`
(self excluded; neighbours tied at the k-th distance share the remaining weight, so every row
sums to k and no tie depends on row order), as A and row-standardised W = A / k. Directed k-NN
is what libpysal's `KNN` builds, so numbers compare with esda on the
same neighbour lists. Everything is sparse: memory O(N k), permutations O(N k P).

Statistics (formulas: Cliff & Ord 1981; Getis & Ord 1992; Anselin 1995; Sokal et al. 1998):
- global Moran's I on W: analytic normality / randomisation z and two-sided p, seeded
  permutation pseudo-p (folded, esda's definition);
- Geary's C on W: analytic z, one-sided p in the direction of the deviation (esda's convention);
- Getis-Ord General G on A: closed-form denominator (sum y)^2 - sum y^2 (esda.G builds an
  N x N array for it), analytic z, p = 1 - Phi(|z|) (esda's convention); NaN for negative values;
- local Moran (LISA) on W with seeded conditional permutations and Benjamini-Hochberg FDR;
- join counts BB / BW / WW on A (each directed link counts 1/2, as esda) for binary values,
  with exact hypergeometric (non-free sampling) moments and seeded permutation pseudo-p.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import stats

from georbias import geometry as geo
from georbias.config import DEFAULTS
from georbias.errors import GeoBiasInputError
from georbias.headline import HEADLINE_K
from georbias.neighbours import canonical_order

QUAD_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}   # esda Moran_Local.q coding
_PERM_BLOCK = 16          # permutations per sparse product: bounds memory at 100k+ points
_PERM_CELLS = 4_000_000   # at most this many (point, permutation) cells per block (10^6 points: 4 columns)


@dataclass
class LisaResult:
    """Local Moran per point (one entry per input point)."""

    Is: np.ndarray          # local Moran I_i = (n-1) z_i (W z)_i / sum z^2, z standardised
    q: np.ndarray           # quadrant 1 HH, 2 LH, 3 LL, 4 HL (esda coding)
    p_sim: np.ndarray       # folded conditional-permutation pseudo-p (floor 1 / (P + 1))
    z_sim: np.ndarray       # (I_i - mean of its permutation draws) / their std
    p_z_sim: np.ndarray     # one-sided normal p of |z_sim| (esda's p_z_sim), continuous
    significant: np.ndarray  # BH-FDR significant at alpha, on the p named by `p_rule`
    label: np.ndarray       # "HH" / "LH" / "LL" / "HL" where significant, "ns" otherwise
    fdr_threshold: float    # largest p accepted by Benjamini-Hochberg (0 if none)
    p_rule: str = "z_sim"   # which p-values the FDR step used: "z_sim" or "sim"

    def in_input_order(self, order: np.ndarray) -> LisaResult:
        """The per-point arrays of a run on rows `order` of the input, put back at their input rows."""
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return replace(self, **{f: getattr(self, f)[back] for f in ("Is", "q", "p_sim", "z_sim", "p_z_sim",
                                                                      "significant", "label")})


@dataclass
class AutocorrelationResult:
    """Global and local autocorrelation statistics; `params` records every parameter."""

    moran: dict[str, float]
    geary: dict[str, float]
    general_g: dict[str, float]
    lisa: LisaResult
    join_counts: dict[str, float] | None
    lisa_low_cluster_share: float
    params: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, float | None]:
        """Flat keys used by results and the leaderboard."""
        return {
            "morans_i": self.moran["I"],
            "morans_i_p": self.moran["p_rand"],
            "gearys_c": self.geary["C"],
            "getis_ord_g_z": self.general_g["z_norm"],
            "lisa_low_cluster_share": self.lisa_low_cluster_share,
            "join_count_bb_z": None if self.join_counts is None else self.join_counts["bb_z"],
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe nested dict without per-point arrays."""
        labels, counts = np.unique(self.lisa.label, return_counts=True)
        return {
            "moran": dict(self.moran), "geary": dict(self.geary), "general_g": dict(self.general_g),
            "join_counts": None if self.join_counts is None else dict(self.join_counts),
            "lisa": {"label_counts": {str(k): int(v) for k, v in zip(labels, counts)},
                     "fdr_threshold": float(self.lisa.fdr_threshold), "p_rule": self.lisa.p_rule,
                     "low_cluster_share": float(self.lisa_low_cluster_share)},
            "params": dict(self.params), "counts": dict(self.counts),
        }


def _check_settings(k: int, permutations: int, lisa_p: str, alpha: float) -> None:
    if k < 1:
        raise GeoBiasInputError(f"autocorrelation: k must be >= 1, got {k}")
    if permutations < 0:
        raise GeoBiasInputError(f"autocorrelation: permutations must be >= 0, got {permutations}")
    if lisa_p not in ("z_sim", "sim"):
        raise GeoBiasInputError(f"autocorrelation: lisa_p must be 'z_sim' or 'sim', got {lisa_p!r}")
    if not 0 < alpha < 1:
        raise GeoBiasInputError(f"autocorrelation: alpha must be in (0, 1), got {alpha}")


def _knn_weights(lon: np.ndarray, lat: np.ndarray, k: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The binary tie-shared k-NN graph (rows sum to k) and its row-standardised form, both sorted CSR."""
    from georbias.neighbours import tie_shared_knn_weights

    try:
        a = tie_shared_knn_weights(lon, lat, k).tocsr().astype(np.float64)
    except ValueError as exc:
        raise GeoBiasInputError(f"autocorrelation: {exc}") from exc
    a.sum_duplicates()
    a.sort_indices()
    rs = np.asarray(a.sum(axis=1)).ravel()
    w = (sp.diags(1.0 / rs) @ a).tocsr()
    w.sort_indices()
    return a, w


def autocorrelation_scores(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, *, k: int = HEADLINE_K,
                           permutations: int = DEFAULTS.permutations, seed: int = DEFAULTS.seed, alpha: float = 0.05,
                           higher_is_better: bool = True, lisa_p: str = "z_sim") -> AutocorrelationResult:
    """All autocorrelation statistics of `values` on the directed k-NN graph of (lon, lat) degrees.

    `higher_is_better` decides which LISA cluster is "low performance": LL for accuracies
    (default), HH for errors. `lisa_p` picks the p-values fed to Benjamini-Hochberg: "z_sim"
    (default; normal p from each point's own permutation mean and std) or "sim" (pseudo-p).
    Why z_sim: the pseudo-p cannot go below 1/(P+1), and BH needs p_(i) <= i alpha / n, so with
    P = 99 nothing is ever significant unless over 20 % of all points are; z_sim has no floor.
    """
    k, permutations = int(k), int(permutations)
    _check_settings(k, permutations, lisa_p, alpha)
    lon, lat, y = geo.validate_points(lon, lat, values, min_points=max(k + 1, 4), what="autocorrelation")
    n = len(y)
    # One canonical row order for every sum and permutation draw, so a shuffled input gives the same
    # numbers to the last bit; per-point LISA arrays are handed back in the input's order.
    order = canonical_order(lat, lon, y)
    lon, lat, y = lon[order], lat[order], y[order]
    a, w = _knn_weights(lon, lat, k)
    rng_global, rng_lisa = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))

    z = y - y.mean()
    constant = bool(np.all(z == 0))
    binary = len(np.unique(y)) == 2
    jc_sims: list | None = [] if binary else None
    perms = _permutation_block_iter(rng_global, n, permutations)
    moran, geary, gg = _global_stats(y, a, w, perms, permutations, constant, jc_sims)
    lisa = _lisa(y, w, permutations, rng_lisa, alpha, constant, lisa_p, representative=first_of_equal_run(lon, lat, y))
    lisa = lisa.in_input_order(order)
    low = "LL" if higher_is_better else "HH"
    share = float(np.mean(lisa.label == low))
    jc = _join_counts(y, a, permutations, jc_sims) if binary else None

    params = {
        "k": k, "permutations": permutations, "seed": seed, "alpha": alpha, "higher_is_better": higher_is_better,
        "weights": "directed k-NN on the sphere (great circle, self excluded), not symmetrised; neighbours tied at "
                   "the k-th distance share the remaining weight (tie_shared_knn_weights), so rows sum to k",
        "lisa_identical_rows": "rows with equal (lon, lat, value) take the first one's permutation draws",
        "row_order": "computed in canonical (lat, lon, value) order: any input order gives the same numbers",
        "moran_geary_lisa_weights": "row-standardised", "g_join_count_weights": "binary",
        "moran_p": "two-sided (norm, rand); p_sim folded", "geary_p": "one-sided toward the deviation",
        "g_p": "1 - Phi(|z|)", "lisa_p": lisa_p,
        "lisa_fdr": f"Benjamini-Hochberg at alpha on conditional-permutation {'p_z_sim' if lisa_p == 'z_sim' else 'p_sim'}",
        "lisa_low_cluster": low, "join_counts": "on binary values only; B = the larger value; each directed link 1/2",
        "seed_streams": "SeedSequence(seed).spawn(2): global permutations (Moran, Geary, G, join counts), LISA",
    }
    counts = {"n": n, "n_links": int(a.nnz), "n_constant_values": int(constant)}
    return AutocorrelationResult(moran=moran, geary=geary, general_g=gg, lisa=lisa, join_counts=jc,
                                 lisa_low_cluster_share=share, params=params, counts=counts)


def first_of_equal_run(*cols: np.ndarray) -> np.ndarray:
    """(N,) for rows in canonical order: the first row equal to each row in every column.

    Equal rows are adjacent in canonical order, so this is the first row of each run (what
    np.unique(axis=0, return_index=True) gives, without sorting N rows again)."""
    n = len(cols[0])
    new = np.ones(n, dtype=bool)
    changed = np.zeros(max(n - 1, 0), dtype=bool)
    for c in cols:
        changed |= c[1:] != c[:-1]
    new[1:] = changed
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


# --------------------------------------------------------------------------- weights summaries
def weight_sums(m: sp.csr_matrix) -> tuple[float, float, float]:
    """S0 = sum w, S1 = 1/2 sum (w_ij + w_ji)^2, S2 = sum_i (w_i. + w_.i)^2 (sparse).

    Kept on the matrix after the first call: Moran, G, the permutations and the join counts all
    read the sums of the same graph, and each call builds W + W' (at 10^6 points, GBs of churn)."""
    got = getattr(m, "_georbias_weight_sums", None)
    if got is not None and got[0] == m.nnz:
        return got[1]
    s0 = float(m.sum())
    b = (m + m.T).tocsr()
    s1 = 0.5 * float(b.multiply(b).sum())
    del b
    deg = np.asarray(m.sum(axis=1)).ravel() + np.asarray(m.sum(axis=0)).ravel()
    s2 = float((deg * deg).sum())
    try:
        m._georbias_weight_sums = (m.nnz, (s0, s1, s2))
    except AttributeError:  # pragma: no cover - a matrix type without instance attributes
        pass
    return s0, s1, s2


def _permutation_block_iter(rng: np.random.Generator, n: int, permutations: int):
    """Yield (n, b) blocks of permutation indices, `permutations` columns in total.

    The draws come in blocks of _PERM_BLOCK; for large n each is handed out in narrower pieces
    (at most about _PERM_CELLS cells), which bounds the (n, b) temporaries. The generator shuffles
    row by row, so the draws are the same; and every statistic of a column has the same bits in
    any block at least 2 wide (numpy's one-column reductions take another path), so no piece is
    narrower than 2 unless its block is (tests/test_georbias_fast_paths.py)."""
    done = 0
    width = max(2, min(_PERM_BLOCK, _PERM_CELLS // max(n, 1)))
    while done < permutations:
        b = min(_PERM_BLOCK, permutations - done)
        for piece in np.array_split(np.arange(b), max(1, b // width)):
            yield rng.permuted(np.broadcast_to(np.arange(n), (len(piece), n)), axis=1).T
        done += b


def _folded_p(sim: np.ndarray, obs: np.ndarray | float, permutations: int) -> np.ndarray | float:
    """esda pseudo-p: (min(#sim >= obs, P - that) + 1) / (P + 1)."""
    larger = np.sum(sim >= obs, axis=0)
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


# --------------------------------------------------------------------------- global statistics
@dataclass(frozen=True)
class _Sums:
    """The sums every global statistic shares: n, centred values, their square sum, weight sums, kurtosis."""

    n: int
    z: np.ndarray
    zz: float
    s0: float
    s1: float
    s2: float
    kurt: float
    wr: np.ndarray   # row sums of w
    wc: np.ndarray   # column sums of w


def _global_stats(y: np.ndarray, a: sp.csr_matrix, w: sp.csr_matrix, perms, permutations: int,
                  constant: bool, jc_sims: list | None = None, only_moran: bool = False) -> tuple[dict, dict, dict]:
    """Moran's I, Geary's C, General G; appends join-count permutation draws to `jc_sims` if given.
    `only_moran` (the headline, no permutations): Geary and G are left empty."""
    n = len(y)
    z = y - y.mean()
    zz = float(z @ z)
    s0, s1, s2 = weight_sums(w)
    m2 = zz / n
    kurt = float((z ** 4).sum() / n / (m2 * m2)) if not constant else float("nan")
    sums = _Sums(n=n, z=z, zz=zz, s0=s0, s1=s1, s2=s2, kurt=kurt, wr=np.asarray(w.sum(axis=1)).ravel(),
                 wc=np.asarray(w.sum(axis=0)).ravel())
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero variance is an undefined z (NaN), not a warning
        moran = _moran_analytic(sums, w, constant)
        if only_moran:
            return moran, {}, {}
        geary = _geary_analytic(sums, w, constant)
        gg, den_g = _general_g_analytic(y, a, constant)
    if permutations > 0 and not constant:
        _permutation_p(y, a, perms, permutations, sums, den_g, moran, geary, gg, jc_sims)
    return moran, geary, gg


def _moran_analytic(t: _Sums, w: sp.csr_matrix, constant: bool) -> dict:
    """Moran's I with its normal and randomisation moments, z and two-sided p."""
    n, s0, s1, s2, kurt, nan = t.n, t.s0, t.s1, t.s2, t.kurt, float("nan")
    ei = -1.0 / (n - 1)
    v_norm = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n - 1) * (n + 1) * s0 * s0) - ei * ei
    num_a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    num_b = kurt * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    v_rand = (num_a - num_b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    if constant:
        return {"I": nan, "expected": ei, "var_norm": v_norm, "z_norm": nan, "p_norm": nan,
                "var_rand": nan, "z_rand": nan, "p_rand": nan, "p_sim": nan, "z_sim": nan}
    i_obs = n / s0 * float(t.z @ (w @ t.z)) / t.zz
    zn, zr = (i_obs - ei) / np.sqrt(v_norm), (i_obs - ei) / np.sqrt(v_rand)
    return {"I": i_obs, "expected": ei, "var_norm": v_norm, "z_norm": zn, "p_norm": 2 * stats.norm.sf(abs(zn)),
            "var_rand": v_rand, "z_rand": zr, "p_rand": 2 * stats.norm.sf(abs(zr)), "p_sim": nan, "z_sim": nan}


def _geary_analytic(t: _Sums, w: sp.csr_matrix, constant: bool) -> dict:
    """Geary's C (row-standardised weights, as esda's default) with one-sided p in the direction of C - 1."""
    n, s0, s1, s2, kurt, nan = t.n, t.s0, t.s1, t.s2, t.kurt, float("nan")
    vc_norm = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1) * s0 * s0)
    ca = (n - 1) * s1 * (n * n - 3 * n + 3 - (n - 1) * kurt)
    cb = 0.25 * (n - 1) * s2 * (n * n + 3 * n - 6 - (n * n - n + 2) * kurt)
    cc = s0 * s0 * (n * n - 3 - (n - 1) ** 2 * kurt)
    vc_rand = (ca - cb + cc) / (n * (n - 2) * (n - 3) * s0 * s0)
    if constant:
        return {"C": nan, "expected": 1.0, "var_norm": vc_norm, "z_norm": nan, "p_norm": nan,
                "var_rand": nan, "z_rand": nan, "p_rand": nan, "p_sim": nan}
    # sum_ij w_ij (v_i - v_j)^2 = sum_i w_i. v_i^2 + sum_j w_.j v_j^2 - 2 v' W v, column-wise.
    v = t.z[:, None]
    v2 = v * v
    num = t.wr @ v2 + t.wc @ v2 - 2 * np.einsum("ij,ij->j", v, w @ v)
    c_obs = float(((n - 1) * num / (2 * s0 * t.zz))[0])
    de = c_obs - 1.0
    zn, zr = de / np.sqrt(vc_norm), de / np.sqrt(vc_rand)
    tail = stats.norm.sf if de > 0 else stats.norm.cdf
    return {"C": c_obs, "expected": 1.0, "var_norm": vc_norm, "z_norm": zn, "p_norm": float(tail(zn)),
            "var_rand": vc_rand, "z_rand": zr, "p_rand": float(tail(zr)), "p_sim": nan}


def _general_g_analytic(y: np.ndarray, a: sp.csr_matrix, constant: bool) -> tuple[dict, float | None]:
    """General G (binary weights), closed-form denominator; also that denominator (None: G undefined)."""
    nan = float("nan")
    n = len(y)
    g0, g1, g2 = weight_sums(a)
    eg = g0 / (n * (n - 1))
    m1, m2y, m3, m4 = (float((y ** p).sum()) for p in (1, 2, 3, 4))
    den_g = m1 * m1 - m2y
    if np.any(y < 0) or den_g <= 0 or constant:
        return {"G": nan, "expected": eg, "var_norm": nan, "z_norm": nan, "p_norm": nan, "p_sim": nan,
                "note": "General G needs non-negative, non-constant values"}, None
    b0 = (n * n - 3 * n + 3) * g1 - n * g2 + 3 * g0 * g0
    b1 = -((n * n - n) * g1 - 2 * n * g2 + 6 * g0 * g0)
    b2 = -(2 * n * g1 - (n + 3) * g2 + 6 * g0 * g0)
    b3 = 4 * (n - 1) * g1 - 2 * (n + 1) * g2 + 8 * g0 * g0
    b4 = g1 - g2 + g0 * g0
    eg2 = (b0 * m2y * m2y + b1 * m4 + b2 * m1 * m1 * m2y + b3 * m1 * m3 + b4 * m1 ** 4) / (
        den_g * den_g * n * (n - 1) * (n - 2) * (n - 3))
    vg = eg2 - eg * eg
    g_obs = float(y @ (a @ y)) / den_g
    zg = (g_obs - eg) / np.sqrt(vg)
    return {"G": g_obs, "expected": eg, "var_norm": vg, "z_norm": zg, "p_norm": float(1.0 - stats.norm.cdf(abs(zg))),
            "p_sim": nan}, den_g


def _permutation_p(y: np.ndarray, a: sp.csr_matrix, perms, permutations: int, t: _Sums, den_g: float | None,
                   moran: dict, geary: dict, gg: dict, jc_sims: list | None) -> None:
    """Permutation p (and Moran's z_sim) filled into the three dicts.

    One shared stream of permutations and one sparse product A @ y_perm per block serve
    Moran, Geary, G (and join counts, via `jc_sims`).
    """
    n, s0, zz = t.n, t.s0, t.zz
    g0 = weight_sums(a)[0]
    ybar = y.mean()
    rs = np.asarray(a.sum(axis=1)).ravel()
    sims_i, sims_c, sims_g = [], [], []
    for idx in perms:
        yp = y[idx]
        ay = a @ yp
        zp = yp - ybar
        wz = (ay - ybar * rs[:, None]) / rs[:, None]
        zwz = np.einsum("ij,ij->j", zp, wz)
        sims_i.append(n / s0 * zwz / zz)
        zp2 = zp * zp
        sims_c.append((n - 1) * (t.wr @ zp2 + t.wc @ zp2 - 2 * zwz) / (2 * s0 * zz))
        if den_g is not None:
            sims_g.append(np.einsum("ij,ij->j", yp, ay) / den_g)
        if jc_sims is not None:
            jc_sims.append(_jc_from_product(yp, ay, rs, g0))
    si, sc = np.concatenate(sims_i), np.concatenate(sims_c)
    moran["p_sim"] = float(_folded_p(si, moran["I"], permutations))
    sd = si.std()
    moran["z_sim"] = float((moran["I"] - si.mean()) / sd) if sd > 0 else float("nan")
    geary["p_sim"] = float(_folded_p(sc, geary["C"], permutations))
    if den_g is not None:
        gg["p_sim"] = float(_folded_p(np.concatenate(sims_g), gg["G"], permutations))


# --------------------------------------------------------------------------- LISA
_PAIRWISE_MAX_K = 8  # above this many neighbours, repeats are found by sorting each sample


def _sample_others(rng: np.random.Generator, rows: np.ndarray, n: int, perms: int, k: int) -> np.ndarray:
    """(len(rows), perms, k) uniform ordered samples without replacement from {0..n-1} minus the row."""
    out = rng.integers(0, n - 1, size=(len(rows), perms, k), dtype=np.int64)
    if k > 1:
        while True:
            # Rejection: redraw every (row, permutation) sample that holds a repeat. Pairwise
            # comparisons for small k; a sort for the wide rows that shared ties create.
            if k <= _PAIRWISE_MAX_K:
                dup = np.zeros(out.shape[:2], dtype=bool)
                for c1 in range(1, k):
                    for c0 in range(c1):
                        dup |= out[:, :, c0] == out[:, :, c1]
            else:
                srt = np.sort(out, axis=2)
                dup = (srt[:, :, 1:] == srt[:, :, :-1]).any(axis=2)
            if not dup.any():
                break
            out[dup] = rng.integers(0, n - 1, size=(int(dup.sum()), k))
    out += out >= rows[:, None, None]
    return out


def benjamini_hochberg(p: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """BH step-up: significant mask and the largest accepted p (0 when none)."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    ok = p[order] <= alpha * np.arange(1, m + 1) / m
    if not ok.any():
        return np.zeros(m, dtype=bool), 0.0
    thr = float(p[order][np.nonzero(ok)[0].max()])
    return p <= thr, thr


def _lisa(y: np.ndarray, w: sp.csr_matrix, permutations: int, rng: np.random.Generator, alpha: float,
          constant: bool, p_rule: str = "z_sim", representative: np.ndarray | None = None) -> LisaResult:
    """Local Moran with conditional permutations; `representative[i]` (rows with equal lon, lat and
    value) gives identical rows the same draws, so no result depends on which of them comes first."""
    n = len(y)
    if constant:
        nanv = np.full(n, np.nan)
        return LisaResult(Is=nanv, q=np.zeros(n, dtype=np.int64), p_sim=nanv.copy(), z_sim=nanv.copy(),
                          p_z_sim=nanv.copy(), significant=np.zeros(n, dtype=bool),
                          label=np.full(n, "ns", dtype=object), fdr_threshold=0.0, p_rule=p_rule)
    z = (y - y.mean()) / y.std()
    den = float(z @ z)
    lag = w @ z
    is_ = (n - 1) * z * lag / den
    zp, lp = z > 0, lag > 0
    q = np.where(zp & lp, 1, np.where(~zp & lp, 2, np.where(~zp & ~lp, 3, 4))).astype(np.int64)
    p_sim, z_sim, p_z = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    sig, thr = np.zeros(n, dtype=bool), 0.0
    if permutations > 0:
        deg = np.diff(w.indptr)
        scale = (n - 1) / den
        for d in np.unique(deg):
            rows_d = np.nonzero(deg == d)[0]
            if d == 0:
                p_sim[rows_d] = 1.0
                continue
            wd = w.data[w.indptr[rows_d][:, None] + np.arange(d)]          # (r, d) row weights in CSR order
            block = max(1, 4_000_000 // (permutations * d))
            for s in range(0, len(rows_d), block):
                rows = rows_d[s:s + block]
                idx = _sample_others(rng, rows, n, permutations, int(d))     # (r, P, d)
                lag_sim = np.einsum("rpd,rd->rp", z[idx], wd[s:s + block])
                sim = scale * z[rows, None] * lag_sim                        # (r, P)
                larger = np.sum(sim >= is_[rows, None], axis=1)
                larger = np.minimum(larger, permutations - larger)
                p_sim[rows] = (larger + 1.0) / (permutations + 1.0)
                sd = sim.std(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    z_sim[rows] = (is_[rows] - sim.mean(axis=1)) / sd
        if representative is not None:
            p_sim, z_sim = p_sim[representative], z_sim[representative]
        p_z = stats.norm.sf(np.abs(z_sim))
        p_use = p_z if p_rule == "z_sim" else p_sim
        p_use = np.where(np.isnan(p_use), 1.0, p_use)            # zero-variance draws: not significant
        sig, thr = benjamini_hochberg(p_use, alpha)
    label = np.where(sig, np.vectorize(QUAD_LABELS.get, otypes=[object])(q), "ns").astype(object)
    return LisaResult(Is=is_, q=q, p_sim=p_sim, z_sim=z_sim, p_z_sim=p_z, significant=sig, label=label,
                      fdr_threshold=thr, p_rule=p_rule)


# --------------------------------------------------------------------------- join counts
def join_count_moments(s0: float, s1: float, s2: float, n: int, n1: int) -> dict[str, float]:
    """Exact mean and variance of BB, WW, BW under non-free sampling (fixed n1 blacks).

    BB = 1/2 sum_ij w_ij x_i x_j; S0, S1, S2 as in `weight_sums` (valid for asymmetric w).
    """
    n0 = n - n1

    def ff(a: int, r: int) -> float:       # falling factorial a (a-1) ... (a-r+1)
        out = 1.0
        for t in range(r):
            out *= a - t
        return out

    def same_colour(m: int) -> tuple[float, float]:
        p2, p3, p4 = ff(m, 2) / ff(n, 2), ff(m, 3) / ff(n, 3), ff(m, 4) / ff(n, 4)
        e = 0.5 * s0 * p2
        e2 = 0.25 * (s1 * p2 + (s2 - 2 * s1) * p3 + (s0 * s0 + s1 - s2) * p4)
        return e, e2 - e * e

    ebb, vbb = same_colour(n1)
    eww, vww = same_colour(n0)
    ebw = s0 * n1 * n0 / ff(n, 2)
    ebw2 = 0.25 * (2 * s1 * n1 * n0 / ff(n, 2)
                   + (s2 - 2 * s1) * n1 * n0 * (n1 + n0 - 2) / ff(n, 3)
                   + 4 * (s0 * s0 + s1 - s2) * ff(n1, 2) * ff(n0, 2) / ff(n, 4))
    return {"bb_expected": ebb, "bb_var": vbb, "ww_expected": eww, "ww_var": vww,
            "bw_expected": ebw, "bw_var": ebw2 - ebw * ebw}


def _jc_from_product(yp: np.ndarray, ay: np.ndarray, rs: np.ndarray, s0: float) -> np.ndarray:
    """(3, b) BB, WW, BW of binary columns `yp` given A @ yp (B = the larger of the two values)."""
    lo, hi = float(yp.min()), float(yp.max())
    x = (yp - lo) / (hi - lo)
    ax = (ay - lo * rs[:, None]) / (hi - lo)
    bb = 0.5 * np.einsum("ij,ij->j", x, ax)
    ww = 0.5 * np.einsum("ij,ij->j", 1.0 - x, rs[:, None] - ax)
    return np.vstack([bb, ww, s0 / 2.0 - bb - ww])


def _join_counts(y: np.ndarray, a: sp.csr_matrix, permutations: int, sims: list) -> dict[str, float]:
    """BB / WW / BW with exact moments; `sims` holds the (3, b) permutation blocks (shared stream)."""
    n = len(y)
    n1 = int(np.sum(y == y.max()))
    s0, s1, s2 = weight_sums(a)
    rs = np.asarray(a.sum(axis=1)).ravel()
    bb, ww, bw = (float(v) for v in _jc_from_product(y[:, None], a @ y[:, None], rs, s0)[:, 0])
    mom = join_count_moments(s0, s1, s2, n, n1)
    out: dict[str, float] = {"bb": bb, "ww": ww, "bw": bw, "J": s0 / 2.0, "n_black": n1,
                             "black_value": float(y.max()), **mom}
    for key, obs in (("bb", bb), ("ww", ww), ("bw", bw)):
        v = mom[f"{key}_var"]
        zval = (obs - mom[f"{key}_expected"]) / np.sqrt(v) if v > 0 else float("nan")
        out[f"{key}_z"] = float(zval)
        out[f"{key}_p_norm"] = float(2 * stats.norm.sf(abs(zval))) if np.isfinite(zval) else float("nan")
    if permutations > 0 and sims:
        allsim = np.concatenate(sims, axis=1)
        for j, key in enumerate(("bb", "ww", "bw")):
            # esda's join-count pseudo-p: upper tail, not folded.
            out[f"{key}_p_sim"] = float((np.sum(allsim[j] >= out[key] - 1e-9) + 1.0) / (permutations + 1.0))
    return out
