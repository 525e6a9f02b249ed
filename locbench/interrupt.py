"""Ctrl-C for every locbench command: exit 130 within 2 s, one line, nothing half-written.

The SIGINT handler raises `Interrupted` in the main thread (so `atomic` removes its temporary
files and staged folders while unwinding, and worker pools cancel their queued chunks) and starts a
watchdog: if the process has not ended `GRACE_S` later (the main thread is inside one long C call,
or a worker is), the watchdog removes the temporary paths still in flight and ends the process
with 130 itself. A second Ctrl-C ends it at once the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

EXIT_CODE = 130          # 128 + SIGINT, what shells report for an interrupted command
GRACE_S = 0.8            # unwinding time before the watchdog ends the process
MESSAGE = "interrupted"

_STATE = {"printed": False, "hit": False}


class Interrupted(BaseException):
    """Ctrl-C inside a command. Not a KeyboardInterrupt: click would turn that into "Aborted!" and
    exit 1. A BaseException, so `except Exception` handlers let it through while `atomic`'s
    cleanup (`except BaseException`) still runs."""
_LOCK = threading.Lock()


def say_interrupted() -> None:
    """Print the one-line message once, whoever gets there first (main thread or watchdog)."""
    with _LOCK:
        if _STATE["printed"]:
            return
        _STATE["printed"] = True
    with contextlib.suppress(Exception):
        print(MESSAGE, file=sys.stderr, flush=True)


def _hard_exit() -> None:
    from locbench import atomic

    say_interrupted()
    atomic.discard_in_flight()
    exit_now()


def exit_now() -> None:
    """End the process with 130 at once (after the main thread has unwound): flush, no finalisation."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(EXIT_CODE)


def _handler(signum: int, frame: object) -> None:
    if _STATE["hit"]:
        _hard_exit()
    _STATE["hit"] = True
    timer = threading.Timer(GRACE_S, _hard_exit)
    timer.daemon = True
    timer.start()
    raise Interrupted()


@contextlib.contextmanager
def handling_sigint() -> Iterator[None]:
    """Install the handler for the duration of a command (main thread only; restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _handler)
    _STATE.update(printed=False, hit=False)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
