"""Named SSI rule sets: which code state of the reference a score reproduces, or our corrected one.

A preset is data, not code, so every choice is recorded in the report and can be compared
point by point (docs/geobias.md lists the differences and why).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from georbias.errors import GeoBiasInputError


@dataclass(frozen=True)
class SSIPreset:
    """How SSI turns the Moran statistic into a surprisal, and how values become marks."""

    name: str
    probability: str  # "pdf": normal density (table era); "two_sided": 2 * Phi(min(I, 2mu - I))
    sigma_offset: float  # added to sqrt(var): 0 (table era), 1.0 (PyGBS HEAD)
    degree_follows_k: bool  # False: the reference hard-codes degree 4 in mu and sigma
    marks: str  # "raw": presence keeps its value (0 == background); "shifted": presence in [1, 2], background 0
    nan_if_degenerate: bool  # var <= 0 -> NaN instead of whatever the formula gives
    sri_offered: bool  # PyGBS HEAD SRI is defective and not offered
    description: str
    # SSI weight-graph ties: "first" (presence before background, then ROI order; the reference's
    # BallTree order only with reference_ties) or "shared" (all neighbours tied at the k-th
    # distance share the remaining weight, so nothing depends on row order)
    tie_rule: str = "first"

    def degree(self, weight_k: int) -> int:
        return int(weight_k) if self.degree_follows_k else 4

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS: dict[str, SSIPreset] = {
    "torchspatial": SSIPreset(
        name="torchspatial", probability="pdf", sigma_offset=0.0, degree_follows_k=False, marks="raw",
        nan_if_degenerate=False, sri_offered=True,
        description="Code state that produced the published GBS tables (GeoBS 2808927): "
                    "SSI = -ln(pdf(I; mu, sigma) + 1e-256), sigma = sqrt(var), degree 4 hard-coded, raw values.",
    ),
    "pygbs": SSIPreset(
        name="pygbs", probability="two_sided", sigma_offset=1.0, degree_follows_k=False, marks="raw",
        nan_if_degenerate=False, sri_offered=False,
        description="PyGBS HEAD 0e202f6: SSI = -ln(2 Phi(min(I, 2mu - I); mu, sqrt(var) + 1) + 1e-256). "
                    "Its SRI is defective and is not offered.",
    ),
    "locbench": SSIPreset(
        name="locbench", probability="two_sided", sigma_offset=0.0, degree_follows_k=True, marks="shifted",
        nan_if_degenerate=True, sri_offered=True,
        description="locbench corrected SSI: two-sided tail probability, sigma = sqrt(var), degree = k, "
                    "presence marks 1 + (v - min) / (max - min) so no sample looks like background, "
                    "NaN when the variance is degenerate; neighbours tied at the k-th distance share the weight.",
        tie_rule="shared",
    ),
}


def get_preset(name: str) -> SSIPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise GeoBiasInputError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
