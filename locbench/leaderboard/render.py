"""Render one frozen leaderboard version (and the latest-version entry page) to self-contained HTML.

Why this shape: pages must open from `file://` with no network, so CSS/JS are shared files in the
version's `assets/` (`assets.py`, linked relatively), figures are inline SVG (maps: a pixel-per-cell PNG
layer, countries drawn by the shared map script from compact data; scatter), and every string that comes
from a submission goes through jinja2 autoescaping (JSON in `<script>` through `json_script`).
Inputs are only the version folder (`scores.json`, `CHANGES.md`) and, for the grid maps, the
`map_layers` of the result files `root/results/<model>/<dataset>.json` (never per-sample files);
the country maps come from the rows' `regions` (worldsvg.py). How rows are read (honest geo-bias
marks, ties, undefined values, the paper's number) is `reading.py`; score facts are `locbench.scoreinfo`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from georbias.groups import view
from locbench import atomic, scoreinfo
from locbench.cards import card_labels
from locbench.errors import InputError
from locbench.leaderboard import assets, leanrecord, mapscale, reading, regionstore, worldsvg
from locbench.leaderboard.citations import benchmark_bibtex, dataset_bibtex, model_bibtex
from locbench.leaderboard.policy import Verdicts, compute
from locbench.leaderboard.policy.families import family_of_dataset
from locbench.leaderboard.config import DEFAULTS as RENDER
from locbench.leaderboard.config import MAPS_MODES
from locbench.leaderboard.rows import ScoreRow, rows_of
from locbench.leaderboard.versions import VERSION_RE, version_folders
from locbench.scoreinfo import DIRECTION_ARROW, DIRECTION_TEXT, REFERENCE_NOTE, finite

HERE = Path(__file__).parent

GROUP_LABELS = {"locbench": "LocBench", "gair": "GAIR", "geobs": "GeoBS", "embedded": "Embedded",
                "sustainbench": "SustainBench"}
# Task families and their labels are the policy's (locbench.leaderboard.policy.families).
HEADLINE_KEYS = ("headline_value", "headline_z", "headline_p")
REFERENCE_KEYS = view("reference")     # declared with the score groups (georbias.groups.VIEWS)
DIAGNOSTIC_KEYS = view("diagnostic")
AGGREGATE_KEYS = ("mean_rank", "locbench_species_avg")
# Labels of the model-card fields, declared with them (locbench.cards.ModelMeta); a key an older
# version's card has and today's does not is shown under its own name.
CARD_LABELS = card_labels()
OVERVIEW_GEOBIAS = scoreinfo.HEADLINE_KEY
# The version's machine-readable files every page links (those the version folder has).
DOWNLOADS = ("scores.csv", "scores.json", "verdicts.json")
ProgressFn = Callable[[str, int, int], None]


# ---------------------------------------------------------------- formatting and safety helpers


# A finite float, or None for missing/NaN/non-numeric (so templates show a dash): the same rule as the tables.
num = finite


def fmt(v: Any, key: str = "") -> str:
    """Display text for a number, with the digits the score registry prescribes for `key`."""
    f = num(v)
    if not key:
        return "–" if f is None else f"{f:.4g}"
    return scoreinfo.fmt(f, key)


def sort_key(v: Any) -> str:
    """A cell's `data-v` (what the table script sorts by): nine significant digits, empty when missing."""
    f = num(v)
    return "" if f is None else f"{f:.9g}"


def data_v(v: Any) -> Any:
    """The ` data-v="..."` attribute of a numeric cell, nothing when missing (the script sorts a cell without
    one last, as it did an empty one)."""
    from markupsafe import Markup

    key = sort_key(v)
    return Markup(f' data-v="{key}"') if key else ""


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
    """Which cells hold the best value of a column (ties all marked); none when there is no direction,
    and none when fewer than two models have a value (being the only one scored is not being best)."""
    finite = [v for v in values if v is not None]
    if direction not in ("higher", "lower", "zero") or len(finite) < 2:
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
    primary: str = ""  # the dataset's primary metric (its cells carry the interval and seeds in the tooltip)

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
    rows: list[ScoreRow]
    models: dict[str, dict]
    datasets: dict[str, dict]
    aggregates: dict[str, dict]
    columns: dict[str, dict]
    geobias_params: dict
    changes: str
    manifest: dict = field(default_factory=dict)
    verdicts: Verdicts | None = None  # verdicts.json of the version, else computed from its rows by the policy

    def info(self, key: str) -> tuple[str, str | None, str]:
        """Label, direction and meaning of a column: the score registry, with this version's recorded
        `columns` descriptions (a frozen version keeps the words it was published with)."""
        entry = scoreinfo.info(key)
        col = self.columns.get(key) or {}
        return entry.label, entry.direction, str(col.get("description") or entry.description)

    def primary_of(self, dataset: str) -> str:
        pm = self.datasets.get(dataset, {}).get("primary_metric")
        return str(pm or next((r.primary_metric for r in self.rows if r.dataset == dataset), "") or "")

    def dataset_direction(self, name: str) -> str | None:
        meta = self.datasets.get(name, {})
        hib = meta.get("higher_is_better")
        if hib is None:
            return self.info(meta.get("primary_metric", ""))[1]
        return "higher" if hib else "lower"

    def ordered_datasets(self) -> list[str]:
        names = list(self.datasets) + sorted({r.dataset for r in self.rows} - set(self.datasets))
        reg = _registry_order()
        return sorted(names, key=lambda d: (family_of_dataset(d, self.group_of(d), self.task_of(d)).order,
                                            reg.get(d, len(reg)), names.index(d)))

    def group_of(self, dataset: str) -> str:
        g = self.datasets.get(dataset, {}).get("group")
        if g is None:
            g = next((r.group for r in self.rows if r.dataset == dataset), None)
        return str(g or "other")

    def task_of(self, dataset: str) -> str:
        t = self.datasets.get(dataset, {}).get("task_type")
        if t is None:
            t = next((r.task_type for r in self.rows if r.dataset == dataset), None)
        return str(t or "")

    def family_of(self, dataset: str) -> str:
        """Task family of a dataset (the policy's rule: from the dataset spec)."""
        return family_of_dataset(dataset, self.group_of(dataset), self.task_of(dataset)).key

    def ordered_models(self) -> list[str]:
        ids = list(dict.fromkeys([*self.models, *(r.model_id for r in self.rows)]))
        ids = [m for m in ids if any(r.model_id == m for r in self.rows)]

        fams = {f.key: i for i, f in enumerate(self.verdict.families)}
        place = {}
        for f in self.verdict.families:
            for p in f.ranking:
                place.setdefault(p.model_id, (fams[f.key], p.rank, p.value))

        def key(m: str) -> tuple:  # by the first family a model is ranked in, then its rank there
            where = place.get(m)
            return (where is None, where or (0, 0, 0.0), self.model_name(m).lower())

        return sorted(ids, key=key)

    def model_name(self, model_id: str) -> str:
        card = self.models.get(model_id) or {}
        name = card.get("name") or next((r.model_name for r in self.rows if r.model_id == model_id), None)
        return str(name or model_id)

    def row(self, model_id: str, dataset: str) -> ScoreRow | None:
        return self._index.get((model_id, dataset))

    def __post_init__(self) -> None:
        self._index = {(r.model_id, r.dataset): r for r in self.rows}
        if self.verdicts is None:
            self.verdicts = compute(self.rows, self.models, self.name)

    @property
    def verdict(self) -> Verdicts:
        assert self.verdicts is not None
        return self.verdicts

    def result_verdict(self, model_id: str, dataset: str):
        return self.verdict.result(model_id, dataset)

    def family_label(self, dataset: str) -> str:
        return family_of_dataset(dataset, self.group_of(dataset), self.task_of(dataset)).label


def _registry_order() -> dict[str, int]:
    """Dataset registry order (the published tables' column order), so columns read like the paper."""
    from locbench.datasets import list_datasets

    return {d.name: i for i, d in enumerate(list_datasets())}


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
    doc = leanrecord.expand(doc, path)  # the lean layout (v0004 on) read as the v0003 one
    rows = regionstore.attach(rows_of(doc, path), version_dir)  # breakdowns live in regions.json since v0003
    columns = {c["key"]: c for c in doc.get("columns") or [] if isinstance(c, dict) and "key" in c}
    changes_path = version_dir / "CHANGES.md"
    manifest_path = version_dir / "manifest.json"
    manifest: dict = {}
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"not valid JSON: {exc}", file=manifest_path) from exc
    verdicts_path = version_dir / "verdicts.json"
    verdicts = None
    if verdicts_path.exists():
        try:
            verdicts = Verdicts.from_dict(json.loads(verdicts_path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"not a valid verdicts file: {exc}", file=verdicts_path) from exc
    return Version(
        verdicts=verdicts,
        name=str(doc.get("version") or version_dir.name), path=version_dir, created=str(doc.get("created") or ""),
        rows=rows, models={str(k): (v if isinstance(v, dict) else {}) for k, v in (doc.get("models") or {}).items()},
        datasets={str(k): (v if isinstance(v, dict) else {}) for k, v in (doc.get("datasets") or {}).items()},
        aggregates={str(k): (v if isinstance(v, dict) else {}) for k, v in (doc.get("aggregates") or {}).items()},
        columns=columns, geobias_params=doc.get("geobias_params") or {},
        changes=changes_path.read_text(encoding="utf-8") if changes_path.exists() else "",
        manifest=manifest if isinstance(manifest, dict) else {},
    )


# ---------------------------------------------------------------- view models


def _cell(v: Version, row: ScoreRow | None, col: Column, params: dict, *, best: bool = False,
          tied: bool = False) -> dict:
    """One table cell: value, text ("–" not evaluated, "undefined" with its reason), marks and tooltip."""
    val, text, title = reading.text_or_undefined(row, col.key, params)
    if row is None:
        title = ""  # "–" is explained once in the legend, not in ~1,100 tooltips
    if best:
        title = (f"best in column ({DIRECTION_TEXT[col.direction]})" if col.kind != "geobias" else
                 "least geo-biased on this dataset (the rule is stated on the dataset page)")
    elif tied:
        title = "tied with the leader: not significantly worse (see the dataset page's ranking)"
    flags = _flags(v, row)
    if row is not None and col.key == col.primary:
        extra = [t for t in (reading.seeds_text(row, col.key), reading.ci_text(row, col.key)) if t]
        if row.unranked_reason:  # the reason itself is on the dataset page (kept out of every overview cell)
            extra.append("not ranked (see the dataset page)")
        title = "; ".join([t for t in (title, *extra) if t])
    if flags:  # the reason once per result (its primary-metric cell; the dataset page's ranking), a pointer elsewhere
        said = (f"integrity flag: {f.message}" if col.key == col.primary else
                f"integrity flag ({f.code.replace('_', ' ')}: reason on the primary metric and in the ranking)"
                for f in flags)
        title = "; ".join([t for t in (title, *said) if t])
    return {"v": val, "text": text, "best": best, "tied": tied, "title": title, "undefined": text == "undefined",
            "unverified": row is not None and not row.verified, "col": col, "flagged": bool(flags),
            "unranked": row is not None and bool(row.unranked_reason) and col.key == col.primary}


def _row_marked(cell: dict) -> dict:
    """A cell of a one-result-per-row table: "not verified" is the row header's badge, not a † in every cell."""
    return {**cell, "unverified": False}


def tidy(html: str) -> str:
    """Drop the templates' indentation at line starts (outside <pre>): ~0.2 MB of spaces in a version's pages."""
    parts = re.split(r"(<pre[ >].*?</pre>)", html, flags=re.S)
    return "".join(p if p.startswith("<pre") else re.sub(r"\n[ \t]+", "\n", p) for p in parts)


def _flags(v: Version, row: ScoreRow | None) -> tuple:
    """The policy's integrity flags of a row (empty for no row)."""
    rv = v.result_verdict(row.model_id, row.dataset) if row is not None else None
    return rv.flags if rv is not None else ()


def _overview_columns(v: Version) -> tuple[list[Column], list[dict]]:
    cols: list[Column] = []
    for key in AGGREGATE_KEYS:
        if any(num(a.get(key)) is not None for a in v.aggregates.values()):  # "computable or absent"
            label, direction, desc = v.info(key)
            cols.append(Column(key, label, direction, desc, kind="aggregate"))
    groups: list[dict] = []
    for ds in v.ordered_datasets():
        fam = v.family_of(ds)
        if not groups or groups[-1]["key"] != fam:
            groups.append({"key": fam, "cls": v.group_of(ds), "label": v.family_label(ds), "datasets": []})
        pm = v.primary_of(ds)
        label, _, desc = v.info(pm)
        cols.append(Column(pm, label, v.dataset_direction(ds), desc, dataset=ds, group=v.group_of(ds), start=True,
                           primary=pm))
        glabel, gdir, gdesc = v.info(OVERVIEW_GEOBIAS)
        cols.append(Column(OVERVIEW_GEOBIAS, glabel, gdir, gdesc, dataset=ds, group=v.group_of(ds), kind="geobias",
                           primary=pm))
        groups[-1]["datasets"].append({"name": ds, "href": dataset_href(ds), "task_type": v.task_of(ds)})
    return cols, groups


def _marks(v: Version, ds: str) -> dict[str, set[str]]:
    """Per dataset: who is best on the primary metric, tied with the leader, and least geo-biased (the policy's
    verdicts; flagged results have none)."""
    mine = [x for x in v.verdict.results if x.dataset == ds]
    return {"primary": {x.model_id for x in mine if x.best}, "tied": {x.model_id for x in mine if x.tied},
            "geobias": {x.model_id for x in mine if x.least_geobiased}}


def overview_table(v: Version) -> dict:
    """Columns grouped by task family, one row per model: cells with best / tied / undefined marks."""
    cols, groups = _overview_columns(v)
    marks = {ds: _marks(v, ds) for ds in v.ordered_datasets()}
    models = v.ordered_models()
    agg_best = {c.key: best_flags([num(v.aggregates.get(m, {}).get(c.key)) for m in models], c.direction)
                for c in cols if c.kind == "aggregate"}
    out_rows = []
    for i, m in enumerate(models):
        cells = []
        for c in cols:
            if c.kind == "aggregate":
                val = num(v.aggregates.get(m, {}).get(c.key))
                cells.append({"v": val, "text": fmt(val, c.key), "best": agg_best[c.key][i], "tied": False,
                              "title": "", "undefined": False, "unverified": False, "col": c, "flagged": False,
                              "unranked": False})
                continue
            mk = marks[c.dataset]
            which = "geobias" if c.kind == "geobias" else "primary"
            cells.append(_cell(v, v.row(m, c.dataset), c, v.geobias_params, best=m in mk[which],
                               tied=which == "primary" and m in mk["tied"]))
        mine = [r for r in v.rows if r.model_id == m]
        out_rows.append({"id": m, "name": v.model_name(m), "href": model_href(m), "cells": cells,
                         "unverified": any(not r.verified for r in mine)})
    return {"columns": cols, "groups": groups, "rows": out_rows,
            "has_avg": any(c.key == "locbench_species_avg" for c in cols), "families": family_views(v)}


def cd_diagram(v: Version, f: Any) -> dict | None:
    """A critical-difference diagram (Demšar 2006) in SVG coordinates: mean ranks on an axis 1..k, the CD as a
    bar, and one line per tie group spanning its members; None without a Friedman test."""
    if f.cd is None or len(f.ranking) < 2:
        return None
    k, w, left, right, top = len(f.ranking), 360.0, 20.0, 20.0, 44.0

    def x(rank: float) -> float:
        return round(left + (rank - 1) / max(k - 1, 1) * (w - left - right), 1)

    groups: dict[int, list[float]] = {}
    for p in f.ranking:
        groups.setdefault(p.group, []).append(p.value)
    bars = [{"x1": x(min(vals)), "x2": x(max(vals)), "y": top + 8 + 5 * i} for i, vals in enumerate(groups.values())
            if len(vals) > 1]
    y0 = top + 14 + 5 * len(groups)
    points = [{"x": x(p.value), "y": round(y0 + 13 * i, 1), "name": v.model_name(p.model_id),
               "text": fmt(p.value, "mean_rank"), "anchor": "start" if p.value <= (k + 1) / 2 else "end"}
              for i, p in enumerate(f.ranking)]
    return {"w": w, "h": y0 + 13 * k + 4, "axis_y": top, "ticks": [{"x": x(r), "text": r} for r in range(1, k + 1)],
            "cd": {"x1": x(1), "x2": min(x(1 + f.cd), w - right), "text": f"CD = {f.cd:.2f}"}, "bars": bars,
            "points": points}


def family_views(v: Version) -> list[dict]:
    """Each task family's ranking (tie groups share a rank) with the evidence behind it."""
    out = []
    for f in v.verdict.families:
        if f.friedman_p is not None:
            test = (f"Friedman χ² = {f.friedman_chi2:.2f}, {reading.p_sentence('p', reading.p_text(f.friedman_p))} over "
                    f"{len(f.test_datasets)} datasets × {len(f.ranking)} models; Nemenyi CD = {f.cd:.2f}")
        elif f.test_datasets:
            test = f"one dataset ({f.test_datasets[0]}): its own tie groups"
        else:
            test = "no dataset of this family has two ranked results: no ranking"
        out.append({"key": f.key, "label": f.label, "n_datasets": f.n_datasets, "n_models": f.n_models, "test": test,
                    "cd_diagram": cd_diagram(v, f),
                    "test_datasets": list(f.test_datasets),
                    "ranking": [{"rank": p.rank, "id": p.model_id, "name": v.model_name(p.model_id),
                                 "href": model_href(p.model_id), "mean": fmt(p.value, "mean_rank"),
                                 "tied": p.group == f.ranking[0].group if f.ranking else False, "basis": p.basis}
                                for p in f.ranking],
                    "excluded": [{"name": v.model_name(m), "href": model_href(m), "why": why}
                                 for m, why in f.excluded.items()] if f.ranking else []})
    return out


def _keys_present(rows: list[ScoreRow], field_name: str, known: tuple[str, ...], *,
                  unknown: bool = False) -> list[str]:
    """Known keys any row carries (in `known` order); with `unknown`, then other numeric keys, sorted.

    `field_name` names the nested block (`metrics` or `geobias`); a known key also counts when a row has
    it as a flat column."""
    seen = {k for r in rows for k, val in r.flat(field_name).items()
            if val is None or (num(val) is not None and not isinstance(val, bool))}
    flat = [k for k in known if k in seen or any(num(r.flat(k)) is not None for r in rows)]
    if not unknown:
        return flat
    listed = {*HEADLINE_KEYS, *REFERENCE_KEYS, *DIAGNOSTIC_KEYS, *known}
    return flat + sorted(k for k in seen if k not in listed and not k.startswith("headline_")
                         and any(num(r.flat(field_name).get(k)) is not None for r in rows))


def _score_table(v: Version, ds: str, rows: list[ScoreRow], tid: str, title: str, keys: list[str], *,
                 mark_best: bool, note: str = "") -> dict:
    """One sortable table of a dataset page; identical-for-all columns leave it and are shown once."""
    params = dataset_params(v, rows)
    same = reading.constant_values(rows, keys)
    undefined = _undefined_for_all(rows, [k for k in keys if k not in same], params)
    pm = v.primary_of(ds)
    cols = [Column(k, *v.info(k), dataset=ds, kind="geobias" if k not in scoreinfo.ALL_METRIC_KEYS else "metric",
                   primary=pm) for k in keys if k not in same and k not in undefined]
    for c in cols:
        if c.key == pm:
            c.direction = v.dataset_direction(ds)
    ranked_rows = [r for r in rows if reading.ranked(r) and not _flags(v, r)]  # flagged results lose highlights
    best_ids = {c.key: {r.model_id for r, f in zip(ranked_rows, best_flags([r.value(c.key)
                for r in ranked_rows], c.direction)) if f} if mark_best else set() for c in cols}
    trs = [{"id": r.model_id, "name": v.model_name(r.model_id), "href": model_href(r.model_id),
            "rank": num(r.rank), "unverified": not r.verified,
            "cells": [_row_marked(_cell(v, r, c, params, best=r.model_id in best_ids[c.key])) for c in cols]}
           for r in rows]
    constant = [{"label": v.info(k)[0], "title": v.info(k)[2],
                 "sentence": reading.p_sentence(v.info(k)[0], reading.p_display(rows[0], k, val, params) if "_p" in k
                                                else fmt(val, k))}
                for k, val in same.items()]
    constant += [{"label": v.info(k)[0], "title": v.info(k)[2], "sentence": f"{v.info(k)[0]} {why}"}
                 for k, why in undefined.items()]
    return {"id": tid, "title": title, "columns": cols, "rows": trs, "constant": constant, "note": note}


def _undefined_for_all(rows: list[ScoreRow], keys: list[str], params: dict) -> dict[str, str]:
    """Columns undefined for every model for one and the same reason: said once, not in every cell."""
    out = {}
    for k in keys:
        cells = [reading.text_or_undefined(r, k, params) for r in rows]
        if len(cells) >= 2 and all(c[0] is None and c[1] == "undefined" for c in cells) and len({c[2] for c in cells}) == 1:
            out[k] = cells[0][2]
    return out


def ranking_view(v: Version, ds: str, rows: list[ScoreRow]) -> dict:
    """The ranking table: primary metric with its interval and ties, the paper's number, worst region, geo-bias."""
    pm, direction = v.primary_of(ds), v.dataset_direction(ds)
    marks = _marks(v, ds)
    hib = direction != "lower"
    out = []
    for r in rows:
        rb = r.regions
        worst = rb.worst(hib, n=1) if rb else []
        h = reading.headline_of(r)
        rv = v.result_verdict(r.model_id, ds)
        out.append({"id": r.model_id, "name": v.model_name(r.model_id), "href": model_href(r.model_id),
                    "rank": None if rv is None else rv.rank, "unranked": r.unranked_reason,
                    "flags": [] if rv is None else [{"code": f.code, "message": f.message} for f in rv.flags],
                    "reading": None if rv is None else rv.reading,
                    "unverified": not r.verified, "value": r.value(pm), "text": fmt(r.value(pm), pm),
                    "ci": reading.ci_text(r, pm), "seeds": reading.seeds_text(r, pm),
                    "best": r.model_id in marks["primary"], "tied": r.model_id in marks["tied"],
                    "paper": reading.paper_of(r, pm),
                    "worst": ({"name": worst[0].name, "n": worst[0].n,
                               "text": mapscale.region_text(pm, worst[0].value, lambda x: fmt(x, pm))}
                              if worst else None),
                    "geo": _row_marked(_cell(v, r, Column(OVERVIEW_GEOBIAS, *v.info(OVERVIEW_GEOBIAS), dataset=ds,
                                                          kind="geobias", primary=pm), v.geobias_params,
                                             best=r.model_id in marks["geobias"])),
                    "geo_z": fmt(h.z, "headline_z"), "geo_sig": h.significant if h.value is not None else None})
    return {"rows": out, "metric": v.info(pm)[0], "has_paper": any(x["paper"] for x in out),
            "paper_notes": [(x["name"], x["paper"]["note"]) for x in out if x["paper"] and x["paper"]["note"]],
            "has_ci": any(x["ci"] for x in out)}


def dataset_view(v: Version, ds: str) -> dict:
    """A dataset page: ranking, metrics, headline / reference-compatible / diagnostic geo-bias, regions."""
    rows = [r for r in v.rows if r.dataset == ds]
    rank = {x.model_id: x.rank for x in v.verdict.results if x.dataset == ds}
    rows.sort(key=lambda r: (rank.get(r.model_id) is None, rank.get(r.model_id) or 0, -(r.value(v.primary_of(ds)) or 0)
                             if v.dataset_direction(ds) != "lower" else (r.value(v.primary_of(ds)) or 0),
                             v.model_name(r.model_id).lower()))
    pm = v.primary_of(ds)
    metric_keys = _keys_present(rows, "metrics", scoreinfo.ALL_METRIC_KEYS, unknown=True)
    tables = [
        _score_table(v, ds, rows, "t-metrics", "Metrics", metric_keys, mark_best=True),
        _score_table(v, ds, rows, "t-headline", "Headline geo-bias score",
                     _keys_present(rows, "geobias", HEADLINE_KEYS), mark_best=False),
        _score_table(v, ds, rows, "t-geobias", "Reference-compatible geo-bias scores",
                     _keys_present(rows, "geobias", REFERENCE_KEYS), mark_best=False,
                     note=f"{REFERENCE_NOTE[0].upper()}{REFERENCE_NOTE[1:]}: a misclassified sample scores like a "
                          "background point, "
                          "so these track accuracy. No value here is highlighted as best."),
        _score_table(v, ds, rows, "t-diagnostics", "Spatial autocorrelation diagnostics",
                     _keys_present(rows, "geobias", DIAGNOSTIC_KEYS, unknown=True), mark_best=False)]
    meta = v.datasets.get(ds, {})
    direction = v.dataset_direction(ds)
    return {"name": ds, "meta": meta, "group": v.group_of(ds), "family": v.family_label(ds),
            "primary": pm, "tables": tables, "ranking": ranking_view(v, ds, rows),
            "params": params_view(v, rows), "n_models": len(rows),
            "bibtex": dataset_bibtex(ds),
            "split": next((r.split for r in rows if r.split), ""),
            "n_rows": _row_counts(v, rows),
            "unmarked": sorted({round(x, 4) for x in (r.value("unmarked_ssi") for r in rows) if x is not None}),
            "verdict": _geobias_verdict(v, ds), "rule": v.verdict.rules.get("least_geobiased", ""),
            "rank_rule": v.verdict.rules.get("dataset_ranks", ""),
            "worst_countries": _worst(rows, pm, direction, "countries"),
            "worst_continents": _worst(rows, pm, direction, "continents"),
            "region_source": next((r.regions.source + "; " + r.regions.licence for r in rows if r.regions), ""),
            "world": _dataset_world(v, ds, rows),
            "scatter": scatter_points(v, ds, rows, pm)}


def _row_counts(v: Version, rows: list[ScoreRow]) -> list[dict]:
    """Distinct evaluated-row counts, each with the models behind it (a subset says so instead of a bare list)."""
    by: dict[int, list[ScoreRow]] = {}
    for r in rows:
        if num(r.n_rows) is not None:
            by.setdefault(int(r.n_rows), []).append(r)  # type: ignore[arg-type]
    out = []
    for n, rs in sorted(by.items(), key=lambda kv: -kv[0]):
        who = f"{len(rs)} model(s)" if len(by) > 1 and len(rs) > 3 else ", ".join(v.model_name(r.model_id) for r in rs)
        unranked = all(r.unranked_reason for r in rs)
        out.append({"n": n, "who": who if len(by) > 1 else "", "unranked": unranked and len(by) > 1})
    return out


def _geobias_verdict(v: Version, ds: str) -> dict:
    """The least-geo-biased verdict of one dataset, in words, with the pick's headline value, z and p."""
    d = v.verdict.datasets.get(ds)
    if d is None:
        return {"names": [], "withheld": "no verdict", "reference": ""}
    heads = {h.model_id: h for h in d.headlines}
    names = [{"name": v.model_name(m), "href": model_href(m), "value": fmt(heads[m].value, "headline_value"),
              "z": fmt(heads[m].z, "headline_z"),
              "p": reading.p_text(heads[m].p) if heads[m].p is not None else "–"} for m in d.least_geobiased]
    return {"names": names, "withheld": d.withheld, "reference": d.reference.get("text", ""),
            "n_unclustered": sum(1 for h in d.headlines if h.reading == "no detectable clustering")}


def _dataset_world(v: Version, ds: str, rows: list[ScoreRow]) -> dict | None:
    """Country map of where models fail: the median model per country, on an absolute scale (worldsvg)."""
    breakdowns = [r.regions for r in rows if r.regions is not None]
    if not breakdowns:
        return None
    pm = v.primary_of(ds)
    title = f"Where models fail on {ds}: {v.info(pm)[0]} per country, median of {len(breakdowns)} model(s)"
    w = worldsvg.dataset_map(breakdowns, pm, v.dataset_direction(ds) != "lower", lambda x: fmt(x, pm), v.info(pm)[0],
                             title=title)
    return {**w, "defs": worldsvg.page_defs(), "label": title}


def _difference_world(v: Version, r: ScoreRow) -> dict | None:
    """Country map of one model's difference from the no-prior baseline on the same dataset."""
    ds, mine = r.dataset, r.regions
    if mine is None or reading.is_no_prior(r.model_id, v.models.get(r.model_id, {})):
        return None
    base_rows = [b for b in v.rows if b.dataset == ds and reading.is_no_prior(b.model_id,
                 v.models.get(b.model_id, {})) and b.regions is not None]
    if not base_rows:
        return None
    pm = v.primary_of(ds)
    base_name = v.model_name(base_rows[0].model_id)
    label = f"{v.info(pm)[0]} minus {base_name} per country"
    w = worldsvg.difference_map(mine, base_rows[0].regions, pm,  # type: ignore[arg-type]
                                v.dataset_direction(ds) != "lower", lambda x: fmt(x, pm),
                                title=f"{v.model_name(r.model_id)} on {ds}: {label}", baseline_name=base_name)
    return {**w, "dataset": ds, "label": label}


def _worst(rows: list[ScoreRow], pm: str, direction: str | None, level: str) -> list[dict]:
    """Worst regions by evidence (median model, ranked by its interval's better end: `regions.worst_by_evidence`)."""
    from locbench.regions import worst_by_evidence

    per: dict[str, list] = {}
    for r in rows:
        for reg in ((r.regions.countries if level == "countries" else r.regions.continents) if r.regions else ()):
            per.setdefault(reg.name, []).append(reg)
    out = []
    for rep_, ci in worst_by_evidence(list(per.values()), pm, direction != "lower"):
        vals = [x.value for x in per[rep_.name] if x.value is not None]
        out.append({"name": rep_.name, "mean": rep_.value, "text": mapscale.region_text(pm, rep_.value, lambda x: fmt(x, pm)), "n": rep_.n,
                    "n_models": len(vals), "range": f"{fmt(min(vals), pm)}–{fmt(max(vals), pm)}",
                    "ci": f"95% interval {fmt(ci[0], pm)}–{fmt(ci[1], pm)}" if ci else "no interval"})
    return out


def dataset_params(v: Version, rows: list[ScoreRow]) -> dict:
    """The geo-bias parameter set(s) this dataset's rows used.

    The build stores distinct sets keyed by a content hash with `geobias_params_id` per row; one set
    is shown flat, several keep their ids. A flat `geobias_params` dict (no ids) is shown as is.
    """
    gp = v.geobias_params if isinstance(v.geobias_params, dict) else {}
    ids = sorted({str(r.geobias_params_id) for r in rows if r.geobias_params_id in gp})
    if not ids:
        return dict(gp)
    if len(ids) == 1:
        return dict(gp[ids[0]]) if isinstance(gp[ids[0]], dict) else {ids[0]: gp[ids[0]]}
    return {i: gp[i] for i in ids}


def _param_label(key: str) -> str:
    return key + (" (direction of the per-sample value the scores are computed on, not of the geo-bias columns)"
                  if key.endswith("lower_is_better") else "")


def params_view(v: Version, rows: list[ScoreRow]) -> dict:
    """The dataset's geo-bias parameter sets: what all of them share once, then what each set has of its own.

    Why: v0003 listed 16 sets of ~70 keys in full on some pages (107 KB); nearly all keys are shared."""
    gp = dataset_params(v, rows)
    ids = sorted({str(r.geobias_params_id) for r in rows if r.geobias_params_id in v.geobias_params})
    if len(ids) < 2:
        return {"common": [(_param_label(k), val) for k, val in _flatten(gp)], "sets": []}
    flat = {i: dict(_flatten(gp[i]) if isinstance(gp[i], dict) else [("", json.dumps(gp[i]))]) for i in ids}
    keys = sorted({k for f in flat.values() for k in f})
    common = [k for k in keys if all(k in f and f[k] == flat[ids[0]][k] for f in flat.values())]
    users = {i: sorted(v.model_name(r.model_id) for r in rows if r.geobias_params_id == i) for i in ids}
    return {"common": [(_param_label(k), flat[ids[0]][k]) for k in common],
            "sets": [{"id": i, "models": users[i], "items": [(_param_label(k), flat[i][k]) for k in keys
                                                             if k in flat[i] and k not in common]} for i in ids]}


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


def scatter_points(v: Version, ds: str, rows: list[ScoreRow], pm: str) -> dict | None:
    """Accuracy-vs-geo-bias points in SVG coordinates, Pareto front labelled (best on both axes)."""
    pts = [(r, r.value(pm), r.value(OVERVIEW_GEOBIAS)) for r in rows]
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
        out.append({"x": sx(x), "y": sy(y), "front": front, "name": v.model_name(r.model_id),
                    "href": model_href(r.model_id), "tx": fmt(x, OVERVIEW_GEOBIAS), "ty": fmt(y, pm),
                    "unverified": not r.verified})
    _place_labels(out, w - mr, mt)
    ticks_x = [{"pos": sx(x0 + (x1 - x0) * t / 4), "text": fmt(x0 + (x1 - x0) * t / 4, OVERVIEW_GEOBIAS)}
               for t in range(5)]
    ticks_y = [{"pos": sy(y0 + (y1 - y0) * t / 4), "text": fmt(y0 + (y1 - y0) * t / 4, pm)} for t in range(5)]
    return {"w": w, "h": h, "ml": ml, "mr": mr, "mt": mt, "mb": mb, "points": out, "ticks_x": ticks_x,
            "ticks_y": ticks_y, "xlabel": "Headline geo-bias score (right = errors more clustered in space) →",
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


SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.I)


def card_items(card: dict) -> list[dict]:
    """Model-card fields as {label, text, href}: http(s) URLs become links (never javascript: or data:)."""
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
        href = text if SAFE_URL.match(text.strip()) else None
        items.append({"label": CARD_LABELS.get(k, k.replace("_", " ").capitalize()), "text": text, "href": href})
    return items


def _model_result(v: Version, r: ScoreRow, n_per_ds: dict[str, int]) -> dict:
    ds = r.dataset
    pm = r.primary_metric or v.primary_of(ds)
    rb = r.regions
    hib = v.dataset_direction(ds) != "lower"
    params = dataset_params(v, [r])
    geo = []
    for k in ("headline_value", "marked_ssi", "sri_distance_lag", "morans_i"):
        val, text, title = reading.text_or_undefined(r, k, params)
        geo.append({"key": k, "label": v.info(k)[0], "title": title, "desc": v.info(k)[2], "v": val, "text": text})
    rv = v.result_verdict(r.model_id, ds)
    return {"dataset": ds, "href": dataset_href(ds), "group": v.family_label(ds),
            "flags": [] if rv is None else [{"code": f.code, "message": f.message} for f in rv.flags],
            "split": r.split or "", "metric": v.info(pm)[0], "metric_title": v.info(pm)[2],
            "value": fmt(r.value(pm), pm), "v": r.value(pm), "rank": None if rv is None else rv.rank,
            "unranked": r.unranked_reason, "of": n_per_ds.get(ds, 0),
            "ci": reading.ci_text(r, pm), "seeds": reading.seeds_text(r, pm), "paper": reading.paper_of(r, pm),
            "worst": [{"name": w.name, "text": mapscale.region_text(pm, w.value, lambda x: fmt(x, pm)), "n": w.n}
                      for w in (rb.worst(hib, n=RENDER.worst_regions_listed) if rb else [])],
            "geo": geo, "n_rows": fmt(r.n_rows, "n_rows"), "n_located": fmt(r.n_located, "n_located"),
            "verified": r.verified, "source": r.source or ""}


def model_view(v: Version, model_id: str, root: Path | None, *, maps_mode: str = RENDER.maps) -> dict:
    """The model card, its per-dataset results and its world maps (when per-sample data are available)."""
    from locbench.leaderboard import maps

    rows = [r for r in v.rows if r.model_id == model_id]
    order = {d: i for i, d in enumerate(v.ordered_datasets())}
    rows.sort(key=lambda r: order.get(r.dataset, 10**6))
    n_per_ds = {d: sum(1 for x in v.verdict.results if x.dataset == d and x.rank is not None) for d in order}
    figures: list[dict] = []
    if root is not None and maps_mode != "none":
        figures = [maps.maps_for(r, Path(root), dataset_label=r.dataset, model_label=v.model_name(model_id),
                                 lisa=maps_mode == "all") for r in rows]
    card = v.models.get(model_id, {})
    agg = v.aggregates.get(model_id, {})
    _captions_once(figures)
    results = [_model_result(v, r, n_per_ds) for r in rows]
    for i, res in enumerate(results):  # a metric's meaning is given on its first row only
        if any(x["metric"] == res["metric"] and x["metric_title"] == res["metric_title"] for x in results[:i]):
            res["metric_title"] = ""
    return {"id": model_id, "name": v.model_name(model_id), "card": card_items(card),
            "results": results,
            "worlds": (worlds := [w for w in (_difference_world(v, r) for r in rows) if w is not None]),
            "world_defs": worldsvg.page_defs() if worlds or figures else "",
            "figures": figures, "unverified": any(not r.verified for r in rows),
            "aggregates": _family_summary(v, model_id) + [
                (v.info(k)[0], fmt(agg.get(k), k), v.info(k)[2]) for k in AGGREGATE_KEYS
                if num(agg.get(k)) is not None and k != "mean_rank"],
            "bibtex": model_bibtex(model_id, card)}


def _captions_once(figures: list[dict]) -> None:
    """How a map is drawn (the LISA maps' method), when identical to an earlier map's on the page, is said once."""
    seen: set[str] = set()
    for f in figures:
        for img in f["images"]:
            if img.get("method") in seen:
                img["method"] = "Method as for the first LISA map above."
            elif img.get("method"):
                seen.add(img["method"])


def _family_summary(v: Version, model_id: str) -> list[tuple[str, str, str]]:
    """(label, text, tooltip) per task family the model has results in: its shared rank, or why it has none."""
    out = []
    for f in v.verdict.families:
        place = next((p for p in f.ranking if p.model_id == model_id), None)
        if place is not None:
            out.append((f"Rank in {f.label}", f"{place.rank} of {len(f.ranking)} (mean rank {fmt(place.value, 'mean_rank')} "
                        f"over {len(f.test_datasets)} dataset(s))", place.basis))
        elif model_id in f.excluded:
            out.append((f"Rank in {f.label}", "not ranked", f.excluded[model_id]))
    return out


def legend(v: Version) -> list[dict]:
    keys = ["top1", "r2", "mae", OVERVIEW_GEOBIAS, "mean_rank", "locbench_species_avg"]
    return [{"label": v.info(k)[0], "direction": DIRECTION_TEXT[v.info(k)[1]], "arrow": DIRECTION_ARROW[v.info(k)[1]],
             "text": v.info(k)[2]} for k in keys]


# ---------------------------------------------------------------- rendering


def nl2br(text: Any) -> Any:
    """Escaped text with its line breaks kept (<br>): card descriptions are written in paragraphs."""
    from markupsafe import Markup, escape

    return Markup("<br>\n").join(escape(part) for part in str(text).split("\n"))


def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["fmt"] = fmt
    env.filters["json_script"] = json_script
    env.filters["nl2br"] = nl2br
    env.filters["sortkey"] = sort_key
    env.filters["datav"] = data_v
    env.globals["DIRECTION_TEXT"] = DIRECTION_TEXT
    env.globals["DIRECTION_ARROW"] = DIRECTION_ARROW
    return env


def _common(v: Version, versions: list[str], *, base: str, version_href: Callable[[str], str], latest_href: str,
            page: str, siblings: Path | None = None) -> dict:
    """What every page shares; `siblings` is the folder holding the other versions (default: beside this one)."""
    vs = sorted(dict.fromkeys([*versions, v.name]))
    sib = Path(siblings) if siblings is not None else v.path.parent
    latest = vs[-1]
    superseded = None if latest == v.name else {
        "name": latest, "href": version_href(latest),
        "compare": version_href(latest).replace("index.html", "compare.html") if vs.index(latest) > 0 else None}
    return {"v": v, "base": base, "versions": [{"name": n, "href": version_href(n), "current": n == v.name}
                                               for n in reversed(vs)],
            "latest_href": latest_href, "page": page, "groups_label": GROUP_LABELS, "assets": assets.refs(base),
            "reference_note": REFERENCE_NOTE, "superseded": superseded, "rules": v.verdict.rules,
            "has_compare": vs.index(v.name) > 0 and (sib / vs[vs.index(v.name) - 1] / "scores.json").exists(),
            "downloads": [n for n in DOWNLOADS if (v.path / n).exists()],
            "data": {"version": v.name, "versions": vs, "page": page}}


def gair_family(with_results: set[str]) -> list[dict]:
    """GAIR v1's ten tasks for the overview: each dataset links to its page, or says how to submit."""
    from locbench.datasets.catalog_gair import leaderboard_family

    return [{**t, "datasets": [{**d, "href": dataset_href(d["name"]) if d["name"] in with_results else None}
                               for d in t["datasets"]]} for t in leaderboard_family()]


def render_overview(v: Version, versions: list[str], *, base: str, version_href: Callable[[str], str],
                    latest_href: str, siblings: Path | None = None) -> str:
    ctx = _common(v, versions, base=base, version_href=version_href, latest_href=latest_href, page="overview",
                  siblings=siblings)
    table = overview_table(v)
    ctx["data"]["models"] = [{"id": r["id"], "name": r["name"]} for r in table["rows"]]
    return _env().get_template("overview.html.j2").render(
        **ctx, table=table, legend=legend(v), changes=markdown_blocks(v.changes), bib=benchmark_bibtex(),
        n_agg=sum(1 for c in table["columns"] if c.kind == "aggregate"), gair_tasks=gair_family({r.dataset for r in v.rows}),
        n_models=len(table["rows"]), n_datasets=sum(len(g["datasets"]) for g in table["groups"]))


def pageless_versions(leaderboard_dir: Path, versions: list[str], current: str) -> list[str]:
    """The other versions whose pages are not in the folder (removed once superseded: `prune`): the selector
    links their CHANGES.md instead, so no page ever links a page that is not there."""
    return sorted(n for n in versions if n != current and (Path(leaderboard_dir) / n / "scores.json").exists()
                  and not (Path(leaderboard_dir) / n / "index.html").exists())


def version_link(name: str, pageless: list[str] | set[str], prefix: str = "") -> str:
    """Where a version selector entry points: the version's overview, or its CHANGES.md when it has no pages."""
    return f"{prefix}{name}/{'CHANGES.md' if name in pageless else 'index.html'}"


def render_version(version_dir: Path, *, versions: list[str], root: Path,
                   progress: ProgressFn | None = None, maps: str = RENDER.maps,
                   siblings: Path | None = None, pageless: list[str] | None = None) -> list[Path]:
    """Write index.html, dataset-*.html and model-*.html into `version_dir` (a staged or frozen version).

    `versions` lists every version name (this one included) for the selector; `root` is the
    working root whose `results/` hold the map layers (nothing per-sample is read). Optional beyond the
    contract: `progress(label, done, total)` and `maps` (config.MAPS_MODES: "all", "performance" to
    skip the LISA maps, "none"), `siblings` (where the other versions are, when the pages are rendered
    elsewhere: `leaderboard render`), `pageless` (versions the selector links by their CHANGES.md; default:
    those without pages beside this one). Returns the pages written.
    """
    if maps not in MAPS_MODES:
        raise InputError(f"maps must be one of {MAPS_MODES}, got {maps!r}")
    version_dir = Path(version_dir)
    v = load_version(version_dir)
    name = version_dir.name if VERSION_RE.match(version_dir.name) else v.name
    v.name = name
    env = _env()

    siblings = Path(siblings) if siblings is not None else version_dir.parent
    no_pages = set(pageless_versions(siblings, versions, name) if pageless is None else pageless)

    def vhref(n: str) -> str:
        return "index.html" if n == name else version_link(n, no_pages, "../")

    common = {"base": "", "version_href": vhref, "latest_href": "../index.html", "siblings": siblings}
    worldsvg.write_assets(version_dir)  # the land and coastlines every map shares (content-hashed files)
    assets.write(version_dir)  # the stylesheet, the table script and the country-map script every page links
    written = [atomic.write_text(version_dir / "index.html", tidy(render_overview(v, versions, **common)))]
    datasets = v.ordered_datasets()
    models = v.ordered_models()
    total = len(datasets) + len(models)
    for i, ds in enumerate(datasets):
        ctx = _common(v, versions, page="dataset", **common)
        html = tidy(mapscale.share_legends(env.get_template("dataset.html.j2").render(**ctx, d=dataset_view(v, ds))))
        written.append(atomic.write_text(version_dir / dataset_href(ds), html))
        if progress:
            progress(f"dataset {ds}", i + 1, total)
    for j, m in enumerate(models):
        ctx = _common(v, versions, page="model", **common)
        html = tidy(mapscale.share_legends(env.get_template("model.html.j2").render(
            **ctx, m=model_view(v, m, root, maps_mode=maps))))
        written.append(atomic.write_text(version_dir / model_href(m), html))
        if progress:
            progress(f"model {m}", len(datasets) + j + 1, total)
    previous = _previous_version(siblings, versions, name)
    if previous is not None:
        ctx = _common(v, versions, page="compare", **common)
        html = tidy(env.get_template("compare.html.j2").render(**ctx, c=compare_view(previous, v)))
        written.append(atomic.write_text(version_dir / "compare.html", html))
    return written


def _previous_version(siblings: Path, versions: list[str], name: str) -> Version | None:
    """The version before `name` among `versions`, read from the `siblings` folder (None if absent)."""
    older = sorted(n for n in versions if n < name)
    if not older or not (siblings / older[-1] / "scores.json").exists():
        return None
    prev = load_version(siblings / older[-1])
    prev.name = older[-1]
    return prev


def compare_view(old: Version, new: Version) -> dict:
    """Ranks of every result and family in two versions: the old page's published rank beside the new one."""
    datasets = []
    for ds in new.ordered_datasets():
        entries = []
        for r in sorted((r for r in new.rows if r.dataset == ds), key=lambda r: (r.rank is None, r.rank or 0)):
            before = old.row(r.model_id, ds)
            a, b = (None if before is None else num(before.rank)), num(r.rank)
            entries.append({"name": new.model_name(r.model_id), "href": model_href(r.model_id), "old": a, "new": b,
                            "delta": None if a is None or b is None else int(a - b), "added": before is None})
        datasets.append({"name": ds, "href": dataset_href(ds), "rows": entries})
    families = []
    for f in new.verdict.families:
        before = old.verdict.family(f.key)
        old_rank = {p.model_id: p.rank for p in before.ranking} if before else {}
        families.append({"label": f.label, "rows": [{"name": new.model_name(p.model_id), "old": old_rank.get(p.model_id),
                                                      "new": p.rank} for p in f.ranking]})
    return {"old": old.name, "new": new.name, "datasets": datasets, "families": families}


def list_versions(leaderboard_dir: Path) -> list[str]:
    """Version folders (vNNNN with a scores.json), oldest first."""
    return version_folders(leaderboard_dir, "scores.json")


# Written into leaderboard/index.html only: says which version it shows (checked by the build's safety pass).
LATEST_MARKER = '<meta name="locbench-latest" content="{version}">'


def render_latest(leaderboard_dir: Path) -> Path:
    """Write `leaderboard/index.html`: the latest version's overview, links pointing into `vNNNN/`."""
    leaderboard_dir = Path(leaderboard_dir)
    versions = list_versions(leaderboard_dir)
    if not versions:
        raise InputError("no leaderboard version (vNNNN/scores.json) found", file=leaderboard_dir)
    latest = versions[-1]
    v = load_version(leaderboard_dir / latest)
    v.name = latest
    no_pages = pageless_versions(leaderboard_dir, versions, latest)
    html = render_overview(v, versions, base=f"{latest}/", version_href=lambda n: version_link(n, no_pages),
                           latest_href="index.html")
    head = '<meta name="generator" content="locbench">'
    html = tidy(html.replace(head, head + "\n" + LATEST_MARKER.format(version=latest), 1))
    return atomic.write_text(leaderboard_dir / "index.html", html)
