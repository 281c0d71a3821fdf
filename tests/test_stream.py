"""GET /api/stream (server-sent events) against a real Redis server.

Streams are read in a background thread into a queue, so tests wait on events
(queue.get with a timeout) instead of sleeping.
"""
import contextlib
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from lottery.events import publish_event
from lottery.store.embedded import free_port
from conftest import close_app, join_thread
from lottery.web import create_app, stream

ROOT = Path(__file__).resolve().parents[1]


def parse_frames(buffer: bytes):
    """Split complete SSE frames off `buffer`; return (frames, rest)."""
    frames = []
    while b"\n\n" in buffer:
        raw, buffer = buffer.split(b"\n\n", 1)
        frame = {"comments": []}
        for line in raw.decode().split("\n"):
            if line.startswith(":"):
                frame["comments"].append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            frame[name] = value.removeprefix(" ")
        frames.append(frame)
    return frames, buffer


class Reader:
    """Iterate a streaming response in a thread; frames land in `self.frames` (a queue)."""

    def __init__(self, chunks):
        self.frames: queue.Queue = queue.Queue()
        self.ended = threading.Event()
        self._chunks = chunks
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        buffer = b""
        try:
            for chunk in self._chunks:
                frames, buffer = parse_frames(buffer + chunk)
                for frame in frames:
                    self.frames.put(frame)
        except (OSError, ValueError):
            pass  # the connection was closed under us
        finally:
            self.ended.set()

    def next(self, timeout=5.0, skip_comments=True) -> dict:
        while True:
            frame = self.frames.get(timeout=timeout)
            if skip_comments and set(frame) == {"comments"}:
                continue
            return frame

    def events(self, n, timeout=5.0) -> list[dict]:
        """Return the next n event frames (skipping hello and heartbeats)."""
        out = []
        while len(out) < n:
            frame = self.next(timeout)
            if frame.get("event") not in (None, "hello"):
                out.append(frame)
        return out


@pytest.fixture
def settings(settings):
    return settings.with_(sse_heartbeat=30.0, games=("WinGo_1M", "WinGo_30S"))


def open_stream(app, path="/api/stream", headers=None):
    resp = app.test_client().get(path, headers=headers or {}, buffered=False)
    assert resp.status_code == 200, resp.data
    reader = Reader(resp.response)
    reader.resp = resp
    return reader


def finish(app, *readers):
    """End the open streams the way the server does (the reader threads then return)."""
    stream.get_hub(app).disconnect_all()
    for reader in readers:
        assert reader.ended.wait(5)
        reader.resp.close()


def test_stream_headers_retry_and_hello(app, r):
    first = publish_event(r, "draw", "WinGo_1M", {"issue": "x", "number": 3})
    reader = open_stream(app)
    resp = reader.resp
    assert resp.mimetype == "text/event-stream"
    assert "no-cache" in resp.headers["Cache-Control"]
    assert resp.headers["X-Accel-Buffering"] == "no"
    assert reader.next()["retry"] == str(stream.RETRY_MS)
    hello = reader.next()
    assert hello["event"] == "hello"
    # The hello carries the newest stored id: a reconnect replays from there, not from the start.
    assert hello["id"] == first
    body = json.loads(hello["data"])
    assert abs(body["server_time"] - time.time()) < 5 and body["replayed"] == 0
    finish(app, reader)


def test_live_events_arrive_in_order_with_stream_ids(app, r):
    reader = open_stream(app)
    ids = [publish_event(r, t, "WinGo_1M", {"n": i})
           for i, t in enumerate(["draw", "prediction", "ai_prediction", "simulator"])]
    frames = reader.events(4)
    assert [f["id"] for f in frames] == ids
    assert [f["event"] for f in frames] == ["draw", "prediction", "ai_prediction", "simulator"]
    data = json.loads(frames[1]["data"])
    assert data["id"] == ids[1] and data["type"] == "prediction" and data["data"] == {"n": 1}
    assert data["game"] == "WinGo_1M"
    finish(app, reader)


@pytest.mark.parametrize("how", ["header", "query"])
def test_last_event_id_replays_missed_events_then_goes_live(app, r, how):
    ids = [publish_event(r, "draw", "WinGo_1M", {"n": i}) for i in range(6)]
    if how == "header":
        reader = open_stream(app, headers={"Last-Event-ID": ids[1]})
    else:
        reader = open_stream(app, f"/api/stream?last_event_id={ids[1]}")
    reader.next()  # retry
    hello = reader.next()
    assert hello["event"] == "hello" and "id" not in hello
    assert json.loads(hello["data"])["replayed"] == 4
    later = publish_event(r, "prediction", "WinGo_1M", {"n": 6})
    frames = reader.events(5)
    assert [f["id"] for f in frames] == ids[2:] + [later]
    with pytest.raises(queue.Empty):
        reader.events(1, timeout=0.3)  # nothing twice
    finish(app, reader)


def test_disconnect_and_reconnect_misses_nothing(app, r):
    reader = open_stream(app)
    first = publish_event(r, "draw", "WinGo_1M", {"n": 0})
    assert reader.events(1)[0]["id"] == first
    # The server drops every stream (a deploy, a proxy timeout): the response ends.
    assert stream.get_hub(app).disconnect_all() == 1
    assert reader.ended.wait(5)
    missed = [publish_event(r, "draw", "WinGo_1M", {"n": i}) for i in (1, 2, 3)]
    reader2 = open_stream(app, headers={"Last-Event-ID": first})
    live = publish_event(r, "prediction", "WinGo_1M", {"n": 4})
    assert [f["id"] for f in reader2.events(4)] == missed + [live]
    finish(app, reader2)


def test_no_gap_or_duplicate_while_events_race_the_connect(app, r):
    start = publish_event(r, "draw", "WinGo_1M", {"n": -1})
    published = []

    def publisher():
        writer = redis.Redis(connection_pool=r.connection_pool)
        for i in range(400):
            published.append(publish_event(writer, "draw", "WinGo_1M", {"n": i}))

    thread = threading.Thread(target=publisher)
    thread.start()
    reader = open_stream(app, headers={"Last-Event-ID": start})
    join_thread(thread)
    got = [f["id"] for f in reader.events(len(published), timeout=10)]
    assert got == published
    finish(app, reader)


def test_game_filter(app, r):
    reader = open_stream(app, "/api/stream?game=WinGo_30S")
    publish_event(r, "draw", "WinGo_1M", {"n": 1})
    mine = publish_event(r, "draw", "WinGo_30S", {"n": 2})
    everyone = publish_event(r, "simulator", None, {"n": 3})
    assert [f["id"] for f in reader.events(2)] == [mine, everyone]
    finish(app, reader)


@pytest.mark.parametrize("query,headers,code", [
    ("?last_event_id=yesterday", {}, "bad_last_event_id"),
    ("", {"Last-Event-ID": "12-x"}, "bad_last_event_id"),
    ("?game=Lotto_9", {}, "unknown_game"),
])
def test_bad_input_is_a_clear_400_and_opens_nothing(app, query, headers, code):
    resp = app.test_client().get("/api/stream" + query, headers=headers)
    assert resp.status_code == 400
    assert resp.json["error"] == code and resp.json["message"]
    assert stream.get_hub(app).client_count == 0


def test_heartbeat_comments_keep_an_idle_stream_open(settings, r):
    app = create_app(settings.with_(sse_heartbeat=0.1), r)
    try:
        reader = open_stream(app)
        reader.next()  # retry
        reader.next()  # hello
        assert reader.next(timeout=3, skip_comments=False)["comments"] == ["keep-alive"]
        finish(app, reader)
    finally:
        close_app(app)


def test_closing_a_stream_unregisters_its_client(app, r):
    hub = stream.get_hub(app)
    client = hub.register(None)
    events = stream._events(hub, client, b"head", (0, 0), heartbeat=5)
    assert next(events) == b"head" and hub.client_count == 1
    # The WSGI server closes the iterable when the browser goes away.
    events.close()
    assert hub.client_count == 0


def test_stream_limit_answers_503_json(settings, r):
    app = create_app(settings.with_(sse_max_clients=1), r)
    try:
        reader = open_stream(app)
        second = app.test_client().get("/api/stream")
        assert second.status_code == 503
        assert second.json["error"] == "too_many_streams"
        assert int(second.headers["Retry-After"]) > 0
        finish(app, reader)
    finally:
        close_app(app)


def test_a_client_too_far_behind_is_cut_off_and_replays_everything(r):
    from lottery.events import read_events_after

    hub = stream.StreamHub(r, max_clients=10, buffer_size=4)
    slow = stream.StreamClient(None, 4)
    hub._clients.add(slow)  # registered, never reading (no hub thread: dispatch by hand)
    ids = [publish_event(r, "draw", "WinGo_1M", {"n": i}) for i in range(10)]
    for event in read_events_after(r, "0"):
        hub._dispatch(event)
    # The fifth event found its buffer full: the client was dropped and its stream ends...
    assert hub.client_count == 0
    assert list(stream._events(hub, slow, b"", (0, 0), heartbeat=5)) == [b""]
    # ...and a reconnect from its last id gives it everything it did not see.
    head, _ = stream._stream_head(r, "0-0", None)
    replayed, _ = parse_frames(head)
    assert [f["id"] for f in replayed if f.get("event") == "draw"] == ids


def test_subscription_lost_mid_stream_is_caught_up_from_the_stream(app, r):
    reader = open_stream(app)
    first = publish_event(r, "draw", "WinGo_1M", {"n": 0})
    assert reader.events(1)[0]["id"] == first
    # Kill the hub's pub/sub connection, then publish before it can resubscribe.
    assert r.client_kill_filter(_type="pubsub") >= 1
    gap = [publish_event(r, "draw", "WinGo_1M", {"n": i}) for i in (1, 2)]
    frames = reader.events(2, timeout=10)
    assert [f["id"] for f in frames] == gap
    later = publish_event(r, "prediction", "WinGo_1M", {"n": 3})
    assert reader.events(1, timeout=10)[0]["id"] == later
    finish(app, reader)


def test_prediction_event_refreshes_the_report_cache_before_fan_out(app, r):
    from lottery.store.predictions import write_report

    write_report(r, "WinGo_1M", b'{"next_issue":"1"}')
    client = app.test_client()
    assert client.get("/api/prediction").json["next_issue"] == "1"
    reader = open_stream(app)
    write_report(r, "WinGo_1M", b'{"next_issue":"2"}')
    publish_event(r, "prediction", "WinGo_1M", {"issue": "2"})
    reader.events(1)
    # By the time a browser hears of the prediction, the API serves it.
    assert client.get("/api/prediction").json["next_issue"] == "2"
    finish(app, reader)


def test_openapi_documents_the_stream(app):
    doc = app.test_client().get("/api/openapi.json").json
    get = doc["paths"]["/api/stream"]["get"]
    assert "text/event-stream" in get["responses"]["200"]["content"]
    assert {p["name"] for p in get["parameters"]} >= {"game", "last_event_id", "Last-Event-ID"}


@contextlib.contextmanager
def gunicorn(args: list[str], env: dict):
    """Run the app under gunicorn with args; yield (process, connections to close after)."""
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "lottery.web.wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    conns = []
    try:
        yield proc, conns
    finally:
        for conn in conns:
            conn.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def assert_stops_gracefully(proc, ended) -> None:
    """SIGTERM ends the open streams at once (ended() says they did) instead of waiting 30 s."""
    started = time.monotonic()
    proc.terminate()
    assert ended()
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 10


def test_stream_under_gunicorn_gevent_worker_and_sigterm_ends_streams(redis_url, r, tmp_path):
    port = free_port()
    conf = tmp_path / "gunicorn_test.conf.py"
    conf.write_text("def post_worker_init(worker):\n"
                    "    from lottery.web.stream import end_streams_on_shutdown\n"
                    "    end_streams_on_shutdown(worker)\n")
    env = {**os.environ, "REDIS_URL": redis_url, "LOTTERY_DATA_DIR": str(tmp_path),
           "SSE_HEARTBEAT": "30", "PYTHONPATH": str(ROOT)}
    with gunicorn(["-c", str(conf), "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
                   "--worker-connections", "100", "--graceful-timeout", "30", "--no-control-socket"],
                  env) as (proc, conns):
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.05)  # waiting for the server process to bind its port
        sock.close()
        readers = []
        for _ in range(3):  # several streams at once on one gevent worker
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/stream")
            resp = conn.getresponse()
            assert resp.status == 200 and resp.getheader("Content-Type").startswith(
                "text/event-stream")
            conns.append(conn)
            readers.append(Reader(iter(lambda r=resp: r.read1(65536), b"")))
        for reader in readers:
            while reader.next().get("event") != "hello":
                pass
        event_id = publish_event(r, "draw", "WinGo_1M", {"n": 7})
        for reader in readers:
            assert reader.events(1)[0]["id"] == event_id
        # A graceful stop ends the open streams at once instead of waiting 30 s for them.
        assert_stops_gracefully(proc, lambda: all(reader.ended.wait(10) for reader in readers))
