"""Where datasets live on disk: `--data-root` > `LOCBENCH_DATA` > `~/.locbench/data`."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "LOCBENCH_DATA"
DEFAULT_ROOT = Path("~/.locbench/data")


def data_root(override: str | Path | None = None) -> Path:
    """Resolve the data root; the explicit argument wins over the environment, then the default."""
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return DEFAULT_ROOT.expanduser()
