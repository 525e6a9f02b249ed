"""Expand a SweepSpec into jobs (dataset x encoder x seed), each with its key, validated before any work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locbench.errors import DataMissingError
from locbench.sweep.keys import FileHashCache, dataset_files, digest, versions
from locbench.sweep.spec import SweepSpec


@dataclass(frozen=True)
class Job:
    """One training run. `key` hashes `key_inputs`; `group_key` is the same hash without the seed."""

    name: str  # "<model-id>/<dataset>/seed-<n>": also the job's folder under the sweep's out
    key: str
    group_key: str
    model_id: str
    encoder: str  # as given (registered name, alias or package.module:factory)
    encoder_name: str
    dataset: str
    seed: int
    probe: str
    epochs: int | None
    max_train_rows: int | None
    holdout: str
    geobias: bool
    device: str
    threads: int
    data_root: str  # resolved on the coordinator (not in the key: moving the data reruns nothing)
    key_inputs: dict[str, Any] = field(compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def expand(spec: SweepSpec, *, hash_cache: Path | None = None) -> list[Job]:
    """Every job of the sweep in a stable order; raises (exit 2) on unknown names or missing data files."""
    from locbench.datasets import data_root
    from locbench.datasets.check import missing_files
    from locbench.evaluate import model_id_for, plan
    from locbench.probes import default_probe

    enc_specs, ds_specs = plan(list(spec.encoders), list(spec.datasets), spec.probe)
    root = data_root(spec.data_root)
    cache = FileHashCache(hash_cache)
    jobs: list[Job] = []
    for ds in ds_specs:
        missing = missing_files(ds, root)
        if missing:
            raise DataMissingError(f"dataset {ds.name}: {len(missing)} file(s) missing under {root}: "
                                   f"{', '.join(missing[:5])} (see `locbench datasets info {ds.name}`)",
                                   file=root / missing[0])
        files = dataset_files(ds, root, cache)
        probe = spec.probe or default_probe(ds.task_type, ds)
        for given, enc in zip(spec.encoders, enc_specs):
            for seed in spec.seeds:
                jobs.append(_job(spec, given, enc, ds, files, probe, seed, model_id_for(enc.name), str(root.resolve())))
    cache.save()
    return jobs


def _job(spec: SweepSpec, given: str, enc: Any, ds: Any, files: dict[str, str] | None, probe: str, seed: int,
         model_id: str, root: str) -> Job:
    """One job; `root` is the data root resolved here, so workers read the files whose hashes are in the key."""
    inputs = {
        "versions": versions(),
        "encoder": {"name": enc.name, "reference": given if ":" in given else None, "family": enc.family,
                    "hparams": enc.hparams(ds.name)},
        "dataset": {"name": ds.name, "version": ds.version, "files": files},
        "probe": {"name": probe, "epochs": spec.epochs, "max_train_rows": spec.max_train_rows,
                  "holdout": spec.holdout, "device": spec.device, "threads": spec.threads},
        "geobias": {"enabled": spec.geobias},
    }
    return Job(name=f"{model_id}/{ds.name}/seed-{seed}", key=digest({**inputs, "seed": seed}), group_key=digest(inputs),
               model_id=model_id, encoder=given, encoder_name=enc.name, dataset=ds.name, seed=seed, probe=probe,
               epochs=spec.epochs, max_train_rows=spec.max_train_rows, holdout=spec.holdout, geobias=spec.geobias,
               device=spec.device, threads=spec.threads, data_root=root,
               key_inputs={**inputs, "seed": seed})
