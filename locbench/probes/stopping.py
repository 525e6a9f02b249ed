"""Early stopping on a validation loss: one rule for every probe that trains (encoders and frozen heads).

After each epoch the probe measures its loss on validation rows carved from train (never the
reported split). An epoch *improves* when its validation loss is below the best so far by more than
`min_delta` (relative); the weights of the last improving epoch are kept; training stops once
`patience` epochs in a row did not improve, and the kept weights are restored.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stopper:
    """Tracks the best validation loss, its epoch (0-based) and the modules' weights at that epoch."""

    patience: int
    min_delta: float
    best: float = math.inf
    best_epoch: int = -1
    states: list[dict[str, Any]] = field(default_factory=list)

    def improves(self, loss: float) -> bool:
        return self.best_epoch < 0 or loss < self.best - self.min_delta * abs(self.best)

    def update(self, epoch: int, loss: float, modules: Sequence[Any] = ()) -> bool:
        """Record epoch `epoch`'s validation loss; True when training should stop now."""
        if self.improves(loss):
            self.best, self.best_epoch = float(loss), epoch
            self.states = [copy.deepcopy(m.state_dict()) for m in modules]
            return False
        return epoch - self.best_epoch >= self.patience

    def restore(self, modules: Sequence[Any]) -> None:
        """Load the kept weights back into `modules` (the same modules, in the same order)."""
        for module, state in zip(modules, self.states):
            module.load_state_dict(state)


def relative_change(losses: Sequence[float]) -> float | None:
    """|L_last - L_prev| / |L_prev| of a loss curve (None with fewer than two epochs)."""
    if len(losses) < 2:
        return None
    return abs(losses[-1] - losses[-2]) / max(abs(losses[-2]), 1e-12)
