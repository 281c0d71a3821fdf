"""Crash predictors: walk-forward probabilities, honest verdicts on fair and biased rounds."""
from __future__ import annotations


import numpy as np
import pytest

from lottery.evaluation import scoreboard
from lottery.evaluation.backtest import backtest
from lottery.games import get_game
from lottery.games.crash import RTP, sample_multipliers
from lottery.predictors.crash import PREDICTOR_SET
from lottery.evaluation.crash_audit import audit_multipliers

GAME = get_game("Crash")


def _board(xs):
    return scoreboard.build(GAME, backtest(GAME, [float(x) for x in xs], jobs=1))


def test_every_predictor_gives_probabilities_the_game_accepts():
    preds = PREDICTOR_SET.build()
    assert [p.name for p in preds] == ["null", "frequency", "engine", "gbm", "ensemble"]
    for x in sample_multipliers(np.random.default_rng(1), 300):
        for p in preds:
            body = GAME.normalise_prediction(p.predict().to_dict())
            # The gradient-boosted model forecasts the 10x streak only (as the streak API).
            assert set(body["reach_p"]) == ({"reach_10x"} if p.name == "gbm" else {
                "reach_1.5x", "reach_2x", "reach_3x", "reach_5x", "reach_10x", "reach_100x"})
            assert all(0 < v < 1 for v in body["reach_p"].values())
            p.update(float(x))
    null = preds[0].predict().to_dict()
    assert null["reach_p"]["reach_2x"] == pytest.approx(RTP / 2)


def test_fair_rounds_earn_no_edge_and_a_biased_generator_is_caught():
    # The done-when: 200,000 fair rounds, every predictor (the backtest scores them
    # in vectorised chunks, pinned to round-by-round scoring in test_crash_backtest.py).
    fair = sample_multipliers(np.random.default_rng(7), 200_000)
    board = _board(fair)
    assert {r["predictor"] for r in board["rows"]} == set(PREDICTOR_SET.names)
    assert {r["market"] for r in board["rows"]} == set(GAME.market_names)
    assert all(r["n"] >= 190_000 or r["market"] == "streak_10x" for r in board["rows"])
    assert all(row["verdict"] not in ("edge", "better than chance") for row in board["rows"])
    # A biased generator: 10x comes 15% of the time instead of 9.9%.
    rng = np.random.default_rng(8)
    n = 200_000
    biased = np.where(rng.random(n) < 0.15, 10 + rng.random(n), 1 + rng.random(n) * 8.99)
    rows = {(r["predictor"], r["market"]): r for r in _board(np.round(biased, 2))["rows"]}
    freq = rows[("frequency", "reach_10x")]
    assert freq["log_loss"] < rows[("null", "reach_10x")]["log_loss"]
    assert freq["verdict"] == "edge"  # 15% hits against a 10% break-even
    # The learning models notice it too: better log loss than the null where 10x is concerned.
    for name in ("gbm", "ensemble"):
        assert rows[(name, "reach_10x")]["log_loss"] < rows[("null", "reach_10x")]["log_loss"]
        assert rows[(name, "streak_10x")]["log_loss"] < rows[("null", "streak_10x")]["log_loss"]


def test_the_audit_passes_fair_rounds_and_rejects_biased_ones():
    fair = audit_multipliers(sample_multipliers(np.random.default_rng(3), 5000).tolist())
    assert all(t["p_value"] > 0.001 for t in fair.values())
    rng = np.random.default_rng(4)
    sticky = np.repeat(sample_multipliers(rng, 2500), 2)  # each round repeated: dependent
    bad = audit_multipliers(sticky.tolist())
    assert bad["ljung_box"]["p_value"] < 1e-6 and bad["runs_2x"]["p_value"] < 1e-6
    skewed = audit_multipliers((1 + np.random.default_rng(5).random(5000) * 3).round(2).tolist())
    assert skewed["distribution"]["p_value"] < 1e-6
