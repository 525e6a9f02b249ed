"""Shared pytest fixtures: paths to ../shared (optional) and the project root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LOCBENCH_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (specs, conformance cases, TorchSpatial reference results); skip when absent."""
    if not (SHARED / "conformance").is_dir():
        pytest.skip(f"../shared not found at {SHARED} (set LOCBENCH_SHARED); reference-data test skipped")
    return SHARED


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture()
def no_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root, so LocBench datasets are 'not on disk' whatever the machine has."""
    d = tmp_path / "no-data"
    d.mkdir()
    monkeypatch.setenv("LOCBENCH_DATA", str(d))
    return d
