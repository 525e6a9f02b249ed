"""Tamper evidence of result files: a content hash written at scoring time, rechecked at every build.

What the hash covers: every field of the result as written to disk, except the `integrity` block
itself: metrics, primary value, geo-bias block, counts, predictions hash, model card, dates and
versions. It is sha256 over the canonical JSON of that object (keys sorted, no whitespace, UTF-8,
NaN and infinities as null, exactly as `locbench.atomic.dumps_json` stores them), so re-reading the
file and hashing gives the same digest. The predictions hash (`predictions_sha256`, see
`locbench.results.predictions_sha256`) pins the per-sample rows; when the predictions file is
present, the build re-reads it and compares.

What it does not do: the method is public and unkeyed, so it catches hand edits and accidental
changes, not a forger who recomputes both hashes; the predictions check then still ties the
numbers to rows anyone can re-score with `locbench submit`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from locbench.errors import InputError, IntegrityError

if TYPE_CHECKING:
    from locbench.results import Result

METHOD = ("sha256 of the canonical JSON (sorted keys, no whitespace, UTF-8, NaN/inf as null) of the result "
          "without its 'integrity' block")
RESCORE_HINT = "re-score it with `locbench submit submissions/{model}` (or `locbench import`), then build again"


def canonical_json(obj: Any) -> bytes:
    """The bytes the content hash is taken over (stable across write and re-read)."""
    from locbench.atomic import _nan_to_none

    return json.dumps(_nan_to_none(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_sha256(result: dict[str, Any]) -> str:
    """Hex sha256 of the result's scored content (everything but `integrity`)."""
    body = {k: v for k, v in result.items() if k != "integrity"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def non_finite_fields(obj: Any, where: str = "") -> list[str]:
    """Paths of ±inf values anywhere in a result (NaN is allowed: it means 'undefined', written as null)."""
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return [where or "<value>"] if math.isinf(obj) else []
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in non_finite_fields(v, f"{where}.{k}" if where else str(k))]
    if isinstance(obj, (list, tuple)):
        return [p for i, v in enumerate(obj) for p in non_finite_fields(v, f"{where}[{i}]")]
    return []


def seal(result: Result) -> Result:
    """The result with its `integrity` block over exactly what `to_json` writes; refuses infinite numbers."""
    body = {k: v for k, v in result.to_dict().items() if k != "integrity"}
    bad = non_finite_fields(body)
    if bad:
        raise InputError(f"refusing to write a result with non-finite numbers in {', '.join(bad[:5])} "
                         f"(model {result.model_id!r}, dataset {result.dataset!r})")
    return replace(result, integrity={"content_sha256": content_sha256(body), "method": METHOD})


def verify_content(result: dict[str, Any], path: Path) -> None:
    """IntegrityError when the file (its parsed JSON, as on disk) has no integrity block or its
    content no longer matches it."""
    hint = RESCORE_HINT.format(model=result.get("model_id"))
    block = result.get("integrity")
    if not isinstance(block, dict) or not isinstance(block.get("content_sha256"), str):
        raise IntegrityError(f"result file has no integrity block (written before results were sealed, or "
                             f"stripped); {hint}", file=path)
    if block["content_sha256"] != content_sha256(result):
        raise IntegrityError(f"result file was changed after scoring: its content does not match its "
                             f"integrity hash; {hint}", file=path)


def verify_predictions(result: dict[str, Any], path: Path, root: Path) -> bool:
    """Recheck `predictions_sha256` against the predictions file when it is present under `root`.

    Returns whether a check was made; IntegrityError (naming both files) on a mismatch or an unreadable file.
    """
    from locbench.errors import LocbenchError
    from locbench.predictions import normalise_predictions, read_table
    from locbench.results import predictions_sha256

    rel = result.get("predictions_file")
    if not isinstance(rel, str) or not rel:
        return False
    pred = Path(rel) if Path(rel).is_absolute() else root / rel
    if not pred.is_file():
        return False
    hint = RESCORE_HINT.format(model=result.get("model_id"))
    try:
        digest = predictions_sha256(normalise_predictions(read_table(pred)))
    except (LocbenchError, KeyError) as exc:
        raise IntegrityError(f"its predictions file {pred} cannot be read to check the predictions hash ({exc}); "
                             f"{hint}", file=path) from exc
    if digest != result.get("predictions_sha256"):
        raise IntegrityError(f"its predictions file {pred} is not the one it was scored from (predictions hash "
                             f"differs); {hint}", file=path)
    return True
