"""Look-up of encoders: built-ins, GeoCLIP, entry-point plugins and `module:factory` references.

Plugin contract (documented in docs/encoders.md): a distribution declares

    [project.entry-points."locbench.encoders"]
    my-encoder = "my_pkg.module:factory"

where the object is an `EncoderSpec` or a zero-argument callable returning one. The spec's
`name` is the public name (the entry-point name is accepted as an alias). Built-in names win
over plugins with the same name.
"""

from __future__ import annotations

import importlib
import warnings
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from locbench.encoders.spec import EncoderSpec
from locbench.errors import InputError, NotFoundError, suggest

ENTRY_POINT_GROUP = "locbench.encoders"


def _builtins() -> dict[str, EncoderSpec]:
    from locbench.encoders.geoclip import GEOCLIP_SPEC
    from locbench.encoders.registry import BUILTIN

    return {**BUILTIN, GEOCLIP_SPEC.name: GEOCLIP_SPEC}


def _aliases() -> dict[str, str]:
    return {a: s.name for s in _builtins().values() for a in s.aliases}


def _as_spec(obj: Any, where: str) -> EncoderSpec:
    """Turn a plugin object (spec or factory) into an EncoderSpec, or say what is wrong."""
    if isinstance(obj, EncoderSpec):
        return obj
    if callable(obj):
        try:
            made = obj()
        except Exception as exc:  # a third-party factory failing is an input problem
            raise InputError(f"encoder factory {where} raised {type(exc).__name__}: {exc}") from exc
        if isinstance(made, EncoderSpec):
            return made
        raise InputError(f"encoder factory {where} returned {type(made).__name__}, expected EncoderSpec")
    raise InputError(f"{where} is {type(obj).__name__}; expected an EncoderSpec or a callable returning one")


@lru_cache(maxsize=1)
def _plugins() -> tuple[dict[str, EncoderSpec], dict[str, str]]:
    """Load every `locbench.encoders` entry point once; broken plugins warn and are skipped."""
    specs: dict[str, EncoderSpec] = {}
    aliases: dict[str, str] = {}
    builtin = _builtins()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name!r} ({ep.value})"
        try:
            spec = _as_spec(ep.load(), where)
        except Exception as exc:  # noqa: BLE001 - one bad plugin must not hide the others
            warnings.warn(f"skipping encoder plugin {where}: {exc}", RuntimeWarning, stacklevel=2)
            continue
        if spec.name in builtin:
            warnings.warn(f"encoder plugin {where} reuses built-in name {spec.name!r}; the built-in wins",
                          RuntimeWarning, stacklevel=2)
            continue
        specs[spec.name] = spec
        for a in (ep.name, *spec.aliases):
            if a != spec.name:
                aliases.setdefault(a, spec.name)
    return specs, aliases


def reload_plugins() -> None:
    """Forget cached plugins (after installing one in a running process)."""
    _plugins.cache_clear()


def list_encoders(include_plugins: bool = True) -> list[EncoderSpec]:
    """Every registered spec: built-ins in table order, then GeoCLIP, then plugins by name."""
    out = list(_builtins().values())
    if include_plugins:
        out += [s for _, s in sorted(_plugins()[0].items())]
    return out


def get_encoder(name: str) -> EncoderSpec:
    """Spec by name or alias (case-insensitive fallback); NotFoundError with suggestions."""
    builtin = _builtins()
    if name in builtin:
        return builtin[name]
    aliases = _aliases()
    if name in aliases:
        return builtin[aliases[name]]
    plugins, plugin_aliases = _plugins()
    if name in plugins:
        return plugins[name]
    if name in plugin_aliases:
        return plugins[plugin_aliases[name]]
    every = {**{k: k for k in builtin}, **aliases, **{k: k for k in plugins}, **plugin_aliases}
    lowered = {k.lower(): v for k, v in every.items()}
    if name.lower() in lowered:
        return get_encoder(lowered[name.lower()])
    raise suggest(name, list(builtin) + list(plugins), "encoder")


def load_reference(ref: str) -> EncoderSpec:
    """`package.module:attr` -> EncoderSpec (attr may be dotted; a factory is called)."""
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise InputError(f"encoder reference {ref!r} must look like 'package.module:factory'")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise NotFoundError(f"cannot import module {module_name!r} for encoder {ref!r}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise NotFoundError(f"module {module_name!r} has no attribute {attr!r} (encoder {ref!r})")
        obj = getattr(obj, part)
    return _as_spec(obj, f"encoder reference {ref!r}")


def resolve_encoder(name_or_ref: str | EncoderSpec) -> EncoderSpec:
    """What `--encoder` accepts: a spec, a registered name/alias, or `package.module:factory`."""
    if isinstance(name_or_ref, EncoderSpec):
        return name_or_ref
    ref = str(name_or_ref).strip()
    if ":" in ref and not ref.startswith(("http:", "https:")):
        return load_reference(ref)
    return get_encoder(ref)
