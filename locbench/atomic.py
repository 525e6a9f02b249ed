"""Atomic writes: a reader never sees a half-written file or folder.

Files are written to a temporary sibling and renamed into place (rename is atomic on
POSIX within one file system); folders are assembled under a temporary name and
renamed as a whole, so a crash leaves either nothing or the complete result.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600; published files must be readable
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def dumps_json(obj: Any) -> str:
    """Stable JSON: sorted keys, 2-space indent, NaN written as null, trailing newline."""
    return json.dumps(_nan_to_none(obj), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, dumps_json(obj))


def _nan_to_none(obj: Any) -> Any:
    import math

    if isinstance(obj, float):
        return None if (math.isnan(obj) or math.isinf(obj)) else obj
    if isinstance(obj, dict):
        return {str(k): _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    try:  # numpy scalars and arrays
        import numpy as np

        if isinstance(obj, np.ndarray):
            return _nan_to_none(obj.tolist())
        if isinstance(obj, np.generic):
            return _nan_to_none(obj.item())
    except ImportError:  # pragma: no cover
        pass
    return obj


@contextlib.contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `final`; on success rename it to `final`.

    Refuses to replace an existing `final` (published versions are never rewritten).
    On any error the temporary folder is removed and nothing appears at `final`.
    """
    final = Path(final)
    if final.exists():
        raise FileExistsError(f"{final} already exists; refusing to overwrite it")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700
    try:
        yield tmp
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
