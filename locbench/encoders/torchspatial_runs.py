"""TorchSpatial's published runs: parse a checkpoint file name or a stored `params` dict.

The 97 files under TorchSpatial's `pre_trained_models/` encode each run's settings in the name:

    model_{dataset}[_{meta}]_{encoder}_[inception_v3_]{lr}_{S}_{r_min}[_{r_max}]_{h}_{H}
        [_BATCH{batch}][_{M}_{σ} (rbf) | _{σ} (rff)][_{activation}].pth.tar

(no `_BATCH` part means batch 1024, no activation part means relu). 19 of those checkpoints also
store their `params` dict, whose keys are TorchSpatial's argument names. Both are turned into our
hyper-parameter names here, so the preset table (`presets.py`) can be checked against them.

`USED_SETTINGS` says which settings TorchSpatial's code actually reads for each encoder (spec §B):
a name always carries lr, S, r_min, h and H, but e.g. NeRF never forwards S (always 16 octaves),
wrap's FCNet has no hidden width or activation, and sphereM+ / dfs ignore r_min. Only the used
settings are presets; the others were inert in the published run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from locbench.errors import InputError

#: TorchSpatial `--dataset[_meta_type]` as it appears in a file name -> locbench dataset name.
DATASETS = {
    "birdsnap_orig_meta": "birdsnap", "birdsnap_ebird_meta": "birdsnap-ebird",
    "nabirds_ebird_meta": "nabirds-ebird", "inat_2017": "inat2017", "inat_2018": "inat2018",
    "yfcc": "yfcc", "fmow": "fmow",
}
#: TorchSpatial `--spa_enc_type` -> locbench encoder name (only tile_ffn is renamed).
ENCODERS = {
    "tile_ffn": "tile", "wrap_ffn": "wrap_ffn", "wrap": "wrap", "rbf": "rbf", "rff": "rff",
    "Space2Vec-grid": "Space2Vec-grid", "Space2Vec-theory": "Space2Vec-theory", "xyz": "xyz",
    "NeRF": "NeRF", "Sphere2Vec-sphereC+": "Sphere2Vec-sphereC+", "Sphere2Vec-sphereC": "Sphere2Vec-sphereC",
    "Sphere2Vec-sphereM+": "Sphere2Vec-sphereM+", "Sphere2Vec-sphereM": "Sphere2Vec-sphereM",
    "Sphere2Vec-dfs": "Sphere2Vec-dfs",
}
NAME_ACTIVATIONS = ("leakyrelu", "sigmoid", "tanh", "gelu", "relu")

_TRAIN = ("lr", "batch_size")
_FFN = ("num_hidden_layers", "hidden_dim", "activation")
_SCALES = ("frequency_num", "min_radius", "max_radius")
#: Settings TorchSpatial's code reads per encoder (the rest of a file name is inert for it).
USED_SETTINGS: dict[str, tuple[str, ...]] = {
    "tile": _TRAIN + _FFN,  # min_radius never reaches the grid: one cell (spec §B row 1)
    "wrap": _TRAIN,  # FCNet: fixed width 256, ReLU; no FFN settings
    "wrap_ffn": _TRAIN + _FFN,
    "rbf": _TRAIN + _FFN + ("num_rbf_anchor_pts", "rbf_kernel_size"),
    "rff": _TRAIN + _FFN + ("frequency_num", "rbf_kernel_size", "extent"),  # extent = map_range
    "Space2Vec-grid": _TRAIN + _FFN + _SCALES,
    "Space2Vec-theory": _TRAIN + _FFN + _SCALES,
    "xyz": _TRAIN + _FFN,
    "NeRF": _TRAIN + _FFN,  # frequency_num is not forwarded: always L = 16
    "Sphere2Vec-sphereC": _TRAIN + _FFN + _SCALES,
    "Sphere2Vec-sphereC+": _TRAIN + _FFN + _SCALES,
    "Sphere2Vec-sphereM": _TRAIN + _FFN + _SCALES,
    "Sphere2Vec-sphereM+": _TRAIN + _FFN + ("frequency_num", "max_radius"),  # max-only list: no r_min
    "Sphere2Vec-dfs": _TRAIN + _FFN + ("frequency_num", "max_radius"),
}
#: Stored `params` key -> our key, for the settings every network shares.
STORED_KEYS = {
    "lr": "lr", "batch_size": "batch_size", "num_epochs": "epochs", "frequency_num": "frequency_num",
    "min_radius": "min_radius", "max_radius": "max_radius", "num_hidden_layer": "num_hidden_layers",
    "hidden_dim": "hidden_dim", "spa_f_act": "activation", "num_rbf_anchor_pts": "num_rbf_anchor_pts",
    "rbf_kernel_size": "rbf_kernel_size", "map_range": "extent", "num_filts": "output_dim",
    "dropout": "dropout", "use_layn": "layernorm", "skip_connection": "skip_connection",
}


@dataclass(frozen=True)
class PublishedRun:
    """The settings one checkpoint file name states, in our hyper-parameter names.

    `decimals[key]` is how many decimals the name printed for a float setting, so a value can be
    compared at the name's own precision (TorchSpatial prints r_min with 7 decimals: 2.57e-6 is
    written 0.0000026).
    """

    checkpoint: str
    dataset: str
    encoder: str
    settings: dict[str, Any]
    decimals: dict[str, int] = field(default_factory=dict)

    def used(self) -> dict[str, Any]:
        """Only the settings TorchSpatial's code reads for this encoder."""
        keep = USED_SETTINGS[self.encoder]
        return {k: v for k, v in self.settings.items() if k in keep}

    def agrees(self, key: str, value: Any) -> bool:
        """`value` equals this run's `key` at the precision the name printed it."""
        want = self.settings[key]
        if key not in self.decimals:
            return value == want
        return abs(float(value) - float(want)) <= 0.5 * 10.0 ** -self.decimals[key] * (1 + 1e-9)


def _split_prefix(rest: str, table: Mapping[str, str], what: str, name: str) -> tuple[str, str]:
    for key in sorted(table, key=len, reverse=True):  # longest first: wrap_ffn before wrap
        if rest.startswith(key + "_"):
            return table[key], rest[len(key) + 1:]
    raise InputError(f"checkpoint name {name!r}: unknown {what} at {rest!r}")


def _number(token: str, name: str) -> tuple[float, int]:
    if not re.fullmatch(r"\d+(\.\d+)?", token):
        raise InputError(f"checkpoint name {name!r}: expected a number, got {token!r}")
    decimals = len(token.split(".")[1]) if "." in token else 0
    return float(token), decimals


def parse_checkpoint_name(name: str) -> PublishedRun:
    """`model_..._.pth.tar` -> PublishedRun (InputError naming the part it cannot read)."""
    if not (name.startswith("model_") and name.endswith(".pth.tar")):
        raise InputError(f"checkpoint name {name!r} must look like model_<...>.pth.tar")
    dataset, rest = _split_prefix(name[len("model_"):-len(".pth.tar")], DATASETS, "dataset", name)
    encoder, rest = _split_prefix(rest, ENCODERS, "encoder", name)
    rest = rest.removeprefix("inception_v3_")
    tokens = rest.split("_")
    settings: dict[str, Any] = {"batch_size": 1024, "activation": "relu"}
    if tokens[-1] in NAME_ACTIVATIONS:
        settings["activation"] = tokens.pop()
    batch = [t for t in tokens if t.startswith("BATCH")]
    if batch:
        settings["batch_size"] = int(batch[0][len("BATCH"):])
        tokens.remove(batch[0])
    nums = [_number(t, name) for t in tokens]
    # r_max is printed with decimals, h never: a 4th number with a '.' is r_max
    keys = ["lr", "frequency_num", "min_radius"] + (["max_radius"] if len(nums) > 3 and nums[3][1] else [])
    keys += ["num_hidden_layers", "hidden_dim"]
    keys += {"rbf": ["num_rbf_anchor_pts", "rbf_kernel_size"], "rff": ["rbf_kernel_size"]}.get(encoder, [])
    if len(nums) != len(keys):
        raise InputError(f"checkpoint name {name!r}: {len(nums)} numbers for {encoder}, expected {len(keys)} "
                         f"({', '.join(keys)})")
    decimals: dict[str, int] = {}
    for key, (value, dec) in zip(keys, nums):
        if dec:
            settings[key], decimals[key] = value, dec
        else:
            settings[key] = int(value)
    return PublishedRun(name, dataset, encoder, settings, decimals)


def stored_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint's stored `params` dict in our key names; `num_epochs` 0 (not recorded) is left out."""
    out = {ours: params[theirs] for theirs, ours in STORED_KEYS.items() if theirs in params}
    if out.get("epochs") == 0:
        del out["epochs"]
    if "extent" in out:
        out["extent"] = [float(v) for v in out["extent"]]
    return out
