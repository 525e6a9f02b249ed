"""Run records: everything needed to reproduce or question one encoder x dataset number.

Written beside the predictions as `<dataset>.run.json`: the full configuration, package versions,
seed, timings, hardware, torch threads and device, plus the probe's own report (loss curve,
selected hyper-parameters, location-only metrics).
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from typing import Any

RUN_SCHEMA = "locbench.run/1"


def hardware() -> dict[str, Any]:
    """CPU model, core count, memory and GPU (if torch sees one): timings mean little without it."""
    info: dict[str, Any] = {
        "platform": platform.platform(), "machine": platform.machine(), "processor": _cpu_model(),
        "cpu_count": os.cpu_count(), "memory_gb": _memory_gb(),
    }
    import torch

    info["torch_threads"] = torch.get_num_threads()
    info["cuda_available"] = bool(torch.cuda.is_available())
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    try:
        info["load_average_1m"] = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on every platform
        pass
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def versions() -> dict[str, str]:
    """locbench/georbias/scientific stack versions plus torch."""
    from locbench.results import package_versions

    import torch

    return {**package_versions(), "torch": torch.__version__}


def build_run_record(*, model_id: str, encoder: str, dataset: str, split: str, train_split: str,
                     probe: str, config: dict[str, Any], probe_info: dict[str, Any],
                     timings: dict[str, float], seed: int, device: str) -> dict[str, Any]:
    """The JSON-ready run record (no arrays; the probe info is already JSON-safe)."""
    from locbench.results import now_iso

    hw = hardware()
    if probe_info.get("torch_threads"):  # the count the probe ran with, not the process default
        hw["torch_threads"] = probe_info["torch_threads"]
    return {
        "schema": RUN_SCHEMA,
        "model_id": model_id,
        "encoder": encoder,
        "dataset": dataset,
        "split": split,
        "train_split": train_split,
        "probe": probe,
        "seed": seed,
        "device": device,
        "config": config,
        "probe_info": probe_info,
        "timings_s": {k: round(float(v), 4) for k, v in timings.items()},
        "versions": versions(),
        "hardware": hw,
        "command": " ".join(sys.argv),
        "date": now_iso(),
    }


@dataclass(frozen=True)
class Schedule:
    """How much training produced a result: what `locbench submit` compares before replacing one.

    `epochs` is the budget the run was given (None: the protocol's own — the full default schedule,
    or training to convergence for a frozen head); `max_train_rows` the training-row cap (None: all);
    `quick` marks the no-argument quick comparison; `selection` what the probe chose on validation rows.
    """

    quick: bool
    probe: str | None = None
    epochs: int | None = None
    max_train_rows: int | None = None
    selection: dict[str, Any] | None = None
    training: dict[str, Any] | None = None  # a trained encoder's early stopping: epochs run, best epoch, ...

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Any) -> Schedule | None:
        if not isinstance(d, dict) or not isinstance(d.get("quick"), bool):
            return None
        return cls(quick=d["quick"], probe=d.get("probe"), epochs=d.get("epochs"),
                   max_train_rows=d.get("max_train_rows"), selection=d.get("selection"), training=d.get("training"))

    @classmethod
    def from_run_record(cls, record: Any) -> Schedule | None:
        """The schedule of a `locbench evaluate` run record (None when it is not one)."""
        if not isinstance(record, dict) or record.get("schema") != RUN_SCHEMA:
            return None
        cfg = record.get("config") or {}
        return cls.of_run(quick=bool(cfg.get("quick_default_run")), probe=record.get("probe"),
                          epochs=cfg.get("epochs"), max_train_rows=cfg.get("max_train_rows"),
                          probe_info=record.get("probe_info") or {})

    @classmethod
    def of_run(cls, *, quick: bool, probe: str | None, epochs: int | None, max_train_rows: int | None,
               probe_info: dict[str, Any]) -> Schedule:
        """From a run's settings and its probe's info (the frozen head's or frozen probe's selection)."""
        sel = probe_info.get("selection")
        chosen = sel.get("selected") if isinstance(sel, dict) else (probe_info.get("config") or {}).get("selected")
        selection = chosen if isinstance(chosen, dict) or chosen is None else {"value": chosen}
        return cls(quick=quick, probe=probe, epochs=epochs, max_train_rows=max_train_rows, selection=selection,
                   training=training_summary(probe_info))

    def describe(self) -> str:
        what = "quick run" if self.quick else "full run"
        ep = "protocol epochs" if self.epochs is None else f"{self.epochs} epochs"
        rows = "" if self.max_train_rows is None else f", at most {self.max_train_rows} training rows"
        return f"{what} ({self.probe or 'probe unknown'}, {ep}{rows})"


def training_summary(probe_info: dict[str, Any]) -> dict[str, Any] | None:
    """A trained encoder's early-stopping record without its curves (validation, refit: they stay in the run record)."""
    trained = probe_info.get("training")
    if not isinstance(trained, dict):
        return None
    summary = {k: v for k, v in trained.items() if k != "val_per_epoch"}
    if isinstance(trained.get("refit"), dict):
        summary["refit"] = {k: v for k, v in trained["refit"].items() if k != "loss_per_epoch"}
    return summary


def shorter(new: Schedule | None, old: Schedule | None) -> bool:
    """True when `new` was produced with less training than `old` (the result `submit` would replace).

    A result without a recorded schedule counts as a full run of unknown length: only a quick or
    row-capped run is shorter than it. Unknown `new` (a third-party submission): never shorter.
    """
    if new is None:
        return False
    if old is None:
        return new.quick or new.max_train_rows is not None
    if new.quick != old.quick:
        return new.quick

    def budget(v: int | None) -> float:
        return float("inf") if v is None else float(v)

    return budget(new.epochs) < budget(old.epochs) or budget(new.max_train_rows) < budget(old.max_train_rows)
