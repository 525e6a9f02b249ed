"""The model card: one `ModelMeta` type for `evaluate`, `import` and `submit` (submission.json).

The card's JSON Schema (`submissions/schema/submission.schema.json`) is generated from the
dataclass fields' metadata, so the type, the validator and the published schema are one
definition (a test keeps the file equal to `SUBMISSION_SCHEMA`). `check_card` interprets the
subset of JSON Schema used here, so no jsonschema dependency is needed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from locbench.errors import ProblemList
from locbench.ids import ID_PATTERN, MAX_ID_LENGTH, id_problems

CARD_FILE = "submission.json"
ENCODER_FAMILIES = ("2D", "3D", "baseline", "pretrained", "plugin", "other")
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_URL = {"type": ["string", "null"], "maxLength": 500, "pattern": r"^https?://[^\s]+$"}


def _prop(schema: dict[str, Any], description: str, label: str) -> dict[str, Any]:
    """A card field's JSON Schema (with its description) and the label pages show it under."""
    return {"schema": {**schema, "description": description}, "label": label}


@dataclass(frozen=True, kw_only=True)
class ModelMeta:
    """Who made a model, under which licence, and how its predictions were produced."""

    model_id: str = field(metadata=_prop(
        {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH, "pattern": ID_PATTERN.pattern},
        "Folder name and leaderboard key; letters, digits, '.', '_', '+', '-'; no '..'.", "Model id"))
    name: str = field(metadata=_prop(_TEXT, "Display name on the leaderboard.", "Name"))
    authors: tuple[str, ...] = field(metadata=_prop(
        {"type": "array", "minItems": 1, "maxItems": 100, "items": _TEXT}, "Author names, in citation order.", "Authors"))
    paper_url: str | None = field(default=None, metadata=_prop(
        _URL, "Paper (arXiv, DOI or publisher page); null if none.", "Paper"))
    code_url: str | None = field(default=None, metadata=_prop(_URL, "Code repository; null if none.", "Code"))
    licence: str = field(metadata=_prop({**_TEXT, "maxLength": 100},
                                        "Licence of the model/predictions (SPDX id preferred).", "Licence"))
    encoder_family: str = field(metadata=_prop({"type": "string", "enum": list(ENCODER_FAMILIES)},
                                               "2D, 3D, baseline (no location), pretrained (GeoFM), plugin, other.",
                                               "Encoder family"))
    n_parameters: int | None = field(default=None, metadata=_prop(
        {"type": ["integer", "null"], "minimum": 0}, "Trainable parameters of the location model; null if unknown.",
        "Parameters"))
    pretraining_data: str | None = field(default=None, metadata=_prop(
        {"type": ["string", "null"], "maxLength": 500}, "Data the model was pre-trained on; null if none.",
        "Pretraining data"))
    contact: str | None = field(default=None, metadata=_prop(
        {"type": ["string", "null"], "maxLength": 200}, "E-mail or handle for questions about the entry.", "Contact"))
    date: str = field(metadata=_prop({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                                     "Date the predictions were produced (YYYY-MM-DD).", "Date"))
    description: str = field(metadata=_prop({"type": "string", "maxLength": 5000, "x-allow-newlines": True},
                                            "What the model is and how the predictions were produced.",
                                            "Description"))
    weights_sha256: str | None = field(default=None, metadata=_prop(
        {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        "sha256 of the pretrained weights file the predictions were made with; left out if none.", "Weights sha256"))

    def __post_init__(self) -> None:
        problems = check_card(self.to_dict(), file=f"<model card {self.model_id!r}>")
        problems.raise_if_any(f"model card {self.model_id!r} is invalid")

    def to_dict(self) -> dict[str, Any]:
        """The submission.json object (every field, null where unknown; `weights_sha256` only when set)."""
        out = asdict(self)
        out["authors"] = list(self.authors)
        if out["weights_sha256"] is None:  # only pretrained encoders have one; older cards stay byte-identical
            del out["weights_sha256"]
        return out

    @classmethod
    def from_dict(cls, card: Any, *, file: str | Path = CARD_FILE, folder_name: str | None = None) -> ModelMeta:
        """Validate a parsed card (ValidationError listing every problem) and build the type."""
        check_card(card, file=str(file), folder_name=folder_name).raise_if_any(f"{file}: model card is invalid")
        return cls(**{**card, "authors": tuple(card["authors"])})

    @classmethod
    def read(cls, path: str | Path, *, folder_name: str | None = None) -> ModelMeta:
        """Read and validate a submission.json."""
        problems = ProblemList()
        card = read_card(Path(path), problems)
        problems.raise_if_any(f"{path}: model card is unreadable")
        return cls.from_dict(card, file=path, folder_name=folder_name)


def _schema() -> dict[str, Any]:
    props = {f.name: dict(f.metadata["schema"]) for f in fields(ModelMeta)}
    required = [f.name for f in fields(ModelMeta) if f.default is not None]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "locbench submission model card (submissions/<model-id>/submission.json)",
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": props,
    }


SUBMISSION_SCHEMA: dict[str, Any] = _schema()


# --------------------------------------------------------------------------- validation

#: What a card field's pattern means, in the user's terms (the regex stays in the JSON Schema).
PATTERN_HINTS = {
    "date": "use YYYY-MM-DD, e.g. 2024-05-31",
    "paper_url": "use a web address starting with http:// or https:// (no spaces), or null",
    "code_url": "use a web address starting with http:// or https:// (no spaces), or null",
    "model_id": "start with a letter or digit and use only letters, digits, '.', '_', '+', '-'",
}


def _type_ok(value: Any, types: str | list[str]) -> bool:
    checks = {"string": lambda v: isinstance(v, str), "null": lambda v: v is None,
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "array": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict)}
    names = [types] if isinstance(types, str) else types
    return any(checks[t](value) for t in names)


def _check_text(value: str, schema: dict[str, Any], where: str, file: str, problems: ProblemList) -> None:
    if len(value) < schema.get("minLength", 0):
        problems.add("must not be empty", file=file, column=where)
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.add(f"is {len(value)} characters long; at most {schema['maxLength']} allowed", file=file, column=where)
    allowed = "\n\t" if schema.get("x-allow-newlines") else ""
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in value):
        problems.add("contains control characters", file=file, column=where)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        problems.add("contains unpaired surrogates (not valid UTF-8)", file=file, column=where)
    if "pattern" in schema and not re.search(schema["pattern"], value):
        hint = PATTERN_HINTS.get(where, "does not have the expected form")
        problems.add(f"{value[:60]!r}: {hint}", file=file, column=where)
    if "enum" in schema and value not in schema["enum"]:
        problems.add(f"{value!r} is not one of {', '.join(schema['enum'])}", file=file, column=where)


def _check_value(value: Any, schema: dict[str, Any], where: str, file: str, problems: ProblemList) -> None:
    if "type" in schema and not _type_ok(value, schema["type"]):
        want = schema["type"] if isinstance(schema["type"], str) else " or ".join(schema["type"])
        problems.add(f"must be {want}, got {type(value).__name__}", file=file, column=where)
        return
    if isinstance(value, str):
        _check_text(value, schema, where, file, problems)
    if isinstance(value, int) and not isinstance(value, bool) and "minimum" in schema and value < schema["minimum"]:
        problems.add(f"must be >= {schema['minimum']}", file=file, column=where)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.add(f"needs at least {schema['minItems']} item(s)", file=file, column=where)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.add(f"has more than {schema['maxItems']} items", file=file, column=where)
        for i, item in enumerate(value):
            _check_value(item, schema.get("items", {}), f"{where}[{i}]", file, problems)


def card_labels() -> dict[str, str]:
    """Each card field's display label (declared with the field)."""
    return {f.name: f.metadata["label"] for f in fields(ModelMeta)}


def check_card(card: Any, *, file: str = CARD_FILE, folder_name: str | None = None,
               problems: ProblemList | None = None) -> ProblemList:
    """Every problem of a model card against SUBMISSION_SCHEMA (plus id safety and folder name)."""
    import difflib

    problems = problems if problems is not None else ProblemList()
    if not isinstance(card, dict):
        problems.add("the model card must be a JSON object", file=file)
        return problems
    props = SUBMISSION_SCHEMA["properties"]
    for key in SUBMISSION_SCHEMA["required"]:
        if key not in card:
            problems.add("missing required field", file=file, column=key)
    for key in card:
        if key not in props:
            close = difflib.get_close_matches(str(key), list(props), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(f"unknown field{hint} (allowed: {', '.join(props)})", file=file, column=str(key))
    for key, schema in props.items():
        if key in card:
            _check_value(card[key], schema, key, file, problems)
    mid = card.get("model_id")
    if isinstance(mid, str):
        for msg in id_problems(mid):
            if "path separator" in msg or "'..'" in msg:  # the schema covers length, characters, pattern
                problems.add(msg, file=file, column="model_id")
        if folder_name is not None and mid != folder_name:
            problems.add(f"model_id {mid!r} must equal the submission folder name {folder_name!r}", file=file,
                         column="model_id")
    return problems


def read_card(path: Path, problems: ProblemList) -> Any:
    """Parse submission.json (strict UTF-8, JSON); record problems instead of raising (None on failure)."""
    if not path.is_file():
        problems.add(f"missing model card {CARD_FILE} (see submissions/README.md)", file=path)
        return None
    raw = path.read_bytes()
    if not raw.strip():
        problems.add("empty file (0 bytes)" if not raw else "empty file (only whitespace)", file=path)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=path)
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(f"not valid JSON: {exc.msg}", file=path, row=exc.lineno - 1)
        return None
