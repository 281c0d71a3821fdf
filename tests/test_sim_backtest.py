"""Backtests: fixed targets, walk-forward predictors, recorded predictions, CSV, API."""
import json

import pytest
import redis

from lottery.cli import main
from lottery.store import scores as recorder
from lottery.games import get_game
from lottery.predictors.wingo.base import from_probs
from lottery.sim import backtest
from lottery.sim.strategies import SimInputError
from lottery.sources.base import Draw
from lottery.store import draws, predictions
from lottery.web import create_app

GAME = get_game("WinGo_1M")
FIRST = GAME.issue_ordinal("20250828100010100")


def _issue(k: int) -> str:
    return GAME.issue_from_ordinal(FIRST + k)


def _store_draws(r, digits):
    draws.add_draws(r, GAME, [Draw(GAME.code, _issue(k), d, source="test")
                              for k, d in enumerate(digits)], 100_000)


def test_fixed_target_backtest_gives_the_hand_computed_wallet():
    plan = backtest.parse_backtest(GAME, {"target": "Big", "progression": "martingale",
                                          "multipliers": [1, 2, 4], "base_bet": 10,
                                          "initial_wallet": 100, "warmup": 2, "draws": 5})
    digits = [9, 9, 0, 1, 7, 2, 3]
    res = backtest.run_backtest(plan, digits, backtest.plan_bets(plan, digits))
    # Bets on 0, 1, 7, 2, 3 (after 2 warm-up draws): -10, -20, +38.4 (40 x 0.96), -10, -20.
    assert res["bets_placed"] == 5
    assert res["final_wallet"] == pytest.approx(78.4)
    assert res["total_wagered"] == pytest.approx(100)
    assert [p["wallet"] for p in res["path"]] == pytest.approx([90, 70, 108.4, 98.4, 78.4])
    assert res["hit_rate"]["hits"] == 1 and res["hit_rate"]["chance"] == 0.5
    assert res["return_per_unit"]["expected"] == pytest.approx(0.98)
    assert res["stop_reason"] == "max_rounds"


class Spy:
    """A predictor that records what it saw and always predicts the last digit it was fed."""

    name = "spy"
    probabilistic = False

    def __init__(self):
        self.seen = []
        self.predicted_after = []

    def update(self, digit):
        self.seen.append(digit)

    def predict(self):
        self.predicted_after.append(len(self.seen))
        last = self.seen[-1] if self.seen else 0
        return from_probs("spy", [1.0 if d == last else 0.0 for d in range(10)])


def test_walk_forward_never_shows_a_predictor_the_draw_it_predicts():
    spy = Spy()
    digits = [3, 4, 4, 8, 8, 1]
    bets = backtest.walk_forward_bets(GAME, digits, spy, "number", warmup=2)
    assert spy.predicted_after == [2, 3, 4, 5]  # predicted before each draw was fed
    assert bets == ["4", "4", "8", "8"]  # the previous digit, never the one drawn
    assert spy.seen == digits


def test_predictor_following_backtest_over_stored_draws(r, settings):
    digits = [d % 10 for d in range(3, 603, 7)]
    _store_draws(r, digits)
    plan = backtest.parse_backtest(GAME, {"predictor": "markov", "market": "big_small",
                                          "draws": 50, "warmup": 30, "path_points": 10})
    res = backtest.backtest_stored(r, plan)
    assert res["draws_replayed"] == 50 and res["bets_placed"] == 50
    assert len(res["path"]) == 10 and res["path"][-1]["bet"] == 50
    assert res["path"][-1]["issue"] == _issue(len(digits) - 1)
    assert res["hit_rate"]["n"] == 50 and 0 <= res["hit_rate"]["p_value"] <= 1


def test_recorded_predictions_skip_issues_without_one(r):
    _store_draws(r, [5, 6, 1, 2])
    # A report prediction for issue 1 (its stored result must not matter) and 3; none for 2.
    predictions.save_prediction(r, GAME, _issue(1), {"numbers": [6, 0, 1], "big_small": "Big",
                                                     "color": "Red"}, 100)
    predictions.resolve_prediction(r, GAME.code, _issue(1), {"number": 6})
    predictions.save_prediction(r, GAME, _issue(3), {"numbers": [9, 0, 1], "big_small": "Big",
                                                     "color": "Green"}, 100)
    plan = backtest.parse_backtest(GAME, {"predictor": "report", "market": "number",
                                          "warmup": 1, "draws": 3, "base_bet": 1,
                                          "initial_wallet": 10})
    res = backtest.backtest_stored(r, plan)
    assert res["skipped_no_prediction"] == 1 and res["bets_placed"] == 2
    assert res["final_wallet"] == pytest.approx(10 + 7.82 - 1)  # 6 wins, 9 loses on 2


def test_recorded_scoreboard_predictions(r):
    _store_draws(r, [1, 2])
    recorder.record(r, GAME.code, _issue(2), {"ai": {"numbers": [4], "big_small": "Small",
                                                     "color": "Red"}})
    _store_draws(r, [1, 2, 4])
    bets = backtest.recorded_bets(r, GAME, [_issue(1), _issue(2)], "ai", "color")
    assert bets == [None, "Red"]


def test_backtest_needs_more_draws_than_the_warm_up(r):
    _store_draws(r, [1, 2, 3])
    plan = backtest.parse_backtest(GAME, {"target": "Small", "warmup": 3})
    with pytest.raises(SimInputError, match="only 3 draws"):
        backtest.backtest_stored(r, plan)


@pytest.mark.parametrize("body,message", [
    ({"predictor": "oracle"}, "predictor must be one of"),
    ({"predictor": "markov", "market": "sum"}, "market"),
    ({"predictor": "markov", "target": "Big"}, "either target"),
    ({"market": "color"}, "used with a predictor"),
    ({"draws": 100_001}, "draws must be at most"),
    ({"seed": 1}, "unknown field"),
])
def test_bad_backtests_are_rejected(body, message):
    with pytest.raises(SimInputError, match=message):
        backtest.parse_backtest(GAME, body)


def test_cli_backtest_from_a_csv_file(tmp_path, capsys):
    path = tmp_path / "draws.csv"
    rows = [f"{_issue(k)},{(k * 3) % 10}" for k in range(40)]
    path.write_text("issue,number\n" + "\n".join(rows) + "\n")
    assert main(["simulate", "--backtest", "--csv", str(path), "--target", "Small",
                 "--warmup", "10", "--draws", "30", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["source"] == str(path) and res["bets_placed"] == 30
    assert main(["simulate", "--backtest", "--csv", str(path), "--predictor", "sequence",
                 "--market", "color", "--warmup", "10"]) == 0
    assert "hit rate" in capsys.readouterr().out
    assert main(["simulate", "--backtest", "--csv", str(path), "--predictor", "ai",
                 "--market", "color"]) == 2
    assert "replayed from the stored history" in capsys.readouterr().err
    assert main(["simulate", "--backtest", "--csv", str(tmp_path / "none.csv")]) == 2


def test_backtest_endpoint(r, settings, redis_url):
    from lottery import keys
    from lottery.sim import jobs

    _store_draws(r, [k % 10 for k in range(100)])
    client = create_app(settings, redis.Redis.from_url(redis_url)).test_client()
    r.set(keys.heartbeat(keys.SIM_WORKER), "alive")
    res = client.post("/api/simulator/backtest?game=WinGo_1M",
                      json={"target": "Green", "draws": 50, "warmup": 0})
    assert res.status_code == 202
    jobs.run_next(r, settings)  # what the simulator worker does
    done = client.get(res.get_json()["result_url"]).get_json()
    assert done["status"] == "done" and done["result"]["bets_placed"] == 50
    bad = client.post("/api/simulator/backtest", json={"draws": -1})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"
    bad = client.post("/api/simulator/backtest?game=Nope", json={})
    assert bad.status_code == 400
    assert jobs.queued(r) == 0
