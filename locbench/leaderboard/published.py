"""The paper beside our number: TorchSpatial's published Table 1 / Table 3 values for imported results.

Data: `data/torchspatial_published.json`, derived by `tools/build_published_table.py` from the
transcribed tables (source named in the file). A published value is matched to a result of a
TorchSpatial import (model ids made by `locbench.importers.torchspatial.model_id_for`) on the
same dataset, and compared at the table's printed digits.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "torchspatial_published.json"


@dataclass(frozen=True)
class Published:
    """One published table cell."""

    encoder: str
    dataset: str
    metric: str
    value: float
    digits: int
    note: str | None  # set where the released per-sample file is not the published run

    def agrees(self, ours: float | None) -> bool | None:
        """Whether our value, rounded to the table's digits, equals the published one; None without ours."""
        if ours is None:
            return None
        return round(ours, self.digits) == round(self.value, self.digits)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("+", "-plus")).strip("-")


@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[tuple[str, str], Published], str]:
    from locbench.importers.torchspatial import model_id_for

    doc = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], Published] = {}
    for v in doc["values"]:
        p = Published(v["encoder"], v["dataset"], v["metric"], float(v["value"]), int(v["digits"]), v["note"])
        out[(_norm(model_id_for(p.encoder)), _norm(p.dataset))] = p
    return out, str(doc["source"])


def source() -> str:
    return _table()[1]


def published_for(model_id: str, dataset: str) -> Published | None:
    """The published value for this (imported model, dataset), or None."""
    return _table()[0].get((_norm(model_id), _norm(dataset)))
