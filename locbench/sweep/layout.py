"""Where a sweep keeps things under its `--out` folder, and what state each job is in.

    <out>/<model-id>/<dataset>/seed-<n>/      one finished job: evaluate's four files + job.json
    <out>/<model-id>/<dataset>/seed-<n>.failed.json   the last failure of a job that gave up
    <out>/.sweep/attempts/<key>/              one marker per started attempt (pid, host, time)
    <out>/.sweep/filehash-cache.json          data-file hashes by (size, mtime)
    <out>/.sweep/lock                         one sweep at a time per folder (flock)
    <out>/sweep.json                          the last sweep's plan and outcome

Job folders appear whole or not at all: a job builds `.seed-<n>.*` siblings and renames them
into place; the coordinator removes such leftovers of killed attempts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from locbench import atomic
from locbench.errors import InputError
from locbench.sweep.plan import Job

JOB_FILE = "job.json"
JOB_SCHEMA = "locbench.sweep-job/1"
STATES = ("done", "changed", "failed", "todo")


def job_dir(out: Path, job: Job) -> Path:
    return out / job.name


def failure_file(out: Path, job: Job) -> Path:
    folder = job_dir(out, job)
    return folder.parent / f"{folder.name}.failed.json"


def attempts_dir(out: Path, job: Job) -> Path:
    return out / ".sweep" / "attempts" / job.key


def hash_cache_file(out: Path) -> Path:
    return out / ".sweep" / "filehash-cache.json"


def read_job_record(folder: Path) -> dict[str, Any] | None:
    """job.json of a finished job folder, or None if there is none (or it is unreadable)."""
    try:
        return json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def job_state(out: Path, job: Job) -> str:
    """done (same key on disk), changed (a folder from other inputs), failed (gave up last time), todo."""
    record = read_job_record(job_dir(out, job))
    if record is not None:
        return "done" if record.get("key") == job.key else "changed"
    return "failed" if failure_file(out, job).is_file() else "todo"


def count_attempts(out: Path, job: Job) -> int:
    folder = attempts_dir(out, job)
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


def leftovers(out: Path, job: Job) -> list[Path]:
    """Temporary siblings a killed attempt may have left (never a finished folder).

    `.seed-<n>.<tag>.new|old` from `staged_job_dir`, `..seed-<n>.<tag>.new.*.partial` from the
    `atomic.staged_dir` inside it.
    """
    folder = job_dir(out, job)
    if not folder.parent.is_dir():
        return []
    return sorted({*folder.parent.glob(f".{folder.name}.*"), *folder.parent.glob(f"..{folder.name}.*")})


def remove_leftovers(out: Path, job: Job) -> None:
    for path in leftovers(out, job):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_job_dir(final: Path) -> Iterator[Path]:
    """Build a job folder under a temporary name; on success it replaces `final` in two renames.

    `locbench.atomic.staged_dir` refuses to replace, and a changed job must replace its stale
    folder, so the finished build is renamed beside `final`, the old folder moved aside, the new
    one renamed in, and the old one deleted. A reader sees the old folder, nothing, or the new one.
    """
    tag = uuid.uuid4().hex[:8]
    built = final.parent / f".{final.name}.{tag}.new"
    with atomic.staged_dir(built) as tmp:
        yield tmp
    old = final.parent / f".{final.name}.{tag}.old"
    with contextlib.suppress(FileNotFoundError):
        os.rename(final, old)
    os.rename(built, final)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def sweep_lock(out: Path) -> Iterator[None]:
    """One coordinator per out folder (flock: released even when the coordinator is killed)."""
    path = out / ".sweep" / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another `locbench sweep` is running on this folder", file=out) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
