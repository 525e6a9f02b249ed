"""georbias: Geo-Bias Scores (SSI, SRI, spatial autocorrelation) of per-sample performance.

Standalone: it knows nothing of datasets, encoders or files. See docs/geobias.md.
"""

__version__ = "0.1.0"
