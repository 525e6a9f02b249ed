"""The leaderboard's policy: every rule that produces a claim (families, ranks and ties, highlights,
least geo-biased, integrity flags), computed once into `Verdicts` that pages and verdicts.json read."""

from locbench.leaderboard.policy.verdicts import RULES, SCHEMA, Verdicts, compute

__all__ = ["RULES", "SCHEMA", "Verdicts", "compute"]
