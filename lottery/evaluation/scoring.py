"""Totals of scored predictions: counts, log-loss and Brier sums, and win/loss streaks.

The game decides what a hit is (`Game.score`); this is how hits add up, the
same for the live recorder, the backtest and the scoreboard (SPEC 5). Log-loss
and Brier sums are kept as integers in micro-units so the Redis counters add
exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from lottery.games.base import MICRO, P_FLOOR

__all__ = ["MICRO", "P_FLOOR", "MarketTotals", "Streaks", "streaks_of"]


@dataclass
class Streaks:
    """Win/loss streaks of a sequence of outcomes (win = hit)."""

    current_kind: str | None = None  # "win", "loss" or None before any outcome
    current: int = 0
    longest_win: int = 0
    longest_loss: int = 0
    win_distribution: dict[int, int] = field(default_factory=dict)  # completed streaks
    loss_distribution: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the streaks as the scoreboard shows them."""
        return {"current_kind": self.current_kind, "current": self.current,
                "longest_win": self.longest_win, "longest_loss": self.longest_loss}


def streaks_of(outcomes: Sequence[bool] | np.ndarray) -> Streaks:
    """Return the streaks of a sequence of outcomes, oldest first (vectorised)."""
    x = np.asarray(outcomes, dtype=bool)
    if x.size == 0:
        return Streaks()
    change = np.flatnonzero(x[1:] != x[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [x.size])))
    kinds = x[starts]
    wins, losses = lengths[kinds], lengths[~kinds]
    # Every streak but the current (last) one is complete.
    done_w, done_l = lengths[:-1][kinds[:-1]], lengths[:-1][~kinds[:-1]]
    return Streaks(
        current_kind="win" if kinds[-1] else "loss", current=int(lengths[-1]),
        longest_win=int(wins.max()) if wins.size else 0,
        longest_loss=int(losses.max()) if losses.size else 0,
        win_distribution=_histogram(done_w), loss_distribution=_histogram(done_l))


def _histogram(lengths: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(lengths, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


@dataclass
class MarketTotals:
    """Counters of one (predictor, market): n, hits, probabilistic sums, streaks."""

    n: int = 0
    hits: int = 0
    prob_n: int = 0  # predictions that carried a probability
    ll: int = 0  # log-loss sum, micro-units
    brier: int = 0  # Brier sum, micro-units
    streaks: Streaks = field(default_factory=Streaks)

    def minus(self, base: "MarketTotals") -> "MarketTotals":
        """Return the counts accumulated since the `base` snapshot (streaks kept)."""
        return MarketTotals(self.n - base.n, self.hits - base.hits, self.prob_n - base.prob_n,
                            self.ll - base.ll, self.brier - base.brier, self.streaks)

