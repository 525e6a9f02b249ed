"""A coarse, bundled land-fraction grid for drawing world outlines offline.

Why: no Natural Earth polygons ship with our dependencies, and `global_land_mask`'s 1-km
grid is ~1 GB once decompressed, too heavy to load for every leaderboard build. We reduce it
once to the share of land in each 0.5° cell (uint8, 0–255) and bundle that as a ~40 KB
`.npz`; maps draw it as a light fill plus the 50 % contour (the coastline).

Regenerate with `python -m locbench.leaderboard.land` (needs `global_land_mask`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from locbench.errors import DataMissingError, InputError

STEP_DEG = 0.5
DATA_FILE = Path(__file__).with_name("data") / "land_fraction_0p5deg.npz"


@dataclass(frozen=True)
class LandGrid:
    """Share of land per cell; row 0 is the northernmost band, column 0 starts at lon −180."""

    fraction: np.ndarray  # float32 (n_lat, n_lon) in [0, 1]
    step: float

    @property
    def lat_centres(self) -> np.ndarray:
        return 90.0 - self.step * (np.arange(self.fraction.shape[0]) + 0.5)

    @property
    def lon_centres(self) -> np.ndarray:
        return -180.0 + self.step * (np.arange(self.fraction.shape[1]) + 0.5)

    def is_land(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Nearest-cell lookup (land share ≥ 0.5); a cheap check for tests and map masks."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        n_lat, n_lon = self.fraction.shape
        r = np.clip(((90.0 - lat) / self.step).astype(int), 0, n_lat - 1)
        c = np.clip(((lon + 180.0) / self.step).astype(int), 0, n_lon - 1)
        return self.fraction[r, c] >= 0.5


def reduce_mask(mask: np.ndarray, factor: int) -> np.ndarray:
    """Block-average a boolean grid by `factor` in both axes, row band by row band (bounded memory)."""
    n_lat, n_lon = mask.shape
    if n_lat % factor or n_lon % factor:
        raise InputError(f"mask shape {mask.shape} is not divisible by {factor}")
    out = np.empty((n_lat // factor, n_lon // factor), dtype=np.float32)
    for i in range(n_lat // factor):
        band = mask[i * factor:(i + 1) * factor]
        out[i] = band.reshape(factor, n_lon // factor, factor).mean(axis=(0, 2), dtype=np.float64)
    return out


def build_from_global_land_mask(step: float = STEP_DEG) -> LandGrid:
    """Reduce `global_land_mask`'s 1/120° grid (north-up, lon from −180) to `step` degrees."""
    from global_land_mask import globe

    ocean = globe._mask  # (21600, 43200) bool, True = ocean; row 0 = lat 90, col 0 = lon −180
    per_deg = round(1.0 / float(globe._lat[0] - globe._lat[1]))
    factor = round(step * per_deg)
    return LandGrid(1.0 - reduce_mask(ocean, factor), step)


def save(grid: LandGrid, path: Path = DATA_FILE) -> Path:
    import io

    from locbench import atomic

    buf = io.BytesIO()
    q = np.round(grid.fraction * 255).astype(np.uint8)
    np.savez_compressed(buf, fraction=q, step=np.float64(grid.step))
    return atomic.write_bytes(path, buf.getvalue())


@lru_cache(maxsize=1)
def load(path: Path = DATA_FILE) -> LandGrid:
    """The bundled grid (cached: maps for every model reuse it)."""
    if not Path(path).exists():
        raise DataMissingError("bundled land grid missing; rebuild with `python -m locbench.leaderboard.land`",
                               file=path)
    with np.load(path) as f:
        frac = f["fraction"].astype(np.float32) / 255.0
        step = float(f["step"])
    return LandGrid(frac, step)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    out = save(build_from_global_land_mask())
    print(f"wrote {out} ({out.stat().st_size} bytes)")
