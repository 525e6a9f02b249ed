"""Errors raised on purpose by georbias (standalone: it imports nothing from locbench)."""

from __future__ import annotations


class GeoBiasInputError(ValueError):
    """Bad input to a Geo-Bias Score: out-of-range coordinates, non-numeric values, too few points, unknown preset."""
