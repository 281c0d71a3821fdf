"""Walk-forward replay of a game's predictors over past outcomes (the backtest).

Each prediction is made from earlier draws only (predict, then feed the
outcome), by the same predictor classes the worker runs, and scored by the same
rules as the live recorder (`Game.score`, or the family's vectorised scorer).
Predictors are independent, so with jobs=2 they are split over two processes.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Callable, Sequence

from lottery.evaluation.scoring import MarketTotals, streaks_of
from lottery.games import Game

DEFAULT_JOBS = min(2, os.cpu_count() or 1)
CHUNK = 4096  # predictions kept per predictor before they are scored (bounded memory)


class OneByOneScorer:
    """Scores each prediction through `Game.score` (for families without a vectorised scorer)."""

    def __init__(self, game: Game):
        self.game = game
        self.pending: list = []
        self.flags: dict[str, list[bool]] = {m: [] for m in game.market_names}
        self.prob: dict[str, list[int]] = {m: [0, 0, 0] for m in game.market_names}  # n, ll, br

    def score_pending(self, outcomes) -> None:
        """Score the pending predictions against their outcomes."""
        preds, self.pending = self.pending, []
        for pred, outcome in zip(preds, outcomes):
            body = pred.to_dict() if hasattr(pred, "to_dict") else pred
            for market, (hit, ll, br) in self.game.score(body, outcome).items():
                self.flags[market].append(bool(hit))
                if ll is not None:
                    acc = self.prob[market]
                    acc[0] += 1
                    acc[1] += ll
                    acc[2] += br or 0

    def totals(self) -> dict[str, MarketTotals]:
        """Return the market totals of everything scored."""
        out = {}
        for market, flags in self.flags.items():
            if not flags:
                continue
            pn, ll, br = self.prob[market]
            out[market] = MarketTotals(len(flags), sum(flags), pn, ll, br, streaks_of(flags))
        return out


def replay(game: Game, outcomes: Sequence, names: Sequence[str] | None = None, seed: int = 0,
           progress: Callable | None = None, *,
           one_by_one: bool = False) -> dict[str, dict[str, MarketTotals]]:
    """Walk forward over `outcomes` (oldest first); return totals per predictor and market.

    `one_by_one`: predict and score every draw through `Game.score` with private
    predictors, the reference a family's vectorised scorer is pinned to.
    """
    # Every predictor predicts before any is fed the outcome: no look-ahead, and
    # the ensemble can share its members' work (same results as private copies).
    predictors = game.predictors().build(seed=seed, names=names, share_members=not one_by_one)
    scorer = OneByOneScorer if one_by_one else (game.backtest_scorer() or OneByOneScorer)
    collectors = [scorer(game) for _ in predictors]
    pairs = list(zip(predictors, collectors))
    digits = list(outcomes)
    start = 0
    # The loop allocates millions of short-lived objects and creates no cycles:
    # the cyclic GC would only rescan the pending predictions (~20% of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i, d in enumerate(progress(digits) if progress else digits):
            for p, c in pairs:
                c.pending.append(p.predict())
            for p in predictors:
                p.update(d)
            if i + 1 - start == CHUNK or i + 1 == len(digits):
                chunk = digits[start:i + 1]
                for c in collectors:
                    c.score_pending(chunk)
                start = i + 1
    finally:
        if gc_was_enabled:
            gc.enable()
    return {p.name: c.totals() for p, c in pairs}


def split(names: Sequence[str], jobs: int, costs=None) -> list[list[str]]:
    """Split predictor names into `jobs` groups of similar cost (greedy, costliest first)."""
    costs = costs or {}
    groups: list[list[str]] = [[] for _ in range(max(1, jobs))]
    loads = [0] * len(groups)
    for name in sorted(names, key=lambda n: -costs.get(n, 10)):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += costs.get(name, 10)
    return [g for g in groups if g]


def _replay_group(args) -> dict:
    game_code, digits, names, seed = args
    from lottery.games import get_game

    return replay(get_game(game_code), digits, names, seed)


def backtest(game: Game, outcomes: Sequence, names: Sequence[str] | None = None, seed: int = 0,
             jobs: int = 1, progress: Callable | None = None) -> dict[str, dict[str, MarketTotals]]:
    """Replay every (or the named) predictor over `outcomes`, split over `jobs` processes."""
    names = list(names or game.predictors().names)
    groups = split(names, jobs, game.predictors().costs)
    if len(groups) == 1:
        return replay(game, outcomes, groups[0], seed, progress)
    digits = list(outcomes)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with ctx.Pool(len(groups) - 1) as pool:
        # The other groups run in child processes while this one shows the progress.
        pending = pool.map_async(_replay_group,
                                 [(game.code, digits, g, seed) for g in groups[1:]])
        out = replay(game, digits, groups[0], seed, progress)
        for part in pending.get():
            out.update(part)
    return {n: out[n] for n in names}
