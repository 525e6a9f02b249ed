"""Standardized probes: one documented protocol per name, so every encoder is measured the same way.

```python
from locbench.probes import run_probe
preds_df, info = run_probe(probe="geoprior", encoder=spec, train=split_train, test=split_test,
                           seed=0, device="cpu", epochs=None, progress=callback)
```

Every probe is one `Probe` object in `REGISTRY` that declares once what it can do (task types,
whether it trains in batches, whether it carves validation rows by `--holdout`) and where its
`run` lives; `register_probe` adds one (e.g. a segmentation probe):

| probe | task | protocol (see the module docstring) |
|---|---|---|
| `geoprior` | classification | `locbench.probes.geoprior` — LocBench geo-prior, §C1 |
| `regression` | regression | `locbench.probes.regression` — MOSAIKS / location-only, §C2 |
| `linear`, `knn`, `mlp` | both | `locbench.probes.frozen` — frozen embeddings, validation carved from train |
| `segmentation` | segmentation | `locbench.probes.segmentation` — token head on frozen patch embeddings (+ location) |
| `coordbench-linear`, `coordbench-knn` | both | `locbench.probes.coordbench` — closed-form ridge / logistic with k-fold CV, kNN-5 |

A frozen (pretrained) encoder under `geoprior` / `regression` trains only the head, on embeddings
computed once and standardised on train rows, with lr / weight decay / epochs selected on carved
validation rows and early stopping (`locbench.probes.frozen_head`).

`preds_df` follows `locbench.predictions`; `info` is a JSON-safe dict (config, timings, location-only
metrics, loss curve, selection) that goes into the run record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from locbench.datasets.spec import DatasetSpec, DatasetSplit
from locbench.errors import InputError, suggest
from locbench.probes.common import EncoderRef, ProgressFn, deterministic_torch, resolve_device
from locbench.training import DEFAULTS as TRAINING
from locbench.training import SCHEDULE_KEYS, TrainingConfig


@dataclass(frozen=True)
class Probe:
    """A probe and what it can do, declared once (evaluate, the CLI and the docs read these fields).

    `runner` is "module:function" (imported lazily), called as
    `fn(encoder, train, test, *, training, overrides, progress, holdout, **options)`, with the probe's
    name first when `named` (one module serving several probes, e.g. `frozen`).
    """

    name: str
    tasks: tuple[str, ...]
    runner: str
    description: str
    trains_in_batches: bool = False  # takes --batch-size (trains an encoder/head in mini-batches)
    uses_holdout: bool = False  # carves validation rows / folds by --holdout (geoprior/regression: frozen encoders)
    named: bool = False  # the runner takes the probe name first

    def handles(self, task_type: str) -> bool:
        return task_type in self.tasks

    def run(self, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        import importlib

        module, _, func = self.runner.partition(":")
        fn = getattr(importlib.import_module(module), func)
        return fn(self.name, *args, **kwargs) if self.named else fn(*args, **kwargs)


REGISTRY: dict[str, Probe] = {}


def register_probe(probe: Probe) -> Probe:
    """Add a probe to the registry (a name may be registered once)."""
    if probe.name in REGISTRY:
        raise InputError(f"probe {probe.name!r} is already registered")
    REGISTRY[probe.name] = probe
    return probe


_BOTH = ("classification", "regression")
for _p in (
    Probe("geoprior", ("classification",), "locbench.probes.geoprior:run",
          "LocBench geo-prior p(y|I)·p(y|x), presence-only loss (§C1)", trains_in_batches=True, uses_holdout=True),
    Probe("regression", ("regression",), "locbench.probes.regression:run",
          "MOSAIKS image ⊕ location MLP, or location-only (§C2)", trains_in_batches=True, uses_holdout=True),
    Probe("linear", _BOTH, "locbench.probes.frozen:run",
          "frozen embeddings: logistic / ridge, C or alpha on carved validation rows", uses_holdout=True, named=True),
    Probe("knn", _BOTH, "locbench.probes.frozen:run",
          "frozen embeddings: k-nearest neighbours, k on carved validation rows", uses_holdout=True, named=True),
    Probe("mlp", _BOTH, "locbench.probes.frozen:run",
          "frozen embeddings: one-hidden-layer MLP, early stopping on carved validation rows", uses_holdout=True, named=True),
    Probe("coordbench-linear", _BOTH, "locbench.probes.coordbench:run",
          "CoordBench-style closed-form ridge / logistic, regularisation by 5-fold CV (random or spatial-block folds)",
          uses_holdout=True, named=True),
    Probe("segmentation", ("segmentation",), "locbench.probes.segmentation:run",
          "token head on frozen patch embeddings (+ location), lr and epoch on validation chips", uses_holdout=True),
    Probe("coordbench-knn", _BOTH, "locbench.probes.coordbench:run",
          "CoordBench-style kNN-5 on standardised frozen embeddings", uses_holdout=True, named=True),
):
    register_probe(_p)


def get_probe(name: str) -> Probe:
    """The registered probe; NotFoundError with close matches on a typo."""
    if name not in REGISTRY:
        raise suggest(name, list(REGISTRY), "probe")
    return REGISTRY[name]


def list_probes() -> list[str]:
    return list(REGISTRY)


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
    p = get_probe(probe)
    if task_type is not None and not p.handles(task_type):
        others = ", ".join(n for n, q in REGISTRY.items() if q.handles(task_type))
        raise InputError(f"probe {probe!r} handles {'/'.join(p.tasks)} tasks, not {task_type}; "
                         f"use --probe {default_probe(task_type)} or one of {others}")


def run_probe(probe: str | None, encoder: EncoderRef, train: DatasetSplit, test: DatasetSplit, *,
              seed: int = TRAINING.seed, device: str = TRAINING.device, epochs: int | None = None, progress: ProgressFn | None = None,
              threads: int | None = None, **options: Any) -> tuple[Any, dict[str, Any]]:
    """Train/evaluate `encoder` on `train` → per-sample predictions on `test` (deterministic per seed).

    `seed`, `device` and `threads` make the run's `TrainingConfig` (protocol defaults otherwise);
    `epochs` and the schedule options `lr`, `batch_size`, `lr_decay`, `weight_decay` override the
    schedule; `early_stopping=False` turns off the trained encoders' early stopping; other options go to the probe (`hparams`, `preset`, `holdout`, `balanced`, ...).
    """
    task = train.spec.task_type
    probe = probe or default_probe(task, train.spec)
    check_probe(probe, task)
    training = TrainingConfig(seed=seed, device=resolve_device(device), threads=threads)
    if options.get("early_stopping") is not None:  # False: exactly `epochs` epochs on all rows (no carve)
        training = replace(training, early_stopping=bool(options.pop("early_stopping")))
    options.pop("early_stopping", None)
    if epochs is not None and int(epochs) < 1:
        raise InputError(f"epochs must be >= 1, got {epochs}")
    overrides = {k: options.pop(k) for k in SCHEDULE_KEYS if k in options}
    overrides["epochs"] = epochs
    with deterministic_torch(seed, training.torch_threads):
        df, info = get_probe(probe).run(encoder, train, test, training=training, overrides=overrides,
                                        progress=progress, **options)
        import torch

        info["torch_threads"] = torch.get_num_threads()  # inside the context: the count actually used
    info.setdefault("probe", probe)
    info["seed"] = seed
    info["device"] = training.device
    return df, info
