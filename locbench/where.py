"""Where a model fails and where it does best: the significant local (LISA) clusters, named by country.

Why: a global score says *that* errors cluster; a user needs *where*. The clusters come from the
geo-bias run's own local Moran (FDR-significant low- and high-performance clusters), so the places
named here are the ones the scores are built on. Points are placed in countries with the bundled
Natural Earth polygons (`locbench.regions`), grouped by continent, and each region's rate among
its cluster samples is set beside the rate over all samples. Reused by `locbench geobias` and its
`--map`; any caller with per-sample LISA labels can use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

TOP_COUNTRIES = 5  # countries named per continent line
MINOR_CLUSTER = 5  # a continent (not the largest) with fewer cluster samples or under 5 % is listed as 'scattered'


@dataclass(frozen=True)
class Place:
    """One region: how many cluster samples it holds, how many samples in all, and the rate over all of them."""

    name: str
    n_cluster: int
    n: int
    rate: float


@dataclass(frozen=True)
class ClusterPlaces:
    """The samples of one kind of significant cluster ('low' or 'high' performance), by continent and country.

    A continent's `rate` and `n` cover every sample in its listed countries, so the local rate is not
    the cluster's own (which LISA picks for being extreme) but the region's."""

    kind: str
    n: int
    continents: tuple[Place, ...]
    countries: tuple[tuple[str, tuple[Place, ...]], ...]  # continent -> its countries, most cluster samples first
    n_unassigned: int


@dataclass(frozen=True)
class WhereSummary:
    """What `locbench geobias` prints after the headline; `rate_name` says what the rates are."""

    rate_name: str
    overall: float
    n: int
    low: ClusterPlaces
    high: ClusterPlaces
    best_countries: tuple[Place, ...]   # lowest error rate among countries with >= min_count samples
    min_count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_binary(values: np.ndarray) -> bool:
    """0/1 values (hit@1 and friends): rates are then error rates, not means."""
    v = values[np.isfinite(values)]
    return len(v) > 0 and bool(np.all((v == 0) | (v == 1)))


def _places(kind: str, members: np.ndarray, country: np.ndarray, names: list[str], continent_of: list[str],
            rate_of: Any) -> ClusterPlaces:
    idx = np.flatnonzero(members)
    if len(idx) == 0:
        return ClusterPlaces(kind, 0, (), (), 0)
    c = country[idx]
    hit = np.bincount(c[c >= 0], minlength=len(names))
    by_cont: dict[str, list[int]] = {}
    for ci in np.flatnonzero(hit):
        by_cont.setdefault(continent_of[ci], []).append(int(ci))
    conts, nested = [], []
    for cont, cis in by_cont.items():
        rows = np.isin(country, cis)
        conts.append(Place(cont, int(hit[cis].sum()), int(rows.sum()), rate_of(rows)))
        mine = [Place(names[ci], int(hit[ci]), int((country == ci).sum()), rate_of(country == ci)) for ci in cis]
        nested.append((cont, tuple(sorted(mine, key=lambda p: (-p.n_cluster, p.name)))))
    order = sorted(range(len(conts)), key=lambda i: (-conts[i].n_cluster, conts[i].name))
    return ClusterPlaces(kind, int(len(idx)), tuple(conts[i] for i in order), tuple(nested[i] for i in order),
                         int((c < 0).sum()))


def where_summary(lon: np.ndarray, lat: np.ndarray, values: np.ndarray, labels: np.ndarray, *,
                  higher_is_better: bool = True, value_name: str = "value", min_count: int | None = None,
                  n_best: int = 3) -> WhereSummary:
    """Cluster places from per-sample LISA labels ('HH', 'LL', ... or 'ns'); rows with NaN coordinates or
    values are skipped. `min_count` (default: the leaderboard's region minimum) bounds `best_countries`."""
    from locbench.leaderboard.config import DEFAULTS as RENDER
    from locbench.regions import assign_countries, country_table

    min_count = RENDER.region_min_count if min_count is None else min_count
    lon, lat, values = (np.asarray(a, dtype=np.float64) for a in (lon, lat, values))
    labels = np.asarray(labels, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(values)
    lon, lat, values, labels = lon[ok], lat[ok], values[ok], labels[ok]
    binary = is_binary(values)
    bad = (values == (0 if higher_is_better else 1)) if binary else values
    low, high = ("LL", "HH") if higher_is_better else ("HH", "LL")
    world, _ = country_table()
    names, continent_of = list(world["name"]), list(world["continent"])
    country = assign_countries(lon, lat) if len(lon) else np.zeros(0, dtype=np.int64)

    def rate_of(rows: np.ndarray) -> float:
        return float(np.mean(bad[rows])) if rows.any() else float("nan")

    counts = np.bincount(country[country >= 0], minlength=len(names))
    pool = [Place(names[ci], 0, int(counts[ci]), rate_of(country == ci)) for ci in np.flatnonzero(counts >= min_count)]
    best = sorted(pool, key=lambda p: (p.rate if binary or not higher_is_better else -p.rate, p.name))[:n_best]
    return WhereSummary(rate_name="error rate" if binary else f"mean {value_name}",
                        overall=float(np.mean(bad)) if len(bad) else float("nan"), n=int(len(values)),
                        low=_places("low", labels == low, country, names, continent_of, rate_of),
                        high=_places("high", labels == high, country, names, continent_of, rate_of),
                        best_countries=tuple(best), min_count=int(min_count))


def format_rate(x: float | None, binary: bool) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{100 * x:.0f} %" if binary else f"{x:.4g}"


def _n(k: int, word: str = "sample") -> str:
    return f"{k:,} {word}" + ("" if k == 1 else "s")


def describe(summary: WhereSummary) -> list[str]:
    """Plain lines: where errors cluster, then where the model does best."""
    binary = summary.rate_name == "error rate"
    overall = format_rate(summary.overall, binary)
    out = []
    for places, head in ((summary.low, "Where errors cluster"), (summary.high, "Where the model does best")):
        if places.n == 0:
            out.append(f"{head}: no significant local cluster of {'poor' if places.kind == 'low' else 'good'} "
                       "performance.")
            continue
        share = 100 * places.n / max(summary.n, 1)
        out.append(f"{head}: {_n(places.n)} in significant local clusters ({share:.1f} % of {summary.n:,}); "
                   f"{summary.rate_name} {overall} overall.")
        minor = [c for c in places.continents[1:] if c.n_cluster < max(MINOR_CLUSTER, 0.05 * places.n)]
        for cont, (_, countries) in zip(places.continents, places.countries):
            if cont in minor:
                continue
            named = ", ".join(f"{c.name} {c.n_cluster}" for c in countries[:TOP_COUNTRIES])
            more = f", {len(countries) - TOP_COUNTRIES} more" if len(countries) > TOP_COUNTRIES else ""
            out.append(f"  {cont.name}: {_n(cont.n_cluster)} in clusters ({named}{more}); {summary.rate_name} "
                       f"{format_rate(cont.rate, binary)} over all {_n(cont.n)} of those countries")
        if minor:
            out.append(f"  elsewhere, scattered: {_n(sum(c.n_cluster for c in minor))} "
                       f"({', '.join(f'{c.name} {c.n_cluster}' for c in minor)})")
        if places.n_unassigned:
            out.append(f"  open sea / no country nearby: {_n(places.n_unassigned)}")
    if summary.high.n == 0 and summary.best_countries:
        best = ", ".join(f"{p.name} {format_rate(p.rate, binary)} ({_n(p.n)})" for p in summary.best_countries)
        out.append(f"  lowest {summary.rate_name} among countries with at least {summary.min_count} samples: {best}")
    return out


def draw_map(path: Any, lon: np.ndarray, lat: np.ndarray, labels: np.ndarray, *, higher_is_better: bool = True,
             title: str = "") -> bytes:
    """The samples on a world map: poor-performance clusters red, good-performance clusters blue, the rest grey.

    Returns the image bytes (PNG or SVG by the file name's suffix) for an atomic write by the caller.
    """
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from locbench.leaderboard.maps import COLD, HOT, extent_for

    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    labels = np.asarray(labels, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    low, high = ("LL", "HH") if higher_is_better else ("HH", "LL")
    fig, ax = _base_map(extent_for(lon[ok], lat[ok]), title)
    ax.scatter(lon[ok], lat[ok], s=2, c="#9aa3b2", linewidths=0, zorder=2, label="other samples")
    for lab, colour, text in ((high, COLD, "model does best (significant cluster)"),
                              (low, HOT, "errors cluster (significant cluster)")):
        m = ok & (labels == lab)
        ax.scatter(lon[m], lat[m], s=9, c=colour, linewidths=0, zorder=3, label=f"{text}: {int(m.sum()):,}")
    ax.legend(loc="lower left", fontsize=10, frameon=True, markerscale=2)
    buf = io.BytesIO()
    fmt = "svg" if str(path).lower().endswith(".svg") else "png"
    fig.savefig(buf, format=fmt, dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _base_map(extent: tuple[float, float, float, float], title: str):  # noqa: ANN202 (matplotlib objects)
    """A matplotlib figure with the bundled Natural Earth countries as land, fitted to `extent`."""
    import matplotlib.pyplot as plt

    from locbench.regions import country_table

    fig = plt.figure(figsize=(10, 5.6), dpi=100)
    ax = fig.add_axes((0.06, 0.1, 0.9, 0.8))
    ax.set_facecolor("#eef3f8")
    country_table()[0].plot(ax=ax, color="#f4f1ea", edgecolor="#aab3c0", linewidth=0.4, zorder=1)
    x0, x1, y0, y1 = extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("auto")
    ax.set_title(title, fontsize=12, loc="left")
    ax.tick_params(labelsize=10, colors="#5b6475")
    ax.set_xlabel("longitude (°)", fontsize=10, color="#5b6475")
    ax.set_ylabel("latitude (°)", fontsize=10, color="#5b6475")
    return fig, ax
