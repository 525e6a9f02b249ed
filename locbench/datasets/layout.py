"""The loader interface: one `Layout` subclass per on-disk layout, held by the `DatasetSpec`.

A layout instance carries the per-dataset parameters of its format (file stems, column names) as
typed fields, and names the typed options object `load_split` accepts for it (`options_type`), so a
dataset's facts live in its catalog entry and nowhere else.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from locbench.errors import InputError

if TYPE_CHECKING:
    from locbench.datasets.spec import DatasetSpec, DatasetSplit


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """Options of a layout that takes none."""


@dataclasses.dataclass(frozen=True)
class Layout:
    """Base class: subclasses are frozen dataclasses and implement `load`."""

    options_type: ClassVar[type] = NoOptions
    #: True when the loader assigns train/val/test itself (no published split): `holdout` applies.
    assigns_splits: ClassVar[bool] = False

    def options(self, dataset: str, **values: Any) -> Any:
        """The typed options object; an unknown option name is an InputError naming the accepted ones."""
        allowed = tuple(f.name for f in dataclasses.fields(self.options_type))
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise InputError(f"{dataset} does not take option(s) {', '.join(unknown)}; it takes "
                             f"{', '.join(allowed) or 'none'}", column=unknown[0])
        return self.options_type(**values)

    def check_options(self, spec: DatasetSpec, split: str) -> Any:
        """Options `locbench datasets check` loads `split` with (defaults unless a layout says otherwise)."""
        return self.options_type()

    def load(self, spec: DatasetSpec, split: str, root: Path, options: Any) -> DatasetSplit:
        raise NotImplementedError(type(self).__name__)

    def parameters(self) -> dict[str, Any]:
        """The layout's fields, for the read-only `DatasetSpec.params` view and `datasets info --json`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class FileLayout(Layout):
    """A layout under the data root with a fixed list of splits: `load` checks the split, `read` reads it."""

    def load(self, spec: DatasetSpec, split: str, root: Path, options: Any) -> DatasetSplit:
        check_split(spec, split)
        return self.read(spec, split, root, options)

    def read(self, spec: DatasetSpec, split: str, root: Path, options: Any) -> DatasetSplit:
        raise NotImplementedError(type(self).__name__)


def check_split(spec: DatasetSpec, split: str) -> None:
    """InputError unless `split` is one of the dataset's splits (every file layout checks this first)."""
    if split not in spec.splits:
        raise InputError(f"{spec.name} has splits {', '.join(spec.splits)}, not {split!r}", column="split")


def source_hint(spec: DatasetSpec) -> str:
    return f"get it from {spec.source}"
