"""One progress reporter for every long locbench stage (geobias, import, build, feature cache).

On a terminal it draws a rich bar per stage; otherwise (a log file, CI, a pipe) it prints a plain
line on stderr when a stage starts, when it ends and at least every `interval` seconds in between
(a heartbeat thread repeats the last state even while a stage reports nothing), because a run that
is silent for minutes cannot be told apart from a hung one.

    with progress.reporter("geobias") as report:
        report("ssi", done, total)        # any thread; done/total in the stage's own unit
        report("reading files")           # a stage without a count: named, timed
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

ProgressFn = Callable[..., None]   # (stage, done=None, total=None)
DEFAULT_INTERVAL_S = 10.0
INTERVAL_ENV = "LOCBENCH_PROGRESS_INTERVAL"   # seconds between plain lines (tests set it small)


def _interval() -> float:
    try:
        return max(0.05, float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


def _duration(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


@dataclass
class _Stage:
    """What a plain line needs about one stage."""

    name: str
    total: int
    done: int
    started: float
    printed: float = 0.0


def format_line(task: str, stage: str, done: int, total: int, elapsed: float) -> str:
    """`task: stage done/total (rate/s, ETA t)`: the plain progress line."""
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = f"ETA {_duration((total - done) / rate)}" if rate > 0 and total > done else (
        "done" if total and done >= total else "ETA ?")
    return f"{task}: {stage} {done:,}/{total:,} ({rate:,.0f}/s, {eta}, {_duration(elapsed)} elapsed)"


class PlainReporter:
    """Plain stderr lines: at a stage's start and end and at least every `interval` s (heartbeat)."""

    def __init__(self, task: str, stream: TextIO | None = None, interval: float | None = None) -> None:
        self.task, self.stream = task, stream or sys.stderr
        self.interval = _interval() if interval is None else interval
        self.stages: dict[str, _Stage] = {}
        self.current: _Stage | None = None
        self.last = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._heartbeat, name="locbench-progress", daemon=True)

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        now = time.monotonic()
        with self.lock:
            st = self.stages.get(stage)
            first = st is None
            if first:   # it began when the reporter last heard anything (its first report comes after a chunk)
                st = self.stages[stage] = _Stage(stage, -1 if total is None else int(total), 0, self.last)
            if total is not None:
                st.done, st.total = int(done or 0), int(total)
            self.current, self.last = st, now
            if first or (st.total > 0 and st.done >= st.total) or now - st.printed >= self.interval:
                self._emit(st, now)

    def _emit(self, st: _Stage, now: float) -> None:
        st.printed = now
        line = (f"{self.task}: {st.name} ({_duration(now - st.started)} elapsed)" if st.total < 0 else
                format_line(self.task, st.name, st.done, st.total, now - st.started))
        print(line, file=self.stream, flush=True)

    def _heartbeat(self) -> None:
        while not self.stop.wait(min(1.0, self.interval / 2)):
            now = time.monotonic()
            with self.lock:
                st = self.current
                if st is not None and now - st.printed >= self.interval:
                    self._emit(st, now)

    def __enter__(self) -> PlainReporter:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()


class RichReporter:
    """A transient rich bar per stage (terminal only)."""

    def __init__(self, task: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

        self.task = task
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TimeRemainingColumn(), transient=True, console=Console(stderr=True))
        self.tasks: dict[str, Any] = {}
        self.lock = threading.Lock()

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        with self.lock:
            if stage not in self.tasks:
                self.tasks[stage] = self.bar.add_task(f"{self.task}: {stage}", total=total)
            if total is not None:
                self.bar.update(self.tasks[stage], completed=done or 0, total=total)

    def __enter__(self) -> RichReporter:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextlib.contextmanager
def reporter(task: str, *, stream: TextIO | None = None, enabled: bool = True,
             plain: bool = False) -> Iterator[ProgressFn]:
    """A `report(stage, done, total)` callable: a rich bar on a terminal, plain stderr lines otherwise.
    `plain`: lines even on a terminal (for library stages that may run under a command's own live bar,
    where a second rich display would fail)."""
    if not enabled:
        yield lambda stage, done=None, total=None: None
        return
    rich_ok = is_terminal(stream) and not plain
    rep: PlainReporter | RichReporter = RichReporter(task) if rich_ok else PlainReporter(task, stream)
    with rep:
        yield rep


def counter(report: ProgressFn | None, stage: str, total: int) -> Callable[[int], None] | None:
    """A per-item counter: `tick(k)` adds k done items of `stage` and reports them."""
    if report is None:
        return None
    done = [0]
    lock = threading.Lock()

    def tick(k: int = 1, *_: Any) -> None:
        with lock:
            done[0] += k
            n = min(done[0], total)
        report(stage, n, total)
    return tick


__all__ = ["reporter", "counter", "format_line", "PlainReporter", "RichReporter", "ProgressFn", "INTERVAL_ENV"]
