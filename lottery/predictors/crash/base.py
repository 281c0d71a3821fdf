"""What every crash predictor shares: its prediction object, the streak it tracks, and the
batch mode a backtest runs it in."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lottery.games.crash import (REACH_MARKETS, RTP, STREAK_BUCKETS, STREAK_MARKET,
                                 STREAK_THRESHOLD, streak_bucket_probs, target_cents, to_cents)

TARGET_CENTS = tuple(REACH_MARKETS.values())  # the "reaches m" grid, in cents
NULL_REACH = {m: RTP * 100 / c for m, c in REACH_MARKETS.items()}  # 0.99 / m
STREAK_CENTS = target_cents(STREAK_THRESHOLD)
P_MIN, P_MAX = 1e-4, 1 - 1e-4
LAST_BUCKET = STREAK_BUCKETS - 1  # a run this long sits in the open last bucket: not scored


@dataclass
class CrashCall:
    """One crash prediction: P(next round reaches m) per market and the 10x streak distribution."""

    predictor: str
    reach_p: dict[str, float]
    run: int  # rounds since the last 10x
    streak_probs: list[float]  # P(S = 1..49), P(S >= 50) of the current streak's length S
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"predictor": self.predictor,
               "reach_p": {m: round(p, 6) for m, p in self.reach_p.items()},
               STREAK_MARKET: {"run": self.run, "probs": [round(p, 6) for p in self.streak_probs]}}
        if self.extra:
            out["extra"] = self.extra
        return out


def clip(p: float) -> float:
    """Return p kept inside (0, 1) so a log loss stays finite."""
    return min(max(p, P_MIN), P_MAX)


def geometric_streak(p: float) -> list[float]:
    """Return the bucketed streak-length distribution of a per-round end chance p."""
    return streak_bucket_probs(clip(p), STREAK_BUCKETS)


class RunTracker:
    """Counts rounds since the last 10x (the open streak); every predictor feeds one."""

    def __init__(self):
        self.run = 0

    def update(self, cents: int) -> None:
        self.run = 0 if cents >= STREAK_CENTS else self.run + 1

    def runs(self, cents: np.ndarray) -> np.ndarray:
        """Return the run before each round of a chunk (cents, oldest first) and advance past it."""
        n = len(cents)
        idx = np.arange(n)
        last = np.maximum.accumulate(np.where(cents >= STREAK_CENTS, idx, -1))
        before = np.empty(n, dtype=np.int64)
        if n:
            before[0] = -1
            before[1:] = last[:-1]
            out = np.where(before >= 0, idx - 1 - before, self.run + idx)
            self.run = int(n - 1 - last[-1]) if last[-1] >= 0 else self.run + n
            return out
        return before


def cents_of(outcome) -> int:
    """Return an outcome (a multiplier) in cents."""
    return to_cents(outcome)


# -- batch mode (the backtest) ---------------------------------------------------------------
_POWERS = np.arange(STREAK_BUCKETS, dtype=float)


def geometric_buckets(p: np.ndarray) -> np.ndarray:
    """Return rows [P(S=1..49), P(S>=50)] of geometric streaks of end chances p (geometric_streak)."""
    alive = (1 - p)[:, None] ** _POWERS  # P(S > k) for k = 0..49
    out = alive * p[:, None]
    out[:, -1] = alive[:, -1]
    return out


def stored_hazards(buckets: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Return the hazard the live scorer reads from each stored streak distribution.

    The stored form rounds each bucket to 6 decimals and rescales (normalise_probs);
    the hazard after `run` rounds is then probs[run] / sum(probs[run:]). NaN: the run
    sits in the open last bucket (not scored); -1: no mass left (scored at the floor).
    """
    first = np.round(buckets, 6)
    probs = np.round(first / first.sum(axis=1, keepdims=True), 6)
    k = np.minimum(run, LAST_BUCKET)
    tails = np.cumsum(probs[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(len(run))
    alive = tails[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(alive > 0, probs[rows, k] / alive, -1.0)
    return np.where(run < LAST_BUCKET, hazard, np.nan)


@dataclass
class Batch:
    """A chunk's predictions at once: what `predict()` would have said before each round."""

    reach: np.ndarray  # (n, markets): P(X >= m), rounded as the stored prediction is
    run: np.ndarray  # (n,) rounds since the last 10x before each round
    buckets: np.ndarray  # (n, STREAK_BUCKETS) the streak distribution, before rounding
    hazard: np.ndarray  # (n,) the stored hazard of this round (see stored_hazards)

    @classmethod
    def of(cls, reach: np.ndarray, run: np.ndarray, buckets: np.ndarray) -> "Batch":
        return cls(np.round(reach, 6), run, buckets, stored_hazards(buckets, run))

    @classmethod
    def geometric(cls, reach: np.ndarray, run: np.ndarray, p: np.ndarray) -> "Batch":
        return cls.of(reach, run, geometric_buckets(np.clip(p, P_MIN, P_MAX)))


class Batched:
    """Mixin of the batch mode: `compute(cents, start)` says what predict() would have said
    before each round of a chunk and then feeds the chunk, exactly once per chunk (cached,
    so an ensemble sharing its members reuses their work)."""

    _batch_at: int = -1
    _batch: Batch | None = None
    rounds: int = 0  # rounds fed in batch mode

    def compute(self, cents: np.ndarray, start: int) -> Batch:
        """Return the predictions for rounds start.. of a chunk (cents), feeding it once."""
        if start == self._batch_at and self._batch is not None:
            return self._batch
        if start != self.rounds:
            raise ValueError(f"{self.name}: chunk at round {start}, expected {self.rounds}")
        batch = self.predict_batch(np.asarray(cents, dtype=np.int64))
        self._batch_at, self._batch = start, batch
        self.rounds += len(cents)
        return batch

    def predict_batch(self, cents: np.ndarray) -> Batch:
        """Return the chunk's predictions and advance the state past it (default: one by one)."""
        reach, runs, buckets = [], [], []
        for c in cents.tolist():
            call = self.predict()
            reach.append(list(call.reach_p.values()))
            runs.append(call.run)
            buckets.append(call.streak_probs)
            self.update(c / 100)
        n = len(cents)
        return Batch.of(np.array(reach, dtype=float).reshape(n, -1),
                        np.array(runs, dtype=np.int64),
                        np.array(buckets, dtype=float).reshape(n, STREAK_BUCKETS))


class BatchRunner:
    """A predictor in the backtest: predict() returns this handle and update() does nothing;
    the crash backtest scorer computes each chunk's predictions at once (vectorised)."""

    probabilistic = True

    def __init__(self, predictor: Batched):
        self.predictor = predictor
        self.name = predictor.name

    def update(self, outcome) -> None:
        """Do nothing: the scorer feeds the chunk to the predictor."""

    def predict(self) -> "BatchRunner":
        return self
