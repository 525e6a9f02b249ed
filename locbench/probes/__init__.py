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
| `segmentation` | segmentation | `locbench.probes.segmentation` — token head on frozen patch embeddings (+ location) |

`preds_df` follows `locbench.predictions`; `info` is a JSON-safe dict (config, timings, location-only
metrics, loss curve) that goes into the run record.
"""

from __future__ import annotations

from typing import Any

from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError, suggest
from locbench.probes.common import EncoderRef, ProgressFn, deterministic_torch, resolve_device
from locbench.training import DEFAULTS as TRAINING
from locbench.training import SCHEDULE_KEYS, TrainingConfig

PROBES: dict[str, tuple[str, ...]] = {
    "geoprior": ("classification",),
    "regression": ("regression",),
    "linear": ("classification", "regression"),
    "knn": ("classification", "regression"),
    "mlp": ("classification", "regression"),
    "segmentation": ("segmentation",),
}


def list_probes() -> list[str]:
    return list(PROBES)


def default_probe(task_type: str, spec: DatasetSpec | None = None) -> str:
    """The protocol a dataset is scored with unless --probe says otherwise.

    The spec's `default_probe` when it names one (GAIR image / street-view tasks: `linear` on the
    user-supplied embeddings plus the frozen location embedding); otherwise geo-prior for
    classification, §C2 regression for regression (LocBench-style tasks).
    """
    if spec is not None and spec.default_probe:
        return spec.default_probe
    from locbench.tasks import get_task

    return get_task(task_type).probe_default()


def check_probe(probe: str, task_type: str | None = None) -> None:
    """NotFoundError for an unknown probe; InputError when it cannot handle the task type."""
    if probe not in PROBES:
        raise suggest(probe, list(PROBES), "probe")
    if task_type is not None and task_type not in PROBES[probe]:
        raise InputError(f"probe {probe!r} handles {'/'.join(PROBES[probe])} tasks, not {task_type}; "
                         f"use --probe {default_probe(task_type)} or one of linear, knn, mlp")


def run_probe(probe: str | None, encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *,
              seed: int = TRAINING.seed, device: str = TRAINING.device, epochs: int | None = None, progress: ProgressFn | None = None,
              threads: int | None = None, **options: Any) -> tuple[Any, dict[str, Any]]:
    """Train/evaluate `encoder` on `train` → per-sample predictions on `test` (deterministic per seed).

    `seed`, `device` and `threads` make the run's `TrainingConfig` (protocol defaults otherwise);
    `epochs` and the schedule options `lr`, `batch_size`, `lr_decay`, `weight_decay` override the
    schedule; other options go to the probe (`hparams`, `preset`, `holdout`, `balanced`, ...).
    """
    task = train.spec.task_type
    probe = probe or default_probe(task, train.spec)
    check_probe(probe, task)
    training = TrainingConfig(seed=seed, device=resolve_device(device), threads=threads)
    if epochs is not None and int(epochs) < 1:
        raise InputError(f"epochs must be >= 1, got {epochs}")
    overrides = {k: options.pop(k) for k in SCHEDULE_KEYS if k in options}
    overrides["epochs"] = epochs
    with deterministic_torch(seed, training.torch_threads):
        if probe == "geoprior":
            from locbench.probes import geoprior

            df, info = geoprior.run(encoder, train, test, training=training, overrides=overrides,
                                    progress=progress, **options)
        elif probe == "regression":
            from locbench.probes import regression

            df, info = regression.run(encoder, train, test, training=training, overrides=overrides,
                                      progress=progress, **options)
        elif probe == "segmentation":
            from locbench.probes import segmentation

            df, info = segmentation.run(encoder, train, test, training=training, overrides=overrides,
                                        progress=progress, **options)
        else:
            from locbench.probes import frozen

            df, info = frozen.run(probe, encoder, train, test, training=training, overrides=overrides,
                                  progress=progress, **options)
        import torch

        info["torch_threads"] = torch.get_num_threads()  # inside the context: the count actually used
    info.setdefault("probe", probe)
    info["seed"] = seed
    info["device"] = training.device
    return df, info
