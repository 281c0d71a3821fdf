"""Monte Carlo studies of crash cash-out strategies on fair simulated rounds.

Each round draws a uniform U in [0, 1) (`Generator.random`, 53 random bits,
into a reused buffer) and is the bustabit v2 round with r = floor(U x 2^52),
i.e. X = max(1, floor(99 / (1 - r / 2^52)) / 100) (`crash.cents_from_r`).
X is never materialised: "X reaches m" is exactly r >= `reach_threshold(m)`,
which for a whole-number threshold T is U >= T / 2^52 (exact in float64), one
comparison per round. S sessions x R rounds are drawn in blocks of about
CHUNK_CELLS rounds, so memory stays bounded whatever S x R is. A fixed target
or a ladder (martingale, Paroli, custom, the martingale script) keeps one bit
per round and settles several blocks at once, a word of rounds per table
lookup (`lottery.sim.words`); the others (d'Alembert, Fibonacci, the streak
chaser) settle each block with `engine.run_paths`, round by round. Both give
the same figures to the last unit.

The answer reports the probability of ruin, profit and final-wallet
quantiles, the measured return per unit staked with its 95% and 99% intervals
next to the exact value (0.99), and the statement that no strategy changes it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from lottery.games import Game
from lottery.games.crash import TWO52
from lottery.sim import engine, montecarlo, words
from lottery.sim.crash_strategies import (NO_EDGE, STRATEGY_FIELDS, CashoutStrategy,
                                          parse_strategy, reach_threshold)
from lottery.sim.params import parse_limits, reject_unknown, require_object
from lottery.sim.strategies import SCALE, Workspace

CHUNK_CELLS = montecarlo.CHUNK_CELLS
STUDY_FIELDS = (*STRATEGY_FIELDS, "initial_wallet", "stop_loss", "take_profit", "sessions",
                "rounds", "seed")


@dataclass(frozen=True)
class CrashStudy:
    """What to simulate: one cash-out strategy, S sessions x R fair rounds."""

    game: Game
    strategy: CashoutStrategy
    limits: engine.Limits
    sessions: int
    rounds: int
    seed: int

    @property
    def cells(self) -> int:
        return self.sessions * self.rounds

    def expected_return(self) -> float:
        """Return the exact payback per unit staked at the strategy's target."""
        return self.strategy.expected_return()

    def to_dict(self) -> dict:
        """Return the study's parameters as shown in answers."""
        return {**self.strategy.to_dict(self.limits.base_bet), **montecarlo.size_fields(self)}


def parse_study(game: Game, body, max_bets: int = montecarlo.DEFAULT_MAX_BETS) -> CrashStudy:
    """Return a validated crash study from an API body or CLI options, or raise SimInputError."""
    body = require_object(body)
    reject_unknown(body, STUDY_FIELDS)
    strategy, base_bet = parse_strategy(body)
    limits = parse_limits(body, strategy.progression, base_bet)
    return CrashStudy(game, strategy, limits, *montecarlo.parse_size(body, max_bets, "rounds"))


def draw_uniforms(rng: np.random.Generator, shape: tuple[int, int],
                  work: Workspace | None = None) -> np.ndarray:
    """Return uniforms U in [0, 1) of a block of rounds (a reused buffer: no page faults)."""
    out = (work or Workspace()).get("uniforms", shape, np.float64)
    return rng.random(out=out)


def uniform_threshold(cents: int) -> float:
    """Return the U from which a round reaches `cents`: r = floor(U x 2^52) >= reach_threshold."""
    return reach_threshold(cents) / TWO52  # exact: a whole number below 2^53, over a power of 2


def run(study: CrashStudy, progress: Callable[[int], None] | None = None) -> dict:
    """Run the study and return its summary; `progress(n)` is told of each block of n rounds."""
    started = time.perf_counter()
    rng = np.random.default_rng(study.seed)
    strategy = study.strategy
    reach = uniform_threshold(strategy.target)
    under = uniform_threshold(strategy.wait_under) if strategy.needs_below else None
    tables = strategy.word_tables()
    per_block = max(1, CHUNK_CELLS // study.rounds)
    n = study.sessions
    final, wagered, drawdown = np.empty(n), np.empty(n), np.empty(n)
    played = np.empty(n, dtype=np.int64)
    bets = np.empty(n, dtype=np.int64)
    reason = np.empty(n, dtype=np.int8)
    work = Workspace()
    if tables:
        groups = words.settle_sessions(n, study.rounds, per_block,
                                       lambda shape: _block(rng, shape, reach, None, work)[0],
                                       tables, study.limits, work, progress)
        settled = ((block, res, res.rounds) for block, res in groups)
    else:
        settled = _settle_blocks(study, rng, reach, under, per_block, work, progress)
    for block, res, placed in settled:
        final[block], wagered[block], drawdown[block] = res.final, res.wagered, res.drawdown
        played[block], reason[block], bets[block] = res.rounds, res.reason, placed
    elapsed = time.perf_counter() - started
    out = montecarlo.summarise(study, final, wagered, drawdown, played, reason, elapsed)
    return {**out, **crash_figures(study.expected_return(), out, final - study.limits.bankroll,
                                   int(played.sum()), int(bets.sum()), elapsed)}


def _settle_blocks(study, rng, reach, under, per_block, work, progress):
    """Yield (sessions, outcomes, bets placed) block by block, settled round by round."""
    for first in range(0, study.sessions, per_block):
        shape = (min(per_block, study.sessions - first), study.rounds)
        reached, below = _block(rng, shape, reach, under, work)
        res, placed = settle_block(study.strategy, study.limits, reached, below, work)
        if progress:
            progress(shape[0] * shape[1])
        yield slice(first, first + shape[0]), res, placed


def _block(rng, shape, reach, under, work):
    """Draw a block of rounds; return (reached the target, crashed below wait_under or None)."""
    u = draw_uniforms(rng, shape, work)
    reached = np.greater_equal(u, reach, out=work.get("reached", shape, bool))
    below = None if under is None else np.less(u, under, out=work.get("below", shape, bool))
    return reached, below


def settle_block(strategy: CashoutStrategy, limits: engine.Limits, reached: np.ndarray,
                 below: np.ndarray | None, work: Workspace) -> tuple[engine.PathResult, np.ndarray]:
    """Return (the sessions' outcomes, bets placed per session) of a block of rounds."""
    tables = strategy.word_tables()
    if tables:
        res = words.run_wins(words.pack(reached), reached.shape[1], tables, limits, work)
        return res, res.rounds
    # Progressions are told which rounds were won rather than working it out.
    gain, stakes = strategy.block(reached, below, work)
    res = engine.run_paths(gain, strategy.progression, limits, work=work, stakes=stakes,
                           won=reached)
    if stakes is None:
        return res, res.rounds
    # run_paths zeroes the stakes after a stop: what is left are the bets placed, each
    # one base bet (SCALE) — a sum runs several times faster than count_nonzero.
    return res, stakes.sum(axis=1) // SCALE


def crash_figures(expected: float, summary: dict, profit: np.ndarray, rounds: int, bets: int,
                  elapsed: float) -> dict:
    """Return what a crash result adds: rounds and bets apart, profit quantiles, the honesty check."""
    ret = summary["return_per_unit"]
    ci99 = ret.get("ci99")
    return {
        "rounds_simulated": rounds,
        "bets_settled": bets,  # a streak chaser sits most rounds out
        "rounds_per_second": round(rounds / elapsed) if elapsed > 0 else None,
        "bets_per_second": round(bets / elapsed) if elapsed > 0 else None,
        "profit": {"mean": engine.money(profit.mean()), "min": engine.money(profit.min()),
                   "max": engine.money(profit.max()),
                   "quantiles": montecarlo._quantiles(profit)},
        "honesty": honesty(expected, ret.get("realised"), ci99),
        "disclaimer": f"{montecarlo.DISCLAIMER} {NO_EDGE}",
    }


def honesty(expected: float, realised: float | None, ci99: list | None) -> dict:
    """Return the honest statement with the measured return per unit next to the exact one."""
    return {"expected_return_per_unit": round(expected, 6), "measured": realised,
            "ci99": ci99,
            "agrees_within_ci99": None if ci99 is None else ci99[0] <= expected <= ci99[1],
            "no_strategy_changes_it": True, "statement": NO_EDGE}


# -- the simulator's job hooks (lottery.sim.jobs) ----------------------------------------
def validate(game: Game, body, settings) -> dict:
    """Check a study body (SimInputError when unusable); return the body to queue."""
    parse_study(game, body, settings.simulator_mc_max_bets)
    return body


def execute(r, settings, game: Game, body) -> dict:
    """Run a queued study."""
    return run(parse_study(game, body, settings.simulator_mc_max_bets))

