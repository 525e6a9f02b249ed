"""`SweepSpec`: what a sweep runs (encoders x datasets x seeds, one probe setting), from flags or a file.

A sweep file is TOML (`.toml`) or YAML (`.yaml`/`.yml`) with the same keys as the CLI flags:

    encoders = ["no_prior", "Sphere2Vec-sphereM"]
    datasets = ["embedded-land-sea"]
    seeds = "0-4"            # or [0, 1, 2, 3, 4]
    epochs = 5
    [executor]               # optional; flags win
    kind = "dask"
    scheduler = "tcp://10.0.0.5:8786"
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locbench.datasets.holdout import HOLDOUTS
from locbench.errors import InputError
from locbench.training import DEFAULTS as TRAINING

EXECUTORS = ("local", "processes", "dask")
_RANGE = re.compile(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$")


def parse_seeds(text: str | int | list[Any], *, where: str = "--seeds") -> tuple[int, ...]:
    """'0-4' -> (0..4); '0,3,7' -> (0, 3, 7); mixed '0-2,9'; a list of ints as is. Sorted, unique.

    Errors say what to type, in the user's terms (`where` is the flag or the file setting)."""
    form = "a range like '0-4', a list like '0,2,5', or both ('0-2,9')"
    if isinstance(text, bool):
        raise InputError(f"{where}: seeds are whole numbers, got {text!r}; use {form}")
    if isinstance(text, int):
        return parse_seeds([text], where=where)
    parts: list[Any] = list(text) if isinstance(text, list) else str(text).split(",")
    seeds: set[int] = set()
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            seeds.add(part)
            continue
        m = _RANGE.match(str(part))
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise InputError(f"{where} {str(part).strip()!r}: a seed range must go up, e.g. '{hi}-{lo}'")
            seeds.update(range(lo, hi + 1))
            continue
        try:
            seeds.add(int(str(part).strip()))
        except ValueError:
            raise InputError(f"{where} {str(part).strip()!r} is not a seed list; use {form}") from None
    if not seeds or min(seeds) < 0:
        raise InputError(f"{where} {text!r}: seeds must be 0 or more; use {form}")
    return tuple(sorted(seeds))


@dataclass(frozen=True)
class ExecutorSpec:
    """Where jobs run. `gpus_per_job` becomes the Dask worker resource `GPU` each job claims."""

    kind: str = "local"
    workers: int = 2
    scheduler: str | None = None
    gpus_per_job: float = 0.0
    retries: int = 2

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise InputError(f"--executor must be one of {', '.join(EXECUTORS)}, got {self.kind!r}", column="--executor")
        if self.workers < 1:
            raise InputError(f"--workers must be >= 1, got {self.workers}", column="--workers")
        if self.retries < 0:
            raise InputError(f"--retries must be >= 0, got {self.retries}", column="--retries")
        if self.kind == "dask" and not self.scheduler:
            raise InputError("--executor dask needs --scheduler tcp://HOST:PORT (a running Dask scheduler)",
                             column="--scheduler")
        if self.gpus_per_job < 0 or (self.gpus_per_job and self.kind != "dask"):
            raise InputError("--gpus-per-job claims the Dask worker resource 'GPU': use it with --executor dask",
                             column="--gpus-per-job")


@dataclass(frozen=True)
class SweepSpec:
    """Everything that defines the jobs; the executor settings only say where they run."""

    encoders: tuple[str, ...]
    datasets: tuple[str, ...]
    seeds: tuple[int, ...] = (0,)
    probe: str | None = None
    epochs: int | None = None
    max_train_rows: int | None = None
    holdout: str = HOLDOUTS[0]
    geobias: bool = True
    device: str = TRAINING.device
    threads: int = 1  # torch/BLAS threads per job: bit-identical results whatever the executor
    data_root: str | None = None
    out: str = "locbench-sweep"
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)

    def __post_init__(self) -> None:
        if not self.encoders:
            raise InputError("a sweep needs at least one encoder (-e / encoders = [...])", column="--encoder")
        if not self.datasets:
            raise InputError("a sweep needs at least one dataset (-d / datasets = [...])", column="--dataset")
        if self.holdout not in HOLDOUTS:
            raise InputError(f"--holdout must be one of {', '.join(HOLDOUTS)}, got {self.holdout!r}", column="--holdout")
        for name, value in (("--epochs", self.epochs), ("--max-train-rows", self.max_train_rows),
                            ("--threads", self.threads)):
            if value is not None and value < 1:
                raise InputError(f"{name} must be >= 1, got {value}", column=name)


_SPEC_KEYS = {f.name for f in dataclasses.fields(SweepSpec)} - {"executor"}
_EXECUTOR_KEYS = {f.name for f in dataclasses.fields(ExecutorSpec)}


def read_sweep_file(path: str | Path) -> dict[str, Any]:
    """Parse a TOML/YAML sweep file into plain values (unknown keys are an error naming the file)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("sweep file not found", file=path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            raise InputError("sweep file must end in .toml, .yaml or .yml", file=path)
    except InputError:
        raise
    except Exception as exc:  # tomllib.TOMLDecodeError / yaml.YAMLError carry the line
        raise InputError(f"cannot parse sweep file: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise InputError("sweep file must hold a mapping of settings", file=path)
    unknown = sorted(set(data) - _SPEC_KEYS - {"executor"})
    unknown += sorted(f"executor.{k}" for k in set(data.get("executor") or {}) - _EXECUTOR_KEYS)
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_SPEC_KEYS))}, "
                         f"executor.{{{', '.join(sorted(_EXECUTOR_KEYS))}}}", file=path, column=unknown[0])
    return data


def build_spec(file_values: dict[str, Any], flags: dict[str, Any], *, where: str = "sweep file") -> SweepSpec:
    """Merge a file's settings with CLI flags (a flag that is not None wins) into a validated SweepSpec."""
    merged = {**{k: v for k, v in file_values.items() if k != "executor"},
              **{k: v for k, v in flags.items() if k in _SPEC_KEYS and v is not None}}
    ex_values = {**(file_values.get("executor") or {}),
                 **{k: v for k, v in flags.items() if k in _EXECUTOR_KEYS and v is not None}}
    for key in ("encoders", "datasets"):
        value = merged.get(key, ())
        merged[key] = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
    from_flag = flags.get("seeds") is not None
    merged["seeds"] = parse_seeds(merged.get("seeds", "0"), where="--seeds" if from_flag else f"{where}: seeds")
    try:
        return SweepSpec(**merged, executor=ExecutorSpec(**ex_values))
    except TypeError as exc:  # a wrongly typed value in a file
        raise InputError(f"{where}: {exc}") from exc
