"""Staking progressions and bet choice: how much to stake next, and on what.

Every progression keeps one whole-number `step` per strategy and is defined
twice from the same small rule table: a scalar form (`multiplier(step)`,
`next_step(step, won)`) for live sessions, and a vectorised form
(`multipliers_per_round(won)`) that computes the step before every round of
many sessions at once from the win/loss matrix with cumulative numpy
operations (no per-round Python loop). Tests check the two agree.

| progression | step | multiplier | on a win | on a loss |
|---|---|---|---|---|
| flat | 0 | 1 | - | - |
| martingale, custom | losses in a row | ladder[step] | 0 | step + 1 (0 after the last) |
| paroli | wins in a row | ladder[step] | step + 1 (0 after the last) | 0 |
| dalembert | units - 1 | step + 1 | step - 1 (not below 0) | step + 1 |
| fibonacci | index | 1, 1, 2, 3, 5, ... | step - 2 (not below 0) | step + 1 |

Stake multipliers never exceed MAX_MULTIPLIER (a d'Alembert or Fibonacci run
stops growing there) so every amount stays an exact 64-bit integer.
Nothing here suggests raising a stake after a loss is a good idea: these are
the classic systems, simulated to show what they do to a bankroll.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lottery.games import Game

PROGRESSIONS = ("flat", "martingale", "dalembert", "fibonacci", "paroli", "custom")
DEFAULT_MULTIPLIERS = (1.0, 2.0, 4.0, 8.0, 16.0)  # the upstream martingale ladder
PAROLI_MULTIPLIERS = (1.0, 2.0, 4.0)
LADDERS = ("martingale", "custom", "paroli")
MAX_MULTIPLIER = 1_000_000
MAX_LADDER = 64  # multipliers in one list
SCALE = 100  # multipliers are kept in hundredths (so 1.5 x is exact)


class SimInputError(ValueError):
    """A simulator parameter the engine cannot use (shown to the user as a 400)."""


@dataclass(frozen=True)
class Progression:
    """A staking progression: a name and, for ladders, its multiplier list."""

    name: str
    multipliers: tuple[float, ...] = ()

    # -- scalar form (live sessions) -------------------------------------------
    def multiplier(self, step: int) -> float:
        """Return the stake multiplier at `step`."""
        if self.name == "flat":
            return 1.0
        if self.name in LADDERS:
            return self.multipliers[step % len(self.multipliers)]
        if self.name == "dalembert":
            return float(min(step + 1, MAX_MULTIPLIER))
        return float(_FIB[step] if step < len(_FIB) else MAX_MULTIPLIER)

    def next_step(self, step: int, won: bool) -> int:
        """Return the step after a round that was won or lost."""
        if self.name == "flat":
            return 0
        if self.name in ("martingale", "custom"):
            return 0 if won else (step + 1) % len(self.multipliers)
        if self.name == "paroli":
            return (step + 1) % len(self.multipliers) if won else 0
        if self.name == "dalembert":
            return max(0, step - 1) if won else step + 1
        return max(0, step - 2) if won else step + 1

    # -- vectorised form (Monte Carlo, backtests) -------------------------------
    def multipliers_per_round(self, won: np.ndarray, work: "Workspace | None" = None):
        """Return the multiplier (in hundredths) of every round of every row, or None for flat."""
        if self.name == "flat":
            return None
        work = work or Workspace()
        if self.name in ("martingale", "custom"):
            steps = _streak_before(won, work)  # losses in a row; a win breaks the run
        elif self.name == "paroli":
            steps = _streak_before(np.logical_not(won, out=work.get("lost", won.shape, bool)), work)
        elif self.name == "dalembert":
            steps = _lindley_before(won, 1, 1, work)
        else:
            steps = _lindley_before(won, 1, 2, work)
        if self.name == "dalembert" and won.shape[1] <= MAX_MULTIPLIER:
            # step + 1 stays under the cap within a block of rounds: two passes, no look-up.
            mult = np.add(steps, 1, out=work.get("mult", won.shape))
            mult *= SCALE
            return mult
        # mode="clip" lets numpy write straight into `out` (steps never exceed the table).
        return _table(self, won.shape[1]).take(steps, out=work.get("mult", won.shape),
                                               mode="clip")

    def to_dict(self) -> dict:
        """Return the progression as shown in API answers."""
        out: dict = {"progression": self.name}
        if self.name in LADDERS:
            out["multipliers"] = [_num(m) for m in self.multipliers]
        return out


def make_progression(name: str | None, multipliers=None) -> Progression:
    """Return a validated progression (martingale by default), or raise SimInputError."""
    if name is None:
        name = "martingale"
    if not isinstance(name, str) or name.strip().lower() not in PROGRESSIONS:
        raise SimInputError(f"progression must be one of {', '.join(PROGRESSIONS)}, got {name!r}")
    name = name.strip().lower()
    if name in ("flat", "dalembert", "fibonacci"):
        if multipliers is not None:
            raise SimInputError(f"multipliers apply to martingale, paroli and custom, not {name}")
        return Progression(name)
    if multipliers is None:
        if name == "custom":
            raise SimInputError("the custom progression needs a multipliers list, e.g. [1, 3, 9]")
        multipliers = PAROLI_MULTIPLIERS if name == "paroli" else DEFAULT_MULTIPLIERS
    return Progression(name, parse_multipliers(multipliers))


def parse_multipliers(raw) -> tuple[float, ...]:
    """Return multipliers from a list or a comma-separated string, or raise SimInputError."""
    if isinstance(raw, str):
        parts = [p.strip() for p in raw.split(",")]
        if any(p == "" for p in parts):
            raise SimInputError(f"multipliers: empty entry in {raw!r}")
        values = []
        for p in parts:
            try:
                values.append(float(p))
            except ValueError:
                raise SimInputError(f"multipliers: {p!r} is not a number") from None
    elif isinstance(raw, (list, tuple)):
        values = list(raw)
    else:
        raise SimInputError("multipliers must be a list of numbers or a string like '1,2,4,8,16'")
    if not values:
        raise SimInputError("multipliers must not be empty")
    if len(values) > MAX_LADDER:
        raise SimInputError(f"at most {MAX_LADDER} multipliers, got {len(values)}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SimInputError(f"multipliers: {v!r} is not a number")
        if not 0 < v <= MAX_MULTIPLIER:
            raise SimInputError(f"multipliers must be > 0 and at most {MAX_MULTIPLIER}, got {v}")
        if abs(v * SCALE - round(v * SCALE)) > 1e-6:
            raise SimInputError(f"multipliers have at most 2 decimals, got {v}")
        out.append(round(float(v), 2))
    return tuple(out)


def markets(game: Game) -> tuple[str, ...]:
    """Return the markets a strategy of this game can bet a followed prediction in."""
    return tuple(game.bet_groups)


def normalise_bet(game: Game, raw, market: str | None = None) -> str:
    """Return the canonical name of one of the game's bets (any case), or raise SimInputError.

    With `market`, the bet must belong to it (one of `game.bet_groups[market]`);
    a whole number is the bet of that name.
    """
    if isinstance(raw, bool):
        raise SimInputError(f"not a bet: {raw!r}")
    if isinstance(raw, int) and str(raw) in game.bets:
        text = str(raw)
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip()
    else:
        raise SimInputError(f"not a bet: {raw!r}; expected one of {', '.join(game.bets)}")
    canonical = _CANONICAL.get(game.code)
    if canonical is None:
        canonical = _CANONICAL[game.code] = {bet.lower(): bet for bet in game.bets}
    bet = canonical.get(text.lower(), text)
    allowed = market_bets(game, market) if market else game.bets
    if bet not in allowed:
        where = f" for {market}" if market else ""
        raise SimInputError(f"target{where} must be one of {', '.join(allowed)}, got {raw!r}")
    return bet


def market_bets(game: Game, market: str) -> tuple[str, ...]:
    """Return the bets of a market, or raise SimInputError naming the game's markets."""
    try:
        return game.bet_groups[market]
    except (KeyError, TypeError):
        raise SimInputError(f"market must be one of {', '.join(markets(game))}, "
                            f"got {market!r}") from None


def bet_from_prediction(game: Game, market: str, prediction) -> str | None:
    """Return the bet a prediction (dict or Prediction) implies in a market, or None if it has none.

    Only the predicted fields are read (the game's `bet_from_prediction`): a
    stored prediction's settled `result` is never looked at.
    """
    try:
        value = game.bet_from_prediction(market, prediction)
        return normalise_bet(game, value, market) if value is not None else None
    except (SimInputError, TypeError, ValueError, IndexError, KeyError):
        return None


_CANONICAL: dict[str, dict[str, str]] = {}  # game code -> {lower-case bet: bet}


# -- vectorised helpers ------------------------------------------------------------
class Workspace:
    """Scratch arrays reused from block to block.

    Fresh multi-megabyte arrays cost page faults on every block (glibc hands
    large blocks back to the system), which more than doubled the time of a
    Monte Carlo run; reusing named buffers avoids it.
    """

    def __init__(self):
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, int], dtype=np.int64) -> np.ndarray:
        """Return a (rows, cols) array for `name`, reusing the previous one when it fits."""
        rows, cols = shape
        buf = self._buffers.get(name)
        if buf is None or buf.dtype != dtype or buf.shape[1] != cols or buf.shape[0] < rows:
            buf = self._buffers[name] = np.empty((rows, cols), dtype=dtype)
        return buf[:rows]  # leading rows of a C-ordered array: still contiguous


def _streak_before(breaker: np.ndarray, work: Workspace) -> np.ndarray:
    """Return, per round, how many rounds in a row just before it had no `breaker` set."""
    pos = positions(*breaker.shape)
    # 1 + the index of the newest breaking round at or before t; its running maximum
    # is taken as uint64 (breaks are >= 0), where numpy's fmax.accumulate is fastest
    # (fmax: max on integers, ~4x faster than maximum).
    breaks = np.multiply(breaker, pos, out=work.get("breaks", breaker.shape))
    unsigned = breaks.view(np.uint64)
    np.fmax.accumulate(unsigned, axis=1, out=unsigned)
    return _shifted(np.subtract, pos, breaks, work.get("steps", breaker.shape))


def _lindley_before(won: np.ndarray, up: int, down: int, work: Workspace) -> np.ndarray:
    """Return the step before each round of `step = max(0, step + up|-down)` started at 0.

    The reflected walk has the closed form Y_t = X_t - min(0, min_{s<=t} X_s)
    for the free walk X, so two cumulative passes replace the loop.
    """
    # Worked on the mirrored walk -X, offset by 2^63 (mod 2^64) and read as uint64: the
    # same order, and numpy's running maximum (fmax: ~4x faster than maximum on integers)
    # is fastest there. Y_t = max(0, max_{s<=t} -X_s) - (-X_t), exact in unsigned integers.
    walk = np.multiply(won, up + down, out=work.get("walk", won.shape))
    walk -= up
    walk[:, 0] ^= _SIGN
    np.cumsum(walk, axis=1, out=walk)
    mirrored = walk.view(np.uint64)
    high = np.fmax.accumulate(mirrored, axis=1, out=work.get("low", won.shape).view(np.uint64))
    np.maximum(high, _SIGN.view(np.uint64), out=high)  # the start, 0, is in the running max
    return _shifted(np.subtract, high.view(np.int64), walk, work.get("steps", won.shape))


_SIGN = np.int64(-2**63)  # the sign bit: x ^ it is x + 2^63 mod 2^64


def _shifted(ufunc, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Set out[:, t] = ufunc(a[:, t-1], b[:, t-1]) for t >= 1 and out[:, 0] = 0; return out.

    Works on the flat arrays: numpy is several times slower on 2-D slices than
    on contiguous 1-D runs; the values that cross a row boundary land in
    column 0, which is then reset.
    """
    ufunc(a.ravel()[:-1], b.ravel()[:-1], out=out.ravel()[1:])
    out[:, 0] = 0
    return out


def positions(rows: int, rounds: int) -> np.ndarray:
    """Return a read-only (rows, rounds) array whose every row is 1, 2, ..., rounds."""
    return tiled(1, rounds + 1, 1, rows)


def tiled(start: int, stop: int, step: int, rows: int) -> np.ndarray:
    """Return a read-only array of `rows` rows, each arange(start, stop, step) in int64."""
    # The leading rows of one array per row, so blocks of any height share it. Tiled
    # rather than broadcast: numpy runs broadcast int64 operations far slower.
    key = (start, stop, step)
    with _TILED_LOCK:
        held = _TILED.get(key)
        if held is None or held.shape[0] < rows:
            held = np.tile(np.arange(start, stop, step, dtype=np.int64), (max(rows, 64), 1))
            held.flags.writeable = False
            if len(_TILED) >= 8:
                _TILED.pop(next(iter(_TILED)))
            _TILED[key] = held
    return held[:rows]


_TILED: dict[tuple[int, int, int], np.ndarray] = {}  # row -> the tallest array of it yet
_TILED_LOCK = threading.Lock()


@lru_cache(maxsize=16)
def _table(progression: Progression, rounds: int) -> np.ndarray:
    """Return the multiplier in hundredths for every step 0..rounds (read-only)."""
    if progression.name in LADDERS:
        ladder = np.rint(np.array(progression.multipliers) * SCALE).astype(np.int64)
        table = ladder[np.arange(rounds + 1) % len(ladder)]
    elif progression.name == "dalembert":
        table = np.minimum(np.arange(1, rounds + 2, dtype=np.int64), MAX_MULTIPLIER) * SCALE
    else:
        table = np.full(rounds + 1, MAX_MULTIPLIER * SCALE, dtype=np.int64)
        head = min(len(_FIB), rounds + 1)
        table[:head] = np.array(_FIB[:head], dtype=np.int64) * SCALE
    table.flags.writeable = False
    return table


def _fib_stakes() -> tuple[int, ...]:
    """Return the Fibonacci stakes 1, 1, 2, 3, 5, ... up to MAX_MULTIPLIER."""
    out = [1, 1]
    while out[-1] + out[-2] <= MAX_MULTIPLIER:
        out.append(out[-1] + out[-2])
    return tuple(out)


_FIB = _fib_stakes()


def _num(value: float):
    return int(value) if float(value).is_integer() else value
