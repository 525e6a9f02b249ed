"""locbench: one harness to evaluate location encoders and geo-foundation models, with Geo-Bias Scores."""

__version__ = "0.1.0"
