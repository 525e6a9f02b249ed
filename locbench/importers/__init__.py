"""Converters from other benchmarks' per-sample outputs to locbench submission folders."""
