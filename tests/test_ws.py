"""GET /ws (WebSocket) against a real server and a real Redis: the events of /api/stream.

A real WebSocket client (websocket-client) talks to the app served by werkzeug's
threaded server (as in development) and, in the last test, by gunicorn's gevent
worker (as deployed). Receives block with a timeout; nothing sleeps.
"""
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import websocket
from werkzeug.serving import make_server

from conftest import close_app
from lottery.events import publish_event
from lottery.store.embedded import free_port
from lottery.web import create_app, stream
from test_stream import assert_stops_gracefully, gunicorn, open_stream

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(settings):
    return settings.with_(sse_heartbeat=30.0, games=("WinGo_1M", "WinGo_30S"))


class Served:
    """An app served by werkzeug's threaded server on a free port (the dev server)."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"ws://127.0.0.1:{self.server.port}/ws"

    def connect(self, query: str = "") -> websocket.WebSocket:
        return websocket.create_connection(self.url + query, timeout=5)

    def stop(self):
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture
def served(app):
    serving = Served(app)
    yield serving
    stream.get_hub(app).disconnect_all()
    serving.stop()


def recv_json(conn) -> dict:
    return json.loads(conn.recv())


def hub_waiter(app):
    """Return an Event set whenever the app's hub unregisters a client (awaitable, no polling)."""
    hub = stream.get_hub(app)
    left = threading.Event()
    original = hub.unregister

    def unregister(client):
        original(client)
        left.set()

    hub.unregister = unregister
    return left


def test_hello_then_live_events_as_json_in_order(served, r):
    conn = served.connect()
    hello = recv_json(conn)
    assert hello["type"] == "hello" and hello["replayed"] == 0 and hello["game"] is None
    assert abs(hello["server_time"] - time.time()) < 5
    ids = [publish_event(r, t, "WinGo_1M", {"n": i})
           for i, t in enumerate(["draw", "prediction", "ai_prediction", "simulator"])]
    got = [recv_json(conn) for _ in ids]
    assert [e["id"] for e in got] == ids
    assert [e["type"] for e in got] == ["draw", "prediction", "ai_prediction", "simulator"]
    assert got[1]["game"] == "WinGo_1M" and got[1]["data"] == {"n": 1}
    conn.close()


def test_a_websocket_and_an_sse_stream_get_the_same_event(app, served, r):
    conn = served.connect()
    recv_json(conn)  # hello
    reader = open_stream(app)
    event_id = publish_event(r, "prediction", "WinGo_1M", {"issue": "42"})
    sse = reader.events(1)[0]
    ws_event = recv_json(conn)
    assert ws_event["id"] == sse["id"] == event_id
    assert ws_event == json.loads(sse["data"])
    # One hub serves both kinds of client.
    assert stream.get_hub(app).client_count == 2
    conn.close()


def test_game_filter_is_the_streams(served, r):
    conn = served.connect("?game=WinGo_30S")
    assert recv_json(conn)["game"] == "WinGo_30S"
    publish_event(r, "draw", "WinGo_1M", {"n": 1})
    mine = publish_event(r, "draw", "WinGo_30S", {"n": 2})
    everyone = publish_event(r, "simulator", None, {"n": 3})
    assert [recv_json(conn)["id"] for _ in range(2)] == [mine, everyone]
    conn.close()


def test_last_event_id_replays_then_goes_live(served, r):
    ids = [publish_event(r, "draw", "WinGo_1M", {"n": i}) for i in range(5)]
    conn = served.connect(f"?last_event_id={ids[1]}")
    hello = recv_json(conn)
    assert hello["replayed"] == 3 and hello["id"] is None
    later = publish_event(r, "prediction", "WinGo_1M", {"n": 5})
    assert [recv_json(conn)["id"] for _ in range(4)] == ids[2:] + [later]
    conn.close()


def test_hello_carries_the_newest_id_for_a_later_replay(served, r):
    newest = publish_event(r, "draw", "WinGo_1M", {"n": 0})
    conn = served.connect()
    assert recv_json(conn)["id"] == newest
    conn.close()


def test_server_ending_streams_closes_with_1001_and_frees_the_place(app, served, r):
    conn = served.connect()
    recv_json(conn)
    left = hub_waiter(app)
    assert stream.get_hub(app).disconnect_all() == 1
    opcode, frame = conn.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 1001
    assert b"last_event_id" in frame.data[2:]
    assert left.wait(5) and stream.get_hub(app).client_count == 0


def test_a_client_that_goes_away_frees_its_place_at_once(app, served):
    conn = served.connect()
    recv_json(conn)
    assert stream.get_hub(app).client_count == 1
    left = hub_waiter(app)
    conn.close()
    # Freed by the socket's reader, long before the 30 s heartbeat would notice.
    assert left.wait(5)
    assert stream.get_hub(app).client_count == 0


def test_messages_from_the_client_are_ignored(served, r):
    conn = served.connect()
    recv_json(conn)
    conn.send("subscribe everything please")
    event_id = publish_event(r, "draw", "WinGo_1M", {"n": 1})
    assert recv_json(conn)["id"] == event_id
    conn.close()


@pytest.mark.parametrize("query,status,code", [
    ("?game=Lotto_9", 400, "unknown_game"),
    ("?last_event_id=yesterday", 400, "bad_last_event_id"),
])
def test_bad_input_is_a_json_error_before_the_handshake(app, served, query, status, code):
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        served.connect(query)
    assert caught.value.status_code == status
    body = json.loads(caught.value.resp_body)
    assert body["error"] == code and body["message"]
    assert stream.get_hub(app).client_count == 0


def test_plain_http_get_is_a_clear_400(client):
    resp = client.get("/ws")
    assert resp.status_code == 400
    assert resp.json["error"] == "websocket_mismatch" and "Upgrade" in resp.json["message"]


def test_the_stream_cap_is_shared_with_sse(settings, r):
    app = create_app(settings.with_(sse_max_clients=1), r)
    serving = Served(app)
    try:
        conn = serving.connect()
        recv_json(conn)
        # The one place is taken by the WebSocket: SSE and a second WebSocket get 503 JSON.
        resp = app.test_client().get("/api/stream")
        assert resp.status_code == 503 and resp.json["error"] == "too_many_streams"
        with pytest.raises(websocket.WebSocketBadStatusException) as caught:
            serving.connect()
        assert caught.value.status_code == 503
        assert json.loads(caught.value.resp_body)["error"] == "too_many_streams"
        assert int(caught.value.resp_headers["retry-after"]) > 0
        conn.close()
    finally:
        stream.get_hub(app).disconnect_all()
        serving.stop()
        close_app(app)


def test_openapi_documents_the_websocket(client):
    doc = client.get("/api/openapi.json").json
    get = doc["paths"]["/ws"]["get"]
    assert "101" in get["responses"] and "503" in get["responses"]
    assert {p["name"] for p in get["parameters"]} == {"game", "last_event_id"}


def test_ws_under_gunicorn_gevent_worker_and_sigterm_ends_them(redis_url, r, tmp_path):
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "LOTTERY_DATA_DIR": str(tmp_path),
           "SSE_HEARTBEAT": "30", "PYTHONPATH": str(ROOT), "PORT": str(port),
           "WEB_HOST": "127.0.0.1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    # The project's own gunicorn.conf.py: its hooks are what a deploy runs.
    with gunicorn(["-c", str(ROOT / "gunicorn.conf.py"), "-w", "1", "--graceful-timeout", "30"],
                  env) as (proc, conns):
        deadline = time.monotonic() + 30
        while True:
            try:
                conns.append(websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=10))
                break
            except (OSError, websocket.WebSocketException):
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.05)  # waiting for the server process to bind its port
        for _ in range(2):  # several sockets at once on one gevent worker
            conns.append(websocket.create_connection(f"ws://127.0.0.1:{port}/ws?game=WinGo_1M",
                                                     timeout=10))
        for conn in conns:
            assert recv_json(conn)["type"] == "hello"
        event_id = publish_event(r, "draw", "WinGo_1M", {"n": 7})
        for conn in conns:
            assert recv_json(conn)["id"] == event_id
        # A reader with a tiny receive window that falls behind by megabytes still gets
        # whole frames, in order (a partial write under gevent used to corrupt the stream).
        slow = websocket.create_connection(
            f"ws://127.0.0.1:{port}/ws", timeout=10,
            sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
        conns.append(slow)
        assert recv_json(slow)["type"] == "hello"
        blob = "x" * 100_000
        big = [publish_event(r, "draw", "WinGo_1M", {"n": i, "blob": blob}) for i in range(60)]
        for conn in conns:
            assert [recv_json(conn)["id"] for _ in big] == big
        # A graceful stop ends the sockets at once (code 1001) instead of waiting 30 s.
        def closed_going_away():
            for conn in conns:
                opcode, frame = conn.recv_data_frame(True)
                assert opcode == websocket.ABNF.OPCODE_CLOSE
                assert int.from_bytes(frame.data[:2], "big") == 1001
            return True

        assert_stops_gracefully(proc, closed_going_away)

