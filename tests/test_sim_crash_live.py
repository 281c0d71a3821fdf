"""Crash in the simulator worker and API: live paper sessions on the feed's rounds, queued
Monte Carlo and replay jobs, the strategy catalogue, and bad input that changes nothing."""
import threading
import time

import pytest
import redis

from conftest import ADMIN_HEADERS, job_result, join_thread
from lottery import keys
from lottery.events import publish_event
from lottery.games import get_game
from lottery.sim import sessions
from lottery.sim.crash_strategies import NO_EDGE
from lottery.sim.worker import SimulatorWorker
from lottery.sources.base import Draw
from lottery.store import draws

GAME = get_game("Crash")

Q = "?game=Crash"


@pytest.fixture
def settings(settings):
    return settings.with_(games=("WinGo_1M", "Crash"), simulator_ack_timeout=5.0)


@pytest.fixture
def worker(r, settings):
    return SimulatorWorker(settings, r, clock=time.time)


def store(r, n: int, x: float) -> dict:
    """Store round n as the draw worker does; return its draw event's data."""
    d = Draw(GAME.code, str(n), x, source="test")
    draws.add_draws(r, GAME, [d], 10_000)
    return {"issue": str(n), **d.to_record(GAME)}


def play(r, n: int, x: float) -> None:
    """Store round n and announce it."""
    publish_event(r, "draw", GAME.code, store(r, n, x))


def command(r, worker, kind: str, payload: dict, session_id: str = "s-crash") -> dict:
    command_id = sessions.enqueue(r, kind, session_id, GAME.code, payload)
    worker.step()
    return sessions.wait_reply(r, command_id, 1.0)


START = {"initial_wallet": 100,
         "cashout_strategy": {"is_active": True, "cashout_at": 2, "base_bet": 10,
                              "progression": "martingale"}}


def test_a_live_session_bets_each_rounds_betting_phase_and_settles_on_its_multiplier(r, worker):
    play(r, 1, 1.5)
    worker.step()
    reply = command(r, worker, "start", START)
    assert reply["ok"], reply
    assert reply["state"]["pending"]["issue"] == "2"  # placed while round 2 takes bets
    for n, x in ((2, 1.2), (3, 2.0), (4, 10.0)):  # lose 10, win 20 (doubled), win 10
        play(r, n, x)
        worker.step()
    s = sessions.load_session(r, "s-crash")
    assert s["total_simulated_rounds"] == 3
    assert s["total_wallet"] + s["in_play"] == pytest.approx(120)
    assert s["pending"]["issue"] == "5" and s["in_play"] == 10
    # Catching up: round 6 was drawn before the session could bet on it: no bet, a skip.
    round5 = store(r, 5, 1.0)  # an instant crash: the 10 staked on it is lost
    round6 = store(r, 6, 50.0)
    publish_event(r, "draw", GAME.code, round5)
    publish_event(r, "draw", GAME.code, round6)
    worker.step()
    s = sessions.load_session(r, "s-crash")
    rows = [e for e in reversed(sessions.read_history(r, "s-crash", 1, 100)[0])]
    assert [e.get("skipped", False) for e in rows if e.get("issue") == "6"] == [True]
    assert s["total_wallet"] + s["in_play"] == pytest.approx(110)
    summary = sessions.summary(s)
    assert summary["honesty"]["statement"] == NO_EDGE
    assert summary["strategies"]["cashout_strategy"]["chance"] == pytest.approx(0.495)


@pytest.mark.parametrize("strategy,message", [
    ({"is_active": True, "cashout_at": 1.0}, "at least 1.01x"),
    ({"is_active": True, "cashout_at": "NaN"}, "cashout_at"),
    ({"is_active": True, "cashout_at": 1e9}, "cashout_at"),
    ({"is_active": True, "cashout_at": 2, "progression": "labouchere"}, "progression"),
    ({"is_active": True, "cashout_at": 2, "script": "while(true){}"}, "unknown field"),
])
def test_bad_live_starts_are_400_and_store_nothing(r, client, worker, strategy, message):
    worker.beat(force=True)
    res = client.post("/api/simulator/start" + Q, json={"cashout_strategy": strategy},
                      headers=ADMIN_HEADERS)
    assert res.status_code == 400 and message in res.get_json()["message"]
    assert res.get_json()["error"] == "bad_request"
    assert r.llen(keys.SIM_COMMANDS) == 0 and r.hlen(keys.SIMULATOR_STATE) == 0


# -- the API: queued jobs, catalogue, status --------------------------------------------------
@pytest.fixture
def running_worker(r, settings, redis_url):
    worker = SimulatorWorker(settings, redis.Redis.from_url(redis_url), clock=time.time)
    worker.beat(force=True)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.request_stop()
    join_thread(thread, 10)


def result(client, res) -> dict:
    assert res.status_code == 202, res.get_json()
    return job_result(client, res.get_json()["result_url"])["result"]


def test_api_monte_carlo_and_replay_of_crash_strategies(r, client, running_worker):
    res = client.post("/api/simulator/montecarlo" + Q, json={
        "strategy": "streak_chaser", "target": 10, "wait_rounds": 15, "wait_under": 10,
        "sessions": 500, "rounds": 400, "initial_wallet": 1000, "seed": 4})
    body = result(client, res)
    assert body["study"]["strategy"] == "streak_chaser" and body["study"]["seed"] == 4
    assert body["honesty"]["statement"] == NO_EDGE and body["return_per_unit"]["ci99"]
    assert 0 < body["bets_settled"] < body["rounds_simulated"] == 200_000

    secret = "the chain's secret seed"
    res = client.post("/api/simulator/replay" + Q, json={
        "seed": secret, "count": 500, "strategy": "martingale_script", "target": 2,
        "loss_multiplier": 2, "max_bet": 80, "base_bet": 5, "initial_wallet": 500})
    job_id = res.get_json()["job_id"]
    assert secret not in r.get(keys.sim_job(job_id)).decode()  # only SHA256(seed) is queued
    body = result(client, res)
    assert body["chain"]["rounds"] == 500 and body["honesty"]["no_strategy_changes_it"]
    assert body["replay"]["max_bet"] == 80

    catalogue = client.get("/api/simulator/strategies" + Q).get_json()
    assert [s["name"] for s in catalogue["strategies"]] == [
        "fixed", "progression", "martingale_script", "streak_chaser"]
    assert catalogue["statement"] == NO_EDGE and catalogue["expected_return_per_unit"] == 0.99
    assert client.get("/api/simulator/strategies?game=WinGo_1M").status_code == 404
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/simulator/replay", "/api/simulator/strategies"} <= set(paths)


@pytest.mark.parametrize("path,body,message", [
    ("montecarlo", {"strategy": "doubler"}, "strategy must be one of"),
    ("montecarlo", {"target": 1}, "at least 1.01x"),
    ("montecarlo", {"target": "nan"}, "target"),
    ("montecarlo", {"target": 10**30}, "target"),
    ("montecarlo", {"strategy": "martingale_script", "loss_multiplier": -2}, "loss_multiplier"),
    ("montecarlo", {"strategy": "progression", "progression": "custom",
                    "multipliers": "1,,2"}, "multipliers"),
    ("montecarlo", {"code": "return 1"}, "unknown field"),
    ("replay", {"hash": "00" * 31}, "64 hexadecimal"),
    ("replay", {"seed": "x", "count": 0}, "count"),
])
def test_api_bad_crash_jobs_are_400_and_queue_nothing(r, client, worker, path, body, message):
    worker.beat(force=True)
    res = client.post(f"/api/simulator/{path}" + Q, json=body)
    assert res.status_code == 400, res.get_json()
    assert res.get_json()["error"] == "bad_request" and message in res.get_json()["message"]
    assert r.llen(keys.SIM_JOBS) == 0 and not list(r.scan_iter(keys.sim_job("*")))


def test_replay_is_crash_only(client, worker):
    worker.beat(force=True)
    res = client.post("/api/simulator/replay?game=WinGo_1M", json={"hash": "ab" * 32})
    assert res.status_code == 400 and res.get_json()["error"] == "no_replay"


def test_api_status_of_a_crash_session_says_no_strategy_changes_the_return(
        r, client, running_worker):
    play(r, 1, 3.0)
    res = client.post("/api/simulator/start" + Q, json=START, headers=ADMIN_HEADERS)
    assert res.status_code == 200, res.get_json()
    status = client.get("/api/simulator/status" + Q).get_json()
    assert status["state"]["honesty"]["statement"] == NO_EDGE
    assert status["summary"]["honesty"]["no_strategy_changes_it"] is True
    assert status["state"]["performance_metrics"]["cycle_type"] == "feed-driven rounds"
    assert client.post("/api/simulator/stop" + Q, json={},
                       headers=ADMIN_HEADERS).status_code == 200
