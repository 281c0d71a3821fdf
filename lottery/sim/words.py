"""Settle win-or-lose bets a word of rounds at a time: the same figures as `run_paths`, faster.

When every round is one bet that is either won (profit p per unit) or lost, and
the stake follows a ladder that a win (martingale, custom) or a loss (Paroli)
sends back to its first step, a session is a string of bits. Packed 16 to a
word (8 when that table would pass TABLE_BYTES), each word and each step the
ladder can enter it at has a row in a table: the word's net gain, lowest and
highest point, largest fall and amount staked, in their largest common unit and
the smallest integers that hold them. The path is then followed word by word
instead of round by round.

The step a word is entered at is the number of rounds since the ladder was last
reset, modulo its length: the running maximum of where each word last resets
it, so it is worked out for all words at once too.

A session that may stop early (ruin, stop-loss, take-profit) is looked at again:
the table also gives each word the lowest the wallet falls, less the next stake,
so the word it stops in is found exactly; it is then played round by round
through that word alone. Every figure is exactly the round-by-round one.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

import numpy as np

from lottery.sim.engine import UNIT, Limits, PathResult, may_stop, stop_units
from lottery.sim.strategies import LADDERS, SCALE, Progression, Workspace, tiled

TABLE_BYTES = 8 << 20  # largest table of 16-bit words; a larger one uses 8-bit words
GROUP_BLOCKS = 4  # blocks of rounds `settle_sessions` settles at once (measured: 4 to 8)
# Per word: net gain, lowest and highest point (from the word's end), largest fall inside
# it, amount staked, and the lowest wallet less the next stake after each of its rounds but
# the last (from the word's end: ruin is when that falls below -bankroll).
FIELDS = 6
STAKED, COVER = 4, 5
_NO_RESET = -(1 << 30)  # below any round number: a word that never resets the ladder


@dataclass(frozen=True, eq=False)
class WordTables:
    """The tables of one bet (profit per unit) under one ladder, for words of `bits` rounds."""

    profit: int  # hundredths of the stake won on a win
    ladder: tuple[int, ...]  # stakes in hundredths of the base bet
    reset_on_win: bool  # martingale and custom: a win resets; Paroli: a loss does
    bits: int

    @property
    def steps(self) -> int:
        return len(self.ladder)

    @property
    def largest(self) -> int:
        """Return the largest stake in path units."""
        return max(self.ladder) * SCALE

    @property
    def stake_unit(self) -> int:
        """Return the hundredths of the base bet in one unit the tables stake."""
        return math.gcd(*self.ladder)

    @property
    def unit(self) -> int:
        """Return the path units in one unit of the tables' points and gains."""
        return math.gcd(self.profit, SCALE) * self.stake_unit

    @property
    def reduced(self) -> tuple[int, int, tuple[int, ...]]:
        """Return (a win's gain, a loss, the stakes) in the tables' units: kept in the largest
        common unit, the tables fit the smallest integers they can."""
        share = math.gcd(self.profit, SCALE)
        return self.profit // share, SCALE // share, tuple(s // self.stake_unit
                                                           for s in self.ladder)

    def entry_stakes(self) -> np.ndarray:
        """Return each step's stake as the tables' points count it."""
        _, loss, ladder = self.reduced
        return np.array(ladder, dtype=np.int64) * loss

    def hot(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the whole words' (net, lowest, highest, largest fall) rows and amounts staked."""
        return _hot(*self.reduced, self.reset_on_win, self.bits)

    def table(self, bits: int) -> np.ndarray:
        """Return the (steps x 2^bits, FIELDS) table of words of `bits` rounds, in its units."""
        return _table(*self.reduced, self.reset_on_win, bits)

    def last_reset(self) -> np.ndarray:
        """Return, per word, 1 + its last round that resets the ladder (_NO_RESET if none)."""
        return _last_reset(self.reset_on_win, self.bits)


def word_tables(profit: int, progression: Progression) -> WordTables | None:
    """Return the tables for bets of `profit` hundredths per unit under `progression`, or None.

    None: the progression is not a ladder (d'Alembert, Fibonacci), so `run_paths` settles it.
    """
    if progression.name == "flat":
        ladder = (SCALE,)
    elif progression.name in LADDERS:
        ladder = tuple(int(round(m * SCALE)) for m in progression.multipliers)
    else:
        return None
    tables = WordTables(profit, ladder, progression.name != "paroli", 16)
    size = len(ladder) * (1 << 16) * FIELDS * np.dtype(_dtype(*tables.reduced, 16)).itemsize
    return tables if size <= TABLE_BYTES else dataclasses.replace(tables, bits=8)


def settle_sessions(sessions: int, rounds: int, per_block: int,
                    draw_won: Callable[[tuple[int, int]], np.ndarray], tables: WordTables,
                    limits: Limits, work: Workspace,
                    progress: Callable[[int], None] | None = None
                    ) -> Iterator[tuple[slice, PathResult]]:
    """Yield (a slice of the sessions, their outcomes) for S sessions of `rounds` rounds.

    `draw_won(shape)` draws a block of rounds and returns which were won (bool);
    `progress(n)` is told of each block of n rounds. One bit per round is kept, so
    GROUP_BLOCKS blocks are settled at once: numpy's fixed cost per call is spread
    over more rounds, while the tables and scratch arrays still fit in the CPU cache.
    """
    per_group = per_block * GROUP_BLOCKS
    for first in range(0, sessions, per_group):
        rows = min(per_group, sessions - first)
        packed = work.get("packed", (rows, -(-rounds // 8)), np.uint8)
        for sub in range(0, rows, per_block):
            shape = (min(per_block, rows - sub), rounds)
            packed[sub:sub + shape[0]] = pack(draw_won(shape))
            if progress:
                progress(shape[0] * shape[1])
        yield slice(first, first + rows), run_wins(packed, rounds, tables, limits, work)


def pack(won: np.ndarray) -> np.ndarray:
    """Return S x R won rounds packed one bit each: round t at bit t % 8 of byte t // 8."""
    return np.packbits(won, axis=1, bitorder="little")


def run_wins(packed: np.ndarray, rounds: int, tables: WordTables, limits: Limits,
             work: Workspace | None = None) -> PathResult:
    """Settle S sessions of `rounds` rounds from their packed wins (`pack`), as `run_paths` would."""
    sessions = packed.shape[0]
    work = work or Workspace()
    words, tail = _split(packed, rounds, tables.bits)
    final, low, high, fall, staked, run = _follow(words, tables, work)
    if tail is not None:  # the last rounds, as one shorter word
        net, lo, hi, dd, stake, _ = _tail_stats(tail, run, tables).T
        peak = np.maximum(high, 0)  # the start counts as a peak
        final = final + net
        low = np.minimum(low, final + lo)
        high = np.maximum(high, final + hi)
        fall = np.maximum(np.maximum(fall, dd), peak - (final + lo))
        staked = staked + stake
    final, low, high, fall = (a * tables.unit for a in (final, low, high, fall))  # path units
    staked = staked * tables.stake_unit
    stops = stop_units(limits, limits.base_bet / UNIT)
    maybe = may_stop(low, lambda: high, tables.largest, stops)
    played = np.full(sessions, rounds, dtype=np.int64)
    reason = np.zeros(sessions, dtype=np.int8)
    rows = np.flatnonzero(maybe)
    if rows.size:
        stopped, *figures = _stops(packed[rows], rounds, tables, stops, work)
        rows, figures = rows[stopped], [f[stopped] for f in figures]
        played[rows], reason[rows], final[rows], staked[rows], fall[rows] = figures
    to_money = limits.base_bet / UNIT
    return PathResult(final=limits.bankroll + final * to_money, rounds=played, reason=reason,
                      wagered=staked * (limits.base_bet / SCALE), drawdown=fall * to_money)


def _follow(words: np.ndarray, tables: WordTables, work: Workspace):
    """Return (net, lowest, highest, largest fall, staked, rounds since the last reset) of paths
    made of whole words, in path units (staked: hundredths of the base bet)."""
    sessions, n = words.shape
    if n == 0:
        final, fall, staked, run = (np.zeros(sessions, dtype=np.int64) for _ in range(4))
        return final, np.full(sessions, _NEVER), np.full(sessions, -_NEVER), fall, staked, run
    index, run = _rows(words, tables, work)
    points, stakes = tables.hot()
    # Four points a word in one 8- (or 16-, 32-) byte chunk: numpy's take copies those
    # several times faster than a row of six.
    chunks = points.view(np.int64)
    got = work.get("word_points", (sessions * n, chunks.shape[1]))
    np.take(chunks, index, axis=0, out=got.reshape(sessions, n, -1), mode="clip")
    net, lo, hi, dd = np.moveaxis(got.view(points.dtype).reshape(sessions, n, 4), 2, 0)
    if tables.steps == 1:  # flat: every word stakes the same
        staked = np.full(sessions, n * tables.bits * tables.ladder[0] // tables.stake_unit)
    else:
        staked = np.take(stakes, index, mode="clip").sum(axis=1, dtype=np.int64)
    shape = (sessions, n)
    end = np.cumsum(net, axis=1, dtype=np.int64, out=work.get("word_end", shape))
    final = end[:, -1].copy()
    peak = np.add(end, hi, out=work.get("word_peak", shape))  # each word's highest point
    np.maximum(peak[:, 0], 0, out=peak[:, 0])  # the start, 0, counts as a peak
    np.fmax.accumulate(peak, axis=1, out=peak)  # fmax: max on integers, and faster
    low = np.add(end, lo, out=end)  # each word's lowest point
    # The largest fall into each word is from the highest point before it to the word's
    # lowest (flat runs: numpy is slow on 2-D slices; column 0 is set after), unless
    # a fall inside the word is larger.
    fall = work.get("word_fall", shape)
    np.subtract(peak.ravel()[:-1], low.ravel()[1:], out=fall.ravel()[1:])
    # Not np.negative: numpy 2.4 reads a strided input as contiguous when `out` is strided.
    np.subtract(0, low[:, 0], out=fall[:, 0])
    np.maximum(fall, dd, out=fall)
    return final, low.min(axis=1), peak[:, -1].copy(), fall.max(axis=1), staked, run


def _split(packed: np.ndarray, rounds: int, bits: int):
    """Return (the whole words (S x n), the last rounds as (their bits (S,), how many) or None)."""
    full, tail = divmod(rounds, bits)
    words = packed[:, :full * bits // 8]
    if bits == 16:
        words = words.view(np.uint16)
    if not tail:
        return words, None
    part = packed[:, full * bits // 8].astype(np.intp)
    if tail > 8:
        part |= packed[:, full * bits // 8 + 1].astype(np.intp) << 8
    return words, (part, tail)


def _rows(words: np.ndarray, tables: WordTables, work: Workspace):
    """Return (the table row of every word (S x n), rounds since the last reset after them)."""
    if tables.steps > 1 and words.shape[1]:
        return _steps(words, tables, work)
    return words, np.zeros(len(words), dtype=np.int64)


def _tail_stats(tail, run: np.ndarray, tables: WordTables) -> np.ndarray:
    """Return the FIELDS (S x FIELDS) of the last, shorter word, entered `run` rounds after a reset."""
    part, bits = tail
    return tables.table(bits)[part + ((run % tables.steps) << bits)]


def _stops(packed: np.ndarray, rounds: int, tables: WordTables, stops, work):
    """Return (stops early, rounds played, reason, path, staked, largest fall) of sessions.

    Each session is followed word by word to the word it stops in (the last rounds
    count as one), then round by round through that word, with the rules of `run_paths`.
    The words are looked at in widening windows from the start: sessions that stop
    early, as most that stop do, are never followed to the end.
    """
    sessions = len(packed)
    words, tail = _split(packed, rounds, tables.bits)
    figures = [np.zeros(sessions, dtype=bool), np.full(sessions, rounds, dtype=np.int64),
               np.zeros(sessions, dtype=np.int8),
               *(np.zeros(sessions, dtype=np.int64) for _ in range(3))]
    todo, width = np.arange(sessions), _FIRST_WINDOW
    while todo.size:
        whole = width >= words.shape[1]
        part = None if tail is None or not whole else (tail[0][todo], tail[1])
        found, word, state = _stop_word(words[todo, :width], part, whole, tables, stops, work)
        rows = todo[found]
        figures[0][rows] = True
        for kept, value in zip(figures[1:], _play_word(word, state, rounds, tables, stops)):
            kept[rows] = value
        if whole:
            break
        todo, width = todo[~found], width * 4
    return figures


def _stop_word(words, tail, whole: bool, tables: WordTables, stops, work):
    """Return (stops in these words, the word it stops in, where it stands before that word:
    (path, peak, largest fall, staked, step, word's rounds)) for sessions' first words."""
    index, run = _rows(words, tables, work)
    stats = np.take(tables.table(tables.bits), index, axis=0, mode="clip")
    columns = [stats[:, :, i] for i in range(FIELDS)]
    steps = index >> tables.bits if tables.steps > 1 else np.zeros(words.shape, dtype=np.int64)
    patterns = words.astype(np.int64)
    if tail is not None:
        columns = [np.concatenate([c, t[:, None]], axis=1)
                   for c, t in zip(columns, _tail_stats(tail, run, tables).T)]
        steps = np.concatenate([steps, (run % tables.steps)[:, None]], axis=1)
        patterns = np.concatenate([patterns, tail[0][:, None]], axis=1)
    net, lo, hi, dd, staked, cover = columns
    # In the tables' units: the limits are rounded the way each comparison needs.
    unit = tables.unit
    ruin_below, stop_low, stop_high = stops
    ruin_below = -(-ruin_below // unit)  # x * unit < r  <=>  x < ceil(r / unit)
    first_stake = tables.entry_stakes()  # of each step, in the tables' units
    end = np.cumsum(net, axis=1, dtype=np.int64)
    low, high = end + lo, end + hi
    # Ruin: after a round the wallet cannot cover the next stake, inside a word (cover;
    # a one-round word has no inside) or before the next word's first stake (none after
    # the session's last round).
    stop = end + cover < ruin_below
    if tail is not None and tail[1] == 1:
        stop[:, -1] = False
    stop[:, :-1] |= end[:, :-1] - first_stake[steps[:, 1:]] < ruin_below
    if not whole:  # the word after the window
        stop[:, -1] |= end[:, -1] - first_stake[run % tables.steps] < ruin_below
    if stop_low is not None:
        stop |= low <= stop_low // unit
    if stop_high is not None:
        stop |= high >= -(-stop_high // unit)
    found = stop.any(axis=1)
    rows = np.flatnonzero(found)
    word = stop[rows].argmax(axis=1)
    peak = np.fmax.accumulate(np.maximum(high, 0), axis=1)  # the start, 0, is a peak
    fall = dd.astype(np.int64)
    np.maximum(fall[:, 1:], peak[:, :-1] - low[:, 1:], out=fall[:, 1:])
    np.maximum(fall[:, 0], -low[:, 0], out=fall[:, 0])
    before = (rows, np.maximum(word - 1, 0))
    first = word == 0
    state = [np.where(first, 0, a[before]) * scale for a, scale in (
        (end, unit), (peak, unit), (np.fmax.accumulate(fall, axis=1), unit),
        (np.cumsum(staked, axis=1, dtype=np.int64), tables.stake_unit))]
    return found, word, (*state, steps[rows, word], patterns[rows, word])


def _play_word(word, state, rounds: int, tables: WordTables, stops):
    """Return (rounds played, reason, path, staked, largest fall) of sessions played round by
    round through the word they stop in, from where they stand before it."""
    ruin_below, stop_low, stop_high = stops
    path, peak, fall, spent, step, pattern = state
    bits = tables.bits
    ladder = np.array(tables.ladder, dtype=np.int64)
    j = np.arange(bits)
    won = (pattern[:, None] >> j) & 1 == 1  # sessions x rounds of the word
    # The step before each round: from the entry step until the word's first reset,
    # then the rounds since the last reset before it.
    resets = np.where(won == tables.reset_on_win, j + 1, 0)
    since = np.fmax.accumulate(resets, axis=1)  # 1 + the last reset at or before each round
    steps = np.empty((len(word), bits + 1), dtype=np.int64)  # and the step after the last
    steps[:, 0] = step
    steps[:, 1:] = np.where(since > 0, j + 1 - since, step[:, None] + j + 1) % tables.steps
    stake = ladder[steps[:, :-1]]
    path = path[:, None] + np.cumsum(np.where(won, tables.profit, -SCALE) * stake, axis=1)
    spent = spent[:, None] + np.cumsum(stake, axis=1)
    peak = np.fmax.accumulate(np.maximum(path, peak[:, None]), axis=1)
    fall = np.fmax.accumulate(np.maximum(peak - path, fall[:, None]), axis=1)
    t = word[:, None] * bits + j  # the rounds
    low_stop = path <= stop_low if stop_low is not None else np.zeros_like(won)
    high_stop = path >= stop_high if stop_high is not None else np.zeros_like(won)
    ruin = (t < rounds - 1) & (path - ladder[steps[:, 1:]] * SCALE < ruin_below)
    # The limits are checked right after a round, before the next stake: the first
    # round that meets one is the last played.
    at = ((low_stop | high_stop | ruin) & (t < rounds)).argmax(axis=1)
    last = (np.arange(len(word)), at)
    reason = np.where(low_stop[last], 2, np.where(high_stop[last], 3, 1)).astype(np.int8)
    return t[last] + 1, reason, path[last], spent[last], fall[last]


def _steps(words: np.ndarray, tables: WordTables, work: Workspace):
    """Return (table row of each word, rounds since the last reset after the last word)."""
    sessions, n = words.shape
    shape = (sessions, n)
    starts = tiled(0, n * tables.bits, tables.bits, sessions)  # the round each word starts at
    # Where each word last resets the ladder, counted from the session's start; the
    # running maximum is where the ladder was last reset by the end of each word.
    last = np.take(tables.last_reset(), words, out=work.get("word_last", shape, np.int32),
                   mode="clip")
    reset = np.add(last, starts, out=work.get("word_reset", shape))
    np.maximum(reset[:, 0], 0, out=reset[:, 0])  # the start counts as a reset
    np.fmax.accumulate(reset, axis=1, out=reset)
    # The step each word is entered at: rounds since the last reset before it.
    step = work.get("word_step", shape)
    np.subtract(starts.ravel()[1:], reset.ravel()[:-1], out=step.ravel()[1:])
    step[:, 0] = 0
    # Its first table row, (step mod steps) x 2^bits, looked up: integer division is slow.
    index = np.take(_first_rows(tables.steps, tables.bits, n * tables.bits), step,
                    out=work.get("word_index", shape), mode="clip")
    index += words
    return index, n * tables.bits - reset[:, -1]


_NEVER = np.int64(2**62)  # lower than any path can fall, higher than any can rise
_BUILD_ROWS = 1 << 13  # table rows worked out at once
_FIRST_WINDOW = 8  # words `_stops` looks at first, then 4 times as many, ...


@lru_cache(maxsize=4)
def _first_rows(steps: int, bits: int, runs: int) -> np.ndarray:
    out = (np.arange(runs + 1, dtype=np.int64) % steps) << bits
    out.flags.writeable = False
    return out


def _dtype(win: int, loss: int, ladder: tuple[int, ...], bits: int):
    """Return the smallest integers that hold every value of a table (a smaller table waits
    less on memory): a word moves the path by at most bits x the largest stake x the larger
    of a win and a loss."""
    reach = (2 * bits + 1) * max(ladder) * max(win, loss)
    return next(t for t in (np.int16, np.int32, np.int64) if reach <= np.iinfo(t).max)


@lru_cache(maxsize=4)
def _table(win: int, loss: int, ladder: tuple[int, ...], reset_on_win: bool,
           bits: int) -> np.ndarray:
    """Return FIELDS per (entry step, word), row step x 2^bits + word: a won round gains
    win x its stake, a lost one loses loss x its stake."""
    size = 1 << bits
    stakes = np.array(ladder, dtype=np.int64)
    table = np.empty((len(ladder) * size, FIELDS), dtype=_dtype(win, loss, ladder, bits))
    for start in range(0, len(table), _BUILD_ROWS):  # a slice at a time: small scratch
        rows = slice(start, min(start + _BUILD_ROWS, len(table)))
        row = np.arange(rows.start, rows.stop, dtype=np.int64)
        word, step = row & (size - 1), row >> bits
        path, fall, staked = (np.zeros(len(row), dtype=np.int64) for _ in range(3))
        low, high = np.full(len(row), _NEVER), np.full(len(row), -_NEVER)
        # A one-round word has no round but its last: its cover is never read (_stops).
        cover = np.full(len(row), _NEVER) if bits > 1 else path.copy()
        for t in range(bits):
            won = (word >> t) & 1 == 1
            stake = stakes[step]
            path += np.where(won, win, -loss) * stake
            staked += stake
            np.minimum(low, path, out=low)
            np.maximum(high, path, out=high)  # the highest point so far
            np.maximum(fall, high - path, out=fall)
            step = np.where(won == reset_on_win, 0, (step + 1) % len(ladder))
            if t < bits - 1:
                np.minimum(cover, path - stakes[step] * loss, out=cover)
        # Points are kept from the word's end, where the path is known.
        for field, value in enumerate((path, low - path, high - path, fall, staked,
                                       cover - path)):
            table[rows, field] = value
    table.flags.writeable = False
    return table


@lru_cache(maxsize=2)
def _hot(*key) -> tuple[np.ndarray, np.ndarray]:
    table = _table(*key)
    points = np.ascontiguousarray(table[:, :STAKED])
    stakes = np.ascontiguousarray(table[:, STAKED])
    points.flags.writeable = stakes.flags.writeable = False
    return points, stakes


@lru_cache(maxsize=4)
def _last_reset(reset_on_win: bool, bits: int) -> np.ndarray:
    word = np.arange(1 << bits, dtype=np.int64)
    last = np.full(word.size, _NO_RESET, dtype=np.int32)
    for t in range(bits):  # a later round overwrites an earlier one
        last[((word >> t) & 1 == 1) == reset_on_win] = t + 1
    last.flags.writeable = False
    return last
