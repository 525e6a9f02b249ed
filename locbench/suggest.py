"""Names a user may have meant: one helper for every 'unknown X' message (columns, datasets, encoders).

Why one module: a refusal should teach, and it teaches the same way everywhere — exact name,
then the one name that differs only in case, then (for coordinate columns) the common aliases,
and otherwise difflib's closest matches, compared case-insensitively.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Column names people use for longitude / latitude (compared case-insensitively).
COORD_ALIASES = {
    "lon": ("lon", "lng", "long", "longitude", "x", "lon_deg", "longitude_deg"),
    "lat": ("lat", "latitude", "y", "lat_deg", "latitude_deg"),
}
COORD_FLAGS = {"lon": "--lon-col", "lat": "--lat-col"}
COORD_WORDS = {"lon": "longitude", "lat": "latitude"}


def close_names(name: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to n choices close to `name`, case-insensitively, best first (the choices' own spelling)."""
    by_lower: dict[str, str] = {}
    for c in choices:
        by_lower.setdefault(str(c).lower(), str(c))
    hits = difflib.get_close_matches(str(name).lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[h] for h in hits]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' Did you mean: a, b?' for close matches, else ''."""
    close = close_names(name, choices)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def case_insensitive(name: str, choices: Iterable[str]) -> str | None:
    """The one choice equal to `name` ignoring case (None when there is none, or more than one)."""
    hits = [c for c in choices if str(c).lower() == str(name).lower()]
    return hits[0] if len(hits) == 1 else None


def coordinate_column(role: str, requested: str, columns: Iterable[str]) -> str | None:
    """The file's column for `role` ('lon' or 'lat'): `requested` itself, its case variant, or,
    when `requested` is the default name, a unique common alias (Lat, latitude, LON, lng, long ...)."""
    cols = [str(c) for c in columns]
    if requested in cols:
        return requested
    hit = case_insensitive(requested, cols)
    if hit is not None or requested != role:
        return hit
    found = [c for c in cols if c.lower() in COORD_ALIASES[role]]
    return found[0] if len(found) == 1 else None


def missing_column_message(requested: str, columns: Iterable[str], *, role: str | None = None,
                           flag: str | None = None) -> str:
    """'no column X' with the closest names and, for coordinates or the value, the flag that picks another."""
    cols = [str(c) for c in columns]
    what = f"no {COORD_WORDS[role]} column {requested!r}" if role in COORD_WORDS else f"no column {requested!r}"
    close = close_names(requested, cols)
    if role in COORD_ALIASES:
        close = [c for c in cols if c.lower() in COORD_ALIASES[role] and c not in close] + close
    hint = f" Did you mean {close[0]!r}?" if close else ""
    flag = flag or COORD_FLAGS.get(role or "")
    tell = f" Name the column with {flag} COLUMN." if flag else ""
    shown = ", ".join(repr(c) for c in cols[:15]) + (f" and {len(cols) - 15} more" if len(cols) > 15 else "")
    return f"{what}.{hint}{tell} The file has: {shown}"
