"""`python -m lottery up`: the README's first command, end to end, and its supervision."""
import os
import signal
import stat
import sys
import time

import httpx
import pytest
import redis

from lottery.runner import Policy, Supervisor
from lottery.store.embedded import free_port
from upproc import Up


def _get(c, path):
    try:
        return c.get(path)
    except httpx.HTTPError:
        return None


def test_up_serves_a_prediction_then_stops_and_keeps_history(tmp_path):
    port = free_port()
    up = Up(tmp_path / "data", port)
    try:
        line = up.wait_for("Dashboard:")
        assert f"http://127.0.0.1:{port}/" in line
        token = (tmp_path / "data" / "admin_token").read_text().strip()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            for _ in range(100):  # the worker's first step may land just after the web is up
                resp = c.get("/api/prediction")
                if resp.status_code == 200:
                    break
                up.wait_for("predicted", timeout=30)
            report = resp.json()
            assert report["next_issue"] and len(report["prediction"]["numbers"]) == 3
            drawn = c.get("/api/status").json()["games"]["WinGo_1M"]["draws"]
            assert drawn >= 30
            # Crash is followed by default too: its back-filled rounds are predicted and verifiable.
            for _ in range(100):
                crash = c.get("/api/prediction?game=Crash")
                if crash.status_code == 200:
                    break
                up.wait_for("Crash: predicted", timeout=30)
            assert int(crash.json()["next_issue"]) > 1
            proof = c.get("/api/fairness/1?game=Crash").json()
            assert proof["verified"] and proof["terminal_matches"]
    finally:
        rc = up.stop()
    output = "".join(up.seen)
    assert rc == 0, output
    assert "[up] stopped" in output
    # Secrets never reach the output: the admin token is pointed to, not printed.
    assert token not in output and "admin_token" in output
    # Started again: same data folder, the history is still there (append-only file).
    up = Up(tmp_path / "data", port)
    try:
        up.wait_for("Dashboard:")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            assert c.get("/api/status").json()["games"]["WinGo_1M"]["draws"] >= drawn
    finally:
        assert up.stop() == 0
    assert (tmp_path / "data" / "admin_token").read_text().strip() == token


def test_the_data_folder_is_private_and_redis_holds_no_secret(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "old-notes.txt").write_text("from before")  # closed too
    os.chmod(data / "old-notes.txt", 0o644)
    up = Up(data, free_port(), only="worker")
    try:
        up.wait_for("predicted")
        url = (data / "redis.url").read_text().strip()
        password = redis.connection.parse_url(url)["password"]
        assert password and len(password) >= 20
        port = redis.connection.parse_url(url)["port"]
        anonymous = redis.Redis(port=port)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        client = redis.Redis.from_url(url)
        secret = (data / "fair_secret").read_text().strip()
        assert len(secret) == 64
        # Neither Redis nor its files hold the secret behind future outcomes.
        assert not client.exists("lottery:fair:secret")
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                assert secret.encode() not in client.get(key)
            elif kind == b"hash":
                assert all(secret.encode() not in v for v in client.hvals(key))
        client.bgrewriteaof()
    finally:
        assert up.stop() == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
        if path.is_file() and path.name != "fair_secret":
            assert secret.encode() not in path.read_bytes(), path
    assert password not in up.output()


def test_every_child_of_up_is_restarted_and_the_api_answers_again_within_5_s(tmp_path):
    port = free_port()
    up = Up(tmp_path / "data", port, only="web,worker,sim-worker")
    base = f"http://127.0.0.1:{port}"
    try:
        up.wait_for("Dashboard:")
        kids = up.children()
        names = {pid: ("redis" if "valkey-server" in cmd else "web" if "gunicorn" in cmd
                       else cmd.split()[-1]) for pid, cmd in kids.items()}
        assert sorted(names.values()) == ["redis", "sim-worker", "web", "worker"], kids
        with httpx.Client(base_url=base, timeout=2) as c:
            for pid, name in names.items():
                os.kill(pid, signal.SIGKILL)
                up.wait_for("restart", timeout=10)
                deadline = time.monotonic() + 5
                while True:
                    resp = _get(c, "/health")
                    if resp is not None and resp.status_code == 200:
                        break
                    assert time.monotonic() < deadline, f"no answer 5 s after killing {name}"
                    time.sleep(0.1)  # polling the API as a client would
            # Every service is back (a new process per killed one), Redis on its old port.
            deadline = time.monotonic() + 10
            while True:
                again = {pid: cmd for pid, cmd in up.children().items() if cmd}
                if len(again) == 4 and not set(again) & set(kids):
                    break
                assert time.monotonic() < deadline, (again, up.output())
                time.sleep(0.1)  # the restarts are on their way
            deadline = time.monotonic() + 5
            while (resp := _get(c, "/api/status")) is None or resp.status_code != 200:
                assert time.monotonic() < deadline, up.output()
                time.sleep(0.1)
            assert resp.json()["redis"]["ok"] is True
    finally:
        rc = up.stop()
    output = up.output()
    assert rc == 0, output
    assert "Redis: restarted" in output and "left down" not in output


# -- the supervisor on its own ----------------------------------------------------------
FAST = Policy(max_failures=3, window=30, first_backoff=0.05, max_backoff=0.2, startup=5)


def _run(sup, seconds, until=lambda: False):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        sup.poll()
        time.sleep(0.02)  # the supervision loop's own tick


def test_a_service_that_keeps_failing_is_left_down_with_its_error_and_the_others_run(tmp_path):
    said = []
    sup = Supervisor(dict(os.environ), FAST, say=said.append)
    sup.add("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    sup.add("broken", [sys.executable, "-c",
                       "import sys; print('cannot reach api.telegram.org: boom-4711', "
                       "file=sys.stderr); sys.exit(3)"])
    try:
        sup.start_all()
        _run(sup, 20, until=lambda: sup.given_up())
        assert sup.given_up() == ["broken"]
        assert sup.running() == ["steady"]
        text = "\n".join(said)
        assert "broken: exited with 3 at start; restarting" in text
        assert "left down" in text and "boom-4711" in text  # the reason, from its stderr
        assert "steady" not in text
    finally:
        sup.stop_all()


def test_failures_outside_the_window_are_forgiven(tmp_path):
    said = []
    policy = Policy(max_failures=2, window=0.3, first_backoff=0.01, max_backoff=0.01, startup=5)
    sup = Supervisor(dict(os.environ), policy, say=said.append)
    marker = tmp_path / "runs"
    # Each run lasts 0.4 s (longer than the window), then fails: never a crash loop.
    sup.add("flaky", [sys.executable, "-c",
                      f"import time, sys; open({str(marker)!r}, 'a').write('x'); "
                      "time.sleep(0.4); sys.exit(1)"])
    try:
        sup.start_all()
        _run(sup, 10, until=lambda: marker.exists() and len(marker.read_text()) >= 6)
        assert len(marker.read_text()) >= 6 and not sup.given_up()
    finally:
        sup.stop_all()
