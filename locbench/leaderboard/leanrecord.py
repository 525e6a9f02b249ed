"""The lean `scores.json` layout (schema `locbench.leaderboard-scores/2`, written from v0004 on).

Why: v0003's scores.json (1.41 MB for 284 rows) repeated the same texts in every row (the integrity checks'
method, verification notes, why a geo-bias score is undefined), stored every paired comparison twice (in both
rows of a pair) and each of ~117 geo-bias parameter sets in full although they differ in a field or two. The
lean layout states each repeated text once (`texts`, rows refer to it by index), each pair once per dataset
(`peer_pairs`, a small table per dataset), the parameter sets as a shared base plus each set's differences
(`geobias_param_sets`), the keys of the per-row `geobias`/`metrics`/`bootstrap`/`checks` objects once
(`object_keys`; a row holds `<name>_values`), flat score columns that repeat a value of those objects once
(`copies`), and leaves out row fields that hold their default. `expand` gives back the v0003 layout, so every
reader (pages, policy, CHANGES.md diff) reads both; `pack` checks that `expand` restores what it packed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from locbench.errors import InputError
from locbench.leaderboard.rows import KEYS, ScoreRow
from locbench.resultchecks import mirror_pair

SCHEMA = "locbench.leaderboard-scores/2"
_DEFAULTS = ScoreRow(model_id="", dataset="").to_dict()


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def expand(doc: Any, file: str | Path) -> Any:
    """The v0003-layout document of a scores.json (returned as is when it is not the lean layout)."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        return doc
    try:
        texts = doc["texts"]
        pairs = {d: _pairs_of(p) for d, p in (doc.get("peer_pairs") or {}).items()}
        mirrored = {d: _mirror_index(p) for d, p in pairs.items()}
        keys = doc.get("object_keys") or {}
        copies = doc.get("copies") or {}
        rows = [_expand_row(_expand_copies(_expand_columns(r, keys), copies), texts, pairs.get(r["dataset"], {}),
                            mirrored.get(r["dataset"], {})) for r in doc["rows"]]
        params = _expand_sets(doc.get("geobias_param_sets") or {})
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise InputError(f"scores.json does not follow {SCHEMA}: {exc!r}", file=file) from exc
    rest = {k: v for k, v in doc.items() if k not in ("texts", "peer_pairs", "geobias_param_sets", "rows",
                                                      "object_keys", "copies")}
    return {**rest, "rows": rows, "geobias_params": params}


def pack(doc: dict[str, Any]) -> dict[str, Any]:
    """The lean layout of a v0003-layout document; AssertionError if `expand` would not give back its rows."""
    texts: list[str] = []
    index: dict[str, int] = {}

    def ref(text: str) -> int:
        if text not in index:
            index[text] = len(texts)
            texts.append(text)
        return index[text]

    rows = [copy.deepcopy(r) for r in doc["rows"]]
    pairs = _pack_pairs(rows)
    keys: dict[str, list[list[str]]] = {}
    lean_rows = [_pack_columns(_pack_copies(_pack_row(r, ref), COPIES), keys) for r in rows]
    out = {k: v for k, v in doc.items() if k not in ("rows", "geobias_params")}
    out.update(schema=SCHEMA, texts=texts, peer_pairs=pairs, rows=lean_rows, object_keys=keys, copies=COPIES,
               geobias_param_sets=_pack_sets(doc.get("geobias_params") or {}))
    back = expand(json.loads(_canon(out)), "scores.json")
    assert _canon(back["geobias_params"]) == _canon(doc.get("geobias_params") or {}), "parameter sets changed"
    assert [ScoreRow.from_dict(r) for r in back["rows"]] == [ScoreRow.from_dict(r) for r in doc["rows"]], \
        "rows changed"
    return out


# --- rows: shared texts, default fields left out -------------------------------------------------------

def _pack_row(row: dict[str, Any], ref: Any) -> dict[str, Any]:
    """A row without its default-valued fields, its repeated texts replaced by `*_text` indices into `texts`."""
    out = {k: v for k, v in row.items() if not (k in KEYS and k in _DEFAULTS and _canon(v) == _canon(_DEFAULTS[k]))}
    if isinstance(out.get("verification_note"), str):
        out["verification_note_text"] = ref(out.pop("verification_note"))
    undefined = out.get("geobias_undefined")
    if isinstance(undefined, dict) and all(isinstance(v, str) for v in undefined.values()):
        out["geobias_undefined_text"] = {k: ref(v) for k, v in out.pop("geobias_undefined").items()}
    checks = out.get("checks")
    if isinstance(checks, dict) and isinstance(checks.get("method"), str):
        checks["method_text"] = ref(checks.pop("method"))
    return out


def _expand_row(row: dict[str, Any], texts: list[str], pairs: dict[str, Any], mirrored: dict[str, Any]
                ) -> dict[str, Any]:
    out = dict(row)
    if "verification_note_text" in out:
        out["verification_note"] = texts[out.pop("verification_note_text")]
    if "geobias_undefined_text" in out:
        out["geobias_undefined"] = {k: texts[i] for k, i in out.pop("geobias_undefined_text").items()}
    checks = out.get("checks")
    if isinstance(checks, dict):
        checks = dict(checks)
        if "method_text" in checks:
            checks["method"] = texts[checks.pop("method_text")]
        own = checks.pop("peers", {})
        if own is not None:  # null: the row had no `peers` at all
            m = out["model_id"]
            merged = {**(pairs.get(m) or {}), **(mirrored.get(m) or {}), **own}
            checks["peers"] = {k: merged[k] for k in sorted(merged)}
        out["checks"] = {k: checks[k] for k in sorted(checks)}
    return out


# Flat score columns that repeat a value of the row's `metrics`/`geobias` object: [object, key] (a null key: the
# row's primary_metric). Written into the file (`copies`), so a reader never depends on today's lists.
COPIES: dict[str, list[str | None]] = {
    **{k: ["metrics", k] for k in ("top1", "top3", "mrr", "macro_f1", "r2", "mae", "rmse")},
    **{k: ["geobias", k] for k in ("unmarked_ssi", "marked_ssi", "sri_scale_grid", "sri_distance_lag",
                                   "sri_direction_sector", "morans_i")},
    "primary_value": ["metrics", None]}


def _source(row: dict[str, Any], where: list[str | None]) -> tuple[bool, Any]:
    """(whether the row's object holds the key, its value)."""
    obj = row.get(str(where[0]))
    key = where[1] if where[1] is not None else row.get("primary_metric")
    if not isinstance(obj, dict) or not isinstance(key, str) or key not in obj:
        return False, None
    return True, obj[key]


def _pack_copies(row: dict[str, Any], copies: dict[str, list[str | None]]) -> dict[str, Any]:
    """Leave out a flat column equal to its object's value; keep an explicit null where the object has one."""
    for flat, where in copies.items():
        has, value = _source(row, where)
        if has and flat in row and _canon(row[flat]) == _canon(value):
            del row[flat]
        elif has and flat not in row and value is not None:
            row[flat] = None  # the default, stated: `expand` would otherwise copy the object's value
    return row


def _expand_copies(row: dict[str, Any], copies: dict[str, list[str | None]]) -> dict[str, Any]:
    for flat, where in copies.items():
        has, value = _source(row, where)
        if has and flat not in row:
            row[flat] = value
    return row


_COLUMNED = ("geobias", "metrics", "bootstrap", "checks")  # per-row objects whose keys repeat in every row


def _pack_columns(row: dict[str, Any], keys: dict[str, list[list[str]]]) -> dict[str, Any]:
    """Each `_COLUMNED` object as `<name>_values` = [index of its key list in `object_keys[name]`, *values]."""
    for name in _COLUMNED:
        obj = row.get(name)
        if isinstance(obj, dict) and obj:
            names = keys.setdefault(name, [])
            if list(obj) not in names:
                names.append(list(obj))
            row[f"{name}_values"] = [names.index(list(obj)), *obj.values()]
            del row[name]
    return row


def _expand_columns(row: dict[str, Any], keys: dict[str, list[list[str]]]) -> dict[str, Any]:
    out = dict(row)
    for name in _COLUMNED:
        if f"{name}_values" in out:
            at, *values = out.pop(f"{name}_values")
            out[name] = dict(zip(keys[name][at], values, strict=True))
    return out


# --- paired comparisons: each pair once per dataset ----------------------------------------------------



def _columnar(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One dataset's pairs as a table: `models`, the entry `fields`, and rows [i, j, *values] (a = models[i])."""
    models = sorted({*table, *(b for peers in table.values() for b in peers)})
    entries = [(a, b, e) for a, peers in sorted(table.items()) for b, e in sorted(peers.items())]
    fields = sorted({k for _, _, e in entries for k in e})
    if any(sorted(e) != fields for _, _, e in entries):
        return table  # entries of several shapes keep the {a: {b: entry}} form
    at = {m: i for i, m in enumerate(models)}
    return {"models": models, "fields": fields, "pairs": [[at[a], at[b], *(e[k] for k in fields)]
                                                          for a, b, e in entries]}


def _pairs_of(packed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{a: {b: entry}} of one dataset, from either form `_columnar` writes."""
    if not isinstance(packed.get("pairs"), list):
        return packed
    models, fields, out = packed["models"], packed["fields"], {}
    for i, j, *values in packed["pairs"]:
        out.setdefault(models[i], {})[models[j]] = dict(zip(fields, values, strict=True))
    return out


def _mirror_index(pairs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each model b, {a: the mirror of pair (a, b)}: the entries b's row holds about the models before it."""
    out: dict[str, dict[str, Any]] = {}
    for a, peers in pairs.items():
        for b, e in peers.items():
            out.setdefault(b, {})[a] = mirror_pair(e)
    return out


def _pack_pairs(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Move each pair (a < b) whose two entries are exact mirrors into the table; other entries stay in the row."""
    by_key = {(r["dataset"], r["model_id"]): r for r in rows}
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for (dataset, a), row in sorted(by_key.items()):
        peers = (row.get("checks") or {}).get("peers") if isinstance(row.get("checks"), dict) else None
        for b, e in sorted((peers or {}).items()):
            other = by_key.get((dataset, b))
            back = ((other or {}).get("checks") or {}).get("peers") or {}
            if a < b and isinstance(e, dict) and a in back \
                    and _canon(back[a]) == _canon(mirror_pair(e)):
                table.setdefault(dataset, {}).setdefault(a, {})[b] = e
                del peers[b], back[a]
    for row in rows:
        checks = row.get("checks")
        if isinstance(checks, dict):
            if "peers" not in checks:
                checks["peers"] = None
            elif checks["peers"] == {}:
                del checks["peers"]
    return {d: _columnar(t) for d, t in table.items()}


# --- geo-bias parameter sets: a shared base plus each set's differences ---------------------------------

def _leaves(d: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_leaves(v, (*prefix, k)))
        else:
            out[(*prefix, k)] = v
    return out


def _put(d: dict[str, Any], path: list[str], value: Any) -> None:
    for k in path[:-1]:
        if not isinstance(d.get(k), dict):
            d[k] = {}
        d = d[k]
    d[path[-1]] = value


def _drop(d: dict[str, Any], path: list[str]) -> None:
    """Remove a leaf and the objects that its removal leaves empty."""
    if len(path) == 1:
        d.pop(path[0], None)
        return
    sub = d.get(path[0])
    if isinstance(sub, dict):
        _drop(sub, path[1:])
        if not sub:
            del d[path[0]]


def _pack_sets(sets: dict[str, Any]) -> dict[str, Any]:
    """Base = each leaf's majority value (leaves present in most sets); a set = the leaves it sets or unsets."""
    leaves = {k: _leaves(v) for k, v in sets.items() if isinstance(v, dict)}
    counts: dict[tuple[str, ...], dict[str, int]] = {}
    for lv in leaves.values():
        for path, v in lv.items():
            counts.setdefault(path, {}).setdefault(_canon(v), 0)
            counts[path][_canon(v)] += 1
    base: dict[tuple[str, ...], Any] = {}
    for path, c in sorted(counts.items()):
        text, n = max(sorted(c.items()), key=lambda kv: kv[1])
        if 2 * n > len(leaves):
            base[path] = json.loads(text)
    base_doc: dict[str, Any] = {}
    for path, v in base.items():
        _put(base_doc, list(path), v)
    out = {}
    for key, v in sets.items():
        lv = leaves.get(key)
        if lv is None:
            out[key] = {"full": v}
            continue
        diff = {"unset": [list(p) for p in base if p not in lv],
                "set": [[list(p), x] for p, x in lv.items() if p not in base or _canon(base[p]) != _canon(x)]}
        out[key] = {k: d for k, d in diff.items() if d}
    return {"base": base_doc, "sets": out}


def _expand_sets(packed: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, diff in (packed.get("sets") or {}).items():
        if "full" in diff:
            out[key] = diff["full"]
            continue
        d = copy.deepcopy(packed.get("base") or {})
        for path in diff.get("unset", []):
            _drop(d, path)
        for path, value in diff.get("set", []):
            _put(d, path, value)
        out[key] = json.loads(_canon(d))
    return out
