"""Atomic writes: a reader never sees a half-written file or folder.

Files are written to a temporary sibling and renamed into place (rename is atomic on
POSIX within one file system); folders are assembled under a temporary name and
renamed as a whole, so a crash leaves either nothing or the complete result.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


# A published leaderboard version: `leaderboard/vNNNN/` (the folder name the build gives it).
PUBLISHED_VERSION_RE = re.compile(r"^v\d{4,}$")


def published_version_of(path: str | Path) -> Path | None:
    """The published version folder `path` lies in (or is), else None.

    A folder counts when it is named vNNNN and sits in a folder named `leaderboard` or holds a
    manifest.json: the build's own staging folder (`.vNNNN.*.partial`) never matches.
    """
    here = Path(os.path.abspath(path))
    for folder in (here, *here.parents):
        if PUBLISHED_VERSION_RE.match(folder.name) and (
                folder.parent.name == "leaderboard" or (folder / "manifest.json").is_file()):
            return folder
    return None


_GUARD = {"depth": 0}  # how many published_guard() blocks are active, in any thread
_GUARD_LOCK = threading.Lock()


@contextlib.contextmanager
def published_guard() -> Iterator[None]:
    """While active, every write this module makes refuses paths inside a published version.

    Every `locbench` command runs under it (cli.main), and every leaderboard build; library callers
    outside it may still render into a version-named folder of their own (the HTML test fixtures).
    A counter, not a saved flag, so overlapping guards in threads (concurrent builds) always end off.
    """
    with _GUARD_LOCK:
        _GUARD["depth"] += 1
    try:
        yield
    finally:
        with _GUARD_LOCK:
            _GUARD["depth"] -= 1


def refuse_published(path: str | Path, *, always: bool = False) -> None:
    """Raise PublishedVersionError when `path` is inside a published leaderboard version
    (when the guard is on, or `always`)."""
    from locbench.errors import PublishedVersionError

    if not (always or _GUARD["depth"] > 0):
        return
    version = published_version_of(path)
    if version is not None:
        raise PublishedVersionError(f"refusing to write inside the published leaderboard version {version.name}/ "
                                    "(published versions never change; write somewhere else)", file=path)


def check_output(path: str | Path, *, option: str = "output") -> Path:
    """Fail before any computation when `path` cannot be written as a file (InputError naming it).

    Checks: not inside a published version, not an existing folder, and the nearest existing
    ancestor is a writable folder (so the parents can be created).
    """
    from locbench.errors import InputError

    path = Path(path)
    refuse_published(path, always=True)
    if path.is_dir():
        raise InputError(f"{option} must be a file path, but this is a folder", file=path)
    _check_parent_writable(path.parent, path, option)
    return path


def check_output_dir(path: str | Path, *, option: str = "output folder") -> Path:
    """Like check_output for a folder that will be created or written into."""
    from locbench.errors import InputError

    path = Path(path)
    refuse_published(path, always=True)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} must be a folder, but this is a file", file=path)
    _check_parent_writable(path if path.is_dir() else path.parent, path, option)
    return path


def _check_parent_writable(folder: Path, target: Path, option: str) -> None:
    from locbench.errors import InputError

    probe = Path(os.path.abspath(folder))
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{option}: {probe} is a file, so no folder can be created under it", file=target)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{option}: folder {probe} is not writable", file=target)


def make_read_only(folder: str | Path) -> None:
    """Drop every write bit under `folder` (files 0444-style, folders 0555-style): a published version
    is then protected on disk as well as by refuse_published."""
    folder = Path(folder)
    no_write = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    for sub in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not sub.is_symlink():
            os.chmod(sub, stat.S_IMODE(sub.stat().st_mode) & no_write)
    os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) & no_write)


_IN_FLIGHT: set[str] = set()  # temporary files and staged folders not yet renamed into place


def discard_in_flight() -> None:
    """Remove every temporary path still in flight (the Ctrl-C watchdog's last act before exiting)."""
    for tmp in list(_IN_FLIGHT):
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp) if os.path.isdir(tmp) else os.unlink(tmp)


def write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    refuse_published(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _IN_FLIGHT.add(tmp)
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
    finally:
        _IN_FLIGHT.discard(tmp)
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def dumps_json(obj: Any, *, inline_number_lists: bool = False) -> str:
    """Stable JSON: sorted keys, 2-space indent, NaN written as null, trailing newline.

    `inline_number_lists` keeps lists of plain numbers on one line (`[1, 2.5, null]`): a result's
    map-layer columns would otherwise take one line per number. Only the layout changes, never a value.
    """
    plain = _nan_to_none(obj)
    if not inline_number_lists:
        return json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    return _encode(plain, 0) + "\n"


def _encode(obj: Any, level: int) -> str:
    """json.dumps(indent=2, sort_keys=True) layout, except lists of numbers/nulls stay on one line."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(obj, dict) and obj:
        items = (f"{inner}{json.dumps(k, ensure_ascii=False)}: {_encode(obj[k], level + 1)}" for k in sorted(obj))
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(obj, list) and obj:
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in obj):
            return "[" + ", ".join(json.dumps(v, allow_nan=False) for v in obj) + "]"
        return "[\n" + ",\n".join(f"{inner}{_encode(v, level + 1)}" for v in obj) + f"\n{pad}]"
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


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
    import numpy as np

    if isinstance(obj, np.ndarray):
        return _nan_to_none(obj.tolist())
    if isinstance(obj, np.generic):
        return _nan_to_none(obj.item())
    return obj


@contextlib.contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `final`; on success rename it to `final`.

    Refuses to replace an existing `final` (published versions are never rewritten).
    On any error the temporary folder is removed and nothing appears at `final`.
    """
    final = Path(final)
    refuse_published(final.parent)
    if final.exists():
        raise FileExistsError(f"{final} already exists; refusing to overwrite it")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700
    _IN_FLIGHT.add(str(tmp))
    try:
        yield tmp
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _IN_FLIGHT.discard(str(tmp))
