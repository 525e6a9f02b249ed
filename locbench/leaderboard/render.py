"""Render one frozen leaderboard version (and the latest-version entry page) to self-contained HTML.

Why this shape: pages must open from `file://` with no network, so CSS/JS are inlined from
`static/`, figures are base64 PNG (maps) or inline SVG (scatter), and every string that comes
from a submission goes through jinja2 autoescaping (JSON in `<script>` through `json_script`).
Inputs are only the version folder (`scores.json`, `CHANGES.md`) and, for per-sample maps, the
prediction files that `root/results/<model>/<dataset>.json` point at.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locbench import atomic
from locbench.errors import InputError
from locbench.leaderboard.tables import finite

HERE = Path(__file__).parent
VERSION_RE = re.compile(r"^v\d{4,}$")

GROUP_ORDER = ("locbench", "gair", "embedded", "sustainbench")
GROUP_LABELS = {"locbench": "LocBench", "gair": "GAIR", "embedded": "Embedded", "sustainbench": "SustainBench"}

# key -> (short label, direction, what it measures). Direction: "higher" / "lower" better, "zero":
# closer to 0 is better, None: a property of the dataset, not a model score.
METRICS: dict[str, tuple[str, str | None, str]] = {
    "top1": ("Top-1 %", "higher", "Top-1 accuracy (%): share of samples whose highest-scoring class is the true one"),
    "top3": ("Top-3 %", "higher", "Top-3 accuracy (%): share of samples whose true class is among the 3 highest scores"),
    "mrr": ("MRR", "higher", "Mean reciprocal rank of the true class (0-1)"),
    "macro_f1": ("Macro-F1", "higher", "Macro-averaged F1 over classes (0-1); weights rare classes equally"),
    "r2": ("R²", "higher", "Coefficient of determination R² (1 is perfect, 0 is predicting the mean)"),
    "mae": ("MAE", "lower", "Mean absolute error, in target units"),
    "rmse": ("RMSE", "lower", "Root mean squared error, in target units"),
}
GEOBIAS: dict[str, tuple[str, str | None, str]] = {
    "marked_ssi": ("mSSI", "lower", "Marked spatial self-information: how surprising the spatial pattern of per-sample "
                   "performance is inside each neighbourhood (mean over ROIs). Higher = performance more spatially "
                   "clustered = more geo-bias"),
    "marked_ssi_weighted": ("mSSI (w)", "lower", "Marked SSI, ROI-size-weighted mean"),
    "unmarked_ssi": ("uSSI", None, "Unmarked SSI: depends only on where the test points are, so it is the same for "
                     "every model on a dataset; a dataset property, not a model score"),
    "unmarked_ssi_weighted": ("uSSI (w)", None, "Unmarked SSI, ROI-size-weighted mean (dataset property)"),
    "sri_distance_lag": ("SRI lag", "lower", "Spatial relative information, distance-lag partitions: KL divergence "
                         "between performance in rings around each sample and in its whole neighbourhood. Higher = "
                         "more geo-bias"),
    "sri_scale_grid": ("SRI grid", "lower", "Spatial relative information, scale-grid partitions (KL divergence, "
                       "higher = more geo-bias)"),
    "sri_direction_sector": ("SRI dir", "lower", "Spatial relative information, direction-sector partitions (KL "
                             "divergence, higher = more geo-bias; least settled variant)"),
    "morans_i": ("Moran's I", "zero", "Global Moran's I of per-sample performance on a k-NN graph: 0 = errors placed "
                 "at random, > 0 = errors cluster in space. Closer to 0 is better"),
    "morans_i_p": ("Moran p", None, "Permutation p-value of Moran's I (small = clustering unlikely by chance)"),
    "gearys_c": ("Geary's C", None, "Geary's C: < 1 = positive spatial autocorrelation, 1 = none"),
    "getis_ord_g_z": ("Getis-Ord z", None, "z-score of the General G: > 0 = high values cluster"),
    "lisa_low_cluster_share": ("LISA low share", "lower", "Share of samples in significant low-performance clusters "
                               "(local Moran, FDR)"),
    "join_count_bb_z": ("Join-count z", None, "z-score of black-black join counts (binary values only)"),
    "ssi_n_nan": ("SSI NaN ROIs", None, "Number of ROIs whose SSI is NaN (left out of the mean)"),
    "ssi_n_saturated": ("SSI capped ROIs", None, "Number of ROIs at the 589.46 surprisal cap (256·ln 10)"),
}
AGGREGATES: dict[str, tuple[str, str | None, str]] = {
    "mean_rank": ("Mean rank", "lower", "Mean of the model's per-dataset ranks (by each dataset's primary metric) "
                  "over the datasets it was evaluated on"),
    "locbench_species_avg": ("LocBench Avg", "higher", "Mean Top-1 (%) over the five LocBench species datasets "
                             "(BirdSnap, BirdSnap†, NABirds†, iNat2017, iNat2018), as TorchSpatial's Table 1 'Avg'; "
                             "blank unless the model has all five"),
}
DIRECTION_TEXT = {"higher": "higher is better", "lower": "lower is better", "zero": "closer to 0 is better",
                  None: "no better direction"}
DIRECTION_ARROW = {"higher": "↑", "lower": "↓", "zero": "→0", None: ""}
CARD_LABELS = {"name": "Name", "description": "Description", "authors": "Authors", "paper": "Paper", "code": "Code",
               "licence": "Licence", "license": "Licence", "encoder_family": "Encoder family", "family": "Family",
               "parameters": "Parameters", "parameter_count": "Parameters", "pretraining_data": "Pretraining data",
               "contact": "Contact", "date": "Date", "source": "Source"}
OVERVIEW_GEOBIAS = "marked_ssi"
ProgressFn = Callable[[str, int, int], None]


# ---------------------------------------------------------------- formatting and safety helpers


# A finite float, or None for missing/NaN/non-numeric (so templates show a dash): the same rule as the tables.
num = finite


def fmt(v: Any, key: str = "") -> str:
    """Display text for a number; the digits chosen per metric so columns line up."""
    f = num(v)
    if f is None:
        return "–"
    base = key.split(":", 1)[0]
    if base in ("top1", "top3", "locbench_species_avg", "marked_ssi", "unmarked_ssi", "marked_ssi_weighted",
                "unmarked_ssi_weighted", "mean_rank"):
        return f"{f:.2f}"
    if base in ("mrr", "macro_f1", "r2", "morans_i", "gearys_c", "lisa_low_cluster_share", "morans_i_p"):
        return f"{f:.3f}"
    if base.startswith("sri_"):
        return f"{f:.4f}"
    if base in ("ssi_n_nan", "ssi_n_saturated", "n_rows", "n_located", "rank") and f.is_integer():
        return f"{int(f):,}"
    return f"{f:.4g}" if abs(f) < 1e5 else f"{f:,.0f}"


def json_script(obj: Any) -> str:
    """JSON safe inside `<script type=application/json>`: no `</`, `<!--`, `&`, U+2028/2029 survive raw."""
    from markupsafe import Markup

    text = json.dumps(atomic._nan_to_none(obj), ensure_ascii=False, sort_keys=True)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


def page_slug(name: str) -> str:
    """A file-name-safe slug; a hash suffix keeps distinct names distinct when characters were replaced."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80]
    if slug != name or not slug:
        slug = f"{slug or 'x'}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"
    return slug


def model_href(model_id: str) -> str:
    return f"model-{page_slug(model_id)}.html"


def dataset_href(name: str) -> str:
    return f"dataset-{page_slug(name)}.html"


def best_flags(values: list[float | None], direction: str | None) -> list[bool]:
    """Which cells hold the best value of a column (ties all marked); none when there is no direction."""
    finite = [v for v in values if v is not None]
    if direction not in ("higher", "lower", "zero") or not finite:
        return [False] * len(values)
    if direction == "higher":
        target = max(finite)
        return [v is not None and v == target for v in values]
    if direction == "lower":
        target = min(finite)
        return [v is not None and v == target for v in values]
    target = min(abs(v) for v in finite)
    return [v is not None and abs(v) == target for v in values]


def markdown_blocks(text: str) -> list[tuple[str, Any]]:
    """Tiny, escape-friendly Markdown reader for CHANGES.md: headings, bullet lists and paragraphs."""
    blocks: list[tuple[str, Any]] = []
    items: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(("- ", "* ")):
            items.append(s[2:].strip())
            continue
        if items:
            blocks.append(("ul", items))
            items = []
        if not s:
            continue
        if s.startswith("#"):
            blocks.append(("h", s.lstrip("#").strip()))
        else:
            blocks.append(("p", s))
    if items:
        blocks.append(("ul", items))
    return blocks


# ---------------------------------------------------------------- loading the version


@dataclass
class Column:
    key: str
    label: str
    direction: str | None
    description: str
    dataset: str | None = None
    group: str | None = None
    kind: str = "metric"  # metric | geobias | aggregate
    start: bool = False  # first column of a dataset block (draws a divider)

    @property
    def title(self) -> str:
        where = f" on {self.dataset}" if self.dataset else ""
        return f"{self.description}{where}. {DIRECTION_TEXT[self.direction].capitalize()}."

    @property
    def sort_dir(self) -> str:
        return self.direction or "higher"


@dataclass
class Version:
    """The parsed `scores.json` of one version plus its CHANGES.md."""

    name: str
    path: Path
    created: str
    rows: list[dict]
    models: dict[str, dict]
    datasets: dict[str, dict]
    aggregates: dict[str, dict]
    columns: dict[str, dict]
    geobias_params: dict
    changes: str
    manifest: dict = field(default_factory=dict)

    def info(self, key: str) -> tuple[str, str | None, str]:
        """Label, direction and meaning of a column: scores.json `columns` first, then our defaults."""
        base = key.split(":", 1)[0]
        label, direction, desc = METRICS.get(base) or GEOBIAS.get(base) or AGGREGATES.get(base) or (key, None, key)
        if ":" in key:
            label = f"{label} ({key.split(':', 1)[1]})"
        col = self.columns.get(key)
        if col:
            hib = col.get("higher_is_better")
            if hib is True:
                direction = "higher"
            elif hib is False and direction != "zero":
                direction = "lower"
            desc = col.get("description") or desc
        return label, direction, desc

    def dataset_direction(self, name: str) -> str | None:
        meta = self.datasets.get(name, {})
        hib = meta.get("higher_is_better")
        if hib is None:
            return self.info(meta.get("primary_metric", ""))[1]
        return "higher" if hib else "lower"

    def ordered_datasets(self) -> list[str]:
        names = list(self.datasets) + sorted({r["dataset"] for r in self.rows} - set(self.datasets))
        rank = {g: i for i, g in enumerate(GROUP_ORDER)}
        reg = _registry_order()
        return sorted(names, key=lambda d: (rank.get(self.group_of(d), len(rank)), reg.get(d, len(reg)),
                                            names.index(d)))

    def group_of(self, dataset: str) -> str:
        g = self.datasets.get(dataset, {}).get("group")
        if g is None:
            g = next((r.get("group") for r in self.rows if r["dataset"] == dataset), None)
        return str(g or "other")

    def ordered_models(self) -> list[str]:
        ids = list(dict.fromkeys([*self.models, *(r["model_id"] for r in self.rows)]))
        ids = [m for m in ids if any(r["model_id"] == m for r in self.rows)]

        def key(m: str) -> tuple:
            mr = num(self.aggregates.get(m, {}).get("mean_rank"))
            return (mr is None, mr if mr is not None else 0.0, self.model_name(m).lower())

        return sorted(ids, key=key)

    def model_name(self, model_id: str) -> str:
        card = self.models.get(model_id) or {}
        name = card.get("name") or next((r.get("model_name") for r in self.rows if r["model_id"] == model_id), None)
        return str(name or model_id)

    def row(self, model_id: str, dataset: str) -> dict | None:
        return self._index.get((model_id, dataset))

    def __post_init__(self) -> None:
        self._index = {(r["model_id"], r["dataset"]): r for r in self.rows}


def _registry_order() -> dict[str, int]:
    """Dataset registry order (the published tables' column order), so columns read like the paper."""
    try:
        from locbench.datasets import list_datasets
    except ImportError:  # pragma: no cover - registry is part of locbench
        return {}
    return {getattr(d, "name", str(d)): i for i, d in enumerate(list_datasets())}


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


def load_version(version_dir: Path) -> Version:
    """Read one version folder; raise InputError naming the file, row and field when it breaks the contract."""
    version_dir = Path(version_dir)
    path = version_dir / "scores.json"
    if not path.exists():
        raise InputError("scores.json not found in the version folder", file=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=path) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise InputError("expected an object with a 'rows' list", file=path, column="rows")
    rows = []
    for i, r in enumerate(doc["rows"]):
        if not isinstance(r, dict):
            raise InputError("row is not an object", file=path, row=i)
        for k in ("model_id", "dataset"):
            if not isinstance(r.get(k), str) or not r.get(k):
                raise InputError(f"missing or empty {k!r}", file=path, row=i, column=k)
        r = dict(r)
        r["verified"] = _truthy(r.get("verified", False))
        r["metrics"] = r.get("metrics") if isinstance(r.get("metrics"), dict) else {}
        r["geobias"] = r.get("geobias") if isinstance(r.get("geobias"), dict) else {}
        rows.append(r)
    columns = {c["key"]: c for c in doc.get("columns") or [] if isinstance(c, dict) and "key" in c}
    changes_path = version_dir / "CHANGES.md"
    manifest_path = version_dir / "manifest.json"
    manifest: dict = {}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"not valid JSON: {exc}", file=manifest_path) from exc
    return Version(
        name=str(doc.get("version") or version_dir.name), path=version_dir, created=str(doc.get("created") or ""),
        rows=rows, models={str(k): (v if isinstance(v, dict) else {}) for k, v in (doc.get("models") or {}).items()},
        datasets={str(k): (v if isinstance(v, dict) else {}) for k, v in (doc.get("datasets") or {}).items()},
        aggregates={str(k): (v if isinstance(v, dict) else {}) for k, v in (doc.get("aggregates") or {}).items()},
        columns=columns, geobias_params=doc.get("geobias_params") or {},
        changes=changes_path.read_text(encoding="utf-8") if changes_path.exists() else "",
        manifest=manifest if isinstance(manifest, dict) else {},
    )


def value_of(row: dict | None, key: str) -> float | None:
    """A metric or geo-bias value of a row: flat field first, then the nested dicts."""
    if row is None:
        return None
    for src in (row, row.get("metrics") or {}, row.get("geobias") or {}):
        if key in src and num(src[key]) is not None:
            return num(src[key])
    return None


# ---------------------------------------------------------------- view models


def overview_table(v: Version) -> dict:
    """Columns (grouped), and one row per model with cells, best flags and verification marks."""
    cols: list[Column] = []
    for key in ("mean_rank", "locbench_species_avg"):
        label, direction, desc = v.info(key)
        cols.append(Column(key, label, direction, desc, kind="aggregate"))
    groups: list[dict] = []
    for ds in v.ordered_datasets():
        g = v.group_of(ds)
        if not groups or groups[-1]["key"] != g:
            groups.append({"key": g, "label": GROUP_LABELS.get(g, g.title()), "datasets": []})
        meta = v.datasets.get(ds, {})
        pm = meta.get("primary_metric") or next((r.get("primary_metric") for r in v.rows if r["dataset"] == ds), "")
        label, _, desc = v.info(pm)
        cols.append(Column(pm, label, v.dataset_direction(ds), desc, dataset=ds, group=g, start=True))
        glabel, gdir, gdesc = v.info(OVERVIEW_GEOBIAS)
        cols.append(Column(OVERVIEW_GEOBIAS, glabel, gdir, gdesc, dataset=ds, group=g, kind="geobias"))
        groups[-1]["datasets"].append({"name": ds, "href": dataset_href(ds), "task_type": meta.get("task_type", "")})
    models = v.ordered_models()
    values: list[list[float | None]] = []
    for m in models:
        line = []
        for c in cols:
            if c.kind == "aggregate":
                line.append(num(v.aggregates.get(m, {}).get(c.key)))
            else:
                line.append(value_of(v.row(m, c.dataset), c.key))
        values.append(line)
    best = [best_flags([values[i][j] for i in range(len(models))], c.direction) for j, c in enumerate(cols)]
    out_rows = []
    for i, m in enumerate(models):
        cells = []
        for j, c in enumerate(cols):
            r = v.row(m, c.dataset) if c.dataset else None
            cells.append({"v": values[i][j], "text": fmt(values[i][j], c.key), "best": best[j][i],
                          "unverified": r is not None and not r["verified"], "col": c})
        mine = [r for r in v.rows if r["model_id"] == m]
        out_rows.append({"id": m, "name": v.model_name(m), "href": model_href(m), "cells": cells,
                         "unverified": any(not r["verified"] for r in mine)})
    return {"columns": cols, "groups": groups, "rows": out_rows}


def _numeric_keys(rows: list[dict], field_name: str, known: dict) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k, val in (r.get(field_name) or {}).items():
            if num(val) is not None or val is None:
                seen[k] = None
    flat = [k for k in known if k in seen or any(num(r.get(k)) is not None for r in rows)]
    return flat + sorted(k for k in seen if k not in known)


def dataset_view(v: Version, ds: str) -> dict:
    """Every metric and geo-bias score of every model on one dataset, with best flags."""
    rows = [r for r in v.rows if r["dataset"] == ds]
    rows.sort(key=lambda r: (num(r.get("rank")) is None, num(r.get("rank")) or 0, v.model_name(r["model_id"]).lower()))
    pm = v.datasets.get(ds, {}).get("primary_metric") or (rows[0].get("primary_metric") if rows else "")
    tables = []
    for title, fname, known in (("Metrics", "metrics", METRICS), ("Geo-bias scores", "geobias", GEOBIAS)):
        keys = _numeric_keys(rows, fname, known)
        cols = []
        for k in keys:
            label, direction, desc = v.info(k)
            if k == pm:
                direction = v.dataset_direction(ds)
            cols.append(Column(k, label, direction, desc, dataset=ds, kind=fname))
        vals = [[value_of(r, c.key) for c in cols] for r in rows]
        best = [best_flags([vals[i][j] for i in range(len(rows))], c.direction) for j, c in enumerate(cols)]
        trs = [{"id": r["model_id"], "name": v.model_name(r["model_id"]), "href": model_href(r["model_id"]),
                "rank": num(r.get("rank")), "unverified": not r["verified"],
                "cells": [{"v": vals[i][j], "text": fmt(vals[i][j], c.key), "best": best[j][i], "col": c,
                           "unverified": False}
                          for j, c in enumerate(cols)]} for i, r in enumerate(rows)]
        tables.append({"id": f"t-{fname}", "title": title, "columns": cols, "rows": trs})
    params = dataset_params(v, rows)
    meta = v.datasets.get(ds, {})
    return {"name": ds, "meta": meta, "group": v.group_of(ds), "primary": pm, "tables": tables,
            "params": _flatten(params), "n_models": len(rows),
            "split": next((r.get("split") for r in rows if r.get("split")), ""),
            "n_rows": sorted({int(x) for x in (num(r.get("n_rows")) for r in rows) if x is not None}),
            "unmarked": sorted({round(x, 4) for x in (value_of(r, "unmarked_ssi") for r in rows) if x is not None}),
            "scatter": scatter_points(v, ds, rows, pm)}


def dataset_params(v: Version, rows: list[dict]) -> dict:
    """The geo-bias parameter set(s) this dataset's rows used.

    The build stores distinct sets keyed by a content hash with `geobias_params_id` per row; one set
    is shown flat, several keep their ids. A flat `geobias_params` dict (no ids) is shown as is.
    """
    gp = v.geobias_params if isinstance(v.geobias_params, dict) else {}
    ids = sorted({str(r["geobias_params_id"]) for r in rows if r.get("geobias_params_id") in gp})
    if not ids:
        return dict(gp)
    if len(ids) == 1:
        return dict(gp[ids[0]]) if isinstance(gp[ids[0]], dict) else {ids[0]: gp[ids[0]]}
    return {i: gp[i] for i in ids}


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for k in sorted(d):
        val = d[k]
        key = f"{prefix}{k}"
        if isinstance(val, dict):
            out += _flatten(val, key + ".")
        else:
            out.append((key, json.dumps(val, ensure_ascii=False) if not isinstance(val, str) else val))
    return out


def scatter_points(v: Version, ds: str, rows: list[dict], pm: str) -> dict | None:
    """Accuracy-vs-geo-bias points in SVG coordinates, Pareto front labelled (best on both axes)."""
    pts = [(r, value_of(r, pm), value_of(r, OVERVIEW_GEOBIAS)) for r in rows]
    pts = [(r, y, x) for r, y, x in pts if x is not None and y is not None]
    if len(pts) < 2:
        return None
    w, h, ml, mr, mt, mb = 760, 380, 70, 20, 20, 50
    xs = [p[2] for p in pts]
    ys = [p[1] for p in pts]

    def span(a: list[float]) -> tuple[float, float]:
        lo, hi = min(a), max(a)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
        return lo - pad, hi + pad

    x0, x1 = span(xs)
    y0, y1 = span(ys)
    higher = v.dataset_direction(ds) != "lower"

    def sx(x: float) -> float:
        return round(ml + (x - x0) / (x1 - x0) * (w - ml - mr), 1)

    def sy(y: float) -> float:
        return round(h - mb - (y - y0) / (y1 - y0) * (h - mt - mb), 1)

    def dominated(p: tuple) -> bool:
        _, y, x = p
        for _, y2, x2 in pts:
            better_y = y2 >= y if higher else y2 <= y
            strictly = (y2 > y if higher else y2 < y) or x2 < x
            if better_y and x2 <= x and strictly:
                return True
        return False

    out = []
    for p in pts:
        r, y, x = p
        front = not dominated(p)
        out.append({"x": sx(x), "y": sy(y), "front": front, "name": v.model_name(r["model_id"]),
                    "href": model_href(r["model_id"]), "tx": fmt(x, OVERVIEW_GEOBIAS), "ty": fmt(y, pm),
                    "unverified": not r["verified"]})
    _place_labels(out, w - mr, mt)
    ticks_x = [{"pos": sx(x0 + (x1 - x0) * t / 4), "text": fmt(x0 + (x1 - x0) * t / 4, OVERVIEW_GEOBIAS)}
               for t in range(5)]
    ticks_y = [{"pos": sy(y0 + (y1 - y0) * t / 4), "text": fmt(y0 + (y1 - y0) * t / 4, pm)} for t in range(5)]
    return {"w": w, "h": h, "ml": ml, "mr": mr, "mt": mt, "mb": mb, "points": out, "ticks_x": ticks_x,
            "ticks_y": ticks_y, "xlabel": v.info(OVERVIEW_GEOBIAS)[0] + " (lower = less geo-bias) →",
            "ylabel": v.info(pm)[0] + (" (higher is better)" if higher else " (lower is better)")}


def _place_labels(points: list[dict], right: float, top: float) -> None:
    """Greedy label placement for Pareto points: first free spot of four around the point, else no label
    (the point keeps its hover tooltip)."""
    boxes: list[tuple[float, float, float, float]] = [(p["x"] - 6, p["y"] - 6, p["x"] + 6, p["y"] + 6) for p in points]
    for p in sorted(points, key=lambda q: q["y"]):
        p["label"] = None
        if not p["front"]:
            continue
        tw, th = 6.6 * len(p["name"]) + 4, 14.0
        for dx, dy, anchor in ((8, -6, "start"), (8, 14, "start"), (-8, -6, "end"), (-8, 14, "end")):
            x0 = p["x"] + dx if anchor == "start" else p["x"] + dx - tw
            box = (x0, p["y"] + dy - 11, x0 + tw, p["y"] + dy - 11 + th)
            if box[0] < 0 or box[2] > right + 20 or box[1] < top - 10:
                continue
            if any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in boxes):
                continue
            boxes.append(box)
            p["label"] = {"x": round(p["x"] + dx, 1), "y": round(p["y"] + dy, 1), "anchor": anchor}
            break


def card_items(card: dict) -> list[tuple[str, str]]:
    """Model-card fields as (label, text); URLs stay text so no page links to the network."""
    items = []
    for k, val in card.items():
        if val is None or val == "" or k == "name":
            continue
        if isinstance(val, (list, tuple)):
            text = ", ".join(str(x) for x in val)
        elif isinstance(val, dict):
            text = "; ".join(f"{a}: {b}" for a, b in val.items())
        else:
            text = str(val)
        items.append((CARD_LABELS.get(k, k.replace("_", " ").capitalize()), text))
    return items


def model_view(v: Version, model_id: str, root: Path | None, *, seed: int = 0, maps_mode: str = "all") -> dict:
    """The model card, its per-dataset results and its world maps (when per-sample data are available)."""
    from locbench.leaderboard import maps

    rows = [r for r in v.rows if r["model_id"] == model_id]
    order = {d: i for i, d in enumerate(v.ordered_datasets())}
    rows.sort(key=lambda r: order.get(r["dataset"], 10**6))
    n_per_ds = {d: sum(1 for r in v.rows if r["dataset"] == d) for d in order}
    results = []
    figures = []
    for r in rows:
        ds = r["dataset"]
        pm = r.get("primary_metric") or v.datasets.get(ds, {}).get("primary_metric", "")
        results.append({
            "dataset": ds, "href": dataset_href(ds), "group": GROUP_LABELS.get(v.group_of(ds), v.group_of(ds)),
            "split": r.get("split", ""), "metric": v.info(pm)[0], "metric_title": v.info(pm)[2],
            "value": fmt(value_of(r, pm), pm), "v": value_of(r, pm), "rank": num(r.get("rank")),
            "of": n_per_ds.get(ds, 0),
            "geo": [{"key": k, "label": v.info(k)[0], "title": v.info(k)[2], "v": value_of(r, k),
                     "text": fmt(value_of(r, k), k)}
                    for k in ("marked_ssi", "sri_distance_lag", "sri_scale_grid", "morans_i")],
            "n_rows": fmt(r.get("n_rows"), "n_rows"), "n_located": fmt(r.get("n_located"), "n_located"),
            "verified": r["verified"], "source": r.get("source", "")})
        if root is not None and maps_mode != "none":
            figures.append(maps.maps_for(r, Path(root), dataset_label=ds, model_label=v.model_name(model_id),
                                         lisa=maps_mode == "all"))
    card = v.models.get(model_id, {})
    agg = v.aggregates.get(model_id, {})
    return {"id": model_id, "name": v.model_name(model_id), "card": card_items(card), "results": results,
            "figures": figures, "unverified": any(not r["verified"] for r in rows),
            "aggregates": [(v.info(k)[0], fmt(agg.get(k), k), v.info(k)[2]) for k in AGGREGATES]}


def legend(v: Version) -> list[dict]:
    keys = ["top1", "r2", "mae", "marked_ssi", "unmarked_ssi", "sri_distance_lag", "sri_scale_grid",
            "sri_direction_sector", "morans_i", "mean_rank", "locbench_species_avg"]
    return [{"label": v.info(k)[0], "direction": DIRECTION_TEXT[v.info(k)[1]], "arrow": DIRECTION_ARROW[v.info(k)[1]],
             "text": v.info(k)[2]} for k in keys]


# ---------------------------------------------------------------- rendering


def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["fmt"] = fmt
    env.filters["json_script"] = json_script
    env.globals["DIRECTION_TEXT"] = DIRECTION_TEXT
    env.globals["DIRECTION_ARROW"] = DIRECTION_ARROW
    return env


def _assets() -> dict[str, str]:
    from markupsafe import Markup

    # Our own files, never user input: inlined raw so pages need nothing else.
    return {"css": Markup((HERE / "static" / "style.css").read_text(encoding="utf-8")),
            "js": Markup((HERE / "static" / "table.js").read_text(encoding="utf-8"))}


def _common(v: Version, versions: list[str], *, base: str, version_href: Callable[[str], str], latest_href: str,
            page: str) -> dict:
    vs = sorted(dict.fromkeys([*versions, v.name]))
    return {"v": v, "base": base, "versions": [{"name": n, "href": version_href(n), "current": n == v.name}
                                               for n in reversed(vs)],
            "latest_href": latest_href, "page": page, "groups_label": GROUP_LABELS, **_assets(),
            "data": {"version": v.name, "versions": vs, "page": page}}


def render_overview(v: Version, versions: list[str], *, base: str, version_href: Callable[[str], str],
                    latest_href: str) -> str:
    ctx = _common(v, versions, base=base, version_href=version_href, latest_href=latest_href, page="overview")
    table = overview_table(v)
    ctx["data"]["models"] = [{"id": r["id"], "name": r["name"]} for r in table["rows"]]
    return _env().get_template("overview.html.j2").render(
        **ctx, table=table, legend=legend(v), changes=markdown_blocks(v.changes),
        n_models=len(table["rows"]), n_datasets=sum(len(g["datasets"]) for g in table["groups"]))


MAPS_MODES = ("all", "performance", "none")


def render_version(version_dir: Path, *, versions: list[str], root: Path,
                   progress: ProgressFn | None = None, seed: int = 0, maps: str = "all") -> list[Path]:
    """Write index.html, dataset-*.html and model-*.html into `version_dir` (a staged or frozen version).

    `versions` lists every version name (this one included) for the selector; `root` is the
    working root whose `results/` point at per-sample predictions for the maps. Optional beyond the
    contract: `progress(label, done, total)`, the LISA `seed`, and `maps` ("all", "performance" to skip
    LISA, "none"). Returns the pages written.
    """
    if maps not in MAPS_MODES:
        raise InputError(f"maps must be one of {MAPS_MODES}, got {maps!r}")
    version_dir = Path(version_dir)
    v = load_version(version_dir)
    name = version_dir.name if VERSION_RE.match(version_dir.name) else v.name
    v.name = name
    env = _env()

    def vhref(n: str) -> str:
        return "index.html" if n == name else f"../{n}/index.html"

    common = {"base": "", "version_href": vhref, "latest_href": "../index.html"}
    written = [atomic.write_text(version_dir / "index.html", render_overview(v, versions, **common))]
    datasets = v.ordered_datasets()
    models = v.ordered_models()
    total = len(datasets) + len(models)
    for i, ds in enumerate(datasets):
        ctx = _common(v, versions, page="dataset", **common)
        html = env.get_template("dataset.html.j2").render(**ctx, d=dataset_view(v, ds))
        written.append(atomic.write_text(version_dir / dataset_href(ds), html))
        if progress:
            progress(f"dataset {ds}", i + 1, total)
    for j, m in enumerate(models):
        ctx = _common(v, versions, page="model", **common)
        html = env.get_template("model.html.j2").render(**ctx, m=model_view(v, m, root, seed=seed, maps_mode=maps))
        written.append(atomic.write_text(version_dir / model_href(m), html))
        if progress:
            progress(f"model {m}", len(datasets) + j + 1, total)
    return written


def list_versions(leaderboard_dir: Path) -> list[str]:
    """Version folders (vNNNN with a scores.json), oldest first."""
    leaderboard_dir = Path(leaderboard_dir)
    if not leaderboard_dir.is_dir():
        return []
    found = [p.name for p in leaderboard_dir.iterdir()
             if p.is_dir() and VERSION_RE.match(p.name) and (p / "scores.json").exists()]
    return sorted(found, key=lambda n: int(n[1:]))


def render_latest(leaderboard_dir: Path) -> Path:
    """Write `leaderboard/index.html`: the latest version's overview, links pointing into `vNNNN/`."""
    leaderboard_dir = Path(leaderboard_dir)
    versions = list_versions(leaderboard_dir)
    if not versions:
        raise InputError("no leaderboard version (vNNNN/scores.json) found", file=leaderboard_dir)
    latest = versions[-1]
    v = load_version(leaderboard_dir / latest)
    v.name = latest
    html = render_overview(v, versions, base=f"{latest}/", version_href=lambda n: f"{n}/index.html",
                           latest_href="index.html")
    return atomic.write_text(leaderboard_dir / "index.html", html)
