"""`regions.json`: every result's regional breakdown in one compact, shared file of a version.

Why: v0002 repeated a ~5 KB `regions` block in every `scores.json` row (8 MB of 2-space JSON). A
version now freezes the breakdowns once, columnar: the region names, ISO codes and continents are a
table listed once and each result holds rows of `[region index, n, value, few]` (from v0004 on, schema /2,
as columns with the value-less too-few cells apart: most cells are those). The file is lossless
(`attach` gives back the very `RegionBreakdown`s the rows were built with, so `inline_layout` writes
the v0002-style `scores.json` byte for byte) and written compact: people read the pages, not this file.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from locbench.errors import InputError
from locbench.leaderboard.rows import ScoreRow
from locbench.regions import RegionBreakdown, RegionScore

FILE = "regions.json"
SCHEMA = "locbench.leaderboard-regions/1"
# From v0004 on (`build.compact_record`): each list of cells as columns, the too-few cells (no value) apart.
SCHEMA_COLUMNS = "locbench.leaderboard-regions/2"
_META = ("metric", "source", "licence", "min_count")


def key_of(model_id: str, dataset: str) -> str:
    return f"{model_id}/{dataset}"


def dumps_compact(obj: Any) -> str:
    """Sorted keys, no spaces, one trailing newline: small and still byte-stable."""
    from locbench.atomic import _nan_to_none

    return json.dumps(_nan_to_none(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False) + "\n"


def store_doc(rows: list[ScoreRow], columns: bool = False) -> dict[str, Any]:
    """The regions.json document of these rows (rows without a breakdown are left out); `columns`: the /2
    layout (`_columns`)."""
    names: dict[tuple[str, str, str], int] = {}
    with_regions = [r for r in rows if r.regions is not None]
    for r in with_regions:
        for c in (*r.regions.continents, *r.regions.countries):  # type: ignore[union-attr]
            names.setdefault((c.name, c.code, c.continent), 0)
    table = sorted(names)
    index = {t: i for i, t in enumerate(table)}
    meta_table = sorted({dumps_compact({k: getattr(r.regions, k) for k in _META}) for r in with_regions})
    metas = {m: i for i, m in enumerate(meta_table)}
    results = {}
    for r in sorted(with_regions, key=lambda x: key_of(x.model_id, x.dataset)):
        rb = r.regions
        assert rb is not None
        meta = dumps_compact({k: getattr(rb, k) for k in _META})
        results[key_of(r.model_id, r.dataset)] = {
            "meta": metas[meta], "n_located": rb.n_located, "n_unassigned": rb.n_unassigned,
            "continents": [_cell(c, index) for c in rb.continents],
            "countries": [_cell(c, index) for c in rb.countries]}
        if columns:
            results[key_of(r.model_id, r.dataset)].update(
                {k: _columns(results[key_of(r.model_id, r.dataset)][k]) for k in ("continents", "countries")})
    return {"schema": SCHEMA_COLUMNS if columns else SCHEMA, "regions": [list(t) for t in table],
            "meta": [json.loads(m) for m in meta_table], "results": results}


def _columns(cells: list[list[Any]]) -> Any:
    """Cells [i, n, value, few] as columns: `i`, `n`, `v` (values; `_share`), `f` (positions flagged few) for the cells
    with a value or not flagged, and `few` {i, n} for the flagged cells without a value (most cells: a region
    with too few samples). Cells are in region order, so merging by `i` restores them; other lists stay as
    they are."""
    if any(a[0] >= b[0] for a, b in zip(cells, cells[1:])):
        return cells
    main = [c for c in cells if not (c[3] and c[2] is None)]
    few = [c for c in cells if c[3] and c[2] is None]
    out: dict[str, Any] = {"i": [c[0] for c in main], "n": [c[1] for c in main],
                           "v": [_share(c[2], c[1]) for c in main]}
    if any(c[3] for c in main):
        out["f"] = [k for k, c in enumerate(main) if c[3]]
    if few:
        out["few"] = {"i": [c[0] for c in few], "n": [c[1] for c in few]}
    return out


def _share(value: Any, n: int) -> Any:
    """A value that is a share in percent of n, 100·k/n exactly, as the whole number k (3 digits, not 17)."""
    if isinstance(value, float) and n > 0:
        k = round(value * n / 100)
        if repr(100 * k / n) == repr(value):
            return k
    return value


def _value(v: Any, n: int) -> Any:
    """Inverse of `_share`: a whole number k in `v` stands for 100·k/n; a float is the value itself."""
    return 100 * v / n if isinstance(v, int) and not isinstance(v, bool) else v


def _cells(block: Any) -> list[list[Any]]:
    """The [i, n, value, few] cells of either layout."""
    if isinstance(block, list):
        return block
    flagged = set(block.get("f") or [])
    main = [[i, n, _value(v, n), 1 if k in flagged else 0] for k, (i, n, v) in
            enumerate(zip(block["i"], block["n"], block["v"], strict=True))]
    few = block.get("few") or {"i": [], "n": []}
    return sorted(main + [[i, n, None, 1] for i, n in zip(few["i"], few["n"], strict=True)], key=lambda c: c[0])


def _cell(c: RegionScore, index: dict[tuple[str, str, str], int]) -> list[Any]:
    return [index[(c.name, c.code, c.continent)], c.n, c.value, 1 if c.few else 0]


def breakdowns(doc: dict[str, Any], file: Path) -> dict[str, RegionBreakdown]:
    """Every breakdown of a regions.json document, keyed `model/dataset`; InputError naming the entry if broken."""
    try:
        table = [tuple(t) for t in doc["regions"]]
        metas = doc["meta"]
        out = {}
        for key, e in doc["results"].items():
            m = metas[e["meta"]]

            def scores(cells: list[list[Any]]) -> tuple[RegionScore, ...]:
                return tuple(RegionScore(name=table[i][0], n=int(n), value=v, few=bool(f), code=table[i][1],
                                         continent=table[i][2]) for i, n, v, f in cells)

            out[key] = RegionBreakdown(metric=m["metric"], source=m["source"], licence=m["licence"],
                                       min_count=int(m["min_count"]), n_located=int(e["n_located"]),
                                       n_unassigned=int(e["n_unassigned"]),
                                       continents=scores(_cells(e["continents"])),
                                       countries=scores(_cells(e["countries"])))
        return out
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise InputError(f"regions file does not follow {SCHEMA}: {exc!r}", file=file) from exc


def attach(rows: list[ScoreRow], version_dir: Path) -> list[ScoreRow]:
    """The rows with their breakdowns from the version's regions.json; rows as they are when there is none
    (versions up to v0002 keep the breakdown inside each scores.json row)."""
    path = Path(version_dir) / FILE
    if not path.is_file():
        return rows
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=path) from exc
    found = breakdowns(doc, path)
    return [replace(r, regions=found.get(key_of(r.model_id, r.dataset), r.regions)) for r in rows]


def row_dict(row: ScoreRow) -> dict[str, Any]:
    """A scores.json row without its breakdown (it lives in regions.json)."""
    d = row.to_dict()
    d.pop("regions", None)
    return d


def inline_layout(scores: dict[str, Any], regions: dict[str, Any], file: Path) -> dict[str, Any]:
    """The scores.json document as versions up to v0002 wrote it: each row with its `regions` block inline.

    Lossless inverse of the split, used to show that a version's tables equal the old layout's."""
    found = breakdowns(regions, file)
    rows = []
    for r in scores["rows"]:
        rb = found.get(key_of(r["model_id"], r["dataset"]))
        rows.append({**r, "regions": None if rb is None else rb.to_dict()})
    return {**scores, "rows": rows}
