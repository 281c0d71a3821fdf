"""Optional ML ticket modes (scikit-learn): random_forest and gradient_boosting.

Walk-forward: a model is fitted only on draws before the one it predicts,
refitted every REFIT draws on the newest TRAIN_DRAWS, never on the target draw
(no shuffled cross-validation of a time series, no feature that contains the
target). Features of a ball at a draw: its count in the last 10 and 50 draws
and the draws since it was last seen; target: whether it is drawn next. Seeded
(random_state) so every ticket is reproducible. On a fair draw these features
carry no information, and the scoreboard says so.
"""
from __future__ import annotations

import numpy as np

from lottery.predictors.pick import _Mode, _top, _weighted_sample

REFIT = 100  # draws between refits
TRAIN_DRAWS = 300  # newest draws a model learns from
SHORT, LONG = 10, 50


class _Model(_Mode):
    def __init__(self, game, seed=0):
        super().__init__(game, seed)
        self.history: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        self.models = None
        self.fitted_at = -1

    def update(self, outcome) -> None:
        before = self.seen
        super().update(outcome)
        if self.seen != before:  # counted: this era's outcome
            self.history.append((tuple(outcome[0]), tuple(outcome[1])))
            del self.history[:-(TRAIN_DRAWS + LONG + 1)]

    @staticmethod
    def _features(draws: list[tuple[int, ...]], top: int, upto: int) -> np.ndarray:
        """Return per-ball features from draws[:upto] (rows: balls 1..top)."""
        short = np.zeros(top + 1)
        long = np.zeros(top + 1)
        gap = np.full(top + 1, float(LONG))
        for back, balls in enumerate(reversed(draws[max(0, upto - LONG):upto])):
            for b in balls:
                long[b] += 1
                if back < SHORT:
                    short[b] += 1
                gap[b] = min(gap[b], back)
        return np.column_stack([short[1:], long[1:], gap[1:]])

    def _fit(self, part: int, top: int):
        draws = [h[part] for h in self.history]
        start = max(LONG, len(draws) - TRAIN_DRAWS)
        xs, ys = [], []
        for t in range(start, len(draws)):
            xs.append(self._features(draws, top, t))
            y = np.zeros(top)
            y[[b - 1 for b in draws[t]]] = 1
            ys.append(y)
        if not xs:
            return None
        x, y = np.vstack(xs), np.concatenate(ys)
        if y.min() == y.max():
            return None
        model = self.estimator()
        model.fit(x, y)
        return model

    def _scores(self) -> tuple[list[float], list[float]]:
        era = self.era
        if self.models is None or self.seen - self.fitted_at >= REFIT:
            self.models = (self._fit(0, era.white_max), self._fit(1, era.bonus_max))
            self.fitted_at = self.seen
        out = []
        for part, top, model in ((0, era.white_max, self.models[0]),
                                 (1, era.bonus_max, self.models[1])):
            if model is None:
                out.append([1.0] * (top + 1))
                continue
            x = self._features([h[part] for h in self.history], top, len(self.history))
            p = model.predict_proba(x)[:, 1]
            out.append([0.0] + [float(v) + 1e-9 for v in p])
        return out[0], out[1]

    def predict(self):
        whites, bonus = self._scores()
        rng = self.rng()
        return self.ticket(_top(whites, self.era.whites, rng), _top(bonus, self.era.bonus, rng))

    def weights(self):
        return self._scores()

    def tickets(self, n, seed=0):
        import random

        rng = random.Random(f"{seed}:{self.game.code}:{self.name}:{self.seen}:batch")
        white_w, bonus_w = self._scores()
        return [self.ticket(_weighted_sample(white_w, self.era.whites, rng),
                            _weighted_sample(bonus_w, self.era.bonus, rng)) for _ in range(n)]


class RandomForestMode(_Model):
    """random_forest: a small random forest on per-ball recency features."""

    name = "random_forest"

    def estimator(self):
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=20, max_depth=6, min_samples_leaf=20,
                                      random_state=self.seed, n_jobs=1)


class GradientBoostingMode(_Model):
    """gradient_boosting (the original's "v2"): histogram gradient boosting on the same features."""

    name = "gradient_boosting"

    def estimator(self):
        # The classic booster: the histogram one's per-call thread start-up costs ~15 ms a
        # prediction, too slow for a walk-forward backtest of every draw.
        from sklearn.ensemble import GradientBoostingClassifier

        return GradientBoostingClassifier(n_estimators=40, max_depth=3, subsample=0.8,
                                          random_state=self.seed)
