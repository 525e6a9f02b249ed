"""Errors raised on purpose by georbias (standalone: it imports nothing from locbench)."""

from __future__ import annotations


class GeoBiasInputError(ValueError):
    """Bad input to a Geo-Bias Score: out-of-range coordinates, non-numeric values, too few points, unknown preset."""


class GeoBiasWarning(UserWarning):
    """Input that is scored but probably not what the user meant (radian coordinates, saturated ROIs,
    constant values). Each one is also kept as text in `GeoBiasReport.warnings`."""


def warn_all(messages: list[str]) -> list[str]:
    """Issue each message as a GeoBiasWarning (stacklevel: the caller of georbias.score); return them."""
    import warnings

    for msg in messages:
        warnings.warn(msg, GeoBiasWarning, stacklevel=3)
    return messages
