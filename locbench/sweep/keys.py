"""Job keys: one hash over everything that can change a job's numbers.

A finished job is skipped only when its stored key equals the planned one, so the key must cover
every input: the encoder and its resolved hyper-parameters for this dataset, the dataset's name,
version and (for on-disk datasets) the sha256 of each data file, the probe settings (probe,
epochs, training-row cap, holdout, device, threads), the geo-bias settings, the seed, and the
locbench and georbias versions. File hashes are cached by (size, mtime) so re-planning a sweep
over gigabytes of features reads them once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from locbench import atomic
from locbench.hashing import sha256_file

KEY_SCHEMA = 1


def canonical_json(value: Any) -> str:
    """Key material as text: sorted keys, no whitespace, tuples as lists, anything else via str()."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


class FileHashCache:
    """sha256 of data files, remembered per (path, size, mtime_ns) in a JSON file beside the sweep."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):  # a damaged cache is only a slower plan
                self.entries = {}

    def sha256(self, file: Path) -> str:
        st = file.stat()
        name = str(file.resolve())
        hit = self.entries.get(name)
        if hit and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns:
            return str(hit["sha256"])
        value = sha256_file(file)
        self.entries[name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": value}
        self.dirty = True
        return value

    def save(self) -> None:
        if self.path is not None and self.dirty:
            atomic.write_json(self.path, self.entries)
            self.dirty = False


def dataset_files(ds: Any, root: Path, cache: FileHashCache) -> dict[str, str] | None:
    """{relative path: sha256} of the files a dataset reads (None for embedded datasets: the version says it)."""
    if not ds.needs_files:
        return None
    names = list(ds.expected_files) + [f for f in ds.optional_files if (root / f).is_file()]
    return {name: cache.sha256(root / name) for name in names}


def versions() -> dict[str, str]:
    import georbias

    import locbench

    return {"locbench": locbench.__version__, "georbias": georbias.__version__, "key_schema": str(KEY_SCHEMA)}
