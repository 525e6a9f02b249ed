"""Converters from other benchmarks' published per-sample outputs to scored locbench results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from locbench.errors import InputError
from locbench.importers.common import ImportReport

SOURCES = ("torchspatial", "geobs")


def run_import(source: str, src: str | Path, *, root: str | Path | None, out: str | Path | None = None,
               data_root: str | Path | None = None, geobias: bool = True, jobs: int = 1,
               progress: Callable[[str], None] | None = None) -> ImportReport:
    """Import `src` with the importer of `source` (see `locbench import --help`)."""
    if source == "torchspatial":
        from locbench.importers.torchspatial import import_torchspatial as run
    elif source == "geobs":
        from locbench.importers.geobs import import_geobs as run
    else:
        raise InputError(f"unknown import source {source!r} (known: {', '.join(SOURCES)})")
    return run(src, out, root=root, data_root=data_root, geobias=geobias, jobs=jobs, progress=progress)
