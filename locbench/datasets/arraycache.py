"""The optional .npz cache of arrays derived from installed packages (the embedded datasets).

One file per recipe digest; a file from another recipe or from other source bytes, or one that cannot
be read, counts as absent, so a stale or broken cache is rebuilt instead of trusted.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np


def write(path: Path, digest: str, info: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays atomically; a read-only data root just means rebuilding next time."""
    from locbench import atomic

    buf = io.BytesIO()
    np.savez(buf, digest=np.array(digest), info=np.array(json.dumps(info, sort_keys=True)), **arrays)
    try:
        atomic.write_bytes(path, buf.getvalue())
    except OSError:
        pass


def read(path: Path, digest: str, sources: dict[str, str], fields: tuple[str, ...],
         n_rows: int) -> tuple[dict, dict[str, np.ndarray]] | None:
    """(info with the cache path, arrays), or None when absent, unreadable, stale or of another size."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            info = json.loads(str(z["info"]))
            if str(z["digest"]) != digest or info.get("sources") != sources:
                return None
            got = {name: z[name] for name in fields}
    except (OSError, ValueError, KeyError):
        return None
    if got["lon"].shape != (n_rows,):
        return None
    return {**info, "cache": str(path)}, got
