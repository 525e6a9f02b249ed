"""Run records: everything needed to reproduce or question one encoder x dataset number.

Written beside the predictions as `<dataset>.run.json`: the full configuration, package versions,
seed, timings, hardware, torch threads and device, plus the probe's own report (loss curve,
selected hyper-parameters, location-only metrics).
"""

from __future__ import annotations

import os
import platform
import sys
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
