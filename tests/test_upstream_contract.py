"""Contract tests: every upstream route answers with the field names, types, nesting and
status codes the upstream service's code builds (schemas in upstream_schema.py), against
the real app, a real Redis server, the real draw worker, AI store and simulator worker."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, strategies as st
import redis

from clock import FakeClock
from conftest import ADMIN_HEADERS, join_thread
from lottery import keys
from lottery.ai import store as ai_store
from lottery.games import get_game
from lottery.sim.worker import SimulatorWorker
from lottery.web import create_app
from lottery.worker import Worker, build_source
import upstream_schema as S

GAME = get_game("WinGo_1M")
AUTH = ADMIN_HEADERS
ORIGIN = "https://workforakng.github.io"


def conforms(body, schema):
    problems = S.check(body, schema)
    assert problems == [], problems


@pytest.fixture(scope="module")
def live(redis_url, tmp_path_factory):
    """Twelve settled periods after a back-fill, an AI prediction, a paper session."""
    from lottery.config import Settings

    settings = Settings.from_env({}, dotenv=False).with_(
        redis_url=redis_url, data_dir=tmp_path_factory.mktemp("data"),
        admin_token="test-admin-token", sim_secret="test-secret", sim_backfill=300,
        cors_origins=(ORIGIN,), games=(GAME.code, "WinGo_5M"))
    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    app = create_app(settings, redis.Redis.from_url(redis_url))
    clock = FakeClock(datetime.now(UTC))
    worker = Worker(settings, r, build_source(settings, r), clock=clock)
    worker.step(GAME.code)
    sim = SimulatorWorker(settings, redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url))
    sim.beat(force=True)  # alive from now on, whether or not its loop has begun
    thread = threading.Thread(target=sim.run, daemon=True)
    thread.start()
    client = app.test_client()
    # The upstream page's body: strategies nested under bet_strategies, multipliers as text.
    started = client.post("/api/simulator/start", headers=AUTH, json={
        "initial_wallet": 1000, "simulation_mode": "internal_logic", "bet_strategies": {
            "color_bet_strategy": {"is_active": True, "target_color": "Green", "base_bet": 10,
                                   "bet_multipliers": "1,2,4"},
            "big_small_bet_strategy": {"is_active": True, "target_side": "Big", "base_bet": 10,
                                       "bet_multipliers": "1,2,4,8,16"},
            "number_bet_strategy": {"is_active": True, "target_number": 7, "base_bet": 5,
                                    "bet_multipliers": "1"}}})
    assert started.status_code == 200, started.json
    for _ in range(12):
        clock.advance(GAME.period_seconds)
        worker.step(GAME.code)
    # An AI prediction for the open issue and a resolved one for a settled issue.
    settled = client.get("/api/history?per_page=2").json["items"][1]
    for issue in (settled["issue"], GAME.next_issue(
            client.get("/api/history?per_page=1").json["items"][0]["issue"])):
        ai_store.save_prediction(r, GAME, {
            "game": GAME.code, "issue": issue, "status": "ok", "model": "m", "timestamp":
            "2026-01-01T00:00:00+00:00", "number": 7, "size": "Big", "color": "Green",
            "confidence": None, "ai_prediction": 7, "ai_predicted_category": "big"}, 100)
    ai_store.resolve(r, GAME.code, settled["issue"], settled["number"])
    events = r.pubsub()
    events.subscribe(keys.EVENTS_CHANNEL)
    deadline = time.monotonic() + 10
    while client.get("/api/simulator/status").json["state"]["total_simulated_rounds"] < 3:
        assert time.monotonic() < deadline, "the simulator worker settled nothing"
        events.get_message(timeout=0.5)  # the worker announces each settlement
    events.close()
    yield app, client, r
    sim.request_stop()
    join_thread(thread, 10)
    app.extensions["lottery"]["prediction_cache"].stop()


def test_health(live):
    _, client, _ = live
    resp = client.get("/health")
    assert resp.status_code == 200
    conforms(resp.json, S.HEALTH)
    assert resp.json["status"] == "healthy" and resp.json["environment"] == "local"


def test_redis_status_and_status(live):
    _, client, _ = live
    resp = client.get("/api/redis/status")
    assert resp.status_code == 200
    conforms(resp.json, S.REDIS_STATUS)
    resp = client.get("/api/status")
    assert resp.status_code == 200
    conforms(resp.json, S.STATUS)
    assert resp.json["main_prediction_data_status"] == "success"


def test_prediction(live):
    _, client, _ = live
    resp = client.get("/api/prediction")
    assert resp.status_code == 200
    body = resp.json
    conforms(body, S.PREDICTION)
    assert set(body["streaks"]) == {"number", "big_small", "color"}  # upstream's cards
    assert len(body["recent_results"]) == 10 and len(body["past_predictions"]) == 11
    assert body["next_issue"] in body["past_predictions"]
    assert "outcome" not in body["past_predictions"][body["next_issue"]]
    shown = [i for i in body["prediction_history"] if i["issue"] in body["past_predictions"]]
    assert len(shown) == 10  # the 11 newest predictions: the open one and ten settled ones
    for item in shown:
        conforms(body["past_predictions"][item["issue"]]["outcome"], S.OUTCOME)
    assert 1 <= len(body["prediction_history"]) <= 11
    v2 = client.get("/api/v2/report").json
    sa = v2["sequence_analysis"]
    # Upstream lists the patterns of 3 then 2 that occurred before, with their top followers.
    expected = [(sa[f"last_{k}"], sa[f"occurrences_{k}"]) for k in (3, 2) if sa[f"occurrences_{k}"]]
    assert [(x["pattern"], x["message"]) for x in body["sequence_analysis"]] == [
        (p, f"Found {n} occurrences.") for p, n in expected]
    # Accuracy strings agree with our own counts of the same predictions.
    ours = v2["accuracy"]
    for name, market in (("number_accuracy", "top3"), ("big_small_accuracy", "big_small"),
                         ("color_accuracy", "color")):
        hits, n = ours[market]["hits"], ours[market]["n"]
        assert body["accuracy"][name] == f"{100 * hits / n:.2f}% ({hits}/{n})"
    assert body["accuracy"]["big_small_accuracy"].endswith("/12)")


def test_prediction_before_the_worker_ran(live):
    _, client, _ = live
    resp = client.get("/api/prediction?game=WinGo_5M")
    assert resp.status_code == 503
    conforms(resp.json, S.PREDICTION_INITIALIZING)


def test_ai_prediction_and_accuracy(live):
    _, client, r = live
    resp = client.get("/api/ai_prediction")
    assert resp.status_code == 200
    conforms(resp.json, S.AI_PREDICTION)
    resp = client.get("/api/ai_prediction?game=WinGo_5M")
    assert resp.status_code == 200
    conforms(resp.json, S.AI_NO_DATA)
    resp = client.get("/api/ai_big_small_accuracy")
    assert resp.status_code == 200
    conforms(resp.json, S.AI_ACCURACY)
    assert resp.json["status"] == "early_data" and resp.json["total_predictions"] == 1
    # The names upstream's dashboards read although its worker never wrote them.
    assert (resp.json["accuracy"], resp.json["correct"], resp.json["total"]) == (
        resp.json["overall_accuracy_percentage"], resp.json["correct_predictions"], 1)
    assert client.get("/api/ai_prediction").json["prediction"] == 7
    assert client.get("/api/ai_big_small_accuracy?game=WinGo_5M").json["status"] == "no_data"


def test_ai_status_start_stop(live):
    _, client, r = live
    conforms(client.get("/api/ai/status").json, S.AI_STATUS)
    # Upstream had no token here; we keep ours (the README says what to add).
    assert client.post("/api/ai/start").status_code == 401
    resp = client.post("/api/ai/start", headers=AUTH)
    assert resp.status_code == 200
    conforms(resp.json, S.AI_SWITCH)
    assert resp.json["ai_enabled_flag"] is True
    assert client.get("/api/ai/status").json["ai_enabled_flag"] is True
    resp = client.post("/api/ai/stop", headers=AUTH)
    conforms(resp.json, S.AI_SWITCH)
    assert resp.json["ai_enabled_flag"] is False


@pytest.mark.parametrize("url,schema", [("/api/color_insights", S.COLOR_INSIGHTS),
                                        ("/api/size_insights", S.SIZE_INSIGHTS),
                                        ("/api/v2/insights", S.V2_INSIGHTS)])
def test_insights(live, url, schema):
    _, client, _ = live
    resp = client.get(url)
    assert resp.status_code == 200
    conforms(resp.json, schema)
    for kind in ("color", "size"):
        if f"{kind}_prediction" in resp.json:
            history = resp.json[f"{kind}_prediction_history"]
            # Upstream's bot reads [0] as the open issue and [1] as the last completed one.
            assert history[0]["issue"] == resp.json[f"{kind}_prediction"]["issue"]
            assert history[0][f"actual_{kind}"] is None and history[1][f"actual_{kind}"]


def test_reset_streaks(live):
    _, client, _ = live
    # A back-filled issue (the fake clock ran ahead of the real one for the newest).
    issue = client.get("/api/history?per_page=20").json["items"][-1]["issue"]
    assert client.post(f"/admin/reset-streaks?issue={issue}").status_code == 401
    resp = client.post(f"/admin/reset-streaks?issue={issue}", headers=AUTH)
    assert resp.status_code == 200
    conforms(resp.json, S.RESET_STREAKS)
    bad = client.post("/admin/reset-streaks?issue=x1", headers=AUTH)
    assert bad.status_code == 400 and bad.json["status"] == "error" and bad.json["message"]


def test_simulator_status_history_config_stop(live):
    _, client, _ = live
    resp = client.get("/api/simulator/status")
    assert resp.status_code == 200
    conforms(resp.json, S.SIM_STATUS)
    state = resp.json["state"]
    assert state["cycle_duration"] == 60 and state["last_cycle_time"]
    assert state["bet_strategies"]["color_bet_strategy"]["max_progression_steps"] == 2
    # total_wallet counts stakes still in play, as upstream's (which settles at once).
    assert state["total_wallet"] == pytest.approx(state["available_wallet"] + state["in_play"])
    bets = [e for e in state["prediction_history"] if "bet_type" in e]
    assert bets
    for entry in bets:
        conforms(entry, S.SIM_BET_ENTRY)
    resp = client.get("/api/simulator/history?per_page=5")
    assert resp.status_code == 200
    conforms(resp.json, S.SIM_HISTORY)
    resp = client.post("/api/simulator/config", headers=AUTH, json={
        "color_bet_strategy": {"base_bet": 20}})
    assert resp.status_code == 200
    conforms(resp.json, S.SIM_CONFIG)
    resp = client.post("/api/simulator/stop", headers=AUTH)
    assert resp.status_code == 200
    conforms(resp.json, S.SIM_STOP)
    resp = client.post("/api/simulator/stop", headers=AUTH)
    assert resp.status_code == 200
    conforms(resp.json, S.SIM_STOP_NOTHING)


def test_simulator_not_initialized(live):
    _, client, _ = live
    for url in ("/api/simulator/status?game=WinGo_5M", "/api/simulator/history?game=WinGo_5M"):
        resp = client.get(url)
        assert resp.status_code == 200
        conforms(resp.json, S.SIM_NOT_INITIALIZED)


def test_pages_at_upstream_paths(live):
    _, client, _ = live
    for url in ("/", "/mixpred/", "/mixpred/index.html", "/api/simulator/"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "text/html", url


def test_unknown_route(live):
    _, client, _ = live
    resp = client.get("/api/nothing-here")
    assert resp.status_code == 404
    conforms(resp.json, S.NOT_FOUND)
    assert "/api/prediction" in resp.json["available_endpoints"]


def test_cors_for_the_configured_origin_only(live):
    _, client, _ = live
    for url in ("/api/prediction", "/health", "/api/v2/insights"):
        resp = client.get(url, headers={"Origin": ORIGIN})
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN, url
    other = client.get("/api/prediction", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    pre = client.options("/api/ai/start", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
    # Pages are not part of the API: no CORS headers there.
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": ORIGIN}).headers


def test_no_cors_by_default(settings, r):
    app = create_app(settings, r)
    resp = app.test_client().get("/health", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in resp.headers
    app.extensions["lottery"]["prediction_cache"].stop()


def test_schema_check_reports_differences():
    """The checker itself: it catches a missing field, a wrong type and wrong nesting."""
    assert S.check({"a": 1}, {"a": int}) == []
    assert S.check({}, {"a": int}) == ["$.a: missing"]
    assert S.check({"a": "1"}, {"a": int})
    assert S.check({"a": True}, {"a": int})
    assert S.check({"a": {"0": 1}}, {"a": S.ListOf(int)})
    assert S.check({"a": [{"b": 1}]}, {"a": S.ListOf({"b": str})})


def test_upstream_sequence_analysis_from_ours():
    from lottery.reports.wingo import sequence_analysis, upstream_report

    digits = [1, 2, 3, 1, 2, 4, 1, 2, 3, 9, 1, 2]
    out = upstream_report({"sequence_analysis": sequence_analysis(digits)})["sequence_analysis"]
    conforms(out, S.ListOf({"message": str, "pattern": S.ListOf(int, 2),
                            "predictions": S.ListOf({"number": int, "count": int,
                                                     "chance": S.NUM}, 1)}))
    # [9, 1, 2] never came before; [1, 2] came 4 times: followed by 3 twice, then by 4 once.
    assert out == [{"message": "Found 3 occurrences.", "pattern": [1, 2], "predictions": [
        {"number": 3, "count": 2, "chance": 66.7}, {"number": 4, "count": 1, "chance": 33.3}]}]


@given(st.lists(st.integers(0, 9), max_size=200))
def test_digit_gaps_match_a_direct_count(digits):
    from lottery.reports.wingo import digit_gaps

    gaps = digit_gaps(digits)
    for d in range(10):
        where = [i for i, x in enumerate(digits) if x == d]
        current = len(digits) - 1 - where[-1] if where else len(digits)
        between = [b - a - 1 for a, b in zip(where, where[1:])]
        assert gaps[str(d)]["current"] == current
        expected = round(sum(between) / len(between), 2) if between else None
        assert gaps[str(d)]["average"] == expected
