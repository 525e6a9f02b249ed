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
from locbench.errors import InputError, NotFoundError, did_you_mean, suggest

ENTRY_POINT_GROUP = "locbench.encoders"


def _builtins() -> dict[str, EncoderSpec]:
    from locbench.encoders.gair import GAIR_SPEC
    from locbench.encoders.geoclip import GEOCLIP_SPEC
    from locbench.encoders.registry import BUILTIN

    return {**BUILTIN, GEOCLIP_SPEC.name: GEOCLIP_SPEC, GAIR_SPEC.name: GAIR_SPEC}


def _aliases() -> dict[str, str]:
    return {a: s.name for s in _builtins().values() for a in s.aliases}


DOCS = "docs/encoders.md (section 'Your own encoder')"
SIGNATURE = ("def make_encoder() -> EncoderSpec, whose builder(hparams, *, seed, train_lonlat) returns an "
             "nn.Module with an `output_dim` attribute")


def _as_spec(obj: Any, where: str) -> EncoderSpec:
    """Turn a plugin object (spec, factory, or a factory/class giving a bare nn.Module) into an EncoderSpec."""
    if isinstance(obj, EncoderSpec):
        return obj
    if _is_module(obj):
        raise InputError(f"{where} is an nn.Module instance; pass a factory that returns one (or an EncoderSpec) "
                         f"so each run can build fresh, seeded weights. Expected: {SIGNATURE}; see {DOCS}")
    if callable(obj):
        try:
            made = obj()
        except Exception as exc:  # a third-party factory failing is an input problem
            raise InputError(f"encoder factory {where} raised {type(exc).__name__}: {exc}. It is called with no "
                             f"arguments: {SIGNATURE}; see {DOCS}") from exc
        if isinstance(made, EncoderSpec):
            return made
        if _is_module(made):
            return module_spec(obj, made, where)
        raise InputError(f"encoder factory {where} returned {type(made).__name__}, expected an EncoderSpec "
                         f"(or an nn.Module). Expected: {SIGNATURE}; see {DOCS}")
    raise InputError(f"{where} is {type(obj).__name__}; expected an EncoderSpec or a callable returning one. "
                     f"Expected: {SIGNATURE}; see {DOCS}")


def _is_module(obj: Any) -> bool:
    try:
        from torch import nn
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(obj, nn.Module)


def module_spec(factory: Any, sample: Any, where: str) -> EncoderSpec:
    """An EncoderSpec around a factory that returns a bare nn.Module: each build calls the factory under a
    seeded torch RNG (so seeds still decide the weights); `output_dim` is read from the module, or measured
    on two points. Licence, authors and citation come from module attributes `licence`/`authors`/`citation`."""
    dim = _output_dim(sample, where)
    name = str(getattr(sample, "name", "") or type(sample).__name__)

    def builder(hp: Any, *, seed: int, train_lonlat: Any = None) -> Any:
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            module = factory()
        if not hasattr(module, "output_dim"):
            module.output_dim = dim
        return module

    return EncoderSpec(name=name, family="plugin", pe_dim_fn=lambda h: dim, builder=builder,
                       defaults={"output_dim": dim},
                       citation=str(getattr(sample, "citation", "") or ""),
                       licence=str(getattr(sample, "licence", "") or ""),
                       authors=tuple(getattr(sample, "authors", ()) or ()),
                       description=f"A plugin nn.Module ({type(sample).__name__}) from {where}.")


def _output_dim(module: Any, where: str) -> int:
    """`module.output_dim`, or the width of its output on two (lon, lat) points."""
    dim = getattr(module, "output_dim", None)
    if isinstance(dim, int) and dim > 0:
        return dim
    import torch

    try:
        with torch.no_grad():
            out = module.eval()(torch.tensor([[2.35, 48.85], [-74.0, 40.7]]))
        module.train()
        return int(out.shape[-1]) if out.ndim == 2 and out.shape[0] == 2 else -1
    except Exception as exc:  # noqa: BLE001 - any failure means the module is not a location encoder
        raise InputError(f"{where}: the module has no `output_dim` and fails on an (N, 2) lon/lat tensor "
                         f"({type(exc).__name__}: {exc}). Expected: {SIGNATURE}; see {DOCS}") from exc


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


def is_builtin(name: str) -> bool:
    """A locbench encoder (zoo, baseline, GeoCLIP), as opposed to a plugin: decides the `locbench-` id namespace."""
    return name in _builtins()


REFERENCE_FORMS = "'package.module:factory' (importable) or 'path/to/file.py:factory'"


def load_reference(ref: str) -> EncoderSpec:
    """`package.module:attr` or `path/to/file.py:attr` -> EncoderSpec (attr may be dotted; a factory is called)."""
    module_name, _, attr = ref.rpartition(":") if ".py:" in ref else ref.partition(":")
    if not module_name or not attr:
        raise InputError(f"encoder reference {ref!r} must look like {REFERENCE_FORMS}")
    if module_name.endswith(".py") or "/" in module_name or "\\" in module_name:
        obj: Any = _module_from_file(module_name, ref)
    else:
        try:
            obj = importlib.import_module(module_name)
        except ImportError as exc:
            raise NotFoundError(f"cannot import module {module_name!r} for encoder {ref!r}: {exc}. Use "
                                f"{REFERENCE_FORMS}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise NotFoundError(f"module {module_name!r} has no attribute {attr!r} (encoder {ref!r})."
                                f"{did_you_mean(part, names)}")
        obj = getattr(obj, part)
    return _as_spec(obj, f"encoder reference {ref!r}")


def _module_from_file(path_text: str, ref: str) -> Any:
    """Load a .py file by path (importlib.util.spec_from_file_location), with its folder importable meanwhile."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(path_text).expanduser()
    if path.suffix != ".py" or not path.is_file():
        why = "is not a .py file" if path.suffix != ".py" else "not found"
        raise NotFoundError(f"encoder reference {ref!r}: {path} {why}; use {REFERENCE_FORMS}")
    name = f"locbench_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always get a loader
        raise NotFoundError(f"encoder reference {ref!r}: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - a broken plugin file is an input problem
        sys.modules.pop(name, None)
        raise InputError(f"encoder file {path} failed to load: {type(exc).__name__}: {exc}", file=path) from exc
    finally:
        if str(path.resolve().parent) in sys.path:
            sys.path.remove(str(path.resolve().parent))
    return module


def resolve_encoder(name_or_ref: str | EncoderSpec) -> EncoderSpec:
    """What `--encoder` accepts: a spec, a registered name/alias, or `package.module:factory`."""
    if isinstance(name_or_ref, EncoderSpec):
        return name_or_ref
    ref = str(name_or_ref).strip()
    if (":" in ref or ref.endswith(".py")) and not ref.startswith(("http:", "https:")):
        return load_reference(ref)
    return get_encoder(ref)
