"""Standardized probes: one documented protocol per name, so every encoder is measured the same way.

```python
from locbench.probes import run_probe
preds_df, info = run_probe(probe="geoprior", encoder=spec, train=split_train, test=split_test,
                           seed=0, device="cpu", epochs=None, progress=callback)
```

| probe | task | protocol (see the module docstring) |
|---|---|---|
| `geoprior` | classification | `locbench.probes.geoprior` — LocBench geo-prior, §C1 |
| `regression` | regression | `locbench.probes.regression` — MOSAIKS / location-only, §C2 |
| `linear`, `knn`, `mlp` | both | `locbench.probes.frozen` — frozen embeddings, validation carved from train |

`preds_df` follows `locbench.predictions`; `info` is a JSON-safe dict (config, timings, location-only
metrics, loss curve) that goes into the run record.
"""

from __future__ import annotations

from typing import Any

from locbench.errors import InputError, suggest
from locbench.probes.common import ProgressFn, deterministic_torch, resolve_device

PROBES: dict[str, tuple[str, ...]] = {
    "geoprior": ("classification",),
    "regression": ("regression",),
    "linear": ("classification", "regression"),
    "knn": ("classification", "regression"),
    "mlp": ("classification", "regression"),
}


def list_probes() -> list[str]:
    return list(PROBES)


def default_probe(task_type: str, spec: Any = None) -> str:
    """The protocol a dataset is scored with unless --probe says otherwise.

    LocBench-style tasks: geo-prior for classification, §C2 regression otherwise. GAIR image /
    street-view tasks (group "gair", modality other than location) are frozen-embedding tasks:
    `linear` on the user-supplied embeddings (plus the frozen location embedding, if any).
    """
    if spec is not None and getattr(spec, "group", "") == "gair" and \
            not str(getattr(spec, "modality", "")).startswith("location") and getattr(spec, "loader", "") != "inat":
        return "linear"
    return "geoprior" if task_type == "classification" else "regression"


def check_probe(probe: str, task_type: str | None = None) -> None:
    """NotFoundError for an unknown probe; InputError when it cannot handle the task type."""
    if probe not in PROBES:
        raise suggest(probe, list(PROBES), "probe")
    if task_type is not None and task_type not in PROBES[probe]:
        raise InputError(f"probe {probe!r} handles {'/'.join(PROBES[probe])} tasks, not {task_type}; "
                         f"use --probe {default_probe(task_type)} or one of linear, knn, mlp")


def run_probe(probe: str | None, encoder: Any, train: Any, test: Any, *, seed: int = 0, device: str = "cpu",
              epochs: int | None = None, progress: ProgressFn | None = None, threads: int | None = None,
              **options: Any) -> tuple[Any, dict[str, Any]]:
    """Train/evaluate `encoder` on `train` → per-sample predictions on `test` (deterministic per seed)."""
    task = str(getattr(getattr(train, "spec", None), "task_type", "classification"))
    probe = probe or default_probe(task, getattr(train, "spec", None))
    check_probe(probe, task)
    device = resolve_device(device)
    if epochs is not None and int(epochs) < 1:
        raise InputError(f"epochs must be >= 1, got {epochs}")
    with deterministic_torch(seed, threads):
        if probe == "geoprior":
            from locbench.probes import geoprior

            df, info = geoprior.run(encoder, train, test, seed=seed, device=device, epochs=epochs,
                                    progress=progress, **options)
        elif probe == "regression":
            from locbench.probes import regression

            df, info = regression.run(encoder, train, test, seed=seed, device=device, epochs=epochs,
                                      progress=progress, **options)
        else:
            from locbench.probes import frozen

            df, info = frozen.run(probe, encoder, train, test, seed=seed, device=device, epochs=epochs,
                                  progress=progress, **options)
        import torch

        info["torch_threads"] = torch.get_num_threads()  # inside the context: the count actually used
    info.setdefault("probe", probe)
    info["seed"] = seed
    info["device"] = device
    return df, info
