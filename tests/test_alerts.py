"""Crash alerts: the rule (droughts, landings, edge-backed signals only), publishing once,
and webhook delivery against a real HTTP server on 127.0.0.1 with its failures."""
from __future__ import annotations

import json
import logging
import re
import threading

import httpx
import pytest

from clock import FakeClock
from httpfake import FakeServer, Reply
from lottery import alerts, keys
from lottery.alerts.webhooks import WebhookLoop, WebhookSender
from lottery.events import publish_event
from lottery.games import get_game
from lottery.sources.base import Draw
from lottery.store import draws, scores
from lottery.worker import Worker, build_source

GAME = get_game("Crash")
NULL_10X = "9.9%"


@pytest.fixture
def crash(settings):
    return settings.with_(games=("Crash",))


def add_rounds(r, multipliers, first: int | None = None) -> int:
    """Store crash rounds after the newest one; return the newest round id."""
    latest = draws.latest_issue(r, "Crash")
    start = first or (int(latest) + 1 if latest else 1)
    rounds = [Draw("Crash", str(start + i), x) for i, x in enumerate(multipliers)]
    draws.add_draws(r, GAME, rounds, 100_000)
    return start + len(multipliers) - 1


def percentages(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)%", text)]


# -- the rule ----------------------------------------------------------------------------------
def test_a_drought_alerts_once_per_milestone_and_a_landing_closes_it(r, crash):
    add_rounds(r, [12.0] + [1.5] * 39)  # round 1 is a 10x; 39 rounds without one
    assert alerts.check(r, crash, "Crash") == []
    add_rounds(r, [2.0])
    [first] = alerts.check(r, crash, "Crash")
    assert first.kind == "drought" and first.data["rounds"] == 40
    assert first.text == ("Crash: no 10x for 40 rounds (since round 2). The chance of 10x in "
                          "the next round is still 9.9%: rounds are independent, so a drought "
                          "never makes 10x more likely.")
    assert alerts.check(r, crash, "Crash") == []  # checked again (another process): no repeat
    add_rounds(r, [1.2] * 19)
    assert alerts.check(r, crash, "Crash") == []  # 59 rounds: between milestones
    add_rounds(r, [1.01])
    [second] = alerts.check(r, crash, "Crash")
    assert second.data["milestone"] == 60 and "no 10x for 60 rounds" in second.text
    add_rounds(r, [23.45])
    [landed] = alerts.check(r, crash, "Crash")
    assert landed.kind == "landed" and landed.text.startswith(
        "Crash: 10x landed: round 62 reached 23.45x after 60 rounds without one.")
    assert NULL_10X in landed.text
    add_rounds(r, [1.0] * 40)  # a new drought alerts again from its first milestone
    [third] = alerts.check(r, crash, "Crash")
    assert "no 10x for 40 rounds (since round 63)" in third.text
    stored = r.xrange(keys.ALERTS_STREAM)
    assert [json.loads(f[b"a"])["kind"] for _, f in stored] == ["drought", "drought", "landed",
                                                                 "drought"]


def test_a_drought_seen_late_fires_only_its_highest_milestone(r, crash):
    add_rounds(r, [50.0] + [1.3] * 85)
    fired = alerts.check(r, crash, "Crash")
    assert [a.data["milestone"] for a in fired] == [80]
    assert alerts.check(r, crash, "Crash") == []  # the lower milestones of this drought are past


def test_thresholds_and_milestones_come_from_the_settings(r, crash):
    add_rounds(r, [2.5] + [1.9] * 7)
    s = crash.with_(alert_multiplier_threshold=2.0, alert_drought_rounds=(7,))
    [alert] = alerts.check(r, s, "Crash")
    assert alert.text.startswith("Crash: no 2x for 7 rounds") and "still 49.5%" in alert.text


def record_round(r, issue: str, multiplier: float, probability: float, name: str = "psychic"):
    """Store a predictor's call for a round, the round itself, and score it."""
    scores.record(r, "Crash", issue, {name: {"reach_p": {"reach_10x": probability}}})
    add_rounds(r, [multiplier], first=int(issue))
    scores.resolve(r, "Crash", issue, multiplier)


def test_a_confident_call_without_an_edge_never_reaches_anyone(r, crash, caplog):
    for i in range(1, 301):  # a fair-looking record: 10x about 1 round in 10
        record_round(r, str(i), 12.0 if i % 10 == 0 else 1.7, 0.9)
    board = scores.scoreboard(r, "Crash")
    row = next(x for x in board["rows"] if x["predictor"] == "psychic")
    assert row["verdict"] != "edge"
    scores.record(r, "Crash", "301", {"psychic": {"reach_p": {"reach_10x": 0.95}}})
    with caplog.at_level(logging.INFO, logger="lottery.alerts"):
        fired = alerts.check(r, crash.with_(alert_drought_rounds=(1000,)), "Crash")
    assert fired == []
    assert "psychic's reach_10x call withheld: no edge" in caplog.text
    # Whatever fires, no alert text ever states more than the null's 9.9% for 10x.
    for _, fields in r.xrange(keys.ALERTS_STREAM):
        assert all(p <= 9.9 for p in percentages(json.loads(fields[b"a"])["text"]))


def test_a_confident_call_with_an_edge_is_sent_with_its_record(r, crash):
    for i in range(1, 301):  # a biased feed the predictor reads: 10x 2 rounds in 5
        record_round(r, str(i), 15.0 if i % 5 in (0, 2) else 1.4, 0.8)
    row = next(x for x in scores.scoreboard(r, "Crash")["rows"] if x["predictor"] == "psychic")
    assert row["verdict"] == "edge"
    scores.record(r, "Crash", "301", {"psychic": {"reach_p": {"reach_10x": 0.8}},
                                      "shy": {"reach_p": {"reach_10x": 0.5}}})
    [signal] = alerts.check(r, crash, "Crash")
    assert signal.kind == "signal" and signal.data["predictor"] == "psychic"
    assert signal.text.startswith("Crash signal: psychic gives round 301 a 80% chance of "
                                  "reaching 10x (fair chance 9.9%). The scoreboard shows an edge")
    assert "n=300" in signal.text
    # One signal per predictor per cooldown, however many rounds it stays confident.
    scores.record(r, "Crash", "302", {"psychic": {"reach_p": {"reach_10x": 0.8}}})
    add_rounds(r, [15.0], first=301)
    assert [a.kind for a in alerts.check(r, crash, "Crash")] == []


# -- webhooks ----------------------------------------------------------------------------------
def alert(text: str = "Crash: no 10x for 40 rounds.") -> alerts.Alert:
    return alerts.Alert("Crash", "drought", "k", text, id="1-0")


def scripted(*replies: Reply):
    """A handler answering the scripted replies in turn, then 200."""
    queue = list(replies)
    return lambda req: queue.pop(0) if queue else Reply(200, "ok")


@pytest.fixture
def http():
    with httpx.Client(timeout=2.0) as client:
        yield client


def sender_for(urls, http, waits, attempts=4):
    return WebhookSender(tuple(urls), http, attempts=attempts, backoff=(0.01, 0.05),
                         sleep=waits.append)


def test_a_failed_post_is_retried_and_delivered_once(http):
    waits = []
    with FakeServer(scripted(Reply(500, "boom"))) as hook:
        assert sender_for([hook.url + "/hooks/T0/B0/secret"], http, waits).deliver(alert()) == 1
        sent = hook.wait_for_requests(2)
    assert len(sent) == 2 and len(waits) == 1
    body = sent[1].json()
    assert body["text"] == "Crash: no 10x for 40 rounds."
    assert body["blocks"][0]["text"] == {"type": "mrkdwn", "text": "Crash: no 10x for 40 rounds."}
    assert sent[1].headers["content-type"] == "application/json"


def test_429_retry_after_is_honoured(http):
    waits = []
    with FakeServer(scripted(Reply(429, "slow down", {"Retry-After": "3"}))) as hook:
        assert sender_for([hook.url], http, waits).deliver(alert()) == 1
        assert len(hook.wait_for_requests(2)) == 2
    assert waits == [3.0]


@pytest.mark.parametrize("reply,requests", [
    (Reply(500, "down"), 4),  # retried to the bound, then dropped
    (Reply(404, "no such hook"), 1),  # a wrong URL is not retried
    (Reply(429, "later", {"Retry-After": "3600"}), 1),  # a pause beyond the cap drops the alert
])
def test_a_failing_webhook_is_tried_a_bounded_number_of_times_and_never_logged(
        http, caplog, reply, requests):
    waits = []
    with FakeServer(lambda req: reply) as bad, FakeServer(lambda req: Reply(200)) as good:
        bad_url = bad.url + "/services/T000/B000/XXXXsecretXXXX"
        with caplog.at_level(logging.DEBUG):
            accepted = sender_for([bad_url, good.url], http, waits).deliver(alert())
        assert accepted == 1  # the other URL still gets it
        assert len(bad.requests) == requests and len(good.requests) == 1
    assert "webhook #1" in caplog.text
    assert "XXXXsecretXXXX" not in caplog.text and bad.url not in caplog.text


def test_webhook_urls_stay_out_of_settings_views(settings):
    from lottery.config import ConfigError, Settings

    s = Settings.from_env({"ALERT_WEBHOOK_URLS": "https://hooks.slack.com/services/T1/B2/sekrit,"
                                                 "http://127.0.0.1:9/x"}, dotenv=False)
    assert len(s.alert_webhook_urls) == 2
    assert "sekrit" not in repr(s) + json.dumps(s.public())
    assert s.public()["alert_webhook_urls_set"] is True
    with pytest.raises(ConfigError, match="URL #2") as err:
        Settings.from_env({"ALERT_WEBHOOK_URLS": "https://ok/x,ftp://sekrit"}, dotenv=False)
    assert "sekrit" not in str(err.value)
    for env in ({"ALERT_CONFIDENCE_THRESHOLD": "1.5"}, {"ALERT_DROUGHT_ROUNDS": "40,x"},
                {"ALERT_MULTIPLIER_THRESHOLD": "1"}):
        with pytest.raises(ConfigError, match=next(iter(env))):
            Settings.from_env(env, dotenv=False)


# -- the webhook loop next to the draw worker --------------------------------------------------
def start_loop(settings, r, sender):
    loop = WebhookLoop(settings, r, sender)
    connected = threading.Event()
    catch_up = loop.catch_up

    def on_connected():
        catch_up()
        connected.set()

    loop.catch_up = on_connected
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert connected.wait(10)
    return loop, thread


def test_the_loop_delivers_alerts_of_prediction_events_without_holding_anything_up(r, crash,
                                                                                   redis_url):
    import redis as redis_lib

    release = threading.Event()

    def slow(req):
        release.wait(10)  # a receiver that hangs until the test lets it answer
        return Reply(200)

    s = crash.with_(alert_drought_rounds=(40,))
    listen = redis_lib.Redis.from_url(redis_url)
    with FakeServer(slow) as hook, httpx.Client(timeout=20.0) as client:
        loop, thread = start_loop(s, listen, WebhookSender((hook.url,), client))
        try:
            add_rounds(r, [30.0] + [1.1] * 40)
            publish_event(r, "prediction", "Crash", {"issue": "42"})  # what the worker does
            hook.wait_for_requests(1)
            # While the receiver hangs: more rounds, another milestone, both published at once.
            add_rounds(r, [1.1] * 20)
            second = alerts.check(r, s.with_(alert_drought_rounds=(40, 60)), "Crash")
            assert [a.data["milestone"] for a in second] == [60]
            assert len(hook.requests) == 1
            release.set()
            sent = hook.wait_for_requests(2)
        finally:
            loop.request_stop()
            thread.join(10)
            listen.close()
    assert [q.json()["text"].split(" (")[0] for q in sent] == [
        "Crash: no 10x for 40 rounds", "Crash: no 10x for 60 rounds"]
    assert not thread.is_alive()
    assert alerts.pending(r, "webhook") == []  # the cursor moved past both


def test_a_dead_webhook_never_slows_the_draw_worker(r, crash, redis_url):
    import redis as redis_lib

    s = crash.with_(alert_multiplier_threshold=100.0, alert_drought_rounds=(5,))
    listen = redis_lib.Redis.from_url(redis_url)
    with FakeServer(lambda req: Reply(503, "down")) as dead, \
            httpx.Client(timeout=2.0) as client:
        waits: list[float] = []
        loop, thread = start_loop(s, listen, WebhookSender((dead.url,), client, attempts=3,
                                                           sleep=waits.append))
        try:
            clock = FakeClock()
            worker = Worker(s, r, build_source(s, r), clock=clock)
            for _ in range(5):
                worker.run(max_iterations=1)
            latest = draws.latest_issue(r, "Crash")
            # The worker predicted the open round; the alert went out on its own thread.
            assert scores.get_prediction(r, "Crash", GAME.next_issue(latest), "null")
            dead.wait_for_requests(3)
        finally:
            loop.request_stop()
            thread.join(10)
            listen.close()
    assert len(dead.requests) == 3 and len(waits) == 2  # bounded: 3 attempts, then dropped
    assert "no 100x for" in dead.requests[0].json()["text"]


# -- the process -------------------------------------------------------------------------------
def test_the_alerts_process_delivers_and_stops_on_sigterm(r, redis_url, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    add_rounds(r, [10.5] + [1.2] * 40)  # a drought already under way: caught up at start
    root = Path(__file__).resolve().parents[1]
    with FakeServer(lambda req: Reply(200, "ok")) as hook:
        secret_url = hook.url + "/services/T9/B9/tok3nS3cret"
        env = {**os.environ, "REDIS_URL": redis_url, "GAMES": "Crash",
               "ALERT_WEBHOOK_URLS": secret_url, "LOTTERY_DATA_DIR": str(tmp_path),
               "PYTHONPATH": str(root)}
        proc = subprocess.Popen([sys.executable, "-m", "lottery", "alerts"], cwd=tmp_path, env=env,
                                stderr=subprocess.PIPE, text=True)
        try:
            [req] = hook.wait_for_requests(1, timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    assert req.path == "/services/T9/B9/tok3nS3cret"
    assert req.json()["text"].startswith("Crash: no 10x for 40 rounds")
    assert proc.returncode == 0, err
    assert "tok3nS3cret" not in err and "1 URL(s)" in err
    bare = subprocess.run([sys.executable, "-m", "lottery", "alerts"], cwd=root,
                          env={**os.environ, "ALERT_WEBHOOK_URLS": ""}, capture_output=True,
                          text=True, timeout=60)
    assert bare.returncode == 2 and "set ALERT_WEBHOOK_URLS" in bare.stderr
