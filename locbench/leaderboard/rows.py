"""One leaderboard row: a model's result on one dataset, as `tables` builds it and `scores.json` stores it.

Why one frozen dataclass: the tables, the build, the pages and the reading rules all read rows, so
their shape is declared once and a typo is an AttributeError instead of a silent None.

Why every field but the two keys has a default: a published version is read as it was written, and
a row has always been readable with only `model_id` and `dataset` (v0001's rows lack `bootstrap`,
`regions`, `seeds`, `geobias_undefined` and `unranked_reason`). Keys this code does not know (an
older or newer writer's) are kept in `extra`: `flat`/`value` find them, as the pages did when rows
were dicts, and `to_dict` writes them back, so no value a page could show is dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from georbias.groups import view
from locbench.bootstrap import BootstrapCI
from locbench.errors import InputError
from locbench.regions import RegionBreakdown
from locbench.scoreinfo import finite

# The geo-bias summary keys copied into flat columns (scores.csv); the others stay in `geobias`.
GEOBIAS_KEYS = view("columns")   # declared with the score groups (georbias.groups.VIEWS)


def _truthy(v: Any) -> bool:
    """`verified` as hand-edited files spell it ("true", "1", "yes")."""
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


@dataclass(frozen=True)
class ScoreRow:
    """One (model, dataset) row of a version; field names are the scores.json keys."""

    model_id: str
    dataset: str
    model_name: str | None = None
    group: str | None = None
    task_type: str | None = None
    split: str | None = None
    primary_metric: str | None = None
    primary_value: float | None = None
    rank: int | None = None
    unranked_reason: str | None = None
    top1: float | None = None
    top3: float | None = None
    mrr: float | None = None
    macro_f1: float | None = None
    r2: float | None = None
    mae: float | None = None
    rmse: float | None = None
    unmarked_ssi: float | None = None
    marked_ssi: float | None = None
    sri_scale_grid: float | None = None
    sri_distance_lag: float | None = None
    sri_direction_sector: float | None = None
    morans_i: float | None = None
    verified: bool = False
    n_rows: int | None = None
    n_located: int | None = None
    source: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    geobias: dict[str, Any] = field(default_factory=dict)
    bootstrap: BootstrapCI | None = None
    regions: RegionBreakdown | None = None
    seeds: dict[str, Any] | None = None  # contract C3 `seeds` block, read by reading.seeds_text
    geobias_undefined: dict[str, str] = field(default_factory=dict)
    geobias_status: str | None = None
    verification_note: str | None = None
    predictions_sha256: str | None = None
    dataset_version: str | None = None
    checks: dict[str, Any] | None = None  # the result's integrity checks (locbench.resultchecks), read by the policy
    geobias_params_id: str | None = None  # key into scores.json `geobias_params`, set by the build
    extra: dict[str, Any] = field(default_factory=dict)  # keys this code does not know, kept as read

    def flat(self, key: str) -> Any:
        """The top-level value under a scores.json key (a field, or a key kept in `extra`); None if absent."""
        return getattr(self, key) if key in KEYS else self.extra.get(key)

    def value(self, key: str) -> float | None:
        """A metric or geo-bias value: the flat column, else `metrics`, else `geobias` (first finite one)."""
        for v in (self.flat(key), self.metrics.get(key), self.geobias.get(key)):
            f = finite(v)
            if f is not None:
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        """The scores.json row (a new dict): every field under its key, then the unknown keys it was read with."""
        plain = {k: getattr(self, k) for k in KEYS if k not in ("bootstrap", "regions")}
        return {**copy.deepcopy({**self.extra, **plain}),
                "bootstrap": None if self.bootstrap is None else self.bootstrap.to_dict(),
                "regions": None if self.regions is None else self.regions.to_dict()}

    @classmethod
    def from_dict(cls, d: Any, *, file: str | Path | None = None, row: int | None = None) -> ScoreRow:
        """Read one scores.json row; InputError naming file, row and column when a value has the wrong type.

        Tolerated as always: a missing key (its default), `verified` as text, `metrics`/`geobias` that
        are not objects (read as empty), NaN or infinite numbers (read as missing).
        """
        if not isinstance(d, dict):
            raise InputError("row is not an object", file=file, row=row)
        for k in ("model_id", "dataset"):
            if not isinstance(d.get(k), str) or not d.get(k):
                raise InputError(f"missing or empty {k!r}", file=file, row=row, column=k)
        values = {}
        for k, read in _FIELD_READERS.items():
            if k in d:
                try:
                    values[k] = read(d[k])
                except (TypeError, ValueError, KeyError, OverflowError) as exc:
                    detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
                    raise InputError(detail, file=file, row=row, column=k) from exc
        return cls(**values, extra={k: v for k, v in d.items() if k not in _FIELD_READERS})


def rows_of(doc: Any, file: str | Path) -> list[ScoreRow]:
    """The `rows` of a scores.json document, each read by `ScoreRow.from_dict`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise InputError("expected an object with a 'rows' list", file=file, column="rows")
    return [ScoreRow.from_dict(r, file=file, row=i) for i, r in enumerate(doc["rows"])]


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise TypeError(f"expected text or null, got {type(v).__name__}")


def _number(v: Any) -> float | None:
    if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return finite(v)
    raise TypeError(f"expected a number or null, got {type(v).__name__}")


def _whole(v: Any) -> int | None:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    f = _number(v)
    if f is not None and not f.is_integer():
        raise ValueError(f"expected a whole number or null, got {v!r}")
    return None if f is None else int(f)


def _block(read: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    """A reader of a nested object (built by `read`) or null; anything else is an error."""
    def reader(v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, dict):
            raise TypeError(f"expected an object or null, got {type(v).__name__}")
        return read(v)
    return reader


def _object_or_empty(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


# How each field type is read from JSON, keyed by its annotation: a field of a new type fails at import.
_READERS = {"str": _text, "str | None": _text, "float | None": _number, "int | None": _whole, "bool": _truthy,
            "dict[str, Any]": _object_or_empty, "dict[str, str]": _object_or_empty,
            "dict[str, Any] | None": _block(dict), "BootstrapCI | None": _block(BootstrapCI.from_dict),
            "RegionBreakdown | None": _block(RegionBreakdown.from_dict)}
_FIELD_READERS = {f.name: _READERS[str(f.type)] for f in fields(ScoreRow) if f.name != "extra"}
KEYS = tuple(_FIELD_READERS)  # the scores.json keys a row has, in declaration order
