"""Neighbour graphs shared by every value column scored over the same coordinates.

Everything SSI and SRI build before they look at a value (ROI members, the per-ROI k-NN graph
summaries, SRI's latitude-band index and chunk plan) depends only on the coordinates and the geometric
settings. A leaderboard dataset is scored for many models on the very same points (all 16 models
of a TorchSpatial dataset), so the second and later calls reuse it, like esda statistics over one
weights object. Entries are keyed by a hash of the coordinate bytes and the settings, so a reused
graph is the graph the call would have built, bit for bit. It is on only inside `shared_geometry()`
(a one-column run would hold memory for nothing), and holds one point set at a time (a
new one evicts the others) within a byte budget (GEORBIAS_GEOMETRY_CACHE_MB, default 1024; 0 turns
it off); a graph that would not fit is not kept (Keeper gives up early, so a large run pays nothing).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

BUDGET_ENV = "GEORBIAS_GEOMETRY_CACHE_MB"


def geometry_key(kind: str, arrays: tuple[np.ndarray, ...], **settings: Any) -> str:
    """Content key `points:kind:settings`: the exact bytes of the coordinates, the kind of graph, the settings."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    rest = hashlib.blake2b(repr(sorted(settings.items())).encode(), digest_size=8).hexdigest()
    return f"{h.hexdigest()}:{kind}:{rest}"


def nbytes(obj: Any) -> int:
    """Bytes held by the numpy arrays inside obj (dicts, lists, tuples, dataclasses)."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, dict):
        return sum(nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(nbytes(v) for v in obj)
    if hasattr(obj, "__dataclass_fields__"):
        return sum(nbytes(getattr(obj, f)) for f in obj.__dataclass_fields__)
    return 0


class GeometryCache:
    """LRU of geometry entries under a byte budget (thread safe)."""

    def __init__(self, budget_bytes: int) -> None:
        self.enabled = False   # on only inside shared_geometry(): a one-column run would pay memory for nothing
        self.budget = int(budget_bytes)
        self.entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.used = 0
        self.lock = threading.Lock()
        self.hits = 0

    def get(self, key: str) -> Any:
        if not self.enabled:
            return None
        with self.lock:
            got = self.entries.get(key)
            if got is None:
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return got[0]

    def put(self, key: str, value: Any) -> None:
        size = nbytes(value)
        with self.lock:
            if size > self.budget or key in self.entries:
                return
            while self.used + size > self.budget and self.entries:
                _, (_, old) = self.entries.popitem(last=False)
                self.used -= old
            self.entries[key] = (value, size)
            self.used += size

    def room_for(self, key: str) -> int:
        """Before building a new entry: forget other point sets (a new dataset started; the cache
        serves the many value columns of one), return the bytes left for it."""
        if not self.enabled:
            return 0
        points = key.split(":", 1)[0]
        with self.lock:
            for k in [k for k in self.entries if k.split(":", 1)[0] != points]:
                self.used -= self.entries.pop(k)[1]
            return self.budget - self.used

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.used = 0


@contextlib.contextmanager
def shared_geometry() -> Iterator[GeometryCache]:
    """Within this block, georbias keeps the neighbour graphs of the last point set for the next
    call on the same points (score several value columns / models; everything is freed on exit)."""
    previous = CACHE.enabled
    CACHE.enabled = True
    try:
        yield CACHE
    finally:
        CACHE.enabled = previous
        if not previous:
            CACHE.clear()


def _budget() -> int:
    try:
        return int(float(os.environ.get(BUDGET_ENV, "1024")) * 2**20)
    except ValueError:
        return 1024 * 2**20


CACHE = GeometryCache(_budget())


class Keeper:
    """Collects a run's per-chunk geometry for the cache while it fits the budget. It gives up (and
    frees what it holds) as soon as the total, projected from the chunks seen so far, would not fit,
    so a 10^6-point run never holds its whole graph just to find out it is too large to keep."""

    def __init__(self, n_chunks: int, budget: int) -> None:
        self.items: list[Any] | None = [None] * n_chunks if budget > 0 else None
        self.budget, self.used, self.seen = budget, 0, 0
        self.lock = threading.Lock()

    def keep(self, i: int, item: Any) -> None:
        size = nbytes(item)
        with self.lock:
            if self.items is None:
                return
            self.used += size
            self.seen += 1
            if self.used > self.budget or (self.seen >= 4 and self.used / self.seen * len(self.items) > self.budget):
                self.items = None
                return
            self.items[i] = item
