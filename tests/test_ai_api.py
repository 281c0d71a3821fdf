"""The AI endpoints: output, accuracy, status and the admin switch."""
import json

import pytest

from conftest import ADMIN_HEADERS
from lottery import keys
from lottery.ai import store
from lottery.games import get_game
from lottery.store import predictions

GAME = get_game("WinGo_1M")
ISSUE = "20260101100010600"
AUTH = ADMIN_HEADERS


@pytest.fixture
def client_for(settings, app_factory):
    return lambda **changes: app_factory(settings.with_(**changes)).test_client()


@pytest.fixture
def client(client_for):
    return client_for(ai_api_keys=("sk-web-SECRET",))


def entry(issue=ISSUE, number=7, status="ok"):
    base = {"game": GAME.code, "issue": issue, "status": status, "model": "sonar",
            "latency_ms": 12.5, "attempts": 1, "timestamp": "2026-01-01T10:00:00+00:00"}
    if status == "ok":
        return {**base, "number": number, "size": "Big", "color": "Green", "confidence": 0.2,
                "ai_prediction": number, "ai_predicted_category": "big"}
    return {**base, "reason": "invalid answer: number must be a digit 0-9, got 12"}


def test_ai_prediction_no_data_then_latest_with_history(client, r):
    resp = client.get("/api/ai_prediction")
    assert resp.status_code == 200 and resp.get_json()["status"] == "no_data"
    second = GAME.next_issue(ISSUE)
    store.save_prediction(r, GAME, entry(ISSUE), 100)
    store.save_prediction(r, GAME, entry(second, status="failed"), 100)
    body = client.get("/api/ai_prediction?game=WinGo_1M&limit=5").get_json()
    assert body["issue"] == second and body["status"] == "failed"
    assert body["reason"].startswith("invalid answer") and body["ai_enabled"] is False
    assert [h["issue"] for h in body["history"]] == [second, ISSUE]
    assert client.get("/api/ai_prediction?limit=0").get_json()["history"] == []


@pytest.mark.parametrize("url", ["/api/ai_prediction?game=Nope", "/api/ai_prediction?limit=101",
                                 "/api/ai_prediction?limit=x", "/api/ai_big_small_accuracy?game=x"])
def test_bad_input_is_a_clear_400(client, url):
    resp = client.get(url)
    assert resp.status_code == 400
    assert set(resp.get_json()) == {"error", "message", "status"}


def test_accuracy_carries_n_chance_and_interval(client, r):
    body = client.get("/api/ai_big_small_accuracy").get_json()
    assert (body["total_predictions"], body["correct_predictions"]) == (0, 0)
    assert body["overall_accuracy_percentage"] == 0.0
    assert body["n"] == 0 and body["chance_rate"] == 0.5 and body["ci95"] == [0.0, 1.0]
    assert body["verdict"] == "too few draws to judge"
    store.save_prediction(r, GAME, entry(ISSUE, number=7), 100)
    store.resolve(r, GAME.code, ISSUE, 9)  # Big and Green: right; 7: wrong
    body = client.get("/api/ai_big_small_accuracy?game=WinGo_1M").get_json()
    assert (body["total_predictions"], body["correct_predictions"]) == (1, 1)
    assert body["big_predictions"] == {"total": 1, "correct": 1, "accuracy_percentage": 100.0}
    lo, hi = body["ci95"]
    assert 0 < lo < 0.5 < hi == 1.0
    assert body["markets"]["number"] | {"ci95": None} == {
        "n": 1, "hits": 0, "rate": 0.0, "chance": 0.1, "ci95": None, "p_value": 1.0,
        "break_even": pytest.approx(1 / (0.98 * 9)),
        "verdict": "too few draws to judge"}
    assert store.resolve(r, GAME.code, ISSUE, 9) is None  # once only
    assert client.get("/api/ai_big_small_accuracy").get_json()["total_predictions"] == 1


def test_status_without_a_key(client_for, r):
    client = client_for()
    store.set_flag(r, True)
    body = client.get("/api/ai/status").get_json()
    assert body["state"] == "disabled: no API key"
    assert (body["enabled"], body["flag"], body["key_configured"]) == (False, True, False)
    assert body["calls"] == 0 and body["latency_ms"]["n"] == 0
    assert body["worker"]["alive"] is False


def test_switch_requires_the_admin_token(client, client_for, r):
    assert client.post("/api/ai/start").status_code == 401
    assert client.post("/api/ai/start", headers={"Authorization": "Bearer nope"}).status_code == 401
    no_admin = client_for(admin_token=None)
    resp = no_admin.post("/api/ai/stop", headers=AUTH)
    assert resp.status_code == 403 and "ADMIN_TOKEN" in resp.get_json()["message"]
    assert r.get(keys.AI_ENABLED) is None  # nothing changed


def test_start_and_stop_flip_the_flag_the_status_and_every_report(client, r):
    predictions.write_report(r, GAME.code, json.dumps({"next_issue": ISSUE,
                                                       "ai_enabled": False}).encode())
    body = client.post("/api/ai/start", headers=AUTH).get_json()
    assert (body["enabled"], body["state"]) == (True, "enabled")
    assert r.get(keys.AI_ENABLED) == b"1"
    report = json.loads(client.get("/api/prediction").data)
    assert report["ai_enabled"] is True and report["next_issue"] == ISSUE
    assert json.loads(r.get(keys.LATEST_PREDICTION))["ai_enabled"] is True
    body = client.post("/api/ai/stop", headers=AUTH).get_json()
    assert body["enabled"] is False and body["state"].startswith("disabled: stopped")
    assert r.get(keys.AI_ENABLED) == b"0"
    assert json.loads(predictions.read_report(r, GAME.code))["ai_enabled"] is False


def test_status_reports_calls_errors_latency_and_never_a_key(client, r):
    from lottery.ai.provider import Call

    store.set_worker_fields(r, key_configured=True, model="sonar", worker_state="running")
    store.record_calls(r, [Call(False, 30.0, 429, "HTTP 429"), Call(True, 10.0, 200)])
    store.record_calls(r, [Call(False, 2000.0, None, "timeout")])
    store.record_outcome(r, {**entry(), "status": "ok"})
    store.record_outcome(r, entry(GAME.next_issue(ISSUE), status="failed"))
    resp = client.get("/api/ai/status")
    body = resp.get_json()
    assert (body["calls"], body["errors"], body["successes"], body["failures"]) == (3, 2, 1, 1)
    assert body["latency_ms"]["n"] == 2 and body["latency_ms"]["max"] == 30.0
    assert 10.0 <= body["latency_ms"]["p50"] <= 30.0
    assert body["last_success"]["issue"] == ISSUE
    assert body["last_failure"]["reason"].startswith("invalid answer")
    assert body["model"] == "sonar" and body["worker"]["state"] == "running"
    assert b"SECRET" not in resp.data
    # The recent failure rate, so a run of failures shows next to "enabled".
    assert body["recent"] == {"n": 2, "failures": 1, "failure_rate": 0.5}


def test_status_times_are_all_iso_8601(client, r):
    from datetime import datetime

    from lottery.store import heartbeat

    heartbeat.beat(r, store.PROCESS, "test-process", 90)
    store.set_worker_fields(r, worker_state="running", started_at=store.now_iso())
    store.record_outcome(r, entry())
    body = client.get("/api/ai/status").get_json()
    for value in (body["timestamp"], body["worker"]["started_at"], body["worker"]["last_seen"],
                  body["last_success"]["at"]):
        assert isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None


def test_latencies_are_bounded(r):
    from lottery.ai.provider import Call

    store.record_calls(r, [Call(True, float(i), 200) for i in range(store.LATENCIES_MAX + 50)])
    assert r.llen(keys.AI_LATENCIES) == store.LATENCIES_MAX


def test_openapi_lists_the_ai_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/ai_prediction", "/api/ai_big_small_accuracy", "/api/ai/status"):
        assert "get" in paths[path]
    assert paths["/api/ai/start"]["post"]["security"] == [{"admin": []}]
    assert "post" in paths["/api/ai/stop"]


def test_accuracy_takes_its_verdict_from_the_scoreboards_ai_rows(client, r):
    from lottery.sources.base import Draw
    from lottery.store import draws, scores

    issue = ISSUE
    for _ in range(40):  # the AI says 7 (Big, Green); every draw is 9 (Big, Green)
        store.save_prediction(r, GAME, entry(issue, number=7), 100)
        scores.record(r, GAME.code, issue, {store.AI_PREDICTOR: {
            "numbers": [7], "big_small": "Big", "color": "Green"}})
        draws.add_draws(r, GAME, [Draw(GAME.code, issue, 9)], 1000)
        scores.resolve(r, GAME.code, issue, 9)
        store.resolve(r, GAME.code, issue, 9)
        issue = GAME.next_issue(issue)
    body = client.get("/api/ai_big_small_accuracy").get_json()
    assert (body["total_predictions"], body["correct_predictions"]) == (40, 40)
    rows = {row["market"]: row for row in client.get("/api/accuracy").get_json()["rows"]
            if row["predictor"] == "ai"}
    for market, m in body["markets"].items():
        assert (m["verdict"], m["anytime_ci"]) == (rows[market]["verdict"],
                                                   rows[market]["anytime_ci"])
    # 40 of 40 passes a one-look test (p ~ 1e-12) but not yet the anytime-valid one.
    assert body["p_value"] < 1e-9 and body["verdict"] == "no evidence of an edge"
    assert body["markets"]["number"]["power"].startswith("With n = 40,")
    assert json.loads(r.get(keys.AI_BIG_SMALL_ACCURACY))["verdict"] == body["verdict"]
