"""Worker threads over independent chunks that never hold up an interrupt.

`with ThreadPoolExecutor(...)` joins every queued chunk on exit, so Ctrl-C in the main thread
waited for all of them (tens of seconds on 300k points). Here at most `2 * workers` chunks are
in flight; on any exception (KeyboardInterrupt included) the pending ones are cancelled and the
pool is shut down without waiting, so only the chunks already running (each well under a second)
finish in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")


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
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="georbias")
    pending: set[Future] = set()
    try:
        for t in tasks:
            pending.add(pool.submit(fn, t))
            if len(pending) >= 2 * workers:
                pending = _drain(pending, on_done, FIRST_COMPLETED)
        _drain(pending, on_done, None)
    except BaseException:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _drain(pending: set[Future], on_done: Callable[[Any], None] | None, mode: Any) -> set[Future]:
    """Wait (in short slices, so a signal is seen at once) for the first or every pending chunk."""
    while pending:
        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        for f in done:
            r = f.result()
            if on_done is not None:
                on_done(r)
        if mode is FIRST_COMPLETED and done:
            break
    return pending


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
