"""WinGo's vectorised backtest scorer: the rules of `lottery.games.wingo.score`, in numpy.

A backtest scores hundreds of thousands of predictions; scoring them one by one
through `Game.score` would cost more than predicting them. A test pins this to
the one-by-one result.
"""
from __future__ import annotations

import numpy as np

from lottery.evaluation.scoring import MICRO, P_FLOOR, MarketTotals, streaks_of
from lottery.games.wingo import BIG, DIGITS, GREEN, MARKET_NAMES, RED, SMALL, primary_color, size

_IS_BIG = np.array([size(d) == BIG for d in DIGITS])
_IS_GREEN = np.array([primary_color(d) == GREEN for d in DIGITS])
_SIDE_CODE = {BIG: 1, SMALL: 0, GREEN: 1, RED: 0, None: -1}


class DigitScorer:
    """One predictor's predictions, scored in vectorised chunks (the rules of scoring.score)."""

    def __init__(self, game=None):
        self.pending: list = []
        self.hits: dict[str, list[np.ndarray]] = {m: [] for m in MARKET_NAMES}
        self.p_digit: list[np.ndarray] = []  # P(drawn digit), number market
        self.sum_sq: list[np.ndarray] = []  # sum of squared probabilities (Brier)
        self.p_side: dict[str, list[np.ndarray]] = {"big_small": [], "color": []}

    def score_pending(self, digits) -> None:
        """Score the pending predictions against their drawn digits."""
        preds, self.pending = self.pending, []
        if not preds:
            return
        d = np.asarray(digits)
        nums = [p.numbers for p in preds]
        has_one = np.array([len(n) >= 1 for n in nums])
        if has_one.any():
            top = np.array([(tuple(n) + (-1, -1, -1))[:3] for n in nums])
            self.hits["number"].append((top[:, 0] == d)[has_one])
            has_three = np.array([len(n) >= 3 for n in nums])
            self.hits["top3"].append((top == d[:, None]).any(axis=1)[has_three])
            with_probs = has_one & np.array([p.probs is not None for p in preds])
            if with_probs.any():
                probs = np.array([p.probs for p, ok in zip(preds, with_probs) if ok])
                p_d = probs[np.arange(len(probs)), d[with_probs]]
                self.p_digit.append(p_d)
                self.sum_sq.append((probs * probs).sum(axis=1))
        for market, pick, prob, is_one in (("big_small", "big_small", "big_small_p", _IS_BIG),
                                           ("color", "color", "color_p", _IS_GREEN)):
            code = np.array([_SIDE_CODE[getattr(p, pick)] for p in preds])
            taking = code >= 0
            if not taking.any():
                continue
            hit = code == is_one[d]
            self.hits[market].append(hit[taking])
            q = [getattr(p, prob) for p in preds]
            with_q = taking & np.array([x is not None for x in q])
            if with_q.any():
                qa = np.array([x for x, ok in zip(q, with_q) if ok], dtype=float)
                self.p_side[market].append(np.where(hit[with_q], qa, 1 - qa))

    def totals(self) -> dict[str, MarketTotals]:
        """Return the market totals of everything scored."""
        out = {}
        for market, parts in self.hits.items():
            x = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
            if not x.size:
                continue
            t = MarketTotals(int(x.size), int(x.sum()), streaks=streaks_of(x))
            if market == "number" and self.p_digit:
                p = np.concatenate(self.p_digit)
                t.prob_n = int(p.size)
                t.ll = _micro(-np.log(np.maximum(p, P_FLOOR)))
                t.brier = _micro(np.concatenate(self.sum_sq) - 2 * p + 1)
            elif self.p_side.get(market):
                q = np.concatenate(self.p_side[market])
                t.prob_n = int(q.size)
                t.ll = _micro(-np.log(np.maximum(q, P_FLOOR)))
                t.brier = _micro((1 - q) ** 2)
            out[market] = t
        return out


def _micro(values: np.ndarray) -> int:
    return int(np.round(values * MICRO).sum())
