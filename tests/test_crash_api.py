"""The streak API's routes (field names of 0xbhvn/crash-exploratory-analysis) and manual rounds."""
from __future__ import annotations

import pytest

from clock import FakeClock
from conftest import ADMIN_TOKEN, close_app, make_app
from lottery.games.crash import PROFILES
from lottery.store import draws
from lottery.worker import Worker, build_source

GAME_FIELDS = {"game_id", "crash_point", "hash_value", "calculated_point", "crashed_floor",
               "end_time", "prepare_time", "begin_time"}
STREAK_FIELDS = {"id", "created_at", "streak_number", "start_game_id", "end_game_id",
                 "streak_length", "hit_multiplier", "mean_multiplier", "std_multiplier",
                 "max_multiplier", "min_multiplier"}
PREDICTION_FIELDS = {"next_streak_number", "starts_after_game_id", "predicted_cluster",
                     "prediction_desc", "confidence", "confidence_distribution",
                     "prediction_entropy", "model_version", "feature_set", "lookback_window"}
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def client(settings, r):
    crash = settings.with_(games=("Crash",), sim_backfill=400)
    worker = Worker(crash, r, build_source(crash, r), clock=FakeClock())
    worker.run(max_iterations=1)
    app = make_app(crash, r)
    yield app.test_client()
    close_app(app)


def test_games_route_has_the_streak_api_fields_and_verifiable_points(client):
    rows = client.get("/games/?limit=5").json
    assert len(rows) == 5 and set(rows[0]) == GAME_FIELDS
    assert rows[0]["game_id"] == "400" and rows[1]["game_id"] == "399"  # newest first
    for row in rows:
        assert row["calculated_point"] == row["crash_point"]
        assert row["crashed_floor"] == int(row["crash_point"])
        assert row["prepare_time"] < row["begin_time"] < row["end_time"]
    assert client.get("/games/?skip=398&limit=5").json[-1]["game_id"] == "1"
    assert client.get("/games/?limit=0").status_code == 400


def test_streaks_route_counts_rounds_up_to_and_including_the_first_10x(client):
    rows = client.get("/streaks/?limit=1000").json
    assert rows and set(rows[0]) == STREAK_FIELDS
    games = {int(g["game_id"]): g["crash_point"] for g in client.get("/games/?limit=1000").json}
    for s in rows:
        inside = [games[i] for i in range(s["start_game_id"], s["end_game_id"] + 1)]
        assert s["streak_length"] == len(inside) and inside[-1] >= 10 > max(inside[:-1] or [0])
        assert s["hit_multiplier"] == inside[-1] and s["max_multiplier"] == max(inside)
    assert [s["streak_number"] for s in rows] == list(range(len(rows), 0, -1))
    assert rows[0]["end_game_id"] == max(s["end_game_id"] for s in rows)


def test_post_predictions_gives_the_geometric_class_odds_and_rejects_bad_bodies(client):
    body = {"recent_streaks": [{"streak_number": 7, "end_game_id": 120, "streak_length": 30},
                               {"streak_number": 8, "end_game_id": 125, "streak_length": 5}],
            "lookback": 50}
    resp = client.post("/predictions/", json=body)
    assert resp.status_code == 200
    pred = resp.json
    assert PREDICTION_FIELDS <= set(pred)
    assert pred["next_streak_number"] == 9 and pred["starts_after_game_id"] == 125
    dist = pred["confidence_distribution"]
    assert sum(dist.values()) == pytest.approx(1, abs=1e-5)
    assert dist["short"] == pytest.approx(1 - 0.901 ** 3, abs=1e-4)  # 26.9%: the best call
    assert pred["prediction_desc"] == "short" and pred["confidence"] == dist["short"]
    for bad in ({}, {"recent_streaks": []}, {"recent_streaks": [{"streak_length": 0}]},
                {"recent_streaks": [{"streak_length": "3"}]},
                {"recent_streaks": [{"streak_length": 3}], "lookback": 0}):
        resp = client.post("/predictions/", json=bad)
        assert resp.status_code == 400 and set(resp.json) >= {"error", "message"}


def test_get_predictions_lists_the_streak_calls_recorded_before_each_streak(client, r):
    from lottery.games import get_game
    from lottery.games.crash import null_prediction
    from lottery.store import predictions

    streak = client.get("/streaks/?limit=1000").json[-1]  # the oldest complete streak
    call = {"predictor": "null", **null_prediction()}
    predictions.save_prediction(r, get_game("Crash"), str(streak["start_game_id"]), call, 1000)
    rows = [row for row in client.get("/predictions/").json
            if row["id"] == streak["start_game_id"]]
    assert len(rows) == 1 and PREDICTION_FIELDS <= set(rows[0])
    row = rows[0]
    assert row["prediction_desc"] == "short" and row["confidence"] == pytest.approx(0.2686, abs=1e-3)
    assert row["actual_streak_length"] == streak["streak_length"]
    assert row["correct"] == (streak["streak_length"] <= 3)


@pytest.mark.parametrize("row,needle", [
    ({"round_id": 900, "multiplier": "abc"}, "not a multiplier"),
    ({"round_id": 900, "multiplier": 0.5}, "at least 1.00"),
    ({"round_id": 900, "multiplier": "NaN"}, "not a multiplier"),
    ({"round_id": 900, "multiplier": 1e12}, "absurdly large"),
    ({"round_id": 5, "multiplier": 2}, "already stored"),
    ({"round_id": 900, "hash": "ab" * 32, "profile": "nope"}, "unknown profile"),
    ({"round_id": "x", "multiplier": 2}, "round id"),
])
def test_manual_rounds_reject_bad_input_and_store_nothing(client, r, row, needle):
    before = draws.count(r, "Crash")
    resp = client.post("/api/crash/rounds", json={"rounds": [{"round_id": 901, "multiplier": 2},
                                                             row]}, headers=AUTH)
    assert resp.status_code == 400 and needle in resp.json["message"]
    assert draws.count(r, "Crash") == before and draws.get_draw(r, "Crash", "901") is None


def test_manual_rounds_are_stored_from_a_multiplier_or_a_profile_hash(client, r):
    assert client.post("/api/crash/rounds", json={"round_id": 901, "multiplier": 2}).status_code \
        in (401, 403)
    v2 = PROFILES["bustabit_v2"]
    h = "ab" * 32
    resp = client.post("/api/crash/rounds", headers=AUTH, json={"rounds": [
        {"round_id": 901, "multiplier": "3.5x", "time": "2026-01-01T00:10:00Z"},
        {"round_id": 902, "hash": h, "profile": "bustabit_v2"}]})
    assert resp.status_code == 201 and resp.json["stored"] == ["901", "902"]
    assert draws.get_draw(r, "Crash", "901")["multiplier"] == 3.5
    assert draws.get_draw(r, "Crash", "902")["multiplier"] == v2.multiplier(h)
    dup = client.post("/api/crash/rounds", headers=AUTH, json={"round_id": 901, "multiplier": 2})
    assert dup.status_code == 400 and dup.json["error"] == "duplicate_round"
