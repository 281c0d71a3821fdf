"""The Aviator app's engine: trend, volatility, momentum, mean reversion and cycle signals.

The app mixed these into a "predicted multiplier" and a "confidence" that was
no probability. Here the mixed signal s moves each target's log-odds away from
the null, logit P(X >= m) = logit(0.99 / m) + b_m * s, and b_m is learned
online from the rounds already settled (stochastic gradient on log loss,
walk-forward: a round's outcome only ever updates the weights after it was
predicted). On fair rounds b_m stays near 0 and the forecasts near the null.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lottery.predictors.crash.base import (NULL_REACH, P_MAX, P_MIN, TARGET_CENTS, Batch,
                                           Batched, CrashCall, RunTracker, cents_of, clip,
                                           geometric_streak)

MARKETS = tuple(NULL_REACH)
WEIGHTS = {"trend": 0.3, "volatility": 0.15, "momentum": 0.25, "mean_reversion": 0.2,
           "cycle": 0.1}  # the app's mix
SHORT, MEDIUM, LONG = 3, 10, 200
LEARNING_RATE = 0.005
MAX_WEIGHT = 2.0


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


class EnginePredictor(Batched):
    """Signals of the recent ln X series, turned into calibrated probabilities per target."""

    name, probabilistic = "engine", True

    def __init__(self):
        self.recent: deque[float] = deque(maxlen=MEDIUM * 2)
        self.long_mean = 0.99  # E[ln X] of fair rounds is about 0.99 - 0.01 ... start near it
        self.long_var = 1.0
        self.decay = 1 - 1 / LONG
        self.b = [0.0] * len(TARGET_CENTS)
        self.logit0 = [_logit(NULL_REACH[m]) for m in MARKETS]
        self.last_signal: float | None = None
        self.tracker = RunTracker()

    def signals(self) -> dict[str, float]:
        """Return the five signals of the recent rounds, in standard units."""
        xs = list(self.recent)
        if len(xs) < MEDIUM:
            return {k: 0.0 for k in WEIGHTS}
        sd = math.sqrt(self.long_var) or 1.0
        last = xs[-MEDIUM:]
        mean_m = sum(last) / MEDIUM
        mean_s = sum(xs[-SHORT:]) / SHORT
        # Least-squares slope over the last MEDIUM rounds, per round.
        t_mean = (MEDIUM - 1) / 2
        slope = sum((t - t_mean) * (v - mean_m) for t, v in enumerate(last)) / \
            sum((t - t_mean) ** 2 for t in range(MEDIUM))
        vol = math.sqrt(sum((v - mean_m) ** 2 for v in last) / (MEDIUM - 1))
        centred = [v - self.long_mean for v in xs]
        lag = 2  # the app's "cycle": does the round two back repeat?
        cycle = centred[-lag] * (sum(a * b for a, b in zip(centred[lag:], centred[:-lag]))
                                 / max(sum(c * c for c in centred), 1e-9))
        return {"trend": slope * MEDIUM / sd, "volatility": (vol - sd) / sd,
                "momentum": (mean_s - mean_m) / sd, "mean_reversion": (self.long_mean - mean_m) / sd,
                "cycle": cycle / sd}

    def _signal(self) -> float:
        return sum(WEIGHTS[k] * v for k, v in self.signals().items())

    def update(self, outcome) -> None:
        x = cents_of(outcome)
        if self.last_signal is not None:
            s = self.last_signal
            for i, c in enumerate(TARGET_CENTS):
                p = _sigmoid(self.logit0[i] + self.b[i] * s)
                grad = (p - (1.0 if x >= c else 0.0)) * s
                self.b[i] = max(-MAX_WEIGHT, min(MAX_WEIGHT, self.b[i] - LEARNING_RATE * grad))
        lx = math.log(x / 100)
        self.long_mean = self.decay * self.long_mean + (1 - self.decay) * lx
        self.long_var = self.decay * self.long_var + (1 - self.decay) * (lx - self.long_mean) ** 2
        self.recent.append(lx)
        self.tracker.update(x)
        self.last_signal = None

    def predict(self) -> CrashCall:
        s = self._signal()
        self.last_signal = s
        reach = {m: clip(_sigmoid(self.logit0[i] + self.b[i] * s)) for i, m in enumerate(MARKETS)}
        p10 = reach.get("reach_10x", NULL_REACH.get("reach_10x", 0.099))
        return CrashCall(self.name, reach, self.tracker.run, geometric_streak(p10),
                         {"signal": round(s, 4)})

    # -- batch mode: the same recurrences, the signals of a whole chunk at once -------------
    def predict_batch(self, cents: np.ndarray) -> Batch:
        full = self.recent.maxlen
        head = min(len(cents), full - len(self.recent))  # the first rounds ever: one by one
        if head:
            first = super().predict_batch(cents[:head])
        rest = cents[head:]
        n = len(rest)
        if not n:
            return first
        lx = np.log(rest / 100.0)
        from scipy.signal import lfilter  # the backtest only: scipy is heavy for the worker

        d = self.decay
        means, _ = lfilter([1 - d], [1.0, -d], lx, zi=[d * self.long_mean])
        varis, _ = lfilter([1 - d], [1.0, -d], (lx - means) ** 2, zi=[d * self.long_var])
        mean_before = np.concatenate(([self.long_mean], means[:-1]))
        var_before = np.concatenate(([self.long_var], varis[:-1]))
        windows = sliding_window_view(np.concatenate((list(self.recent), lx)), full)[:n]
        signal = self._signals_batch(windows, mean_before, var_before)
        reach = np.empty((n, len(MARKETS)))
        signals = signal.tolist()
        lr, cap, exp = LEARNING_RATE, MAX_WEIGHT, math.exp
        # The targets learn independently: one pass over the chunk per target.
        for i, c in enumerate(TARGET_CENTS):
            b, l0, out = self.b[i], self.logit0[i], []
            for s, y in zip(signals, (rest >= c).tolist()):
                z = l0 + b * s
                p = 1 / (1 + exp(-z)) if z >= 0 else exp(z) / (1 + exp(z))
                out.append(p)
                if s:
                    w = b - lr * (p - y) * s
                    b = cap if w > cap else -cap if w < -cap else w
            self.b[i] = b
            reach[:, i] = out
        self.long_mean, self.long_var = float(means[-1]), float(varis[-1])
        self.recent.extend(lx[-full:].tolist())
        self.last_signal = None
        batch = Batch.geometric(np.clip(reach, P_MIN, P_MAX), self.tracker.runs(rest),
                                reach[:, MARKETS.index("reach_10x")])
        if not head:
            return batch
        return Batch(*(np.concatenate((a, b)) for a, b in
                       ((first.reach, batch.reach), (first.run, batch.run),
                        (first.buckets, batch.buckets), (first.hazard, batch.hazard))))

    @staticmethod
    def _signals_batch(xs: np.ndarray, long_mean: np.ndarray, long_var: np.ndarray) -> np.ndarray:
        """Return the mixed signal of full windows (rows of the last 2*MEDIUM ln X): signals()."""
        sd = np.sqrt(long_var)
        sd = np.where(sd == 0, 1.0, sd)
        last = xs[:, -MEDIUM:]
        mean_m = last.mean(axis=1)
        mean_s = xs[:, -SHORT:].mean(axis=1)
        t = np.arange(MEDIUM) - (MEDIUM - 1) / 2
        slope = ((last - mean_m[:, None]) * t).sum(axis=1) / (t * t).sum()
        vol = np.sqrt(((last - mean_m[:, None]) ** 2).sum(axis=1) / (MEDIUM - 1))
        centred = xs - long_mean[:, None]
        lag = 2
        cycle = centred[:, -lag] * ((centred[:, lag:] * centred[:, :-lag]).sum(axis=1)
                                    / np.maximum((centred * centred).sum(axis=1), 1e-9))
        parts = {"trend": slope * MEDIUM / sd, "volatility": (vol - sd) / sd,
                 "momentum": (mean_s - mean_m) / sd, "mean_reversion": (long_mean - mean_m) / sd,
                 "cycle": cycle / sd}
        return sum(WEIGHTS[k] * v for k, v in parts.items())
