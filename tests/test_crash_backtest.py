"""Crash's backtest: batch-mode predictors and the vectorised scorer give the round-by-round
figures; the gradient-boosted model trains walk-forward only."""
from __future__ import annotations

import numpy as np
import pytest

from lottery.evaluation.backtest import replay
from lottery.games import get_game
from lottery.games.crash import sample_multipliers
from lottery.predictors.crash import PREDICTOR_SET, gbm
from lottery.predictors.crash.gbm import GbmPredictor

GAME = get_game("Crash")


@pytest.fixture
def quick_gbm(monkeypatch):
    """Refit the gradient-boosted model often, so a short history holds several fits."""
    monkeypatch.setattr(gbm, "REFIT", 700)
    monkeypatch.setattr(gbm, "TRAIN", 500)
    monkeypatch.setattr(gbm, "MIN_ROWS", 300)


def test_the_vectorised_backtest_matches_scoring_round_by_round(quick_gbm):
    # Skewed rounds (a 15% 10x) so the learning models move away from the null.
    rng = np.random.default_rng(11)
    xs = np.where(rng.random(2500) < 0.15, 10 + rng.random(2500), sample_multipliers(rng, 2500))
    outcomes = np.round(xs, 2).tolist()
    fast, slow = replay(GAME, outcomes), replay(GAME, outcomes, one_by_one=True)
    assert set(fast) == set(slow) == set(PREDICTOR_SET.names)
    for name, markets in slow.items():
        assert set(fast[name]) == set(markets), name
        for market, want in markets.items():
            got = fast[name][market]
            assert (got.n, got.hits, got.prob_n) == (want.n, want.hits, want.prob_n), (name, market)
            assert got.streaks == want.streaks
            # Sums of per-round log loss in micro-units: equal up to the last rounding.
            assert got.ll == pytest.approx(want.ll, rel=2e-6), (name, market)
            assert got.brier == pytest.approx(want.brier, rel=2e-6, abs=50), (name, market)


def _spy_fits(monkeypatch):
    fits = []
    real = GbmPredictor._fit

    def spy(self, h, end, seen):
        start = max(end - gbm.TRAIN, gbm.LOOKBACK)
        # The absolute rounds of the training labels: those before `seen`, newest last.
        fits.append((seen, h[start:end].copy()))
        return real(self, h, end, seen)

    monkeypatch.setattr(GbmPredictor, "_fit", spy)
    return fits


@pytest.mark.parametrize("batch", [False, True])
def test_the_gradient_boosted_model_never_trains_on_the_round_it_predicts(quick_gbm, monkeypatch,
                                                                         batch):
    fits = _spy_fits(monkeypatch)
    cents = sample_multipliers(np.random.default_rng(5), 2700, cents=True)
    outcomes = (cents / 100).tolist()
    if batch:
        replay(GAME, outcomes, ["gbm"])
    else:
        p = GbmPredictor()
        for x in outcomes:
            p.predict()
            p.update(x)
    # First fit once LOOKBACK + MIN_ROWS rounds are known, then every REFIT rounds.
    assert [seen for seen, _ in fits] == [500, 1200, 1900, 2600]
    for seen, labels in fits:
        # Trained on the rounds just before the predicted round `seen` (0-based), never on it.
        assert len(labels) == min(gbm.TRAIN, seen - gbm.LOOKBACK)
        assert labels.tolist() == cents[seen - len(labels):seen].tolist()


def test_gbm_features_depend_only_on_earlier_rounds():
    h = sample_multipliers(np.random.default_rng(9), 1000, cents=True)
    rows = gbm.features(h, 400, 600)
    changed = h.copy()
    changed[500:] = 100_000  # rewrite round 500 and later
    again = gbm.features(changed, 400, 600)
    assert np.array_equal(rows[:101], again[:101])  # rows up to round 500 see rounds < 500
    assert not np.array_equal(rows[101:], again[101:])
    # A row does not depend on where the buffer it is cut from starts.
    assert np.array_equal(gbm.features(h[200:], 200, 400), rows[:200])
