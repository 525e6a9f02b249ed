"""`EncoderSpec`: one registered location encoder, described well enough to build and document it.

A spec is data plus a builder, so the registry, the CLI (`encoders info`) and the probes all read
the same facts: family, PE dimension formula, defaults, TorchSpatial presets and our deviations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from locbench.errors import InputError
from locbench.training import SCHEDULE_KEYS

# builder(hparams, *, seed, train_lonlat) -> nn.Module | None
Builder = Callable[..., Any]

#: Training keys a preset may carry; `build` ignores them (the probe reads them into its `TrainingConfig`).
TRAINING_KEYS = SCHEDULE_KEYS


@dataclass(frozen=True, eq=False)  # identity equality/hash: defaults are dicts
class EncoderSpec:
    """A location encoder: `(N, 2)` lon/lat degrees -> `(N, output_dim)` via `build(...)`.

    `pe_dim_fn(hparams)` gives the position-encoding width for fully merged hyper-parameters;
    call `pe_dim(hparams)` which merges the defaults first. `presets` maps dataset name ->
    overrides (TorchSpatial table B2); `preset(name)` returns defaults + overrides.
    """

    name: str
    family: str  # "2D" | "3D" | "baseline" | "pretrained" | "plugin"
    pe_dim_fn: Callable[[Mapping[str, Any]], int]
    builder: Builder
    defaults: Mapping[str, Any] = field(default_factory=dict)
    citation: str = ""
    trainable: bool = True
    needs_train_locations: bool = False
    description: str = ""
    deviations: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    licence: str = ""                 # plugins: the model's licence for its card ("" = not stated)
    authors: tuple[str, ...] = ()     # plugins: author names for its card (empty = not stated)

    # -- hyper-parameters -------------------------------------------------------------
    def hparams(self, preset: str | None = None, **overrides: Any) -> dict[str, Any]:
        """Defaults, then the dataset preset (if any), then explicit overrides."""
        merged = dict(self.preset(preset)) if preset else dict(self.defaults)
        unknown = [k for k in overrides if k not in merged and k not in TRAINING_KEYS]
        if unknown:
            raise InputError(
                f"encoder {self.name!r} has no hyper-parameter(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(self.defaults))}", column=unknown[0])
        merged.update(overrides)
        return merged

    def pe_dim(self, hparams: Mapping[str, Any] | None = None) -> int:
        """Position-encoding width for these hyper-parameters (defaults fill the gaps)."""
        merged = dict(self.defaults)
        merged.update(hparams or {})
        return int(self.pe_dim_fn(merged))

    def preset(self, dataset_name: str) -> dict[str, Any]:
        """Defaults overlaid with the TorchSpatial hyper-parameters for `dataset_name`.

        Unknown datasets get the defaults (which include `lr`, `batch_size`, `epochs`), so
        every dataset has a usable configuration; `preset_names()` lists the tuned ones.
        """
        merged = dict(self.defaults)
        merged.update(self.presets.get(dataset_name, {}))
        return merged

    def preset_names(self) -> list[str]:
        return sorted(self.presets)

    # -- construction -----------------------------------------------------------------
    def build(self, seed: int = 0, preset: str | None = None, train_lonlat: Any = None,
              **hparams: Any):
        """Build the torch module (or None for `no_prior`). Seeded: same seed -> same weights."""
        merged = self.hparams(preset, **hparams)
        model_hp = {k: v for k, v in merged.items() if k not in TRAINING_KEYS}
        return self.builder(model_hp, seed=int(seed), train_lonlat=train_lonlat)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (used by `locbench encoders info --json`)."""
        try:
            pe = self.pe_dim()
        except Exception:  # a plugin's formula may need hparams it has no defaults for
            pe = None
        return {
            "name": self.name, "family": self.family, "pe_dim": pe,
            "output_dim": self.defaults.get("output_dim"),
            "trainable": self.trainable, "needs_train_locations": self.needs_train_locations,
            "citation": self.citation, "licence": self.licence, "authors": list(self.authors),
            "description": self.description,
            "deviations": list(self.deviations), "aliases": list(self.aliases),
            "defaults": dict(self.defaults),
            "presets": {k: dict(v) for k, v in sorted(self.presets.items())},
        }
