"""The AI worker predicts crash rounds through the same interface: a prompt with recent
multipliers and the fair odds, a strict JSON answer of probabilities (anything else is
rejected and recorded as such), scored like any crash predictor. Provider: a fake
OpenAI-compatible server on 127.0.0.1."""
from __future__ import annotations

import json
import queue
import threading
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from conftest import join_thread
from fake_openai import chat_reply, fake_provider
from lottery import keys
from lottery.ai import store
from lottery.ai.crash import ADAPTER, InvalidAnswer, parse_answer
from lottery.ai.provider import ChatProvider
from lottery.ai.worker import AIWorker
from lottery.games import Draw, get_game
from lottery.games.crash import sample_multipliers
from lottery.store import draws
from lottery.store import scores as recorder

GAME = get_game("Crash")
KEY = "sk-test-crash-key"
GOOD = {"1.5x": 0.66, "2x": 0.495, "3x": 0.33, "5x": 0.198, "10x": 0.099, "100x": 0.0099}


def answer(reach=GOOD) -> str:
    return json.dumps({"reach": reach})


def test_a_strict_answer_gives_every_target_probability():
    a = parse_answer(answer())
    assert a.reach == {"reach_1.5x": 0.66, "reach_2x": 0.495, "reach_3x": 0.33, "reach_5x": 0.198,
                       "reach_10x": 0.099, "reach_100x": 0.0099}
    assert parse_answer(f"```json\n{answer()}\n```") == a  # a fenced object is the same answer
    assert parse_answer(answer({"reach_2x" if k == "2x" else k: v for k, v in GOOD.items()})) == a


@pytest.mark.parametrize("text, reason", [
    ("I think 2x is likely.", "not a JSON object"),
    ('Sure! {"reach": {"2x": 0.5}}', "not a JSON object"),
    (answer({k: v for k, v in GOOD.items() if k != "100x"}), "missing target(s) 100x"),
    (answer({**GOOD, "7x": 0.1}), "unknown target"),
    (answer({**GOOD, "2x": 1.2}), "a probability is a number 0-1"),
    (answer({**GOOD, "2x": "0.5"}), "a probability is a number 0-1"),
    (answer({**GOOD, "2x": True}), "a probability is a number 0-1"),
    (answer({**GOOD, "10x": 0.3}), "incoherent"),
    (json.dumps({"reach": GOOD, "confidence": 0.9}), "exactly"),
    ("[0.5, 0.1]", "exactly"),
    ("", "empty answer"),
])
def test_anything_else_is_rejected_with_the_reason(text, reason):
    with pytest.raises(InvalidAnswer, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_answer(text)


@hsettings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60), st.dictionaries(
    st.sampled_from(["1.5x", "2x", "3x", "5x", "10x", "100x", "x", "2"]),
    st.one_of(st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none()),
    max_size=7).map(lambda d: json.dumps({"reach": d}))))
def test_the_parser_returns_coherent_probabilities_or_says_why(text):
    try:
        a = parse_answer(text)
    except InvalidAnswer:
        return
    values = list(a.reach.values())
    assert len(values) == 6 and all(0 <= v <= 1 for v in values)
    assert values == sorted(values, reverse=True)


@pytest.fixture
def crash_ai(settings, r):
    cfg = settings.with_(games=("Crash",), ai_api_keys=(KEY,), ai_timeout=2.0)
    xs = sample_multipliers(np.random.default_rng(3), 60).tolist()
    draws.add_draws(r, GAME, [Draw("Crash", str(i), x) for i, x in enumerate(xs, 1)], 1000)
    store.set_flag(r, True)
    return cfg, xs


@contextmanager
def running(cfg, r, srv):
    cfg = cfg.with_(ai_base_url=srv.url)
    provider = ChatProvider.from_settings(cfg, max_attempts=2, backoff_initial=0.01,
                                          backoff_max=0.02, jitter=0.01)
    worker = AIWorker(cfg, r, provider=provider, outcomes=queue.Queue(), poll_seconds=0.05)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert worker.ready.wait(10)
        yield worker
    finally:
        worker.request_stop()
        join_thread(thread, 10)


def trigger(r, issue: str) -> None:
    r.publish(keys.AI_TRIGGER_CHANNEL, json.dumps({
        "trigger_type": "new_issue", "game": "Crash", "issue": issue,
        "timestamp": "2026-01-01T00:00:00+00:00", "source": "test"}))


def outcome(worker) -> tuple:
    while True:
        item = worker.outcomes.get(timeout=10)
        if item[0] != "session":
            return item


def test_the_ai_predicts_a_crash_round_and_is_scored_against_the_null(crash_ai, r):
    cfg, xs = crash_ai
    reach = {**GOOD, "2x": 0.6, "1.5x": 0.7}
    with fake_provider(chat_reply(answer(reach))) as srv, running(cfg, r, srv) as worker:
        trigger(r, "61")
        assert outcome(worker) == ("trigger", "Crash", "61", "stored")
    saved = store.get_prediction(r, "Crash", "61")
    assert saved["status"] == "ok" and saved["reach_p"]["reach_2x"] == 0.6
    scored = recorder.get_prediction(r, "Crash", "61", "ai")
    assert scored["reach_p"]["reach_2x"] == 0.6 and len(scored["reach_p"]) == 6
    prompt = srv.requests[0].json()["messages"][-1]["content"]
    assert ", ".join(f"{x:.2f}" for x in xs[-50:]) in prompt  # the recent multipliers
    assert "0.99 / m" in prompt and "2x 49.5%" in prompt and "round 61" in prompt
    # The round settles at 2.50x: scored per target against 0.99/m, with the null's log loss.
    draws.add_draws(r, GAME, [Draw("Crash", "61", 2.5)], 1000)
    resolved = store.resolve(r, "Crash", "61", 2.5)
    assert resolved["hits"]["reach_2x"] is True and resolved["hits"]["reach_3x"] is False
    acc = store.accuracy(r, "Crash")
    two = acc["markets"]["reach_2x"]
    assert acc["n"] == 1 and two["hits"] == 1 and two["chance"] == pytest.approx(0.495)
    assert two["log_loss"] == pytest.approx(-np.log(0.6), abs=1e-6)
    assert two["null_log_loss"] == pytest.approx(-np.log(0.495), abs=1e-6)


@pytest.mark.parametrize("reply, reason", [
    ("The next round will be big!", "invalid answer: not a JSON object"),
    (answer({**GOOD, "10x": 0.4}), "invalid answer: incoherent"),
])
def test_an_invalid_answer_is_recorded_as_rejected_never_scored(crash_ai, r, reply, reason):
    cfg, _ = crash_ai
    with fake_provider(chat_reply(reply)) as srv, running(cfg, r, srv) as worker:
        trigger(r, "61")
        assert outcome(worker)[3] == "failed"
    saved = store.get_prediction(r, "Crash", "61")
    assert saved["status"] == "failed" and saved["reason"].startswith(reason)
    assert saved["reach_p"] is None
    assert recorder.get_prediction(r, "Crash", "61", "ai") is None


def test_a_round_already_settled_is_not_asked_about(crash_ai, r):
    cfg, _ = crash_ai
    with fake_provider(chat_reply(answer())) as srv, running(cfg, r, srv) as worker:
        trigger(r, "60")  # stored already
        assert outcome(worker)[3] == "stale"
        assert srv.requests == []
    assert ADAPTER.budget_seconds > 1


def test_the_ai_accuracy_endpoint_serves_the_crash_record(crash_ai, r):
    from conftest import close_app, make_app

    cfg, _ = crash_ai
    app = make_app(cfg, r)
    try:
        body = app.test_client().get("/api/ai_big_small_accuracy?game=Crash").json
    finally:
        close_app(app)
    assert body["game"] == "Crash" and body["total"] == 0 and body["status"] == "no_data"
    assert body["accuracy"] is None and set(body["markets"]) == set([
        "reach_1.5x", "reach_2x", "reach_3x", "reach_5x", "reach_10x", "reach_100x"])
