"""`python -m lottery up`: the README's first command, end to end."""
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from lottery.store.embedded import free_port

ROOT = Path(__file__).resolve().parents[1]


class Up:
    """`python -m lottery up` as a child process, its output read line by line."""

    def __init__(self, data_dir, port):
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ADMIN_TOKEN")}
        env.update(LOTTERY_DATA_DIR=str(data_dir), PORT=str(port), SIM_BACKFILL="30")
        self.proc = subprocess.Popen([sys.executable, "-m", "lottery", "up", "--only", "web,worker"],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, needle, timeout=60):
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError("up exited early:\n" + "".join(self.seen))
            self.seen.append(line)
            if needle in line:
                return line

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=40)
        while True:  # collect the rest of the output
            line = self.lines.get(timeout=10)
            if line is None:
                break
            self.seen.append(line)
        return rc


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
    finally:
        rc = up.stop()
    output = "".join(up.seen)
    assert rc == 0, output
    assert "[up] stopped" in output
    assert token in output  # the generated admin token is printed once for the local user
    # Started again: same data folder, the history is still there (append-only file).
    up = Up(tmp_path / "data", port)
    try:
        up.wait_for("Dashboard:")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            assert c.get("/api/status").json()["games"]["WinGo_1M"]["draws"] >= drawn
    finally:
        assert up.stop() == 0
    assert (tmp_path / "data" / "admin_token").read_text().strip() == token
