"""The bad-submissions generator (tests/data/bad_submissions/generate.py), loaded once for every test module.

It is a script (run by hand to write the corpus) rather than a package module, so tests load it from
its path; it is registered in sys.modules because its dataclasses look their module up there.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

GENERATOR_PATH = Path(__file__).parent / "data" / "bad_submissions" / "generate.py"


def _load() -> ModuleType:
    name = "bad_submissions_generate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


GEN = _load()
