"""The explicit registry: every dataset locbench knows, by unique name, in a fixed order."""

from __future__ import annotations

import functools

from locbench.datasets.spec import GROUPS, TASK_TYPES, DatasetSpec
from locbench.errors import suggest


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, DatasetSpec]:
    from locbench.datasets.catalog_gair import GAIR_TASKS, gair_specs
    from locbench.datasets.catalog_geobs import geobs_specs
    from locbench.datasets.catalog_locbench import locbench_specs
    from locbench.datasets.embedded import embedded_specs
    from locbench.datasets.embedded_segmentation import segmentation_specs
    from locbench.datasets.imagery_datasets import imagery_specs

    registry: dict[str, DatasetSpec] = {}
    for spec in [*locbench_specs(), *gair_specs(), *geobs_specs(), *embedded_specs(), *imagery_specs(),
                 *segmentation_specs()]:
        if spec.name in registry:
            raise RuntimeError(f"duplicate dataset name {spec.name!r} in the registry")
        if spec.loader is None:
            raise RuntimeError(f"dataset {spec.name!r} has no loader")
        if spec.group not in GROUPS or spec.task_type not in TASK_TYPES:
            raise RuntimeError(f"dataset {spec.name!r}: bad group {spec.group!r} or task type {spec.task_type!r}")
        registry[spec.name] = spec
    unknown = [d for t in GAIR_TASKS for d in t.datasets if d not in registry]
    if unknown:
        raise RuntimeError(f"GAIR tasks reference unregistered datasets {unknown}")
    return registry


def list_datasets(group: str | None = None) -> list[DatasetSpec]:
    """All specs in registry order, optionally of one group."""
    specs = list(_registry().values())
    if group is None:
        return specs
    if group not in GROUPS:
        raise suggest(group, GROUPS, "dataset group")
    return [s for s in specs if s.group == group]


def get_dataset(name: str) -> DatasetSpec:
    """The spec of `name` (case-insensitive: `iNat2018` is `inat2018`); NotFoundError with close matches on a typo."""
    from locbench.suggest import case_insensitive

    reg = _registry()
    if name not in reg:
        hit = case_insensitive(name, reg)
        if hit is None:
            raise suggest(name, tuple(reg), "dataset")
        return reg[hit]
    return reg[name]
