"""The draw worker end to end, against a real Redis server, with an injected clock."""
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from clock import FakeClock
from conftest import join_thread
from lottery import keys
from lottery.games import get_game
from lottery.sources.simulated import SimulatedSource
from lottery.store import draws, predictions
from lottery.store.embedded import EmbeddedRedis, free_port
from lottery.worker import Worker, build_source

GAME = get_game("WinGo_1M")
ROOT = Path(__file__).resolve().parents[1]


class Subscriber:
    """A real pub/sub subscriber collecting messages in a background thread."""

    def __init__(self, url, channel):
        self.client = redis.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)
        self.pubsub.get_message(timeout=1)  # the subscribe confirmation
        self.messages = []

    def drain(self, expected, timeout=5.0):
        """Collect messages until `expected` arrived (or time out)."""
        import time
        deadline = time.monotonic() + timeout
        while len(self.messages) < expected and time.monotonic() < deadline:
            msg = self.pubsub.get_message(timeout=0.5)
            if msg:
                self.messages.append(json.loads(msg["data"]))
        return self.messages

    def close(self):
        self.pubsub.close()
        self.client.close()


def make_worker(settings, r, clock, name="worker"):
    return Worker(settings, r, build_source(settings, r), clock=clock, name=name)


def test_n_periods_give_n_draws_predictions_and_triggers(settings, r, redis_url):
    sub = Subscriber(redis_url, keys.AI_TRIGGER_CHANNEL)
    clock = FakeClock()
    periods = 6
    make_worker(settings, r, clock).run(max_iterations=periods + 1)
    triggers = sub.drain(periods + 1)
    sub.close()
    # First wake: back-fill (sim_backfill=50) and predict the open issue; then one per period.
    assert draws.count(r, "WinGo_1M") == 50 + periods
    issues = [t["issue"] for t in triggers]
    assert len(issues) == periods + 1 == len(set(issues))
    assert all(GAME.next_issue(a) == b for a, b in zip(issues, issues[1:]))
    assert set(triggers[0]) == {"trigger_type", "game", "issue", "timestamp", "source"}
    stored = predictions.recent_predictions(r, "WinGo_1M", 100)
    assert len(stored) == periods + 1
    resolved = [p for p in stored if "result" in p]
    assert len(resolved) == periods  # every prediction whose draw settled is scored
    for p in resolved:
        digit = draws.get_draw(r, "WinGo_1M", p["issue"])["number"]
        assert p["result"]["number"] == digit
        assert p["hits"]["big_small"] == (p["big_small"] == GAME.describe(digit)["size"])
    report = json.loads(r.get(keys.LATEST_PREDICTION))
    assert report["next_issue"] == issues[-1]
    assert report["accuracy"]["big_small"]["n"] == periods
    assert report["accuracy"]["big_small"]["chance"] == 0.5
    assert r.get(keys.heartbeat("worker")) is None  # cleared on a clean stop
    # The wake-ups follow the period clock: after the first, one per period.
    assert clock.waits[1:] == [pytest.approx(60.0)] * (len(clock.waits) - 1)


def test_running_twice_adds_nothing(settings, r, redis_url):
    clock = FakeClock()
    make_worker(settings, r, clock).run(max_iterations=3)
    before = (draws.count(r, "WinGo_1M"), r.xlen(keys.EVENTS_STREAM),
              len(predictions.recent_predictions(r, "WinGo_1M", 100)))
    # A second run over periods already done must not add draws, predictions or events.
    make_worker(settings, r, FakeClock(clock.t - (clock.t - FakeClock().t))).run(max_iterations=3)
    after = (draws.count(r, "WinGo_1M"), r.xlen(keys.EVENTS_STREAM),
             len(predictions.recent_predictions(r, "WinGo_1M", 100)))
    assert after == before


def test_two_workers_at_once_write_each_period_once(settings, r, redis_url):
    sub = Subscriber(redis_url, keys.AI_TRIGGER_CHANNEL)
    start = FakeClock().t
    workers = [make_worker(settings, redis.Redis.from_url(redis_url), FakeClock(start), f"w{i}")
               for i in range(2)]
    threads = [threading.Thread(target=w.run, kwargs={"max_iterations": 8}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        join_thread(t, 30)
    triggers = sub.drain(8)
    sub.close()
    issues = [t["issue"] for t in triggers]
    assert len(issues) == len(set(issues)), "a period was published twice"
    events = [json.loads(f[b"e"]) for _, f in r.xrange(keys.EVENTS_STREAM)]
    drawn = [e["data"]["issue"] for e in events if e["type"] == "draw"]
    assert len(drawn) == len(set(drawn)) == draws.count(r, "WinGo_1M")


def test_redis_restart_mid_run_loses_no_period(tmp_path, settings):
    server = EmbeddedRedis(tmp_path / "redis", port=free_port(), appendonly=True).start()
    try:
        conn = redis.Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=0.5)
        s = settings.with_(redis_url=server.url)
        clock = FakeClock()
        worker = make_worker(s, conn, clock)
        worker.run(max_iterations=3)
        first = draws.latest_issue(conn, "WinGo_1M")
        server.stop()
        clock.advance(5 * 60)  # five periods pass while Redis is down
        worker.run(max_iterations=2)  # both wake-ups fail; the worker keeps going
        server.start()
        worker.run(max_iterations=1)
        latest = draws.latest_issue(conn, "WinGo_1M")
        assert GAME.issue_ordinal(latest) - GAME.issue_ordinal(first) >= 5
        issues = [m.decode() for m in conn.zrange(keys.draws_index("WinGo_1M"), 0, -1)]
        ordinals = [GAME.issue_ordinal(i) for i in issues]
        assert ordinals == list(range(ordinals[0], ordinals[0] + len(ordinals))), "a gap remained"
        conn.close()
    finally:
        server.stop()


class PageSource:
    """A source that only knows a recent page and skips one period (like a real platform)."""

    name = "page"

    def __init__(self, skip):
        self.skip = skip
        self.sim = SimulatedSource("page-secret")

    def fetch(self, game, after_issue, until_issue, now):
        out = []
        issue = until_issue
        for _ in range(5):
            if issue != self.skip and (after_issue is None
                                       or game.issue_ordinal(issue) > game.issue_ordinal(after_issue)):
                out.append(self.sim.draw(game, issue))
            issue = game.previous_issue(issue)
        return out[::-1]

    def can_backfill(self):
        return False

    def close(self):
        pass


def test_gaps_a_source_cannot_fill_are_recorded_missing(settings, r):
    clock = FakeClock()
    skip = GAME.previous_issue(GAME.last_settled_issue(clock.now()))
    Worker(settings, r, PageSource(skip), clock=clock).run(max_iterations=1)
    assert draws.missing_issues(r, "WinGo_1M") == [skip]
    assert draws.count(r, "WinGo_1M") == 4


def test_sigterm_finishes_the_step_and_exits_cleanly(redis_url, r, tmp_path):
    sub = Subscriber(redis_url, keys.AI_TRIGGER_CHANNEL)
    env = {**os.environ, "REDIS_URL": redis_url, "SIM_SERVER_SECRET": "sigterm",
           "SIM_BACKFILL": "20", "LOTTERY_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "lottery", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert sub.drain(1, timeout=20), "the worker published no trigger"
        assert r.get(keys.heartbeat("worker")) is not None
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        sub.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stop requested" in out and "stopped after" in out
    assert "sigterm" not in out  # the secret never reaches the log
    assert r.get(keys.heartbeat("worker")) is None


class SlowSource:
    """The simulated source, but each fetch takes 40 s of (virtual) time."""

    def __init__(self, inner, clock):
        self.inner, self.clock = inner, clock
        self.name = inner.name

    def fetch(self, game, after_issue, until_issue, now):
        self.clock.advance(40)
        return self.inner.fetch(game, after_issue, until_issue, now)

    def __getattr__(self, attr):
        return getattr(self.inner, attr)


def test_a_slow_step_never_predicts_a_period_that_has_closed(settings, r):
    clock = FakeClock()
    worker = Worker(settings, r, SlowSource(build_source(settings, r), clock), clock=clock)
    predicted = []
    for _ in range(6):
        result = worker.step("WinGo_1M")
        if result.published:
            # Still open when the step is over: the prediction comes before its draw.
            assert GAME.draw_time(result.predicted_issue) > clock.now()
            predicted.append(result.predicted_issue)
        clock.advance(5)
    assert predicted, "the worker never predicted"


def test_an_orphaned_embedded_server_is_stopped_before_a_new_one_starts(tmp_path):
    first = EmbeddedRedis(tmp_path / "redis", appendonly=True).start()
    redis.Redis.from_url(first.url).set("kept", "yes")
    # The `up` that started it was killed: nobody stops `first`. A new start on the same
    # folder must stop it (one writer per append-only file) and keep its data.
    second = EmbeddedRedis(tmp_path / "redis", appendonly=True).start()
    try:
        assert first.process.wait(1) is not None  # already stopped by the new start
        assert redis.Redis.from_url(second.url).get("kept") == b"yes"
    finally:
        second.stop()


def test_first_start_replays_the_back_filled_history_apart_from_live(settings, r, monkeypatch):
    from lottery.store import scores

    worker = make_worker(settings.with_(sim_backfill=400), r, FakeClock())
    result = worker.step("WinGo_1M")
    # The first step back-filled, predicted the open period, and replayed the 400 draws.
    assert result.published and result.new_draws == 400
    totals, facts = scores.read_replay(r, GAME)
    assert facts["n_draws"] == 400 and facts["through"] == draws.latest_issue(r, "WinGo_1M")
    assert 0 < facts["took_ms"] < 30_000
    assert {m: t.n for m, t in totals["markov"].items()}["number"] == 400
    board = scores.scoreboard(r, "WinGo_1M")
    assert board["rows"] == []  # live: nothing resolved yet; never merged with the replay
    replayed = {(row["predictor"], row["market"]): row for row in board["replayed"]["rows"]}
    assert replayed[("markov", "number")]["n"] == 400
    assert all(row["verdict"] != "too few draws to judge" for row in replayed.values())
    # Replayed once: a later step leaves it alone; an import makes the worker replay again.
    calls = []
    monkeypatch.setattr("lottery.worker.replay", lambda *a, **k: calls.append(a) or totals)
    worker.step("WinGo_1M")
    assert calls == []
    scores.forget_replay(r, "WinGo_1M")
    assert scores.scoreboard(r, "WinGo_1M")["replayed"] is None
    worker.step("WinGo_1M")
    assert len(calls) == 1 and len(calls[0][1]) == 400
    assert scores.scoreboard(r, "WinGo_1M")["replayed"]["n_draws"] == 400
