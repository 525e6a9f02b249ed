"""Worker threads over independent chunks that never hold up an interrupt.

`with ThreadPoolExecutor(...)` joins every queued chunk on exit, so Ctrl-C in the main thread
waited for all of them (tens of seconds on 300k points), and even `shutdown(cancel_futures=True)`
leaves the interpreter joining the chunks in flight at exit. Here the workers are daemon threads
that pull tasks one at a time: on any exception in the caller (Ctrl-C included) they stop taking
new ones, and the process may end without waiting for the chunk each is finishing (the arrays it
writes stay referenced by its own frame).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()


def run_chunks(fn: Callable[[T], Any], tasks: Iterable[T], workers: int,
               on_done: Callable[[Any], None] | None = None) -> None:
    """fn(task) for every task on `workers` threads (inline when 1); on_done(result) in the caller's
    thread as each finishes. Results are written by fn itself, so completion order does not matter."""
    if workers <= 1:
        for t in tasks:
            r = fn(t)
            if on_done is not None:
                on_done(r)
        return
    it, lock, stop, results = iter(tasks), threading.Lock(), threading.Event(), queue.SimpleQueue()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                t = next(it, _END)
            if t is _END:
                break
            try:
                results.put((True, fn(t)))   # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                results.put((False, exc))
                return
        results.put(_END)

    for _ in range(workers):
        threading.Thread(target=worker, name="georbias-worker", daemon=True).start()
    running = workers
    try:
        while running:
            try:
                item = results.get(timeout=0.2)   # short waits: a signal is handled at once
            except queue.Empty:
                continue
            if item is _END:
                running -= 1
                continue
            ok, val = item
            if not ok:
                raise val
            if on_done is not None:
                on_done(val)
    finally:
        stop.set()


QUERY_SLICE = 10_000   # query points per tree call: a Ctrl-C waits for at most one slice per thread
THREADS = 2


def tree_query(tree: Any, q: Any, k: int, **kw: Any) -> tuple[Any, Any]:
    """`tree.query(q, k)` in slices on our own threads, never cKDTree's `workers`: its threads are
    joined by a Python wait that Ctrl-C breaks, and the interpreter then crashes (SIGSEGV) on exit."""
    import numpy as np

    n = len(q)
    dist, idx = np.empty((n, k)), np.empty((n, k), dtype=np.intp)

    def one(s: int) -> None:
        d, i = tree.query(q[s:s + QUERY_SLICE], k=k, workers=1, **kw)
        dist[s:s + QUERY_SLICE] = np.asarray(d).reshape(-1, k)
        idx[s:s + QUERY_SLICE] = np.asarray(i).reshape(-1, k)
    run_chunks(one, range(0, n, QUERY_SLICE), THREADS if n > QUERY_SLICE else 1)
    return dist, idx


def ball_counts(tree: Any, q: Any, r: float) -> Any:
    """Points within r of each query point (`query_ball_point(return_length=True)`), sliced as tree_query."""
    import numpy as np

    out = np.empty(len(q), dtype=np.float64)

    def one(s: int) -> None:
        out[s:s + QUERY_SLICE] = tree.query_ball_point(q[s:s + QUERY_SLICE], r, return_length=True, workers=1)
    run_chunks(one, range(0, len(q), QUERY_SLICE), THREADS if len(q) > QUERY_SLICE else 1)
    return out
