"""The geo-bias settings and their defaults, declared once.

`georbias.score`'s keyword defaults, the `locbench geobias` CLI options and the result files'
geo-bias block all read `DEFAULTS`; tests check the CLI against it. The defaults are the
published TorchSpatial table settings (docs/geobias.md).
"""

from __future__ import annotations

from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0  # the sphere 'km' radii and distances are measured on


@dataclass(frozen=True)
class GeoBiasConfig:
    """Every tunable geo-bias setting, with its published-table default."""

    preset: str = "torchspatial"     # SSI rule set (georbias.presets)
    radius: float = 0.05             # ROI radius, in radius_unit (0.05 rad ~ 319 km)
    radius_unit: str = "rad"         # "rad" (great-circle angle) or "km"
    roi_k: int = 100                 # SSI ROI cap K: the K nearest within the radius
    weight_k: int = 4                # k of the k-NN weight graph (SSI and autocorrelation)
    scale: float = 0.025             # SRI scale-grid cell size (radians)
    lag: float = 0.005               # SRI distance-lag ring width (radians)
    sectors: int = 8                 # SRI direction sectors
    partition_min: int = 20          # SRI: partitions under this many points are skipped
    permutations: int = 99           # permutations of the Moran / LISA inference
    seed: int = 0                    # seed of the permutation tests
    reference_ties: bool = False     # torchspatial/pygbs: tie ROIs through the reference's own calls
    coords_unit: str = "deg"         # lon/lat in "deg" or "rad"


DEFAULTS = GeoBiasConfig()
# The default radius in radians, for the engines that take radius_rad (DEFAULTS.radius_unit is "rad").
DEFAULT_RADIUS_RAD = DEFAULTS.radius
