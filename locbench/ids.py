"""Ids that name folders and files (model ids, dataset names), and the one rule that makes model ids.

Every model id, whether we trained the model (`locbench evaluate`) or imported someone's
published predictions (`locbench import`), is `<source>-<slug of the model's own name>`:
`locbench-sphere2vec-spherec-plus`, `torchspatial-sphere2vec-spherec-plus`, `geobs-satmae-linear`.
"""

from __future__ import annotations

import os
import re

from locbench.errors import InputError

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
MAX_ID_LENGTH = 80


def slug(name: str) -> str:
    """Lowercase; '+' spelled 'plus' (so sphereC+ and sphereC stay distinct); other chars outside [a-z0-9._-] -> '-'."""
    return re.sub(r"[^a-z0-9._-]", "-", name.lower().replace("+", "-plus"))


def model_id(source: str, name: str) -> str:
    """The one model-id rule: `<source>-<slug(name)>` (checked to be a safe id)."""
    return check_id(f"{slug(source)}-{slug(name)}")


def id_problems(value: str, *, kind: str = "model id", max_length: int = MAX_ID_LENGTH) -> list[str]:
    """Why `value` is not a safe id (used as a folder name): empty list when it is fine."""
    out: list[str] = []
    if not isinstance(value, str) or not value:
        return [f"{kind} must be a non-empty string"]
    if len(value) > max_length:
        out.append(f"{kind} is {len(value)} characters long; at most {max_length} allowed")
    if "/" in value or "\\" in value or os.sep in value:
        out.append(f"{kind} {value!r} contains a path separator")
    if ".." in value:
        out.append(f"{kind} {value!r} contains '..' (path traversal)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        out.append(f"{kind} {value!r} contains control characters")
    if not out and not ID_PATTERN.match(value):
        out.append(f"{kind} {value!r} must start with a letter or digit and use only letters, digits, '.', '_', '+', '-'")
    return out


def check_id(value: str, *, kind: str = "model id") -> str:
    """Raise InputError when `value` cannot safely name a folder or file."""
    problems = id_problems(value, kind=kind)
    if problems:
        raise InputError("; ".join(problems))
    return value
