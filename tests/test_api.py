"""Core HTTP API against a real Redis server (and a dead one for the 503 paths)."""
import json
import re
import time

import pytest
import redis
from flask import Blueprint

from clock import FakeClock
from lottery.events import publish_event
from lottery.store import predictions
from lottery.store.embedded import free_port
from conftest import close_app
from lottery.web import create_app
from lottery.web.auth import require_admin
from lottery.worker import Worker, build_source


@pytest.fixture
def worked(settings, r):
    """Two worker wake-ups: 50 back-filled draws, one settled prediction, one open."""
    clock = FakeClock()
    Worker(settings, r, build_source(settings, r), clock=clock).run(max_iterations=2)
    return clock


def test_health_and_status(client, worked):
    health = client.get("/health").json
    assert health["status"] == "healthy" and health["redis"] == "connected"
    body = client.get("/api/status").json
    game = body["games"]["WinGo_1M"]
    assert game["draws"] == 51 and game["latest_issue"].startswith("20260101")
    assert body["processes"]["ai_worker"] == {"alive": False}
    assert body["redis"]["ok"] is True
    rs = client.get("/api/redis/status").json
    assert rs["connected"] is True and "url" not in json.dumps(rs).lower()


def test_v2_report_shape(client, worked):
    resp = client.get("/api/v2/report")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    rep = resp.json
    for field in ("next_issue", "prediction", "likelihoods", "accuracy", "streaks",
                  "recent_results", "prediction_history", "sequence_analysis", "timestamp"):
        assert field in rep
    assert rep["ai_enabled"] is False
    pred = rep["prediction"]
    assert len(pred["numbers"]) == 3 and pred["big_small"] in ("Big", "Small")
    assert sum(pred["big_small_percentages"].values()) == pytest.approx(100, abs=0.2)
    assert sum(rep["likelihoods"].values()) == pytest.approx(100, abs=0.6)
    acc = rep["accuracy"]["big_small"]
    assert acc["n"] == 1 and acc["chance"] == 0.5 and len(acc["ci95"]) == 2
    assert rep["fairness"]["commitment"]


@pytest.mark.parametrize("url", ["/api/prediction", "/api/v2/report"])
def test_prediction_etag_and_304(client, worked, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(url, headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200 and other.data == first.data
    assert client.get("/api/prediction").headers["ETag"] != client.get(
        "/api/v2/report").headers["ETag"]


def test_new_prediction_is_pushed_to_the_cache_by_pubsub(app, client, worked, r, monkeypatch):
    """The per-process copy is refreshed by the `prediction` event, not by expiry."""
    from lottery.web import cache as cache_module

    monkeypatch.setattr(cache_module, "STALE_AFTER", 1e9)  # only pub/sub can refresh it now
    client.get("/api/prediction")  # starts the listener
    cache = app.extensions["lottery"]["prediction_cache"]
    assert cache._listening.wait(5), "the cache listener did not subscribe"
    old = client.get("/api/v2/report").json
    new = dict(old, next_issue="20260101100019999")
    predictions.write_report(r, "WinGo_1M", json.dumps(new).encode())
    for url in ("/api/v2/report", "/api/prediction"):  # cached copies
        assert client.get(url).json["next_issue"] == old["next_issue"]
    publish_event(r, "prediction", "WinGo_1M", {"issue": new["next_issue"]})
    deadline = time.monotonic() + 5
    while client.get("/api/v2/report").json["next_issue"] != new["next_issue"]:
        assert time.monotonic() < deadline, "the event did not refresh the cached report"
    assert client.get("/api/prediction").json["next_issue"] == new["next_issue"]


def test_no_prediction_yet_is_503_json(client):
    resp = client.get("/api/prediction")
    assert resp.status_code == 503 and resp.json["error"] == "no_prediction_yet"


def test_no_prediction_yet_is_503_json_and_an_unfollowed_game_is_404(settings, r):
    app = create_app(settings.with_(games=("WinGo_1M", "WinGo_5M")), r)
    try:
        resp = app.test_client().get("/api/prediction?game=WinGo_5M")
        assert resp.status_code == 503 and resp.json["error"] == "no_prediction_yet"
        assert resp.json["status"] == "initializing" and resp.json["ai_enabled"] is False
        resp = app.test_client().get("/api/v2/report?game=WinGo_5M")
        assert resp.status_code == 503 and resp.json["error"] == "no_prediction_yet"
        resp = app.test_client().get("/api/prediction?game=WinGo_3M")
        assert resp.status_code == 404 and "WinGo_1M, WinGo_5M" in resp.json["message"]
    finally:
        close_app(app)


def test_a_game_the_server_does_not_follow_is_404_naming_those_it_does(client):
    for path in ("/api/prediction", "/api/history", "/api/accuracy", "/api/stream"):
        resp = client.get(f"{path}?game=WinGo_5M")
        assert resp.status_code == 404, path
        assert resp.json["error"] == "game_not_followed" and "WinGo_1M" in resp.json["message"]


@pytest.mark.parametrize("url,code", [
    ("/api/prediction?game=Keno", "unknown_game"),
    ("/api/history?page=0", "bad_request"),
    ("/api/history?per_page=500", "bad_request"),
    ("/api/history?page=abc", "bad_request"),
    ("/api/fairness/notanissue", "bad_issue"),
    ("/api/fairness/20260101100019999", "bad_issue"),
])
def test_bad_parameters_are_400_json(client, url, code):
    resp = client.get(url)
    assert resp.status_code == 400 and resp.json["error"] == code and resp.json["message"]


def test_history_pages(client, worked):
    page1 = client.get("/api/history?per_page=10").json
    page2 = client.get("/api/history?per_page=10&page=2").json
    assert page1["total"] == 51 and page1["pages"] == 6
    issues = [i["issue"] for i in page1["items"] + page2["items"]]
    assert issues == sorted(issues, reverse=True) and len(set(issues)) == 20
    item = page1["items"][0]
    assert set(item) >= {"issue", "number", "size", "color", "colors", "drawn_at"}


def test_fairness_settled_pending_and_unknown(client, worked, r):
    latest = client.get("/api/history?per_page=1").json["items"][0]["issue"]
    proof = client.get(f"/api/fairness/{latest}").json
    assert proof["status"] == "settled" and proof["verified"] is True
    assert proof["recomputed_number"] == proof["number"]
    nxt = client.get("/api/prediction").json["next_issue"]
    pending = client.get(f"/api/fairness/{nxt}").json
    assert pending["status"] == "pending" and "seed" not in pending
    assert pending["commitment"] == client.get("/api/prediction").json["fairness"]["commitment"]
    assert client.get("/api/fairness/20250101100010001").status_code == 404


def test_unknown_route_and_method_are_json(client):
    assert client.get("/api/nothing").json["error"] == "not_found"
    resp = client.post("/api/history")
    assert resp.status_code == 405 and resp.json["error"] == "method_not_allowed"


def test_openapi_lists_every_route(app, client):
    import re

    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = 0
    # Every API route of every blueprint is in the document, with each of its methods.
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if not (path.startswith(("/api", "/admin")) or path == "/health"):
            continue
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {path}"
            documented += 1
    assert documented >= 25  # core, scoreboard, insights, AI, simulator, stream


def test_admin_auth(settings, r):
    app = create_app(settings, r)
    probe = Blueprint("probe", __name__)
    probe.add_url_rule("/probe", "probe", require_admin(lambda: {"ok": True}), methods=["POST"])
    app.register_blueprint(probe)
    c = app.test_client()
    assert c.post("/probe").status_code == 401
    assert c.post("/probe", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.post("/probe", headers={"Authorization": "Basic test-admin-token"}).status_code == 401
    ok = c.post("/probe", headers={"Authorization": "Bearer test-admin-token"})
    assert ok.status_code == 200 and ok.json == {"ok": True}
    no_token = create_app(settings.with_(admin_token=None), r)
    no_token.register_blueprint(probe)
    resp = no_token.test_client().post("/probe", headers={"Authorization": "Bearer x"})
    assert resp.status_code == 403 and "ADMIN_TOKEN" in resp.json["message"]
    close_app(app)
    close_app(no_token)


def test_redis_down_gives_503_json(settings):
    dead_url = f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0"
    dead = redis.Redis.from_url(dead_url, socket_connect_timeout=0.2, socket_timeout=0.2)
    app = create_app(settings.with_(redis_url=None), dead)
    c = app.test_client()
    for url in ("/health", "/api/history", "/api/prediction", "/api/v2/report",
                "/api/fairness/20260101100010001", "/api/redis/status"):
        resp = c.get(url)
        assert resp.status_code == 503, url
        assert resp.json["error"] == "redis_unavailable"
        assert "s3cret" not in resp.get_data(as_text=True)
    # Upstream's /api/status answers 200 and says what is wrong.
    resp = c.get("/api/status")
    assert resp.status_code == 200 and resp.json["redis_available"] is False
    assert resp.json["main_prediction_data_status"] == "redis_connection_error"
    assert "s3cret" not in resp.get_data(as_text=True)


def test_each_page_offers_only_the_games_it_can_show(settings, app_factory):
    client = app_factory(settings.with_(games=("WinGo_1M", "Crash", "Powerball"))).test_client()

    def offered(path):
        html = client.get(path).get_data(as_text=True)
        html = re.search(r'<select id="game-select".*?</select>', html, re.S).group(0)
        return (re.findall(r'<option value="([^"]+)"', html),
                re.search(r'<option value="([^"]+)" selected', html).group(1))

    assert offered("/?game=Powerball") == (["WinGo_1M", "Crash", "Powerball"], "Powerball")
    assert offered("/?game=Crash") == (["WinGo_1M", "Crash", "Powerball"], "Crash")
    assert offered("/fairness?game=Crash") == (["WinGo_1M", "Crash"], "Crash")
    assert offered("/fairness?game=Powerball") == (["WinGo_1M", "Crash"], "WinGo_1M")
    assert offered("/mixpred/?game=Crash") == (["WinGo_1M"], "WinGo_1M")
    # The simulator shows crash (its cash-out strategies), not Powerball.
    assert offered("/simulator?game=Powerball") == (["WinGo_1M", "Crash"], "WinGo_1M")
    assert offered("/simulator?game=Crash") == (["WinGo_1M", "Crash"], "Crash")
    only_pick = app_factory(settings.with_(games=("Powerball",))).test_client()
    assert only_pick.get("/fairness").status_code == 404
    only_crash = app_factory(settings.with_(games=("Crash",))).test_client()
    assert only_crash.get("/").status_code == 200 and only_crash.get("/mixpred/").status_code == 404
