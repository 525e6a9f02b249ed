"""TorchSpatial per-dataset hyper-parameters, read from the shipped table `data/torchspatial_presets.csv`.

One row per (encoder, dataset) of TorchSpatial's published runs, each naming its source: the
checkpoint file name under TorchSpatial's `pre_trained_models/` (97 runs; `stored_params = yes`
where the checkpoint's own `params` dict could be read, 19 runs), or the run scripts for spherical
harmonics (no checkpoint). `tests/test_encoders_presets.py` checks every row against those sources.

A row holds only the settings TorchSpatial's code reads for that encoder
(`torchspatial_runs.USED_SETTINGS`); an empty cell means "our encoder default". Conventions:
* values are the digits the file name prints (e.g. lr 0.00018903, r_min 0.0979282), or the stored
  params where they exist (exact floats); nothing is rounded further;
* `extent` (TorchSpatial's `map_range`, read by rff only) comes from stored params: the fMoW rff run
  used the North-America default box, the YFCC one the globe; elsewhere it is unknown and ours
  (global) applies;
* epochs are not in the names: stored `num_epochs` where recorded (NeRF fMoW / YFCC: 30), else 30
  for the bird datasets and 100 for the others (log line counts); SH: 20 (run scripts).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE_FILE = Path(__file__).with_name("data") / "torchspatial_presets.csv"
DATASETS = ("birdsnap", "birdsnap-ebird", "nabirds-ebird", "inat2017", "inat2018", "yfcc", "fmow")

_INT = ("batch_size", "epochs", "frequency_num", "num_hidden_layers", "hidden_dim", "num_rbf_anchor_pts")
_FLOAT = ("lr", "min_radius", "max_radius", "rbf_kernel_size")
#: The setting columns of the table, in its order (then source, stored_params, epochs_source).
SETTING_COLUMNS = ("lr", "batch_size", "epochs", "frequency_num", "min_radius", "max_radius",
                   "num_hidden_layers", "hidden_dim", "activation", "num_rbf_anchor_pts",
                   "rbf_kernel_size", "extent")


@dataclass(frozen=True)
class PresetRow:
    """One published run's settings in our hyper-parameter names, with where they come from."""

    encoder: str
    dataset: str
    settings: dict[str, Any]
    source: str  # checkpoint file name, or the run scripts
    stored_params: bool  # the checkpoint's stored params confirmed / completed the name
    epochs_source: str


def _cell(column: str, text: str, where: str) -> Any:
    try:
        if column in _INT:
            return int(text)
        if column in _FLOAT:
            return float(text)
        if column == "extent":
            values = [float(v) for v in text.split()]
            if len(values) != 4:
                raise ValueError("need 4 numbers")
            return values
    except ValueError as exc:
        raise ValueError(f"{where}, column {column!r}: cannot read {text!r} ({exc})") from exc
    return text


@lru_cache(maxsize=1)
def preset_rows() -> tuple[PresetRow, ...]:
    """Every row of the shipped table, typed (a broken table is a packaging bug: ValueError)."""
    rows = []
    with TABLE_FILE.open(newline="", encoding="utf-8") as fh:
        for i, raw in enumerate(csv.DictReader(fh)):
            where = f"{TABLE_FILE.name} row {i}"
            settings = {c: _cell(c, raw[c], where) for c in SETTING_COLUMNS if raw[c] != ""}
            rows.append(PresetRow(raw["encoder"], raw["dataset"], settings, raw["source"],
                                  raw["stored_params"] == "yes", raw["epochs_source"]))
    return tuple(rows)


def presets_for(encoder: str) -> dict[str, dict[str, Any]]:
    """Dataset -> overrides for `encoder` (empty when the table has no row for it)."""
    return {r.dataset: dict(r.settings) for r in preset_rows() if r.encoder == encoder}


def preset_source(encoder: str, dataset: str) -> PresetRow | None:
    """The table row behind `encoder`'s preset for `dataset`, or None."""
    return next((r for r in preset_rows() if r.encoder == encoder and r.dataset == dataset), None)
