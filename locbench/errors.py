"""Typed errors: libraries raise these, the CLI turns them into one line and exit code 2.

Every error that comes from bad input names where it is: the file, and the row and
column when they are known, so a user can fix the input without reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    row: int | None = None  # 0-based data row (header excluded), as pandas counts
    column: str | None = None

    def format(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class LocbenchError(Exception):
    """Base class of every error locbench raises on purpose (exit code 2 at the CLI)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path | None = None, row: int | None = None,
                 column: str | None = None, problems: list[Problem] | None = None) -> None:
        self.problem = Problem(message, None if file is None else str(file), row, column)
        self.problems: list[Problem] = problems if problems else [self.problem]
        super().__init__(self.problem.format())


class InputError(LocbenchError, ValueError):
    """A file or argument is malformed, out of range or inconsistent."""


class DataMissingError(LocbenchError, FileNotFoundError):
    """A dataset's files are not on disk; the message says which and where to get them."""


class NotFoundError(LocbenchError, KeyError):
    """An unknown dataset, encoder, probe or model id; the message suggests close names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.problem.format()


class IntegrityError(LocbenchError):
    """A result file does not match its integrity hash or the predictions it was scored from."""


class PublishedVersionError(LocbenchError, PermissionError):
    """A write was aimed inside a published leaderboard version (leaderboard/vNNNN/), which never changes."""


class ValidationError(LocbenchError, ValueError):
    """A submission or prediction file failed validation; `problems` lists every issue at once."""

    def __init__(self, problems: list[Problem], *, summary: str | None = None) -> None:
        head = summary or f"{len(problems)} problem(s) found"
        super().__init__(head, problems=list(problems))

    def __str__(self) -> str:
        lines = [self.problem.message] + ["  - " + p.format() for p in self.problems]
        return "\n".join(lines)


@dataclass
class ProblemList:
    """Collects problems so a validator can report all of them at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, *, file: str | Path | None = None, row: int | None = None,
            column: str | None = None) -> None:
        self.items.append(Problem(message, None if file is None else str(file), row, column))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, summary: str | None = None) -> None:
        if self.items:
            raise ValidationError(self.items, summary=summary)


def shown(value: object) -> str:
    """A cell value as a user wrote it: `nan`, `inf`, `1e+308`, `'abc'` (never `np.float64(nan)`)."""
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return repr(value)  # Python floats print as nan / inf / 1e+308
    if isinstance(value, str):
        return repr(value[:60] + ("…" if len(value) > 60 else ""))
    return repr(value)


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """' Did you mean: a, b?' for close matches, compared case-insensitively (locbench.suggest), else ''."""
    from locbench.suggest import did_you_mean as _did_you_mean

    return _did_you_mean(name, choices)


def suggest(name: str, choices: list[str] | tuple[str, ...], kind: str) -> NotFoundError:
    """Build a NotFoundError for an unknown name, with difflib suggestions."""
    return NotFoundError(f"unknown {kind} {name!r}.{did_you_mean(name, choices)} Known: {', '.join(sorted(choices))}")
