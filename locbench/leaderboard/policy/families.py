"""Task families: which datasets may be ranked together (issue 20.1).

Why from the dataset spec: a family is a fact of the dataset (its group, task type and, for GAIR, the
input modality), so a renamed or regrouped dataset (GAIR's remote-sensing sets moving to `geobs`) lands
in the right family without a list of names here. Datasets this install does not register fall back
to the group and task type their rows carry.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP_LABELS = {"locbench": "LocBench", "gair": "GAIR", "geobs": "GeoBS", "embedded": "Embedded",
                "sustainbench": "SustainBench"}
# Groups whose datasets split by task type / by input modality (first word of `modality`).
SPLIT_BY_TASK = ("locbench", "gair", "geobs", "sustainbench")
SPLIT_BY_MODALITY = ("gair",)
GROUP_ORDER = ("locbench", "geobs", "gair", "sustainbench", "embedded")


@dataclass(frozen=True)
class Family:
    """One task family: key (stable id), label (what pages say), sort key."""

    key: str
    label: str
    order: tuple[int, str]


def _modality_kind(modality: str) -> str:
    return (modality or "").split(" ")[0].split(",")[0].strip().lower() or "other"


def family_for(group: str | None, task_type: str | None, modality: str | None = None) -> Family:
    """The family of a dataset with this group, task type and modality."""
    g = group or "other"
    parts, words = [g], [GROUP_LABELS.get(g, g.title())]
    if g in SPLIT_BY_MODALITY and modality:
        kind = _modality_kind(modality)
        parts.append(kind)
        words.append(kind.replace("-", " "))
    if g in SPLIT_BY_TASK and task_type:
        parts.append(task_type)
        words.append(task_type)
    order = GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER)
    return Family("-".join(parts), " ".join(words), (order, "-".join(parts)))


def family_of_dataset(name: str, group: str | None = None, task_type: str | None = None) -> Family:
    """A dataset's family from the registry's spec; the row's group/task type when it is not registered."""
    from locbench.datasets import get_dataset
    from locbench.errors import NotFoundError

    try:
        spec = get_dataset(name)
    except NotFoundError:
        return family_for(group, task_type)
    return family_for(spec.group, spec.task_type, spec.modality)
