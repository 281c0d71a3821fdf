"""Live paper sessions: the simulator worker, its command queue and the /api/simulator endpoints."""
import json
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from conftest import ADMIN_HEADERS, job_result, join_thread
from lottery import keys
from lottery.store import scores as recorder
from lottery.events import publish_event, read_events_after
from lottery.games import get_game
from lottery.sim import sessions
from lottery.sim.worker import SimulatorWorker
from lottery.sources.base import Draw
from lottery.store import draws, predictions
from lottery.web import create_app

GAME = get_game("WinGo_1M")
FIRST = GAME.issue_ordinal("20250828100010100")
AUTH = ADMIN_HEADERS
# The workers' clock: issue 0's period, so the issues the tests draw are still open to bets.
NOW = GAME.period_start(GAME.issue_from_ordinal(FIRST)).timestamp()


def issue(k: int) -> str:
    return GAME.issue_from_ordinal(FIRST + k)


def draw(r, k: int, digit: int) -> None:
    """Store a settled draw and announce it, as the draw worker does."""
    d = Draw(GAME.code, issue(k), digit, source="test")
    draws.add_draws(r, GAME, [d], 10_000)
    publish_event(r, "draw", GAME.code, {"issue": issue(k), **d.to_record(GAME)})


def predict(r, k: int, color: str, size: str, numbers=(1, 2, 3)) -> None:
    """Store the report prediction for an open issue and announce it."""
    predictions.save_prediction(r, GAME, issue(k), {"numbers": list(numbers),
                                                    "big_small": size, "color": color}, 1000)
    publish_event(r, "prediction", GAME.code, {"issue": issue(k)})


def command(r, worker, kind: str, payload: dict, session_id: str = "s-test") -> dict:
    """Queue a command as the API does, let the worker apply it, return its reply."""
    command_id = sessions.enqueue(r, kind, session_id, GAME.code, payload)
    worker.step()
    return sessions.wait_reply(r, command_id, 1.0)


@pytest.fixture
def worker(r, settings):
    return SimulatorWorker(settings, r, clock=lambda: NOW)


def state(r, session_id="s-test") -> dict:
    return sessions.load_session(r, session_id)


def history(r, session_id="s-test") -> list[dict]:
    return list(reversed(sessions.read_history(r, session_id, 1, 1000)[0]))


START = {"initial_wallet": 1000,
         "color_bet_strategy": {"is_active": True, "auto_target": True, "base_bet": 10,
                                "bet_multipliers": "1,2,4"},
         "big_small_bet_strategy": {"is_active": True, "target_side": "Big", "base_bet": 5,
                                    "progression": "flat"}}


def test_a_session_over_injected_draws_gives_the_hand_computed_wallet(r, worker):
    draw(r, 0, 4)
    reply = command(r, worker, "start", START)
    assert reply["ok"] and reply["state"]["start_after_issue"] == issue(0)

    predict(r, 1, "Red", "Small")
    draw(r, 1, 3)  # Red loses 10 (martingale step 0); Big loses 5
    predict(r, 2, "Green", "Small")
    draw(r, 2, 5)  # Green on 5 pays 1.5: 20 x 0.98 x 1.5 = 29.4; Big: 5 x 1.96 = 9.8
    draw(r, 3, 8)  # no prediction for issue 3: skipped, nothing staked
    predict(r, 5, "Red", "Big")  # a later issue's prediction is never used for issue 4
    draw(r, 4, 9)  # skipped
    draw(r, 5, 0)  # Red on 0 pays 1.5: 10 x 0.98 x 1.5 = 14.7; Big loses 5
    worker.step()

    s = state(r)
    assert s["total_wallet"] == pytest.approx(1000 - 15 + (29.4 + 9.8 - 25) + (14.7 - 15))
    assert s["total_wallet"] == pytest.approx(998.9)
    assert s["total_simulated_rounds"] == 3 and s["skipped_rounds"] == 2
    assert s["last_simulated_issue"] == issue(5) and s["pending"] is None
    color = s["bet_strategies"]["color_bet_strategy"]
    assert (color["wins"], color["rounds_played"], color["current_progression_step"]) == (2, 3, 0)
    assert color["max_loss_streak"] == 1
    rounds = [h for h in history(r) if "bets" in h or h.get("skipped")]
    assert [h["issue"] for h in rounds] == [issue(k) for k in (1, 2, 3, 4, 5)]
    assert [h.get("skipped", False) for h in rounds] == [False, False, True, True, False]
    assert "not available in time" in rounds[2]["reason"]
    assert [b["bet"] for b in rounds[1]["bets"]] == ["Green", "Big"]
    assert [b["returned"] for b in rounds[1]["bets"]] == pytest.approx([29.4, 9.8])
    simulator_events = [e for e in read_events_after(r, "0") if e["type"] == "simulator"]
    assert [e["data"]["action"] for e in simulator_events] == \
        ["started", "settled", "settled", "skipped", "skipped", "settled"]

    # Replaying every event (a restarted worker) changes nothing: settling is idempotent.
    r.delete(keys.SIM_LAST_EVENT)
    worker.step()
    assert state(r) == s


def test_bets_use_only_predictions_stored_before_the_draw(r, worker):
    draw(r, 0, 1)
    command(r, worker, "start", {**START, "big_small_bet_strategy": {}})
    draw(r, 1, 2)  # no prediction yet: skipped
    predictions.save_prediction(r, GAME, issue(1), {"numbers": [2], "big_small": "Small",
                                                    "color": "Red"}, 100)  # too late
    publish_event(r, "prediction", GAME.code, {"issue": issue(1)})
    worker.step()
    s = state(r)
    assert s["total_wallet"] == 1000 and s["skipped_rounds"] == 1 and s["pending"] is None


def test_betting_on_an_issue_closes_when_its_period_ends(r, settings):
    late = SimulatorWorker(settings, r, clock=lambda: GAME.draw_time(issue(1)).timestamp())
    draw(r, 0, 1)
    predict(r, 1, "Green", "Big")
    command(r, late, "start", START)
    assert state(r)["pending"] is None  # issue 1's period is over: too late to bet
    draw(r, 1, 7)
    late.step()
    assert state(r)["skipped_rounds"] == 1 and state(r)["total_wallet"] == 1000


def test_a_session_started_mid_period_bets_on_the_open_issue(r, worker):
    draw(r, 0, 1)
    predict(r, 1, "Green", "Big")  # published before the session existed
    worker.step()
    command(r, worker, "start", {**START, "big_small_bet_strategy": {}})
    s = state(r)
    assert s["pending"]["issue"] == issue(1) and s["total_wallet"] == 990 and s["in_play"] == 10
    draw(r, 1, 7)
    worker.step()
    assert state(r)["total_wallet"] == pytest.approx(990 + 19.6)


def test_scoreboard_predictor_and_ai_modes(r, worker):
    draw(r, 0, 1)
    command(r, worker, "start", {"simulation_mode": "ai", "number_bet_strategy": {
        "is_active": True, "auto_target": True, "base_bet": 1}})
    predict(r, 1, "Red", "Small")  # the report prediction: not what this session follows
    assert state(r)["pending"] is None
    recorder.record(r, GAME.code, issue(1), {"ai": {"numbers": [6], "big_small": "Big",
                                                    "color": "Red"}})
    publish_event(r, "ai_prediction", GAME.code, {"issue": issue(1), "number": 6})
    worker.step()
    assert state(r)["pending"]["bets"] == [{"strategy": "number_bet_strategy", "bet": "6",
                                            "stake": 1.0, "source": "ai"}]
    draw(r, 1, 6)
    worker.step()
    assert state(r)["total_wallet"] == pytest.approx(1000 - 1 + 8.82)


def test_stop_loss_take_profit_and_max_rounds_end_sessions(r, worker):
    draw(r, 0, 1)
    fixed = {"big_small_bet_strategy": {"is_active": True, "target_side": "Big",
                                        "base_bet": 10, "progression": "flat"}}
    command(r, worker, "start", {**fixed, "stop_loss": 20}, "s-loss")
    command(r, worker, "start", {**fixed, "take_profit": 5}, "s-profit")
    command(r, worker, "start", {**fixed, "max_rounds": 2}, "s-rounds")
    for k, digit in enumerate([9, 0, 0, 0, 0, 0], start=1):  # +9.6, then -10 each
        draw(r, k, digit)
    worker.step()
    loss, profit, rounds = (state(r, sid) for sid in ("s-loss", "s-profit", "s-rounds"))
    assert (profit["stop_reason"], profit["total_simulated_rounds"]) == ("take_profit", 1)
    assert profit["total_wallet"] == pytest.approx(1009.6)
    assert (rounds["stop_reason"], rounds["total_simulated_rounds"]) == ("max_rounds", 2)
    assert rounds["total_wallet"] == pytest.approx(999.6)
    assert (loss["stop_reason"], loss["total_simulated_rounds"]) == ("stop_loss", 4)
    assert loss["total_wallet"] == pytest.approx(979.6)
    for s in (loss, profit, rounds):
        assert s["is_running"] is False and s["pending"] is None and s["in_play"] == 0


def test_insufficient_funds_stops_a_strategy_and_then_the_session(r, worker):
    draw(r, 0, 1)
    command(r, worker, "start", {"initial_wallet": 30, "big_small_bet_strategy": {
        "is_active": True, "target_side": "Big", "base_bet": 10}})  # martingale 1,2,4,8,16
    draw(r, 1, 0)  # -10
    draw(r, 2, 0)  # -20; the next stake (40) is more than the 0 left
    worker.step()
    s = state(r)
    assert s["is_running"] is False and s["stop_reason"] == "insufficient_funds"
    assert s["total_wallet"] == 0
    assert s["bet_strategies"]["big_small_bet_strategy"]["disabled_reason"] == \
        "insufficient_funds"


def test_stop_refunds_an_unsettled_bet_and_summarises(r, worker):
    draw(r, 0, 1)
    command(r, worker, "start", START)
    predict(r, 1, "Red", "Big")
    worker.step()
    assert state(r)["in_play"] == 15
    reply = command(r, worker, "stop", {})
    summary = sessions.summary(reply["state"])
    assert summary["final_wallet"] == 1000 and summary["stop_reason"] == "stopped_by_user"
    assert state(r)["total_wallet"] == 1000 and state(r)["is_running"] is False
    draw(r, 1, 2)
    worker.step()
    assert state(r)["total_simulated_rounds"] == 0  # a stopped session settles nothing
    assert command(r, worker, "config", {"stop_loss": 5})["status"] == 409


def test_config_changes_apply_to_the_next_bets(r, worker):
    draw(r, 0, 1)
    command(r, worker, "start", START)
    predict(r, 1, "Red", "Big")
    draw(r, 1, 3)  # both lose: colour ladder moves to step 1
    worker.step()
    reply = command(r, worker, "config", {"color_bet_strategy": {"bet_multipliers": [1, 5]},
                                          "big_small_bet_strategy": {"base_bet": 7}})
    color = reply["state"]["bet_strategies"]["color_bet_strategy"]
    assert color["bet_multipliers"] == [1, 5] and color["current_progression_step"] == 0
    predict(r, 2, "Red", "Big")
    worker.step()
    assert [b["stake"] for b in state(r)["pending"]["bets"]] == [10, 7]
    reply = command(r, worker, "config", {"color_bet_strategy": {"colour": "Red"}})
    assert reply["status"] == 400 and "colour" in reply["message"]


def test_commands_are_validated_again_and_expire(r, worker):
    reply = command(r, worker, "start", {"initial_wallet": -1})
    assert reply["status"] == 400 and state(r) is None
    stale = {"id": "old", "type": "start", "session_id": "s-old", "game": GAME.code,
             "payload": START, "queued_at": NOW - 3600}
    assert worker.apply_command(stale)["status"] == 408
    assert worker.apply_command({"id": "x", "type": "pause", "session_id": "s",
                                 "game": GAME.code, "payload": {}})["status"] == 400
    assert command(r, worker, "stop", {}, "s-missing")["status"] == 404


def test_the_number_of_running_sessions_is_limited(r, settings):
    worker = SimulatorWorker(settings.with_(simulator_max_sessions=2), r, clock=lambda: NOW)
    for sid in ("s-1", "s-2"):
        assert command(r, worker, "start", START, sid)["ok"]
    assert command(r, worker, "start", START, "s-3")["status"] == 409


def test_history_is_capped(r, settings):
    worker = SimulatorWorker(settings.with_(simulator_history_limit=10), r, clock=lambda: NOW)
    draw(r, 0, 1)
    command(r, worker, "start", {"big_small_bet_strategy": {"is_active": True, "base_bet": 1,
                                                            "progression": "flat"}})
    for k in range(1, 30):
        draw(r, k, k % 10)
    worker.step()
    assert r.llen(keys.sim_history("s-test")) == 10
    assert state(r)["total_simulated_rounds"] == 29


# -- the API ------------------------------------------------------------------------
@pytest.fixture
def settings(settings):
    return settings.with_(simulator_ack_timeout=5.0)


@pytest.fixture
def running_worker(r, settings, redis_url):
    """A simulator worker looping in a thread, as in production."""
    worker = SimulatorWorker(settings, redis.Redis.from_url(redis_url), clock=lambda: NOW)
    worker.beat(force=True)  # alive before the first request, as a running worker would be
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.request_stop()
    join_thread(thread, 10)
    assert not thread.is_alive()


def test_api_session_lifecycle(r, client, running_worker):
    draw(r, 0, 1)
    res = client.post("/api/simulator/start", json=START, headers=AUTH)
    assert res.status_code == 200, res.get_json()
    session_id = res.get_json()["session_id"]
    assert res.get_json()["state"]["is_running"] is True
    predict(r, 1, "Green", "Big")
    draw(r, 1, 7)  # Green wins 19.6, Big wins 9.8
    events = r.pubsub()
    events.subscribe(keys.EVENTS_CHANNEL)
    deadline = time.monotonic() + 10
    while state(r, session_id)["total_simulated_rounds"] < 1:
        assert time.monotonic() < deadline
        events.get_message(timeout=0.5)  # the worker announces the settlement
    status = client.get(f"/api/simulator/status?session_id={session_id}").get_json()
    assert status["state"]["total_wallet"] == pytest.approx(1000 + 9.6 + 4.8)
    assert status["state"]["performance_metrics"]["is_profitable"] is True
    assert status["worker"]["alive"] is True and len(status["sessions"]) == 1
    assert status["summary"]["strategies"]["color_bet_strategy"]["chance"] == 0.5
    res = client.post("/api/simulator/config", json={"stop_loss": 100}, headers=AUTH)
    assert res.status_code == 200 and res.get_json()["state"]["stop_loss"] == 100
    page = client.get("/api/simulator/history?per_page=2&page=1").get_json()
    assert page["pagination"]["total_entries"] == 3 and len(page["rounds"]) == 2
    # Upstream's entries for the same rounds: one per bet, one per message.
    bets = [e for e in page["history"] if "bet_type" in e]
    assert {(e["bet_type"], e["predicted_value"], e["payout_factor"], e["result"])
            for e in bets} == {("color", "Green", 2.0, "Win"), ("big_small", "Big", 2.0, "Win")}
    assert all(e["actual_outcome_digit"] == 7 and e["wallet_change"] > 0 for e in bets)
    res = client.post("/api/simulator/stop", json={}, headers=AUTH)
    assert res.status_code == 200
    assert res.get_json()["session_summary"]["net_change"] == pytest.approx(14.4)
    again = client.post("/api/simulator/stop", json={}, headers=AUTH)  # upstream: success, {}
    assert again.status_code == 200 and again.get_json()["session_summary"] == {}
    assert client.post("/api/simulator/stop", json={"session_id": session_id},
                       headers=AUTH).status_code == 409


def test_api_answers_503_without_a_worker_and_queues_nothing(r, client):
    res = client.post("/api/simulator/start", json=START, headers=AUTH)
    assert res.status_code == 503 and res.get_json()["error"] == "simulator_worker_down"
    assert r.llen(keys.SIM_COMMANDS) == 0 and r.hlen(keys.SIMULATOR_STATE) == 0


def test_api_answers_202_when_the_worker_does_not_answer_in_time(r, settings, redis_url,
                                                                 worker):
    client = create_app(settings.with_(simulator_ack_timeout=0.2),
                        redis.Redis.from_url(redis_url)).test_client()
    worker.beat(force=True)  # alive, but not looping
    res = client.post("/api/simulator/start", json=START, headers=AUTH)
    assert res.status_code == 202 and res.get_json()["status"] == "queued"
    assert r.llen(keys.SIM_COMMANDS) == 1
    worker.step()  # applied later, in order
    assert state(r, res.get_json()["session_id"])["is_running"] is True


@pytest.mark.parametrize("body,message", [
    ({**START, "initial_wallet": -5}, "initial_wallet"),
    ({**START, "color_bet_strategy": {"is_active": True, "bet_multipliers": []}}, "multipliers"),
    ({**START, "color_bet_strategy": {"is_active": True, "bet_multipliers": ""}}, "multipliers"),
    ({**START, "bankroll": 5}, "unknown field"),
    ({**START, "color_bet_strategy": {"is_active": True, "colour": "Red"}}, "unknown field"),
    ({**START, "color_bet_strategy": {"is_active": True, "target_color": "Big"}}, "target"),
    ({**START, "simulation_mode": "oracle"}, "simulation_mode"),
    ({**START, "max_rounds": 0}, "max_rounds"),
    ({"color_bet_strategy": {"base_bet": 10}}, "at least one strategy"),
    ({**START, "initial_wallet": 5}, "cannot cover"),
])
def test_api_rejects_bad_starts_and_changes_nothing(r, client, worker, body, message):
    worker.beat(force=True)  # looks alive: the 400 must come before anything is queued
    res = client.post("/api/simulator/start", json=body, headers=AUTH)
    assert res.status_code == 400 and message in res.get_json()["message"]
    assert r.llen(keys.SIM_COMMANDS) == 0 and r.hlen(keys.SIMULATOR_STATE) == 0


def test_api_rejects_bad_configs_and_changes_nothing(r, client, running_worker):
    assert client.post("/api/simulator/start", json=START, headers=AUTH).status_code == 200
    before = r.hgetall(keys.SIMULATOR_STATE)
    for body in ({"stop_loss": -1}, {"unknown": 1}, {"color_bet_strategy": {"multipliers": []}},
                 {}, {"max_rounds": "many"}, {"session_id": 5}):
        res = client.post("/api/simulator/config", json=body, headers=AUTH)
        assert res.status_code == 400, body
    assert client.post("/api/simulator/config", data="not json", headers=AUTH).status_code == 400
    assert client.post("/api/simulator/config", json={"session_id": "s-none", "stop_loss": 1},
                       headers=AUTH).status_code == 404
    assert r.llen(keys.SIM_COMMANDS) == 0 and r.hgetall(keys.SIMULATOR_STATE) == before


def test_api_needs_the_admin_token(r, client, settings, redis_url):
    assert client.post("/api/simulator/start", json=START).status_code == 401
    assert client.post("/api/simulator/stop", json={},
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    open_app = create_app(settings.with_(admin_token=None), redis.Redis.from_url(redis_url))
    assert open_app.test_client().post("/api/simulator/config", json={},
                                       headers=AUTH).status_code == 403
    assert r.llen(keys.SIM_COMMANDS) == 0


def test_api_status_and_history_without_sessions(client):
    assert client.get("/api/simulator/status").get_json()["status"] == "not_initialized"
    assert client.get("/api/simulator/history").get_json()["status"] == "not_initialized"
    assert client.get("/api/simulator/status?session_id=s-x").status_code == 404
    assert client.get("/api/simulator/history?per_page=500").status_code == 400


def test_api_monte_carlo_and_its_limit(client, running_worker):
    res = client.post("/api/simulator/montecarlo", json={
        "target": "Violet", "progression": "dalembert", "sessions": 200, "rounds": 100,
        "seed": 4})
    assert res.status_code == 202  # queued for the simulator worker
    body = job_result(client, res.get_json()["result_url"], 20)["result"]
    assert body["study"]["seed"] == 4 and body["return_per_unit"]["expected"] == 0.882
    res = client.post("/api/simulator/montecarlo", json={"sessions": 200_000, "rounds": 101})
    assert res.status_code == 400 and "20,000,000" in res.get_json()["message"]
    assert client.post("/api/simulator/montecarlo", json=[1]).status_code == 400
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/simulator/start", "/api/simulator/montecarlo"} <= set(paths)


def test_concurrent_config_and_settlement_lose_nothing(r, client, running_worker):
    draw(r, 0, 1)
    fixed = {"big_small_bet_strategy": {"is_active": True, "target_side": "Big",
                                        "base_bet": 1, "progression": "flat"},
             "initial_wallet": 10_000}
    assert client.post("/api/simulator/start", json=fixed, headers=AUTH).status_code == 200
    changes, draws_made = 12, 40
    errors = []

    def configure(i):
        res = client.post("/api/simulator/config", json={"max_rounds": 1000 + i}, headers=AUTH)
        if res.status_code != 200:
            errors.append(res.get_json())

    def settle():
        for k in range(1, draws_made + 1):
            draw(r, k, k % 10)

    threads = [threading.Thread(target=configure, args=(i,)) for i in range(changes)]
    threads.append(threading.Thread(target=settle))
    for t in threads:
        t.start()
    for t in threads:
        join_thread(t, 30)
    assert not errors
    deadline = time.monotonic() + 20
    events = r.pubsub()
    events.subscribe(keys.EVENTS_CHANNEL)
    while state(r, state_id(r))["total_simulated_rounds"] < draws_made:
        assert time.monotonic() < deadline, "the worker did not settle every draw"
        events.get_message(timeout=0.5)
    s = state(r, state_id(r))
    assert s["config_changes"] == changes
    assert s["total_simulated_rounds"] == draws_made and s["skipped_rounds"] == 0
    wins = sum(1 for k in range(1, draws_made + 1) if k % 10 >= 5)
    # The bet on the next issue is already placed: its stake is in play, not lost.
    assert s["in_play"] == 1
    assert s["total_wallet"] + s["in_play"] == pytest.approx(
        10_000 + 0.96 * wins - (draws_made - wins))
    settled = [h for h in history(r, s["session_id"]) if "bets" in h]
    assert [h["issue"] for h in settled] == [issue(k) for k in range(1, draws_made + 1)]


def state_id(r) -> str:
    (session_id,) = [k.decode() for k in r.hkeys(keys.SIMULATOR_STATE)]
    return session_id


def test_worker_keeps_going_when_redis_is_unreachable(settings):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,
                       retry=Retry(NoBackoff(), 0))
    worker = SimulatorWorker(settings, dead, pubsub_connection=dead)
    worker.stop_event.wait = lambda seconds: None  # no real backoff sleep in the test
    assert worker.run(max_iterations=3) == 3


def test_cli_command_runs_the_worker(r, settings, monkeypatch):
    from lottery.cli import main

    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setattr("lottery.logs.configure_logging", lambda *a, **k: None)
    draw(r, 0, 1)
    command_id = sessions.enqueue(r, "start", "s-cli", GAME.code, START)
    assert main(["sim-worker", "--max-iterations", "1"]) == 0
    assert state(r, "s-cli")["is_running"] is True
    assert json.loads(r.lpop(keys.sim_reply(command_id)))["ok"] is True
    assert not sessions.worker_alive(r)  # the heartbeat is removed on a clean exit
