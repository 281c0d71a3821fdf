"""Monte Carlo studies of a staking strategy on a game's fair random draws.

S sessions of R rounds are drawn in blocks of about CHUNK_CELLS outcomes
(`numpy.random.Generator.integers` over the game's outcomes, uint8) and
settled by `engine.run_paths` with whole-array operations, or, for a bet that
is either won at one payout or lost (Big, Small, a number, Violet) staked flat
or on a ladder, a word of rounds at a time (`lottery.sim.words`), the same
figures faster; memory stays bounded by the block size plus a few numbers per
session, whatever S x R is.
"""
from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from lottery.evaluation.stats import wilson_interval
from lottery.games import Game
from lottery.sim import engine, words
from lottery.sim.params import (get_number, parse_limits, parse_staking, reject_unknown,
                                require_object)
from lottery.sim.strategies import SCALE, Progression, SimInputError, Workspace, normalise_bet

CHUNK_CELLS = 1 << 16  # outcomes per block: the working set stays in the CPU cache
MAX_ROUNDS = 100_000  # rounds per session
MAX_SESSIONS = 1_000_000  # about 33 bytes are kept per session
DEFAULT_MAX_BETS = 20_000_000  # sessions x rounds accepted by the API (SIMULATOR_MC_MAX_BETS)
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
STUDY_FIELDS = ("target", "progression", "multipliers", "base_bet", "initial_wallet",
                "stop_loss", "take_profit", "sessions", "rounds", "seed")
DISCLAIMER = ("Paper money on simulated fair draws. No staking system changes the expected "
              "return per unit staked; progressions only reshape the risk.")


@dataclass(frozen=True)
class Study:
    """What to simulate: one fixed bet of a game, a staking progression, S sessions x R rounds."""

    game: Game
    target: str
    progression: Progression
    limits: engine.Limits
    sessions: int
    rounds: int
    seed: int

    @property
    def cells(self) -> int:
        return self.sessions * self.rounds

    def expected_return(self) -> float:
        """Return the analytic amount returned per unit staked of the study's bet."""
        return engine.expected_return(self.game, self.target)

    def to_dict(self) -> dict:
        """Return the study's parameters as shown in answers."""
        return {"target": self.target, **self.progression.to_dict(),
                "base_bet": self.limits.base_bet, **size_fields(self)}


def size_fields(study) -> dict:
    """Return a study's wallet, limits, size and seed as shown in answers."""
    limits = study.limits
    return {"initial_wallet": limits.bankroll, "stop_loss": limits.stop_loss,
            "take_profit": limits.take_profit, "sessions": study.sessions,
            "rounds": study.rounds, "seed": study.seed}


def parse_study(game: Game, body, max_bets: int = DEFAULT_MAX_BETS) -> Study:
    """Return a validated Study of a game from an API body or CLI options (or SimInputError)."""
    body = require_object(body)
    reject_unknown(body, STUDY_FIELDS)
    engine.payout_table(game)  # a game without a finite table of outcomes cannot be studied
    target = normalise_bet(game, body.get("target", game.default_bet))
    progression, base_bet = parse_staking(body)
    limits = parse_limits(body, progression, base_bet)
    return Study(game, target, progression, limits, *parse_size(body, max_bets, "bets"))


def parse_size(body: dict, max_bets: int, unit: str) -> tuple[int, int, int]:
    """Return a study's (sessions, rounds, seed) from a body, or raise SimInputError."""
    sessions = get_number(body, "sessions", 1000, minimum=1, maximum=min(max_bets, MAX_SESSIONS),
                          integer=True)
    rounds = get_number(body, "rounds", 100, minimum=1, maximum=MAX_ROUNDS, integer=True)
    if sessions * rounds > max_bets:
        raise SimInputError(f"sessions x rounds = {sessions * rounds:,} is over the limit of "
                            f"{max_bets:,} simulated {unit} per study")
    seed = get_number(body, "seed", None, minimum=0, maximum=2**63 - 1, integer=True,
                      nullable=True)
    if seed is None:
        seed = secrets.randbits(63)  # reported, so any study can be re-run exactly
    return sessions, rounds, seed


def run(study: Study, progress: Callable[[int], None] | None = None) -> dict:
    """Run the study and return its summary; `progress(n)` is told of each block of n bets."""
    started = time.perf_counter()
    rng = np.random.default_rng(study.seed)
    row = engine.gain_row(study.game, study.target)
    kinds = len(engine.payout_table(study.game).outcomes)
    dtype = np.uint8 if kinds <= 256 else np.uint32
    per_block = max(1, CHUNK_CELLS // study.rounds)
    final = np.empty(study.sessions)
    wagered = np.empty(study.sessions)
    drawdown = np.empty(study.sessions)
    played = np.empty(study.sessions, dtype=np.int64)
    reason = np.empty(study.sessions, dtype=np.int8)
    work = Workspace()
    tables = _word_tables(row, study.progression)
    if tables:  # a win-or-lose bet on a ladder: settled a word of rounds at a time
        won_if = _winning(row > 0)

        def draw_won(shape):
            return won_if(rng.integers(0, kinds, shape, dtype=dtype), work)
        settled = words.settle_sessions(study.sessions, study.rounds, per_block, draw_won,
                                        tables, study.limits, work, progress)
    else:
        settled = _settle_blocks(study, rng, row, kinds, dtype, per_block, work, progress)
    for block, res in settled:
        final[block], wagered[block], drawdown[block] = res.final, res.wagered, res.drawdown
        played[block], reason[block] = res.rounds, res.reason
    elapsed = time.perf_counter() - started
    return summarise(study, final, wagered, drawdown, played, reason, elapsed)


def _word_tables(row: np.ndarray, progression: Progression) -> words.WordTables | None:
    """Return the word tables of a bet that is either won at one payout or lost, or None."""
    profits = np.unique(row[row > 0])
    if len(profits) != 1 or not (row[row <= 0] == -SCALE).all():
        return None  # e.g. Red: 1.47 on 0, 1.96 on 2, 4, 6 and 8
    return words.word_tables(int(profits[0]), progression)


def _winning(wins: np.ndarray) -> Callable[[np.ndarray, Workspace], np.ndarray]:
    """Return a function of drawn outcomes that says which won (`wins[outcome]`)."""
    if len(wins) > 64:
        return lambda drawn, work: wins.take(drawn, out=work.get("won", drawn.shape, bool))
    # A bit per outcome, shifted out: several times faster than a table look-up.
    mask = np.uint64(sum(1 << o for o in np.flatnonzero(wins)))
    mask = mask.astype(np.uint16) if len(wins) <= 16 else mask

    def won(drawn, work):
        bits = np.right_shift(mask, drawn, out=work.get("won_bits", drawn.shape, mask.dtype))
        bits &= 1
        return np.not_equal(bits, 0, out=work.get("won", drawn.shape, bool))
    return won


def _settle_blocks(study, rng, row, kinds, dtype, per_block, work, progress):
    """Yield (sessions, outcomes) block by block, settled round by round."""
    for first in range(0, study.sessions, per_block):
        shape = (min(per_block, study.sessions - first), study.rounds)
        drawn = work.get("drawn", shape, np.intp)  # the column of each drawn outcome
        np.copyto(drawn, rng.integers(0, kinds, shape, dtype=dtype))
        gain = row.take(drawn, out=work.get("gain", shape), mode="clip")
        res = engine.run_paths(gain, study.progression, study.limits, work=work)
        if progress:
            progress(shape[0] * shape[1])
        yield slice(first, first + shape[0]), res


def summarise(study: Study, final, wagered, drawdown, played, reason, elapsed: float) -> dict:
    """Return the honest summary of a finished study (every rate with n and a 95% interval)."""
    n = study.sessions
    start = study.limits.bankroll
    ruined = int((reason == engine.STOP_REASONS.index("ruin")).sum())
    up = int((final > start + 1e-9).sum())
    bets = int(played.sum())
    return {
        "study": study.to_dict(),
        "bets_settled": bets,
        "final_wallet": {"initial": start, "mean": engine.money(final.mean()),
                         "min": engine.money(final.min()), "max": engine.money(final.max()),
                         "quantiles": _quantiles(final)},
        "probability_of_ruin": _proportion(ruined, n),
        "probability_of_ending_up": _proportion(up, n),
        "stop_reasons": {name: int((reason == i).sum())
                         for i, name in enumerate(engine.STOP_REASONS)},
        "max_drawdown": {"mean": engine.money(drawdown.mean()),
                         "max": engine.money(drawdown.max()),
                         "quantiles": _quantiles(drawdown)},
        "rounds_played": {"mean": float(played.mean()), "min": int(played.min()),
                          "max": int(played.max())},
        "total_wagered": {"sum": engine.money(wagered.sum()),
                          "mean_per_session": engine.money(wagered.mean())},
        "return_per_unit": return_per_unit(study.expected_return(), wagered, final - start),
        "seed": study.seed,
        "elapsed_seconds": round(elapsed, 4),
        "bets_per_second": round(bets / elapsed) if elapsed > 0 else None,
        "disclaimer": DISCLAIMER,
    }


def return_per_unit(expected: float, wagered: np.ndarray, profit: np.ndarray) -> dict:
    """Return the realised amount returned per unit staked, its 95% and 99% intervals and `expected`.

    Sessions are independent, so the ratio estimator's standard error comes
    from the spread of (returned - ratio x staked) across sessions.
    """
    total = float(wagered.sum())
    n = len(wagered)
    if total <= 0:
        return {"realised": None, "ci95": None, "ci99": None, "expected": expected,
                "n_sessions": n}
    returned = wagered + profit
    ratio = float(returned.sum()) / total
    ci = ci99 = None
    if n >= 2:
        resid = returned - ratio * wagered
        se = math.sqrt(float((resid ** 2).sum()) / (n * (n - 1))) / (total / n)
        ci = [ratio - 1.959964 * se, ratio + 1.959964 * se]
        ci99 = [ratio - 2.575829 * se, ratio + 2.575829 * se]
    return {"realised": ratio, "ci95": ci, "ci99": ci99, "expected": expected,
            "expected_within_ci95": None if ci is None else ci[0] <= expected <= ci[1],
            "n_sessions": n, "staked": total}


def _proportion(k: int, n: int) -> dict:
    lo, hi = wilson_interval(k, n)
    return {"p": k / n if n else None, "n": n, "count": k, "ci95": [lo, hi]}


def _quantiles(values: np.ndarray) -> dict:
    qs = np.quantile(values, QUANTILES)
    return {f"p{round(q * 100)}": engine.money(v) for q, v in zip(QUANTILES, qs)}

