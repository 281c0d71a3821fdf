"""Colour/size insight endpoints and the admin streak reset, on the real Redis server."""
import json
from datetime import datetime, timezone

import numpy as np
import pytest
import redis

from conftest import ADMIN_HEADERS
from lottery import keys
from lottery.config import DEFAULT_GAME
from lottery.store import wingo_insights as insights
from lottery.store.scores import record, resolve
from lottery.evaluation.scoring import streaks_of
from lottery.games import get_game
from lottery.games.wingo import primary_color, size
from lottery.predictors.wingo.rules import color_rules, size_rules
from lottery.sources.base import Draw
from lottery.store import draws
from lottery.web import create_app

GAME = get_game(DEFAULT_GAME)
AUTH = ADMIN_HEADERS


def run_rules(r, digits, start="20250101100010001"):
    """Record and resolve the two rule learners over `digits`; return issues and predictions."""
    learners = [color_rules(), size_rules()]
    issue, log = start, []
    for d in digits:
        preds = {p.name: p.predict() for p in learners}
        record(r, GAME.code, issue, preds)
        draws.add_draws(r, GAME, [Draw(GAME.code, issue, d)], 100_000)
        resolve(r, GAME.code, issue, d)
        log.append((issue, d, preds))
        for p in learners:
            p.update(d)
        issue = GAME.next_issue(issue)
    pending = {p.name: p.predict() for p in learners}
    record(r, GAME.code, issue, pending)
    return log, issue, pending


@pytest.fixture
def played(r):
    digits = [int(d) for d in np.random.default_rng(21).integers(0, 10, 120)]
    return run_rules(r, digits)


def test_color_insights_show_the_pending_rule_history_accuracy_and_streaks(client, played):
    log, open_issue, pending = played
    body = client.get("/api/color_insights").get_json()
    nxt = body["color_prediction"]
    assert nxt["issue"] == open_issue
    assert nxt["next_color"] == pending["color_rules"].color
    assert nxt["rule_name"] == pending["color_rules"].rule
    assert nxt["confidence"] == pytest.approx(pending["color_rules"].color_p, abs=1e-6)
    assert nxt["observed_sequence"] == pending["color_rules"].extra["observed_sequence"]
    assert nxt["score"] == pytest.approx(100 * pending["color_rules"].color_p, abs=0.01)
    assert nxt["prediction_source"] == "pattern_rules" and nxt["available_rules"] >= 1
    history = body["color_prediction_history"]
    assert len(history) == 15
    # As upstream: the open issue's call first, its actual colour unknown (null).
    head = history[0]
    assert head["issue"] == open_issue and head["actual_color"] is None
    assert head["predicted_color"] == pending["color_rules"].color and head["prediction_time"]
    outcomes = [(p["color_rules"].color == primary_color(d)) for _, d, p in log]
    for row, (issue, d, preds) in zip(history[1:], reversed(log)):
        assert row["prediction_time"]
        assert row["issue"] == issue and row["actual_number"] == d
        assert row["predicted_color"] == preds["color_rules"].color
        assert row["actual_color"] == primary_color(d)
        assert row["result"] == ("win" if preds["color_rules"].color == primary_color(d) else "loss")
        assert row["rule_name"] == preds["color_rules"].rule
    acc = body["color_accuracy"]
    assert acc["total_predictions"] == len(log)
    assert acc["correct_predictions"] == sum(outcomes)
    assert acc["chance_percentage"] == 50.0
    lo, hi = acc["ci95_pct"]
    assert lo <= acc["accuracy_percentage"] <= hi
    assert sum(v["total"] for v in acc["per_rule"].values()) <= len(log)
    st = streaks_of(outcomes)
    streaks = body["color_streaks"]
    assert streaks["max_win_streak"] == st.longest_win
    assert streaks["max_lose_streak"] == st.longest_loss
    assert (streaks["current_win_streak"], streaks["current_lose_streak"]) == (
        (st.current, 0) if st.current_kind == "win" else (0, st.current))
    # The distributions count every streak, the running one included.
    assert sum(k * v for k, v in ((int(k), v) for k, v in streaks["win_streak_distribution"].items())) \
        + sum(int(k) * v for k, v in streaks["lose_streak_distribution"].items()) == len(log)
    assert "disclaimer" in body


def test_size_and_v2_insights(client, played):
    log, open_issue, pending = played
    size_body = client.get("/api/size_insights").get_json()
    assert size_body["size_prediction"]["next_size"] == pending["size_rules"].big_small
    row = size_body["size_prediction_history"][1]  # [0]: the open issue, as upstream
    issue, d, preds = log[-1]
    assert (row["issue"], row["predicted_size"], row["actual_size"]) == (
        issue, preds["size_rules"].big_small, size(d))
    both = client.get("/api/v2/insights").get_json()
    assert both["color_prediction"]["issue"] == both["size_prediction"]["issue"] == open_issue
    assert both["size_accuracy"] == size_body["size_accuracy"]
    assert client.get("/api/v2/insights?game=Nope").status_code == 400


def test_insights_read_precomputed_state_only(client, played, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("an insight request read the draw history")

    for name in ("recent_draws", "recent_outcomes", "get_draw"):
        monkeypatch.setattr(draws, name, forbidden)
    assert client.get("/api/v2/insights").status_code == 200


def test_insight_state_is_bounded(r, monkeypatch):
    monkeypatch.setattr(insights, "HISTORY_CAP", 30)
    run_rules(r, [int(d) for d in np.random.default_rng(2).integers(0, 10, 50)])
    assert r.llen(keys.insight_history(GAME.code, "color")) == 30


def test_empty_insights_are_valid(client):
    body = client.get("/api/color_insights").get_json()
    assert body["color_prediction"] is None and body["color_prediction_history"] == []
    assert body["color_accuracy"]["total_predictions"] == 0


def stats_snapshot(r):
    return {kind: r.hgetall(keys.insight_stats(GAME.code, kind)) for kind in insights.KINDS}


@pytest.mark.parametrize("headers,status,code", [
    ({}, 401, "unauthorized"),
    ({"Authorization": "Bearer wrong"}, 401, "unauthorized"),
    ({"Authorization": "Basic test-admin-token"}, 401, "unauthorized")])
def test_reset_streaks_needs_the_admin_token(r, client, played, headers, status, code):
    before = stats_snapshot(r)
    resp = client.post(f"/admin/reset-streaks?issue={played[0][50][0]}", headers=headers)
    assert resp.status_code == status and resp.get_json()["error"] == code
    assert stats_snapshot(r) == before


def test_reset_streaks_is_disabled_without_a_configured_token(r, redis_url, settings, played):
    app = create_app(settings.with_(admin_token=None), redis.Redis.from_url(redis_url))
    before = stats_snapshot(r)
    resp = app.test_client().post("/admin/reset-streaks", headers=AUTH)
    assert resp.status_code == 403 and "ADMIN_TOKEN" in resp.get_json()["message"]
    assert stats_snapshot(r) == before


@pytest.mark.parametrize("issue", ["abc", "2025-01-01-0001", "20251399100010001",
                                   "20250101100011441", "20990101100010001"])
def test_reset_streaks_rejects_bad_issues_and_changes_nothing(r, client, played, issue):
    before = stats_snapshot(r)
    resp = client.post(f"/admin/reset-streaks?issue={issue}", headers=AUTH)
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_issue"
    assert stats_snapshot(r) == before
    resp = client.post("/admin/reset-streaks", headers=AUTH, json={"issue": 20250101100010001})
    assert resp.status_code == 400


def test_reset_streaks_recounts_from_the_issue_and_keeps_counting(r, client, played):
    log, open_issue, pending = played
    from_issue = log[80][0]
    resp = client.post("/admin/reset-streaks", headers=AUTH, json={"issue": from_issue})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["reset_from_issue"] == from_issue and body["recounted"] == {"color": 40, "size": 40}
    kept = log[80:]
    outcomes = [p["color_rules"].color == primary_color(d) for _, d, p in kept]
    acc = client.get("/api/color_insights").get_json()
    assert acc["color_accuracy"]["total_predictions"] == 40
    assert acc["color_accuracy"]["correct_predictions"] == sum(outcomes)
    assert acc["color_accuracy"]["reset_from_issue"] == from_issue
    st = streaks_of(outcomes)
    assert acc["color_streaks"]["max_win_streak"] == st.longest_win
    assert acc["color_streaks"]["reset_from_issue"] == from_issue
    per_rule = sum(v["total"] for v in acc["color_accuracy"]["per_rule"].values())
    assert per_rule <= 40
    # The pending prediction resolves after the reset and is counted on top.
    d = 3
    draws.add_draws(r, GAME, [Draw(GAME.code, open_issue, d)], 100_000)
    resolve(r, GAME.code, open_issue, d)
    after = client.get("/api/color_insights").get_json()["color_accuracy"]
    assert after["total_predictions"] == 41
    assert after["correct_predictions"] == sum(outcomes) + (pending["color_rules"].color == primary_color(d))


def test_reset_streaks_defaults_to_the_pending_issue(r, client, played):
    open_issue = played[1]
    resp = client.post("/admin/reset-streaks", headers=AUTH)
    assert resp.status_code == 200 and resp.get_json()["reset_from_issue"] == open_issue
    acc = client.get("/api/size_insights").get_json()["size_accuracy"]
    assert acc["total_predictions"] == 0 and acc["reset_from_issue"] == open_issue


def test_a_resolution_before_the_reset_point_is_not_counted(r, played):
    log, open_issue, _ = played
    insights.reset(r, GAME, open_issue)
    # A late resolution of an older issue (e.g. a back-filled draw).
    older = log[0][0]
    r.hdel(keys.eval_issue(GAME.code, older), "r:color_rules")
    resolve(r, GAME.code, older, log[0][1])
    stats = r.hgetall(keys.insight_stats(GAME.code, "color"))
    assert int(stats[b"total"]) == 0
    row = json.loads(r.lindex(keys.insight_history(GAME.code, "color"), 0))
    assert row["issue"] == older  # still shown in the history


def test_reset_issue_in_the_future_is_rejected_by_the_clock(client):
    now = datetime.now(timezone.utc)
    future = GAME.next_issue(GAME.next_issue(GAME.issue_at(now)))
    assert client.post(f"/admin/reset-streaks?issue={future}", headers=AUTH).status_code == 400
