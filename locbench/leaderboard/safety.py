"""Crash safety and tamper checks of leaderboard builds, kept apart from what a build computes.

- `build_lock`: one build at a time; a waiting build says for whom; a killed holder's lock is
  detected by its pid and cleared (fcntl drops the flock itself), the lock file removed at the end.
- `prepare`: the first steps of every build under the lock: remove a killed build's staging
  folders, make published versions read-only, repoint index.html when a kill left it behind.
- `checked_results`: result files fit to build from (bad ones reported and left out; tampered or
  unsealed ones refuse the build), `check_published_outputs`: a published version was not edited.
- `fault_point`: SIGKILL / pause injection for the crash-safety tests (LOCBENCH_BUILD_FAULT).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locbench import atomic
from locbench.errors import InputError
from locbench.hashing import sha256_file

if TYPE_CHECKING:
    from locbench.results import Result

LOCK_NAME = ".build.lock"


@contextlib.contextmanager
def build_lock(leaderboard_dir: Path, notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """Exclusive lock on leaderboard/.build.lock for the duration of a build.

    A second build waits and says for whom (the pid written in the file); the kernel drops an
    flock when its holder dies, so a killed build never blocks the next one, which reports the
    stale pid it found and removes the lock file at the end.
    """
    import fcntl

    say = notify or _stderr
    leaderboard_dir.mkdir(parents=True, exist_ok=True)
    path = leaderboard_dir / LOCK_NAME
    while True:
        fh = open(path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another leaderboard build (pid {_lock_holder(path) or '?'}) to finish ...")
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        if _is_same_file(fh, path):
            break
        fh.close()  # the holder removed the file after we opened it: lock the new one
    stale = _lock_holder(path)
    if stale is not None and stale != os.getpid() and not _pid_alive(stale):
        say(f"cleared a stale build lock left by pid {stale} (a build that was killed)")
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _lock_holder(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _is_same_file(fh: Any, path: Path) -> bool:
    try:
        return os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def fault_point(stage: str) -> None:
    """Fault injection for the crash-safety tests: LOCBENCH_BUILD_FAULT="<stage>:kill" SIGKILLs this
    process at `stage`, "<stage>:sleep=<s>" pauses there (stages: locked, tables, html, renamed, index)."""
    spec = os.environ.get("LOCBENCH_BUILD_FAULT", "")
    where, _, action = spec.partition(":")
    if where != stage:
        return
    if action == "kill":
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
    if action.startswith("sleep="):
        import time

        _stderr(f"fault point {stage}: sleeping {action[6:]} s")
        time.sleep(float(action[6:]))


def checked_results(root: Path, notify: Callable[[str], None] | None = None
                    ) -> tuple[list[tuple[Path, Result]], list[str]]:
    """Result files fit to build from, and a message per file left out.

    Malformed files (not JSON, missing fields, infinite or non-numeric metrics) are reported and
    left out, so one bad file never blocks a build; a file that fails its integrity check
    (`locbench.integrity`: content hash, predictions hash) refuses the whole build (IntegrityError).
    """
    from locbench import integrity
    from locbench.errors import LocbenchError
    from locbench.results import iter_result_files, read_result

    say = notify or _stderr
    kept, skipped = [], []
    for path in iter_result_files(root):
        try:
            result = read_result(path)
            _check_result_numbers(result, path)
        except LocbenchError as exc:
            skipped.append(f"left out of the build: {exc}")
            say(skipped[-1])
            continue
        raw = json.loads(path.read_text(encoding="utf-8"))  # valid: read_result parsed it
        integrity.verify_content(raw, path)
        integrity.verify_predictions(raw, path, root)
        kept.append((path, result))
    return kept, skipped


def _check_result_numbers(result: Result, path: Path) -> None:
    """Metrics are numbers (or null) and nothing is infinite: what tables and pages compute with."""
    from locbench.integrity import non_finite_fields

    for key, value in result.metrics.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(f"metric {key} must be a number or null, got {value!r}"[:200], file=path, column=key)
    bad = non_finite_fields(result.to_dict())
    if bad:
        raise InputError(f"non-finite numbers in {', '.join(bad[:5])}", file=path)


def protect_published(leaderboard_dir: Path) -> None:
    """Make every complete version folder read-only on disk (idempotent; also seals older versions)."""
    from locbench.leaderboard.build import list_versions

    for name in list_versions(leaderboard_dir):
        folder = leaderboard_dir / name
        if folder.stat().st_mode & 0o222:
            atomic.make_read_only(folder)


def check_published_outputs(leaderboard_dir: Path, version: str, manifest: dict[str, Any]) -> None:
    """IntegrityError when a published version's files differ from the hashes its manifest pins."""
    from locbench.errors import IntegrityError

    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict):
        return
    for name, digest in sorted(outputs.items()):
        path = leaderboard_dir / version / name
        if path.is_file() and sha256_file(path) != digest:
            raise IntegrityError(f"published version {version} was modified on disk ({name} does not match its "
                                 "manifest); restore it (e.g. `git checkout -- leaderboard/`) before building",
                                 file=path)


def check_root(root: Path) -> None:
    """Fail before creating anything (the lock file, leaderboard/) when there is nothing to build from."""
    if not (root / "results").is_dir():
        raise InputError("no result files to build a leaderboard from (run `locbench submit` or "
                         "`locbench evaluate` first)", file=root / "results")
    atomic.check_output_dir(root / "leaderboard", option="--root")


def prepare(lb: Path, notify: Callable[[str], None] | None, render: bool) -> None:
    """First steps of every build, under the lock: clean a killed build's leftovers, seal versions."""
    fault_point("locked")
    _remove_stale_partials(lb, notify)
    protect_published(lb)
    if render:
        _repair_index(lb, notify)


def points_at(index_html: str, version: str) -> bool:
    """Whether leaderboard/index.html is the overview of `version` (the marker `render_latest` writes).

    Content, not file times: a fresh clone gives every file the same arbitrary modification time."""
    from locbench.leaderboard.render import LATEST_MARKER

    return LATEST_MARKER.format(version=version) in index_html


def _repair_index(lb: Path, notify: Callable[[str], None] | None) -> None:
    """Rewrite leaderboard/index.html when it is not the latest HTML version's overview: a build was
    killed after publishing that version and before pointing the index at it."""
    from locbench.leaderboard.build import list_versions
    from locbench.leaderboard.render import render_latest

    versions = list_versions(lb)
    if not versions or not (lb / versions[-1] / "index.html").is_file():
        return
    index = lb / "index.html"
    if index.is_file() and points_at(index.read_text(encoding="utf-8", errors="replace"), versions[-1]):
        return
    render_latest(lb)
    (notify or _stderr)(f"index.html was behind {versions[-1]} (a build was killed after publishing it); rewritten")


def _remove_stale_partials(lb: Path, notify: Callable[[str], None] | None = None) -> None:
    """Delete staging folders a killed build left behind (SIGKILL skips cleanup); we hold the lock."""
    import shutil

    for stale in sorted(lb.glob(".v*.partial")):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
            (notify or _stderr)(f"removed {stale.name}, the partial folder of a build that was killed")
