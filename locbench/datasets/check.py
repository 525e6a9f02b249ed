"""Which dataset files are present, missing or malformed, and where to get them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locbench.datasets.registry import get_dataset
from locbench.datasets.root import data_root
from locbench.datasets.spec import DatasetSpec
from locbench.errors import LocbenchError


@dataclass
class CheckReport:
    """Outcome of checking one dataset under one data root."""

    name: str
    root: str
    status: str  # "present" | "missing" | "malformed" | "embedded"
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)  # split -> rows (deep checks)
    warnings: list[str] = field(default_factory=list)  # e.g. row count differs from the published one
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("present", "embedded")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "root": self.root, "status": self.status, "ok": self.ok, "missing": self.missing,
                "problems": self.problems, "loaded": self.loaded, "warnings": self.warnings, "source": self.source}


def missing_files(spec: DatasetSpec, root: Path) -> list[str]:
    """Expected files (relative to the root) that are not there; embedded datasets need none.

    An entry ending in '/' is a folder (chip layouts: the files inside are found by the loader)."""
    if not spec.needs_files:
        return []
    return [f for f in spec.expected_files if not ((root / f).is_dir() if f.endswith("/") else (root / f).is_file())]


def is_present(spec: DatasetSpec, root: Path) -> bool:
    return not missing_files(spec, root)


def check_dataset(name: str, data_root_override: str | Path | None = None, *, deep: bool = True) -> CheckReport:
    """Files first; with `deep`, also load the train and reported splits so malformed files surface."""
    spec = get_dataset(name)
    root = data_root(data_root_override)
    rep = CheckReport(name=name, root=str(root), status="present", source=spec.source)
    if not spec.needs_files:
        rep.status = "embedded"
        return rep
    rep.missing = missing_files(spec, root)
    if rep.missing:
        rep.status = "missing"
        return rep
    if deep:
        for split in dict.fromkeys((spec.train_split, spec.reported_split)):
            try:
                rep.loaded[split] = len(spec.loader.load(spec, split, root, spec.loader.check_options(spec, split)))
            except LocbenchError as exc:
                rep.status = "malformed"
                rep.problems.extend(p.format() for p in exc.problems)
        got = rep.loaded.get(spec.reported_split)
        if got is not None and spec.n_eval_rows is not None and got != spec.n_eval_rows:
            rep.warnings.append(f"{spec.reported_split} split has {got:,} rows; the published count is "
                                f"{spec.n_eval_rows:,} (a different download or version?)")
    return rep
