"""The gradient-boosted model (the streak API's "temporal" model, made honest).

Features of round t come only from rounds before it, over a fixed look-back of
LOOKBACK rounds: the last five ln X, mean ln X over 10 and 50 rounds, how often
2x and 10x were reached lately, the rounds since the last 2x and 10x, the lengths
of the last three completed 10x streaks and the multiplier that ended the last
one (the streak API's prev{i}_length and prev{i}_hit_mult). Like the streak API
it predicts the 10x streak: a histogram gradient-boosting classifier of "this
round reaches 10x" gives P(X >= 10x) (its one reach market) and, as the
per-round end chance, the distribution of the current 10x streak's length.

Walk-forward only: at a prediction, if REFIT rounds have passed since the last
fit (or none was made and MIN_ROWS rows exist), the model is refitted on the
newest TRAIN rounds before the one predicted; never on that round or later.
Refits are rare and bounded (TRAIN rows, a small model, one thread), so the
model never dominates a step of the worker or a backtest. On fair rounds the
features carry no information and the scoreboard says so.
"""
from __future__ import annotations

import importlib.util
from collections import deque

import numpy as np

from lottery.predictors.crash.base import (NULL_REACH, P_MAX, P_MIN, Batch,
                                           Batched, CrashCall, RunTracker, cents_of,
                                           geometric_streak)

# The model needs the optional extra (requirements-ml.txt); without it it is not offered.
AVAILABLE = importlib.util.find_spec("sklearn") is not None
MARKETS = tuple(NULL_REACH)
MARKET = "reach_10x"  # the one reach market it forecasts
NULL_P10 = NULL_REACH[MARKET]
LOOKBACK = 200  # rounds a feature row may look back over
TRAIN = 5000  # newest rounds a model learns from
REFIT = 25_000  # rounds between refits (a fit costs ~0.2 s: rare enough for a backtest)
MIN_ROWS = 1000  # rows before the first fit (until then: the null)
LQ_CAP = 100_000  # multipliers above 1000x count as 1000x in ln X features
_C2, _C10 = 200, 1000


def _kth_last(positions: np.ndarray, counts: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Return the index of the k-th last hit before each t in the look-back (else t-LOOKBACK-1)."""
    j = counts - k
    pos = np.where(j >= 0, positions[np.maximum(j, 0)] if len(positions) else -1, -1)
    floor = t - LOOKBACK - 1
    return np.where((j >= 0) & (pos > floor), pos, floor)


_controller = None


def _one_thread():
    """Return a context limiting OpenMP to one thread (the controller is built once: costly)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="openmp")


def features(h: np.ndarray, t0: int, t1: int) -> np.ndarray:
    """Return feature rows of rounds t0..t1-1 of `h` (cents, oldest first) from h[:t] only."""
    if t0 < LOOKBACK:
        raise ValueError(f"a feature row needs {LOOKBACK} earlier rounds")
    t = np.arange(t0, t1)
    # ln X as whole thousandths: sums are exact, so a row does not depend on where the
    # buffer it is cut from starts.
    seen = np.minimum(h[t0 - LOOKBACK:t1 - 1], LQ_CAP)
    lq = np.rint(1000 * np.log(seen / 100.0)).astype(np.int64)
    off = t0 - LOOKBACK  # h index of lq[0]
    c_lq = np.concatenate(([0], np.cumsum(lq)))
    hit2 = h[off:t1 - 1] >= _C2
    hit10 = h[off:t1 - 1] >= _C10
    c2 = np.concatenate(([0], np.cumsum(hit2)))
    c10 = np.concatenate(([0], np.cumsum(hit10)))
    r = t - off  # rows index the cumulative sums of the slice
    cols = [lq[r - k] for k in range(1, 6)]
    for w in (10, 50):
        cols.append((c_lq[r] - c_lq[r - w]) / w)
    for c, w in ((c2, 10), (c2, 50), (c10, 50), (c10, LOOKBACK)):
        cols.append(c[r] - c[r - w])
    p2 = np.flatnonzero(hit2) + off
    p10 = np.flatnonzero(hit10) + off
    last2 = _kth_last(p2, c2[r], t, 1)
    lasts = [_kth_last(p10, c10[r], t, k) for k in range(1, 5)]
    cols += [t - 1 - last2, t - 1 - lasts[0]]
    cols += [lasts[k] - lasts[k + 1] for k in range(3)]
    hit_lq = np.where(lasts[0] > t - LOOKBACK - 1, lq[np.maximum(lasts[0] - off, 0)], 0)
    cols.append(hit_lq)
    return np.column_stack(cols).astype(float)


class GbmPredictor(Batched):
    """Histogram gradient boosting on lagged streak features, walk-forward, refitted every REFIT."""

    name, probabilistic = "gbm", True

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.buffer: deque[int] = deque(maxlen=TRAIN + LOOKBACK)
        self.seen = 0
        self.model = None
        self.fitted_at = -1
        self.fits = 0
        self.tracker = RunTracker()

    def update(self, outcome) -> None:
        x = cents_of(outcome)
        self.buffer.append(x)
        self.seen += 1
        self.tracker.update(x)

    def _due(self, seen: int) -> bool:
        if self.model is None and self.fitted_at < 0:
            return seen >= LOOKBACK + MIN_ROWS
        return seen - self.fitted_at >= REFIT

    def _fit(self, h: np.ndarray, end: int, seen: int) -> None:
        """Fit on the rows before `end` of h (the newest TRAIN of them): never on round `end`."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        start = max(end - TRAIN, LOOKBACK)
        x, y = features(h, start, end), h[start:end] >= _C10
        self.fitted_at, self.fits = seen, self.fits + 1
        if len(np.unique(y)) < 2:
            self.model = None
            return
        model = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=4, learning_rate=0.1,
                                               max_bins=32, min_samples_leaf=100,
                                               early_stopping=False, random_state=self.seed)
        with _one_thread():  # a small model: threads cost more than they save
            model.fit(x, y)
        self.model = model

    def _reach(self, x: np.ndarray) -> np.ndarray:
        with _one_thread():
            proba = self.model.predict_proba(x)
        return np.clip(proba[:, 1], P_MIN, P_MAX)

    def predict(self) -> CrashCall:
        if self._due(self.seen):
            self._fit(np.fromiter(self.buffer, np.int64, len(self.buffer)), len(self.buffer),
                      self.seen)
        p10 = NULL_P10
        if self.model is not None:
            h = np.fromiter(self.buffer, np.int64, len(self.buffer))
            p10 = float(self._reach(features(h, len(h), len(h) + 1))[0])
        return CrashCall(self.name, {MARKET: p10}, self.tracker.run, geometric_streak(p10),
                         {"fitted_at": self.fitted_at, "train_rounds": TRAIN, "refit": REFIT})

    def predict_batch(self, cents: np.ndarray) -> Batch:
        n = len(cents)
        base = len(self.buffer)
        h = np.concatenate((np.fromiter(self.buffer, np.int64, base), cents))
        p10 = np.full(n, NULL_P10)
        j = 0
        while j < n:
            seen = self.seen + j
            if self._due(seen):
                self._fit(h, base + j, seen)
            # Predict with this model up to the next round a refit is due at.
            k = j + 1
            while k < n and not self._due(self.seen + k):
                k += 1
            if self.model is not None:
                p10[j:k] = self._reach(features(h, base + j, base + k))
            j = k
        self.buffer.extend(cents.tolist())
        self.seen += n
        reach = np.full((n, len(MARKETS)), np.nan)  # NaN: no forecast in that market
        reach[:, MARKETS.index(MARKET)] = p10
        return Batch.geometric(reach, self.tracker.runs(cents), p10)
