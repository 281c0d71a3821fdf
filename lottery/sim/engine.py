"""The settlement engine: pure numpy, shared by Monte Carlo, backtests and live sessions.

A game's payout table is built from its own rules: `game.settle` of every bet
in `game.bets` on every outcome in `game.outcomes` (the fair null draws them
uniformly), once per game. Paths are computed in exact integers: multipliers
and payouts in hundredths, so one unit of a path is base_bet / 10,000 and no
rounding error builds up over a million rounds.

`run_paths(gain, progression, limits)` takes the per-unit gain of every round
of every session (S x R) and returns each session's final bankroll, rounds
played, stop reason, amount wagered and maximum drawdown, using only
whole-array operations (no per-round Python loop). A session stops:

- `ruin`: the bankroll cannot cover the next stake (paper money is never borrowed);
- `stop_loss`: the bankroll fell to initial - stop_loss or below;
- `take_profit`: the bankroll rose to initial + take_profit or above;
- `max_rounds`: it played every round.

`lottery.sim.words` gives the same figures faster when every round is a
win-or-lose bet staked on a ladder (or flat).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from lottery.games import Game
from lottery.sim.strategies import SCALE, Progression, SimInputError, Workspace, positions

UNIT = SCALE * SCALE  # path units per base bet
STOP_REASONS = ("max_rounds", "ruin", "stop_loss", "take_profit")
MAX_BANKROLL_RATIO = 10**9  # bankroll / base bet, so paths stay far inside int64


@dataclass(frozen=True, eq=False)
class PayoutTable:
    """One game's bets (rows) settled on each of its outcomes (columns), read-only arrays."""

    bets: tuple[str, ...]
    outcomes: tuple
    bet_index: dict[str, int]
    payout: np.ndarray  # amount returned per unit staked
    gain: np.ndarray  # profit per unit staked, in hundredths (-100 when the bet loses)
    expected_return: np.ndarray  # per bet: amount returned per unit staked, on average
    return_sd: np.ndarray  # per bet: its standard deviation
    win_prob: np.ndarray  # per bet: the chance it wins on a fair outcome
    _outcome_index: dict  # outcome -> column
    _identity: bool  # outcomes are 0, 1, ..., n-1: an outcome is its own column

    def row(self, bet: str) -> int:
        """Return the row of a bet, or raise SimInputError."""
        try:
            return self.bet_index[bet]
        except KeyError:
            raise SimInputError(f"not a bet: {bet!r}; expected one of {', '.join(self.bets)}") \
                from None

    def columns(self, outcomes: Sequence) -> np.ndarray:
        """Return the column of each outcome (an intp array)."""
        if self._identity:
            return np.asarray(outcomes, dtype=np.intp)
        index = self._outcome_index
        return np.fromiter((index[o] for o in outcomes), dtype=np.intp, count=len(outcomes))


_TABLES: dict[str, PayoutTable] = {}


def payout_table(game: Game) -> PayoutTable:
    """Return the payout table of a game (built once per game code from `game.settle`)."""
    table = _TABLES.get(game.code)
    if table is None:
        table = _TABLES[game.code] = _build_table(game)
    return table


def _build_table(game: Game) -> PayoutTable:
    outcomes = tuple(game.outcomes)
    if not outcomes or not game.bets:
        raise SimInputError(f"{game.code} has no finite set of outcomes and bets to simulate")
    payout = np.array([[game.settle(bet, 1.0, o) for o in outcomes] for bet in game.bets])
    gross = np.rint(payout * SCALE).astype(np.int64)
    # Every payout must be a whole number of hundredths of the stake (0.98 x 2 = 1.96, ...).
    if not np.allclose(gross, payout * SCALE, atol=1e-9):
        raise SimInputError(f"{game.code}: payouts are not whole hundredths of the stake")
    gain = gross - SCALE
    arrays = (payout, gain, payout.mean(axis=1), payout.std(axis=1), (payout > 0).mean(axis=1))
    for a in arrays:
        a.flags.writeable = False
    return PayoutTable(game.bets, outcomes, {bet: i for i, bet in enumerate(game.bets)}, *arrays,
                       {o: i for i, o in enumerate(outcomes)},
                       outcomes == tuple(range(len(outcomes))))


def gain_row(game: Game, bet: str) -> np.ndarray:
    """Return the per-unit gain in hundredths of `bet` on each of the game's outcomes."""
    table = payout_table(game)
    return table.gain[table.row(bet)]


def expected_return(game: Game, bet: str) -> float:
    """Return the analytic expected amount returned per unit staked on fair outcomes."""
    table = payout_table(game)
    return float(table.expected_return[table.row(bet)])


def win_probability(game: Game, bet: str) -> float:
    """Return the chance `bet` wins on a fair outcome."""
    table = payout_table(game)
    return float(table.win_prob[table.row(bet)])


def money(value) -> float:
    """Return an amount as a float without the noise of converting exact path units."""
    return round(float(value), 6)


@dataclass(frozen=True)
class Limits:
    """The money rules of one session, in currency."""

    bankroll: float
    base_bet: float
    stop_loss: float | None = None
    take_profit: float | None = None

    def check(self, progression: Progression) -> "Limits":
        """Return self if the numbers are usable with `progression`, else raise SimInputError."""
        for name in ("bankroll", "base_bet"):
            value = getattr(self, name)
            if not _finite(value) or value <= 0:
                raise SimInputError(f"{name} must be a positive number, got {value!r}")
        for name in ("stop_loss", "take_profit"):
            value = getattr(self, name)
            if value is not None and (not _finite(value) or value <= 0):
                raise SimInputError(f"{name} must be a positive amount, got {value!r}")
        if self.bankroll / self.base_bet > MAX_BANKROLL_RATIO:
            raise SimInputError(f"bankroll may be at most {MAX_BANKROLL_RATIO:,} base bets")
        first = self.base_bet * progression.multiplier(0)
        if self.bankroll < first:
            raise SimInputError(f"bankroll {self.bankroll} cannot cover the first stake {first}")
        return self


@dataclass
class PathResult:
    """Per-session outcome of `run_paths`, in currency."""

    final: np.ndarray  # bankroll after the last round played
    rounds: np.ndarray  # rounds played
    reason: np.ndarray  # index into STOP_REASONS
    wagered: np.ndarray  # total staked
    drawdown: np.ndarray  # largest fall from a running peak (the start counts as a peak)
    path: np.ndarray | None = None  # bankroll after each round (held after a stop), if asked
    stakes: np.ndarray | None = None  # stake of each round (0 after a stop), if asked


def run_paths(gain: np.ndarray, progression: Progression, limits: Limits,
              keep_path: bool = False, work: Workspace | None = None,
              stakes: np.ndarray | None = None, won: np.ndarray | None = None) -> PathResult:
    """Settle S sessions of R rounds from their per-unit gains (S x R int64, overwritten).

    `stakes` (S x R int64, in hundredths of the base bet, overwritten) replaces the
    progression's when a strategy decides its stakes itself, 0 where it sits a round out.
    `won` (S x R bool, gain > 0) spares working it out when the caller has it.
    """
    sessions, rounds = gain.shape
    work = work or Workspace()
    to_money = limits.base_bet / UNIT
    mult = stakes
    if mult is None and progression.name != "flat":
        if won is None:
            won = np.greater(gain, 0, out=work.get("won", gain.shape, bool))
        mult = progression.multipliers_per_round(won, work)  # in hundredths
    pnl = gain  # reused in place: units gained in each round
    if mult is None:
        pnl *= SCALE
    else:
        np.multiply(pnl, mult, out=pnl)
    # The path is kept offset by 2^63 (mod 2^64) and read as unsigned: the same order
    # as the signed path, and numpy's running maximum is about a third faster on uint64.
    # Every figure read off it is shifted back (`_signed`), so all stay exact.
    pnl[:, 0] ^= _BIAS
    upath = np.cumsum(pnl, axis=1, out=work.get("path", gain.shape)).view(np.uint64)

    ruin_below, stop_low, stop_high = stop_units(limits, to_money)

    # Row reductions are cheap: only rows that may stop get the full comparisons.
    low = _signed(upath.min(axis=1))
    if (mult is None and stop_low is None and stop_high is None
            and -(rounds + 1) * UNIT >= ruin_below):
        rows = _NO_ROWS  # flat stakes the wallet covers every round, no limits: none stops
    else:
        largest = UNIT if mult is None else SCALE * mult.max(axis=1)
        rows = np.flatnonzero(may_stop(low, lambda: _signed(upath.max(axis=1)), largest,
                                       (ruin_below, stop_low, stop_high)))
    stop = np.full(sessions, rounds - 1, dtype=np.int64)
    reason = np.zeros(sessions, dtype=np.int8)
    if rows.size:
        # Most rows: check them all where they are (a row that cannot stop finds no stop);
        # a few: copy them into reused buffers (fresh big arrays cost page faults).
        whole = 2 * rows.size >= sessions
        some = upath if whole else np.take(upath, rows, axis=0,
                                           out=work.get("rows", (rows.size, rounds), np.uint64))
        some_mult = mult if whole or mult is None else np.take(
            mult, rows, axis=0, out=work.get("rows_mult", (rows.size, rounds)))
        at, why = _first_stops(some, some_mult, ruin_below, stop_low, stop_high, work)
        stop[rows], reason[rows] = (at[rows], why[rows]) if whole else (at, why)
    played = stop + 1
    if rows.size and (stop[rows] < rounds - 1).any():
        # Zero every round after a stop and add up again: the path then holds
        # its last bankroll, so drawdown, wagered and the path ignore those rounds.
        # (The first round is always played, so the offset in pnl[:, 0] stays.)
        keep = np.less_equal(positions(sessions, rounds), played[:, None],
                             out=work.get("keep", gain.shape, bool))
        pnl *= keep
        np.cumsum(pnl, axis=1, out=upath.view(np.int64))
        low = _signed(upath.min(axis=1))
        if mult is not None:
            mult *= keep
    wagered = played * SCALE if mult is None else mult.sum(axis=1)
    stakes = None
    if keep_path:
        stakes = (limits.base_bet * (positions(sessions, rounds) <= played[:, None])
                  if mult is None else mult * (limits.base_bet / SCALE))
    final = _signed(upath[:, -1])
    # fmax equals max on integers, and numpy's fmax.accumulate runs about 4x faster.
    peak = np.fmax.accumulate(upath, axis=1, out=pnl.view(np.uint64))
    peak -= upath  # never below 0: exact in unsigned integers
    rises = peak.max(axis=1).view(np.int64)  # below 2^63
    drawdown = np.maximum(np.maximum(rises, -low), 0)  # the start is a peak too
    return PathResult(
        final=limits.bankroll + final * to_money, rounds=played, reason=reason,
        wagered=wagered * (limits.base_bet / SCALE), drawdown=drawdown * to_money,
        path=limits.bankroll + _signed(upath) * to_money if keep_path else None, stakes=stakes)


def may_stop(low: np.ndarray, high: Callable[[], np.ndarray], largest, stops) -> np.ndarray:
    """Return which sessions may stop early, from their lowest and (asked only when a
    take-profit is set) highest points and largest stake: a row can only be ruined if its
    lowest point is within its largest stake."""
    ruin_below, stop_low, stop_high = stops
    maybe = low - largest < ruin_below
    if stop_low is not None:
        maybe |= low <= stop_low
    if stop_high is not None:
        maybe |= high() >= stop_high
    return maybe


def stop_units(limits: Limits, to_money: float) -> tuple[int, int | None, int | None]:
    """Return (ruin below, stop-loss at, take-profit at) in path units (None: no limit)."""
    ruin_below = math.ceil(round(-limits.bankroll / to_money, 6))
    stop_low = math.floor(round(-limits.stop_loss / to_money, 6)) if limits.stop_loss else None
    stop_high = math.ceil(round(limits.take_profit / to_money, 6)) if limits.take_profit else None
    return ruin_below, stop_low, stop_high


_NO_ROWS = np.empty(0, dtype=np.intp)
_BIAS = np.int64(-2**63)  # the sign bit: x ^ it is x + 2^63 mod 2^64


def _signed(biased: np.ndarray) -> np.ndarray:
    """Return the int64 values of a path kept offset by 2^63 as uint64 (a new array)."""
    return biased.view(np.int64) ^ _BIAS


def _first_stops(upath, mult, ruin_below, stop_low, stop_high, work):
    """Return (last round played, reason index) for rows that may stop early.

    `upath`: their paths offset by 2^63, as uint64 (see `run_paths`); every
    threshold is offset the same way, so each comparison is the signed one.
    """
    rows, rounds = upath.shape
    limit_at = np.full(rows, rounds)
    if stop_low is not None or stop_high is not None:
        hit = work.get("hit", upath.shape, bool)
        if stop_low is not None:
            np.less_equal(upath, _biased(stop_low), out=hit)
        if stop_high is not None:
            high = np.greater_equal(upath, _biased(stop_high),
                                    out=work.get("hit_high", upath.shape, bool))
            hit = high if stop_low is None else np.logical_or(hit, high, out=hit)
        limit_at = np.where(hit.any(axis=1), hit.argmax(axis=1), rounds)
    # short[:, t]: after round t the bankroll cannot cover the stake of round t + 1.
    short = work.get("short", upath.shape, bool)
    if mult is None:
        np.less(upath, _biased(ruin_below + UNIT), out=short)
    else:
        # Flat 1-D runs (numpy is slow on 2-D slices); the last column is reset below.
        gap = work.get("gap", upath.shape, np.uint64).ravel()[:-1]
        np.multiply(mult.ravel()[1:], SCALE, out=gap.view(np.int64))
        np.subtract(upath.ravel()[:-1], gap, out=gap)  # path - next stake, offset
        np.less(gap, _biased(ruin_below), out=short.ravel()[:-1])
    short[:, -1] = False
    ruin_at = np.where(short.any(axis=1), short.argmax(axis=1), rounds)
    at = np.minimum(np.minimum(limit_at, ruin_at), rounds - 1)
    # The stop-loss and take-profit checks come right after a round, before the next stake.
    by_limit = (limit_at <= ruin_at) & (limit_at < rounds)
    reason = np.where(ruin_at < limit_at, 1, 0).astype(np.int8)
    value = _signed(upath[np.arange(rows), at])
    if stop_low is not None:
        reason[by_limit & (value <= stop_low)] = 2
    if stop_high is not None:
        reason[by_limit & (value >= stop_high)] = 3
    return at, reason


def _biased(units: int) -> np.uint64:
    """Return a path value as `run_paths` keeps it: offset by 2^63, as uint64."""
    return np.uint64(units + 2**63)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
