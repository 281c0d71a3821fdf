"""Requests that used to stall or crash the API: each gets a quick 4xx/503 JSON answer."""
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from lottery.store.embedded import EmbeddedRedis, free_port
from lottery.web import create_app
from upproc import ROOT

TOKEN = {"Authorization": "Bearer test-admin-token"}
POSTS = ("/admin/reset-streaks", "/api/ai/start", "/api/ai/stop", "/api/simulator/start",
         "/api/simulator/stop", "/api/simulator/config", "/api/simulator/montecarlo",
         "/api/simulator/backtest")


def _is_json_error(resp, status):
    body = resp.get_json()
    # SPEC's error body; upstream's clients also read "status": "error".
    return resp.status_code == status and {"error", "message"} <= set(body) <= \
        {"error", "message", "status"} and body.get("status", "error") == "error"


# -- item 8: bodies that raised inside a view are 400s ----------------------------------------
@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("raw", [
    b"[" * 30_000 + b"]" * 30_000,  # RecursionError in the JSON parser (under 64 KiB)
    b"{\"a\":" * 10_000 + b"1" + b"}" * 10_000,
    b"[1, 2]", b'"text"', b"\xff\xfe\x00", b"{not json",
])
def test_malformed_bodies_are_400_on_every_post(client, r, path, raw):
    r.set("lottery:heartbeat:sim_worker", "alive")
    resp = client.post(path, data=raw, headers={**TOKEN, "Content-Type": "application/json"})
    if path == "/api/ai/start" or path == "/api/ai/stop":
        assert resp.status_code < 500  # these take no body
    else:
        assert _is_json_error(resp, 400), (resp.status_code, resp.data[:200])


@pytest.mark.parametrize("path,body", [
    ("/api/simulator/montecarlo", {"rounds": 10 ** 400}),
    ("/api/simulator/montecarlo", {"sessions": -(10 ** 400)}),
    ("/api/simulator/backtest", {"base_bet": 10 ** 400}),
    ("/api/simulator/start", {"simulation_mode": []}),
    ("/api/simulator/start", {"simulation_mode": {"a": 1}}),
    ("/admin/reset-streaks", [1, 2]),
    ("/admin/reset-streaks", {"issue": ["x"]}),
])
def test_the_inputs_that_crashed_are_400(client, r, path, body):
    r.set("lottery:heartbeat:sim_worker", "alive")
    resp = client.post(path, data=json.dumps(body),
                       headers={**TOKEN, "Content-Type": "application/json"})
    assert _is_json_error(resp, 400), resp.get_json()
    assert len(resp.get_json()["message"]) < 300  # a huge value is not echoed back


# -- item 9: a body limit ------------------------------------------------------------------
def test_a_body_over_the_limit_is_413_json_and_not_read(client, settings):
    big = b'{"rounds": 1, "pad": "' + b"x" * settings.max_body_bytes + b'"}'
    resp = client.post("/api/simulator/montecarlo", data=big,
                       headers={"Content-Type": "application/json"})
    assert _is_json_error(resp, 413)


# -- item 13: error details ---------------------------------------------------------------
def test_405_keeps_its_allow_header(client):
    resp = client.delete("/api/prediction")
    assert _is_json_error(resp, 405)
    assert "GET" in resp.headers["Allow"]


def test_a_long_url_is_414_json(client):
    resp = client.get("/api/history?x=" + "a" * 5000)
    assert _is_json_error(resp, 414)


def test_a_game_the_server_does_not_follow_is_404_naming_the_followed_ones(client):
    resp = client.get("/api/prediction?game=WinGo_5M")
    assert _is_json_error(resp, 404) and "WinGo_1M" in resp.get_json()["message"]
    assert client.get("/api/prediction?game=Nope").status_code == 400


# -- item 10: a paused Redis fails fast -------------------------------------------------------
def test_a_paused_redis_gives_quick_503s(settings, tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", appendonly=False).start()
    try:
        app = create_app(settings.with_(redis_url=server.url))
        client = app.test_client()
        assert client.get("/health").status_code == 200
        os.kill(server.process.pid, signal.SIGSTOP)  # alive, accepting, never answering
        try:
            # /api/status answers 200 with Redis reported down, as upstream's does.
            for path, status in (("/health", 503), ("/api/status", 200), ("/api/history", 503),
                                 ("/api/redis/status", 503)):
                started = time.monotonic()
                resp = client.get(path)
                took = time.monotonic() - started
                assert resp.status_code == status, (path, resp.status_code)
                assert took < 2.0, (path, took)  # 15 s before (5 s timeout x retries)
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        app.extensions["lottery"]["prediction_cache"].stop()
    finally:
        server.stop()


# -- items 13 and 15 under gunicorn: JSON 414 beyond gunicorn's own limit, bind, control socket
def test_gunicorn_binds_web_host_answers_its_own_errors_as_json_and_has_no_control_socket(
        redis_url, tmp_path):
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "REDIS_URL": redis_url, "PORT": str(port), "WEB_HOST": "127.0.0.1",
           "HOME": str(home), "LOTTERY_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "lottery", "web", "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if c.get("/health").status_code in (200, 503):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)  # gunicorn is still starting
            huge = c.get("/api/history?x=" + "a" * 9000)  # beyond gunicorn's request line limit
            assert huge.status_code == 414 and huge.headers["content-type"] == "application/json"
            assert huge.json()["error"] == "uri_too_long"
            medium = c.get("/api/history?x=" + "a" * 5000)  # the app's own limit
            assert medium.status_code == 414 and medium.json()["error"] == "uri_too_long"
        listening = [line.split() for line in open("/proc/net/tcp").read().splitlines()[1:]]
        local = {row[1] for row in listening if row[3] == "0A"}  # state LISTEN
        assert f"0100007F:{port:04X}" in local and f"00000000:{port:04X}" not in local
        assert not (home / ".gunicorn").exists()
    finally:
        proc.terminate()
        proc.wait(30)


# -- item 16: a full collection in a busy gevent worker paused all of its connections at once
def test_freeze_boot_objects_keeps_them_out_of_collections_and_still_collects_new_garbage():
    import gc

    from lottery.web.serve import freeze_boot_objects

    booted = {"app": object()}  # stands for what a worker allocated while booting
    try:
        frozen = freeze_boot_objects()
        # A frozen object that is freed leaves the count: other tests' threads still
        # running in this process may free a few between the two reads.
        assert frozen > 1000 and frozen - 100 < gc.get_freeze_count() <= frozen
        assert not any(o is booted for o in gc.get_objects())  # no collection walks it now
        cycle = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # garbage made after booting is still freed
    finally:
        gc.unfreeze()


def test_gunicorn_workers_freeze_what_booting_allocated(monkeypatch):
    import runpy
    import types

    from lottery.web import errors, monitoring, serve, stream

    calls = []
    monkeypatch.setattr(stream, "end_streams_on_shutdown", lambda worker: calls.append("streams"))
    monkeypatch.setattr(errors, "install_gunicorn_json_errors", lambda: calls.append("errors"))
    monkeypatch.setattr(monitoring, "start_sampler", lambda app: calls.append("sampler"))
    monkeypatch.setattr(serve, "freeze_boot_objects", lambda: calls.append("freeze"))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    conf["post_worker_init"](types.SimpleNamespace(wsgi=None))
    assert calls[-1] == "freeze"  # after everything the hooks load


def _gunicorn_gevent(redis_url, tmp_path, *args):
    """Start gunicorn with the production config, one gevent worker; return (process, port)."""
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "PORT": str(port), "WEB_HOST": "127.0.0.1",
           "HOME": str(tmp_path), "LOTTERY_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                             "-k", "gevent", "-w", "1", *args, "app:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code in (200, 503):
                return proc, port
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)  # gunicorn is still starting


def _read_responses(sock, count: int, timeout: float) -> bytes:
    """Read until `count` complete responses to /health arrived (or the server closed)."""
    sock.settimeout(timeout)
    data = b""
    while data.count(b"HTTP/1.1 ") < count or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_gevent_keep_alive_turns_pipelined_requests_close_and_idle_timeout(redis_url, tmp_path):
    import socket

    proc, port = _gunicorn_gevent(redis_url, tmp_path, "--keep-alive", "2")
    request = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"
    try:
        # Kept alive: a second request on the same connection is answered.
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(request)
            assert _read_responses(s, 1, 5).startswith(b"HTTP/1.1 ")
            s.sendall(request)
            assert _read_responses(s, 1, 5).startswith(b"HTTP/1.1 ")
            # Idle past keep-alive (2 s here): the server ends the connection, not 2 s later.
            started = time.monotonic()
            s.settimeout(5)
            assert s.recv(1) == b"" and time.monotonic() - started < 3.5
        # Two requests in one write: the second is already read, yet answered at once.
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(request * 2)
            assert _read_responses(s, 2, 3).count(b"HTTP/1.1 ") == 2
        # Connection: close is answered and closed without waiting for keep-alive.
        with socket.create_connection(("127.0.0.1", port)) as s:
            started = time.monotonic()
            s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            body = _read_responses(s, 1, 5)
            assert body.startswith(b"HTTP/1.1 ") and s.recv(1) == b""
            assert time.monotonic() - started < 0.9
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_rate_limiter_runs_on_the_heavy_endpoints_only(settings, r, monkeypatch):
    # Its hooks cost about 0.2 ms a request: the polled endpoints must not pay them.
    from flask import request
    from flask_limiter import Limiter

    from conftest import close_app, make_app

    checked = []
    original = Limiter._check_request_limit

    def spy(self, *args, **kwargs):
        checked.append(request.path)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", spy)
    app = make_app(settings, r)
    try:
        client = app.test_client()
        for path in ("/health", "/api/prediction", "/api/history"):
            client.get(path)
        assert checked == []
        client.post("/api/simulator/montecarlo", json={"sessions": 1, "rounds": 1})
        assert set(checked) == {"/api/simulator/montecarlo"}
    finally:
        close_app(app)
