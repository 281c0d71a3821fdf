"""Crash's vectorised backtest scorer: the rules of `lottery.games.crash.score`, in numpy.

The crash predictors run in batch mode in a backtest (`BatchRunner`): each
chunk's predictions are computed at once and scored here. A test pins the
totals to predicting and scoring round by round through `Game.score`.
"""
from __future__ import annotations

import numpy as np

from lottery.evaluation.backtest import OneByOneScorer
from lottery.evaluation.scoring import MICRO, P_FLOOR, MarketTotals, streaks_of
from lottery.games.crash import REACH_MARKETS, STREAK_MARKET, STREAK_THRESHOLD, target_cents

_REACH = tuple(REACH_MARKETS.items())
_STREAK_CENTS = target_cents(STREAK_THRESHOLD)


def chunk_cents(outcomes) -> np.ndarray:
    """Return validated multipliers (two decimals) as whole cents."""
    return np.rint(np.asarray(outcomes, dtype=float) * 100).astype(np.int64)


def binary_scores(p: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return per-prediction (log loss, Brier) of probabilities p of events that hit or not."""
    p_actual = np.where(hit, p, 1 - p)
    return -np.log(np.maximum(p_actual, P_FLOOR)), (1 - p_actual) ** 2


class CrashScorer:
    """One predictor's predictions, scored in vectorised chunks (the rules of crash.score)."""

    def __init__(self, game):
        self.game = game
        self.pending: list = []
        self.scored = 0  # rounds scored so far (the batch predictors' chunk position)
        self.hits: dict[str, list[np.ndarray]] = {m: [] for m in game.market_names}
        self.sums: dict[str, list[int]] = {m: [0, 0, 0] for m in game.market_names}  # n, ll, br
        self._fallback: OneByOneScorer | None = None

    def score_pending(self, outcomes) -> None:
        """Score the pending predictions against their multipliers."""
        preds, self.pending = self.pending, []
        if not preds:
            return
        runner = preds[0]
        if not hasattr(runner, "predictor"):  # ordinary predictions: score them one by one
            self._fallback = self._fallback or OneByOneScorer(self.game)
            self._fallback.pending = preds
            self._fallback.score_pending(outcomes)
            return
        cents = chunk_cents(outcomes)
        batch = runner.predictor.compute(cents, self.scored)
        self.scored += len(cents)
        for i, (market, c) in enumerate(_REACH):
            p = batch.reach[:, i]
            if np.isnan(p[0]):
                continue  # the predictor makes no forecast in this market
            hit = cents >= c
            ll, br = binary_scores(p, hit)
            self._add(market, hit, ll, br)
        scored = ~np.isnan(batch.hazard)
        hit = (cents >= _STREAK_CENTS)[scored]
        hazard = batch.hazard[scored]
        ll, br = binary_scores(hazard, hit)
        empty = hazard < 0  # no mass left on the running streak: the floor, as crash.score
        ll[empty], br[empty] = -np.log(P_FLOOR), 1.0
        self._add(STREAK_MARKET, hit, ll, br)

    def _add(self, market: str, hit: np.ndarray, ll: np.ndarray, br: np.ndarray) -> None:
        self.hits[market].append(hit)
        acc = self.sums[market]
        acc[0] += int(hit.size)
        acc[1] += int(np.round(ll * MICRO).sum())
        acc[2] += int(np.round(br * MICRO).sum())

    def totals(self) -> dict[str, MarketTotals]:
        """Return the market totals of everything scored."""
        if self._fallback is not None:
            return self._fallback.totals()
        out = {}
        for market, parts in self.hits.items():
            x = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
            if not x.size:
                continue
            n, ll, br = self.sums[market]
            out[market] = MarketTotals(int(x.size), int(x.sum()), n, ll, br, streaks_of(x))
        return out
