"""The AI worker end to end: real Redis, a fake OpenAI-compatible provider on 127.0.0.1."""
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from fake_openai import bearer, chat_reply, fake_provider
from httpfake import Reply
from conftest import ADMIN_HEADERS, join_thread
from lottery import keys
from lottery.ai import store
from lottery.ai.provider import ChatProvider
from lottery.ai.worker import AIWorker
from lottery.store import scores as recorder
from lottery.events import publish_event
from lottery.games import get_game
from lottery.sources.base import Draw
from lottery.store import draws, predictions
from lottery.store.connection import connect
from lottery.store.embedded import EmbeddedRedis, free_port

GAME = get_game("WinGo_1M")
KEY = "sk-test-SECRET-key-1"
ANSWER = '{"number": 7, "size": "Big", "color": "Green", "confidence": 0.11}'
FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "jitter": 0.01}


def future_issues(n: int, ahead: int = 1) -> list[str]:
    """Return n consecutive issues starting `ahead` periods after the open one."""
    start = GAME.issue_ordinal(GAME.issue_at(datetime.now(timezone.utc))) + ahead
    return [GAME.issue_from_ordinal(start + k) for k in range(n)]


def make_worker(settings, r, srv=None, keys_=(KEY,), **options) -> AIWorker:
    settings = settings.with_(ai_api_keys=tuple(keys_), ai_base_url=srv.url if srv else
                              "http://127.0.0.1:9", ai_timeout=2.0)
    provider = ChatProvider.from_settings(settings, max_attempts=3, **FAST) if keys_ else None
    return AIWorker(settings, r, provider=provider, outcomes=queue.Queue(), poll_seconds=0.05,
                    **options)


@contextmanager
def running(worker: AIWorker):
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert worker.ready.wait(10), "the worker did not subscribe"
        yield worker
    finally:
        worker.request_stop()
        join_thread(thread, 10)
        assert not thread.is_alive()


def outcome(worker: AIWorker, source: str | None = None) -> tuple:
    """Return the next outcome the worker reports (of `source`, or of any issue)."""
    while True:
        item = worker.outcomes.get(timeout=10)
        if item[0] == source or (source is None and item[0] != "session"):
            return item


def trigger(r, issue: str, game: str = GAME.code) -> None:
    r.publish(keys.AI_TRIGGER_CHANNEL, json.dumps({
        "trigger_type": "new_issue", "game": game, "issue": issue,
        "timestamp": datetime.now(timezone.utc).isoformat(), "source": "test"}))


def settle(r, issue: str, digit: int, announce: bool = True) -> None:
    draws.add_draws(r, GAME, [Draw(GAME.code, issue, digit)], 1000)
    if announce:
        publish_event(r, "draw", GAME.code, {**draws.get_draw(r, GAME.code, issue)})


def pending(r, issues) -> None:
    for issue in issues:
        predictions.save_prediction(r, GAME, issue, {"numbers": [1, 2, 3], "big_small": "Small",
                                                     "color": "Red"}, 1000)


def test_trigger_stores_scores_and_announces_an_ai_prediction(r, settings, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("lottery").setLevel(logging.INFO)  # what production logs by default
    draws.add_draws(r, GAME, [Draw(GAME.code, i, n % 10) for n, i in
                              enumerate(future_issues(60, ahead=-70))], 1000)
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    events = r.pubsub()
    events.subscribe(keys.EVENTS_CHANNEL)
    assert events.get_message(timeout=5)["type"] == "subscribe"
    with fake_provider(chat_reply(f"```json\n{ANSWER}\n```")) as srv, \
            running(make_worker(settings, r, srv)) as worker:
        trigger(r, issue)
        assert outcome(worker) == ("trigger", GAME.code, issue, "stored")
    saved = store.get_prediction(r, GAME.code, issue)
    assert saved["status"] == "ok"
    assert (saved["number"], saved["size"], saved["color"], saved["confidence"]) == \
        (7, "Big", "Green", 0.11)
    assert (saved["ai_prediction"], saved["ai_predicted_category"]) == (7, "big")
    assert saved["model"] == "sonar" and saved["latency_ms"] > 0 and saved["attempts"] == 1
    # The latest, upstream key and the history all hold it; the scoreboard has it as "ai".
    assert json.loads(r.get(keys.AI_PREDICTION)) == saved == store.latest(r, GAME.code)
    assert json.loads(r.hget(keys.AI_PREDS_HISTORY, issue)) == saved
    scored = recorder.get_prediction(r, GAME.code, issue, "ai")
    assert (scored["numbers"], scored["big_small"], scored["color"]) == ([7], "Big", "Green")
    message = events.get_message(timeout=5)
    while json.loads(message["data"])["type"] != "ai_prediction":
        message = events.get_message(timeout=5)
    assert json.loads(message["data"])["data"] == saved
    # The request: the configured model, the recent digits, the key as bearer only.
    (req,) = srv.requests
    assert bearer(req) == KEY and req.json()["model"] == "sonar"
    prompt_text = req.json()["messages"][-1]["content"]
    assert f"issue {issue}" in prompt_text
    assert ", ".join(str(d) for d in draws.recent_outcomes(r, GAME, 50)) in prompt_text
    info = "\n".join(rec.getMessage() for rec in caplog.records if rec.levelno >= logging.INFO)
    assert KEY not in caplog.text and prompt_text not in info
    assert f"{issue}: AI predicted 7" in info
    status = store.status(r)
    assert (status["calls"], status["errors"], status["successes"]) == (1, 0, 1)
    assert status["last_success"]["issue"] == issue and status["latency_ms"]["n"] == 1


@pytest.mark.parametrize("reply,reason", [
    (chat_reply('{"number": 12, "size": "Big"}'), "invalid answer: number must be a digit 0-9"),
    (chat_reply('{"number": 3, "confidence": 1.7}'), "invalid answer: confidence must be"),
    (chat_reply("I cannot know that."), "invalid answer: no JSON object or single digit"),
    (Reply(200, "{not json"), "malformed response"),
    (Reply(500, "boom"), "gave up after 3 attempt(s): HTTP 500"),
])
def test_bad_answers_are_stored_as_failed_with_the_reason_never_guessed(r, settings, reply,
                                                                       reason):
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    with fake_provider(reply) as srv, running(make_worker(settings, r, srv)) as worker:
        trigger(r, issue)
        assert outcome(worker)[3] == "failed"
        retried = reply.status == 500
        assert len(srv.requests) == (3 if retried else 1)
    saved = store.get_prediction(r, GAME.code, issue)
    assert saved["status"] == "failed" and saved["reason"].startswith(reason)
    assert saved["number"] is None and saved["ai_prediction"] is None
    assert recorder.get_prediction(r, GAME.code, issue, "ai") is None
    assert store.unresolved_issues(r, GAME.code) == []
    status = store.status(r)
    assert status["failures"] == 1 and status["last_failure"]["reason"] == saved["reason"]
    assert status["errors"] == (3 if retried else 1 if "malformed" in reason else 0)


def test_key_rotation_inside_the_worker(r, settings):
    store.set_flag(r, True)
    issues = future_issues(2)

    def per_key(req):
        return Reply(401, {"error": "revoked"}) if bearer(req) == "old-key" else chat_reply("4")

    with fake_provider(per_key) as srv, \
            running(make_worker(settings, r, srv, keys_=("old-key", "new-key"))) as worker:
        for issue in issues:
            trigger(r, issue)
            assert outcome(worker)[3] == "stored"
        assert [bearer(q) for q in srv.requests] == ["old-key", "new-key", "new-key"]
    assert store.status(r)["errors"] == 1


def test_ai_switched_off_calls_nothing_until_switched_on(r, settings):
    store.set_flag(r, False)
    (issue,) = future_issues(1)
    pending(r, [issue])
    with fake_provider(chat_reply("1")) as srv, running(make_worker(settings, r, srv)) as worker:
        assert outcome(worker) == ("catch-up", GAME.code, issue, "disabled")
        trigger(r, issue)
        assert outcome(worker) == ("trigger", GAME.code, issue, "disabled")
        assert srv.requests == []
        store.set_flag(r, True)  # the worker notices and catches up at once
        assert outcome(worker) == ("catch-up", GAME.code, issue, "stored")
        assert len(srv.requests) == 1


def test_without_a_key_the_worker_runs_says_so_and_calls_nothing(r, settings):
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    predictions.write_report(r, GAME.code, json.dumps({"next_issue": issue,
                                                       "ai_enabled": True}).encode())
    with fake_provider(chat_reply("1")) as srv, \
            running(make_worker(settings, r, srv, keys_=())) as worker:
        trigger(r, issue)
        assert outcome(worker) == ("trigger", GAME.code, issue, "no_key")
        status = store.status(r, settings)
        assert srv.requests == []
    assert status["state"] == "disabled: no API key"
    assert (status["enabled"], status["key_configured"], status["calls"]) == (False, False, 0)
    # The report's flag agrees with the status.
    assert json.loads(predictions.read_report(r, GAME.code))["ai_enabled"] is False


def test_catch_up_after_downtime_predicts_only_unsettled_issues_newest_first(r, settings):
    store.set_flag(r, True)
    first, second, third = future_issues(3)
    pending(r, [first, second, third])
    for issue in (first, second, third):
        trigger(r, issue)  # nobody listens: pub/sub drops these
    settle(r, first, 3, announce=False)
    with fake_provider(chat_reply(ANSWER)) as srv, running(make_worker(settings, r, srv)):
        pass  # ready is set only after the catch-up
    prompts = [q.json()["messages"][-1]["content"] for q in srv.requests]
    assert len(prompts) == 2
    assert f"issue {third}" in prompts[0] and f"issue {second}" in prompts[1]
    assert store.get_prediction(r, GAME.code, first) is None
    assert [e["issue"] for e in store.history(r, GAME.code, 10)] == [third, second]


def test_duplicate_triggers_and_replicas_call_the_provider_once(r, settings):
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    with fake_provider(chat_reply(ANSWER)) as srv, running(make_worker(settings, r, srv)) as worker:
        trigger(r, issue)
        trigger(r, issue)
        assert outcome(worker)[3] == "stored"
        assert outcome(worker)[3] == "duplicate"
        replica = make_worker(settings, r, srv)
        assert replica.handle_trigger(GAME.code, issue) == "duplicate"
        # A replica that lost the claim race to a call still in flight also skips it.
        (other,) = future_issues(1, ahead=5)
        assert store.claim(r, GAME.code, other, ttl=60)
        assert replica.handle_trigger(GAME.code, other) == "duplicate"
    assert len(srv.requests) == 1


def test_stale_late_and_foreign_triggers_are_skipped(r, settings):
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    settle(r, issue, 5, announce=False)
    past = GAME.previous_issue(GAME.issue_at(datetime.now(timezone.utc)))
    with fake_provider(chat_reply(ANSWER)) as srv:
        worker = make_worker(settings, r, srv)
        assert worker.handle_trigger(GAME.code, issue) == "stale"
        assert worker.handle_trigger(GAME.code, past) == "late"
        assert worker.handle_trigger("WinGo_5M", issue) == "ignored: game not enabled"
        assert worker.handle_trigger(GAME.code, "not-an-issue") == "ignored: invalid issue"
        assert srv.requests == []


def test_settled_draws_resolve_ai_predictions_once_and_feed_the_accuracy(r, settings):
    store.set_flag(r, True)
    a, b, c = future_issues(3)
    with fake_provider(chat_reply(ANSWER)) as srv:
        with running(make_worker(settings, r, srv)) as worker:
            for issue in (a, b, c):
                trigger(r, issue)
                assert outcome(worker)[3] == "stored"
            settle(r, a, 8)  # Big: the AI's Big is right, 7 and Green are not
            assert outcome(worker, "resolve") == ("resolve", GAME.code, a, "resolved")
            settle(r, b, 2)  # Small, Red: wrong on every market
            assert outcome(worker, "resolve")[2] == b
            publish_event(r, "draw", GAME.code, draws.get_draw(r, GAME.code, a))  # again
            trigger(r, a)  # a stale trigger after the draw
            assert outcome(worker, "trigger")[3] == "stale"
        acc = store.accuracy(r, GAME.code)
        assert (acc["total_predictions"], acc["correct_predictions"]) == (2, 1)
        assert acc["overall_accuracy_percentage"] == 50.0
        assert acc["big_predictions"] == {"total": 2, "correct": 1, "accuracy_percentage": 50.0}
        assert acc["small_predictions"]["total"] == 0
        assert acc["n"] == 2 and acc["chance_rate"] == 0.5 and len(acc["ci95"]) == 2
        assert acc["markets"]["number"]["hits"] == 0 and acc["markets"]["number"]["chance"] == 0.1
        assert acc["verdict"] == "too few draws to judge"  # the scoreboard's verdict of n=2
        assert json.loads(r.get(keys.AI_BIG_SMALL_ACCURACY))["total_predictions"] == 2
        resolved = store.get_prediction(r, GAME.code, a)
        assert resolved["result"]["number"] == 8 and resolved["correct"] is True
        assert resolved["hits"] == {"number": False, "big_small": True, "color": False}
        # Settled while the worker was down: resolved by the next start's catch-up.
        settle(r, c, 9, announce=False)
        with running(make_worker(settings, r, srv)):
            pass
    acc = store.accuracy(r, GAME.code)
    assert (acc["total_predictions"], acc["correct_predictions"]) == (3, 2)
    assert acc["markets"]["number"]["hits"] == 0 and acc["markets"]["color"]["hits"] == 1
    assert store.unresolved_issues(r, GAME.code) == []


def test_history_is_bounded(r, settings):
    issues = future_issues(5)
    for n, issue in enumerate(issues):
        store.save_prediction(r, GAME, {"game": GAME.code, "issue": issue, "status": "failed",
                                        "reason": "x", "timestamp": str(n)}, max_entries=3)
    assert [e["issue"] for e in store.history(r, GAME.code, 10)] == issues[:1:-1]
    assert r.hlen(keys.AI_PREDS_HISTORY) == 3


def test_the_worker_reconnects_after_redis_restarts_and_catches_up(settings, tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", port=free_port()).start()
    conn = connect(server.url, socket_timeout=1.0)
    with fake_provider(chat_reply(ANSWER)) as srv:
        worker = make_worker(settings.with_(redis_url=server.url), conn, srv)
        store.set_flag(conn, True)
        try:
            with running(worker):
                assert outcome(worker, "session")[3] == "listening"
                first, second = future_issues(2)
                pending(conn, [first])  # its trigger was lost: nothing happens yet
                server.stop()  # the AOF keeps the data across the restart
                assert outcome(worker, "session")[3] == "lost"
                server.start()
                # Reconnected: the catch-up (before "listening") finds the lost issue.
                assert outcome(worker) == ("catch-up", GAME.code, first, "stored")
                assert outcome(worker, "session")[3] == "listening"
                trigger(conn, second)  # and the new subscription hears triggers
                assert outcome(worker) == ("trigger", GAME.code, second, "stored")
        finally:
            server.stop()
    assert len(srv.requests) == 2


def test_cli_worker_exits_cleanly_on_sigterm(redis_url, r):
    env = {**os.environ, "REDIS_URL": redis_url, "AI_API_KEYS": "", "LOG_LEVEL": "INFO"}
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "ai_worker.py"], cwd=root, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        while "started for" not in line:
            assert line, "the worker exited before starting"
            line = proc.stderr.readline()
        assert "API key missing (AI disabled)" in line
        while "listening on" not in line:
            assert line, "the worker exited before listening"
            line = proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "stopped after" in proc.stderr.read()
    assert r.get(keys.heartbeat(store.PROCESS)) is None
    assert store.status(r)["worker"]["state"] == "stopped"
    assert store.status(r)["state"] == "disabled: no API key"


# -- stop and crash (issue 16) ----------------------------------------------------------------
AUTH = ADMIN_HEADERS


@pytest.mark.parametrize("first", [
    chat_reply(ANSWER, delay=8),  # hanging: the stop lands while the request is under way
    Reply(429, "slow down", headers={"Retry-After": "5"}),  # the stop lands in the backoff
], ids=["in-flight", "between-attempts"])
def test_stop_cancels_the_call_under_way_and_no_call_starts_after_it(r, settings, redis_url,
                                                                     first):
    import redis as redis_lib

    from lottery.web import create_app

    store.set_flag(r, True)
    (issue,) = future_issues(1)
    web = create_app(settings, redis_lib.Redis.from_url(redis_url)).test_client()
    with fake_provider(first, chat_reply(ANSWER)) as srv, \
            running(make_worker(settings, r, srv)) as worker:
        trigger(r, issue)
        srv.wait_for_requests(1)
        assert web.post("/api/ai/stop", headers=AUTH).status_code == 200
        assert outcome(worker) == ("trigger", GAME.code, issue, "cancelled")
        calls_at_outcome = len(srv.requests)
        trigger(r, future_issues(1, ahead=2)[0])  # switched off: nothing is asked any more
        assert outcome(worker)[3] == "disabled"
        assert calls_at_outcome == len(srv.requests) == 1
    saved = store.get_prediction(r, GAME.code, issue)
    assert saved["status"] == "failed"
    assert saved["reason"].startswith("cancelled: the AI was switched off")
    status = store.status(r)
    assert (status["cancelled"], status["failures"], status["recent"]["n"]) == (1, 0, 0)


SPAWN_WORKER = """
import sys
from lottery.ai.worker import AIWorker
from lottery.config import Settings
from lottery.store.connection import connect
settings = Settings.from_env(dotenv=False)
worker = AIWorker(settings, connect(settings.redis_url), lease_ttl=float(sys.argv[1]))
worker.install_signal_handlers()
worker.run()
"""


def kill_worker_mid_call(redis_url, srv, lease_ttl: float) -> None:
    """Start a real AI worker process, wait for its provider call, and SIGKILL it."""
    env = {**os.environ, "REDIS_URL": redis_url, "AI_API_KEYS": KEY, "AI_BASE_URL": srv.url,
           "AI_TIMEOUT": "30", "LOG_LEVEL": "WARNING"}
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", SPAWN_WORKER, str(lease_ttl)], cwd=root,
                            env=env)
    try:
        srv.wait_for_requests(1, timeout=30)
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_workers_issue_is_asked_again_by_the_restarted_worker(r, settings, redis_url):
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    pending(r, [issue])
    with fake_provider(chat_reply(ANSWER, delay=30), chat_reply(ANSWER)) as srv:
        kill_worker_mid_call(redis_url, srv, lease_ttl=2.0)
        assert store.get_prediction(r, GAME.code, issue) is None
        assert store.open_issues(r, GAME.code) == [issue]
        # Restarted at once: the dead process's lease still blocks the catch-up, then lapses.
        with running(make_worker(settings, r, srv, lease_ttl=2.0)) as worker:
            assert outcome(worker, "retry") == ("retry", GAME.code, issue, "stored")
        assert len(srv.requests) == 2
    assert store.get_prediction(r, GAME.code, issue)["status"] == "ok"
    assert store.open_issues(r, GAME.code) == [] and not store.leased(r, GAME.code, issue)


def test_an_issue_drawn_without_an_answer_is_recorded_failed_with_the_reason(r, settings,
                                                                            redis_url):
    store.set_flag(r, True)
    (issue,) = future_issues(1)
    pending(r, [issue])
    with fake_provider(chat_reply(ANSWER, delay=30)) as srv:
        kill_worker_mid_call(redis_url, srv, lease_ttl=2.0)
        settle(r, issue, 4, announce=False)  # drawn while no worker was running
        with running(make_worker(settings, r, srv, lease_ttl=2.0)) as worker:
            assert outcome(worker, "open") == ("open", GAME.code, issue, "failed")
        assert len(srv.requests) == 1
    saved = store.get_prediction(r, GAME.code, issue)
    assert saved["status"] == "failed" and saved["reason"].startswith("no answer before the draw")
    assert saved["number"] is None and store.unresolved_issues(r, GAME.code) == []
    status = store.status(r)
    assert status["failures"] == 1 and status["recent"] == {"n": 1, "failures": 1,
                                                            "failure_rate": 1.0}
