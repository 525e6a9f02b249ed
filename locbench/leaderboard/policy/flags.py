"""Integrity flags of each result as the leaderboard shows them (issue 20.3).

The result's own `checks` block (computed where per-sample rows exist, `locbench.resultchecks`) plus
what the build can see across results: identical prediction rows under two model ids on one dataset.
Flagged results keep their numbers and ranks; the policy takes their highlights away.
"""

from __future__ import annotations

from locbench.leaderboard.rows import ScoreRow
from locbench.resultchecks import Flag, duplicates


def flags_of(rows: list[ScoreRow]) -> dict[tuple[str, str], tuple[Flag, ...]]:
    """(model, dataset) -> its flags, recorded ones first, each code once."""
    out: dict[tuple[str, str], list[Flag]] = {}
    for r in rows:
        recorded = (r.checks or {}).get("flags") or []
        out[(r.model_id, r.dataset)] = [Flag(str(f.get("code")), str(f.get("message"))) for f in recorded
                                        if isinstance(f, dict)]
    by_ds: dict[str, dict[str, str]] = {}
    for r in rows:
        if r.predictions_sha256:
            by_ds.setdefault(r.dataset, {})[r.model_id] = r.predictions_sha256
    for ds, hashes in by_ds.items():
        for mid, flag in duplicates(hashes).items():
            if all(f.code != "duplicate" for f in out[(mid, ds)]):
                out[(mid, ds)].append(flag)
    return {k: tuple(v) for k, v in out.items()}
