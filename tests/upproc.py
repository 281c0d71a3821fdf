"""`python -m lottery up` as a child process whose output is read line by line."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Up:
    """Run `up` with a data folder and port; wait for lines of its output."""

    def __init__(self, data_dir, port, only="web,worker", python=sys.executable, env=None,
                 args=()):
        base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ADMIN_TOKEN")}
        base.update(LOTTERY_DATA_DIR=str(data_dir), PORT=str(port), SIM_BACKFILL="30")
        base.update(env or {})
        self.proc = subprocess.Popen([python, "-m", "lottery", "up", "--only", only, *args],
                                     cwd=ROOT, env=base, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, needle, timeout=60):
        """Return the first new line containing `needle` (AssertionError if `up` exits)."""
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError("up exited early:\n" + "".join(self.seen))
            self.seen.append(line)
            if needle in line:
                return line

    def output(self) -> str:
        """Return everything read so far (without waiting)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return "".join(self.seen)
            if line is None:
                return "".join(self.seen)
            self.seen.append(line)

    def children(self) -> dict[int, str]:
        """Return {pid: command line} of `up`'s direct children."""
        pid = self.proc.pid
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        out = {}
        for kid in kids:
            try:
                out[int(kid)] = Path(f"/proc/{kid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                pass
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=40)
        while True:  # collect the rest of the output
            line = self.lines.get(timeout=10)
            if line is None:
                break
            self.seen.append(line)
        return rc
