"""`python -m lottery up`: the whole local system in one command.

Starts an embedded valkey-server when REDIS_URL is unset (data kept under the
data folder, append-only file on, a generated password), then one child process
per service, and supervises all of them from the first second: a child that
dies is restarted with backoff (Redis on the same port and data), a service that
keeps failing is reported with its last error lines and left down while the
others keep running, and everything stops cleanly on Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import httpx

from lottery.config import Settings
from lottery.store.embedded import (EmbeddedRedis, clear_local_url, make_private_dir,
                                    write_local_url, write_private)


@dataclass(frozen=True)
class Service:
    name: str
    command: str  # the `python -m lottery` subcommand
    module: str  # present in this build?
    needs: str | None = None  # a Settings field that must be set, else skipped


# One row per process; Procfile and railway.toml list the same services.
SERVICES = (
    Service("web", "web", "lottery.web.serve"),
    Service("worker", "worker", "lottery.worker"),
    Service("ai-worker", "ai-worker", "lottery.ai.worker"),
    Service("sim-worker", "sim-worker", "lottery.sim.worker"),
    Service("bot", "bot", "lottery.bot.app", needs="telegram_bot_token"),
    Service("alerts", "alerts", "lottery.alerts.webhooks", needs="alert_webhook_urls"),
)


@dataclass(frozen=True)
class Policy:
    """When to restart a child and when to give up on it."""

    max_failures: int = 5  # failures inside `window` before a service is left down
    window: float = 120.0  # seconds
    first_backoff: float = 0.5  # seconds before the first restart; doubles per recent failure
    max_backoff: float = 15.0
    startup: float = 10.0  # an exit this soon after a start is a failure "at start"
    tail_lines: int = 15  # error lines shown for a failing service


@dataclass
class Child:
    """One supervised process and its recent history."""

    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: deque = field(default_factory=deque)  # monotonic times of recent exits
    restart_at: float | None = None
    given_up: bool = False
    tail: deque = field(default_factory=lambda: deque(maxlen=50))  # last stderr lines


class Supervisor:
    """Start children, restart the ones that die (with backoff), give up on crash loops."""

    def __init__(self, env: dict, policy: Policy = Policy(), say=None, redis: EmbeddedRedis | None = None):
        self.env = env
        self.policy = policy
        self.say = say or _say
        self.redis = redis
        self.children: dict[str, Child] = {}
        self._redis_failures: deque = deque()
        self._redis_restart_at: float | None = None

    def add(self, name: str, argv: list[str]) -> None:
        """Register a child (started by `start_all`)."""
        self.children[name] = Child(name, argv)

    def start_all(self) -> None:
        """Start every registered child."""
        for child in self.children.values():
            self._start(child)

    def poll(self, now: float | None = None) -> None:
        """Look at every child once: restart or give up on those that exited."""
        now = time.monotonic() if now is None else now
        self._poll_redis(now)
        for child in self.children.values():
            if child.given_up:
                continue
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restart_at = None
                    self._start(child)
                continue
            code = child.proc.poll()
            if code is None:
                continue
            self._failed(child, code, now)

    def running(self) -> list[str]:
        """Return the names of the children running now."""
        return [c.name for c in self.children.values() if c.proc and c.proc.poll() is None]

    def given_up(self) -> list[str]:
        """Return the names of the services left down."""
        return [c.name for c in self.children.values() if c.given_up]

    def stop_all(self, timeout: float = 15.0) -> None:
        """Ask every child to stop (SIGTERM), then kill the ones that do not in time."""
        live = [c for c in self.children.values() if c.proc and c.proc.poll() is None]
        for child in live:
            child.proc.send_signal(signal.SIGTERM)
        for child in live:
            try:
                child.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.say(f"{child.name}: did not stop in time; killing it")
                child.proc.kill()
                child.proc.wait()

    # -- internals -------------------------------------------------------------------
    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.argv, env=self.env, stderr=subprocess.PIPE,
                                      text=True, errors="replace", bufsize=1)
        child.started_at = time.monotonic()
        # Pass the error output through to the terminal and keep its last lines.
        threading.Thread(target=_pump, args=(child.proc.stderr, child.tail),
                         name=f"stderr-{child.name}", daemon=True).start()

    def _failed(self, child: Child, code: int, now: float) -> None:
        p = self.policy
        ran = now - child.started_at
        child.failures.append(now)
        while child.failures and now - child.failures[0] > p.window:
            child.failures.popleft()
        # The reader thread may still be copying the last lines out of the pipe.
        _drain(child)
        how = _exit_text(code)
        if len(child.failures) > p.max_failures:
            child.given_up = True
            self.say(f"{child.name}: {how}, {len(child.failures)} failures in "
                     f"{p.window:.0f} s; left down (the other services keep running)"
                     + self._tail_text(child))
            return
        delay = min(p.first_backoff * 2 ** (len(child.failures) - 1), p.max_backoff)
        at_start = " at start" if ran < p.startup else ""
        self.say(f"{child.name}: {how}{at_start}; restarting in {delay:.1f} s"
                 + (self._tail_text(child) if at_start else ""))
        child.restart_at = now + delay

    def _tail_text(self, child: Child) -> str:
        lines = list(child.tail)[-self.policy.tail_lines:]
        if not lines:
            return " (it wrote no error output)"
        return "; its last error lines:\n" + "\n".join(f"    {line}" for line in lines)

    def _poll_redis(self, now: float) -> None:
        if self.redis is None:
            return
        if self._redis_restart_at is None:
            if self.redis.alive():
                return
            code = self.redis.process.returncode if self.redis.process else None
            self._redis_failures.append(now)
            while self._redis_failures and now - self._redis_failures[0] > self.policy.window:
                self._redis_failures.popleft()
            n = len(self._redis_failures)
            delay = 0.0 if n == 1 else min(self.policy.first_backoff * 2 ** (n - 2),
                                           self.policy.max_backoff)
            self.say(f"Redis: valkey-server {_exit_text(code)}; restarting it on port "
                     f"{self.redis.port} with the same data")
            self._redis_restart_at = now + delay
        if now < self._redis_restart_at:
            return
        try:
            self.redis.start()
        except (RuntimeError, OSError) as exc:
            # Every service needs Redis: keep trying, less and less often.
            self._redis_failures.append(now)
            delay = min(self.policy.first_backoff * 2 ** len(self._redis_failures),
                        self.policy.max_backoff)
            self.say(f"Redis: could not restart ({exc}); trying again in {delay:.1f} s")
            self._redis_restart_at = now + delay
            return
        self._redis_restart_at = None
        self.say(f"Redis: restarted on 127.0.0.1:{self.redis.port}")


def _pump(stream, tail: deque) -> None:
    for line in stream:
        sys.stderr.write(line)
        tail.append(line.rstrip("\n"))
    stream.close()


def _drain(child: Child) -> None:
    """Give the stderr reader a moment to reach the end of a dead child's pipe."""
    deadline = time.monotonic() + 0.5
    while not child.proc.stderr.closed and time.monotonic() < deadline:
        time.sleep(0.01)  # the reader closes the pipe at EOF; nothing else to wait on


def _exit_text(code) -> str:
    if code is None:
        return "stopped"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with {code}"


def add_arguments(parser) -> None:
    parser.add_argument("--only", default="", help="comma-separated services to start "
                        f"(default: all of {', '.join(s.name for s in SERVICES)})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the web binds (default 127.0.0.1, this machine only; "
                             "0.0.0.0 serves the network)")


def run(args, settings: Settings) -> int:
    """Start everything and supervise it until interrupted."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["WEB_HOST"] = args.host
    make_private_dir(settings.data_dir)
    embedded = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.data_dir / "redis").start()
        write_local_url(settings.data_dir, embedded.url)
        env["REDIS_URL"] = embedded.url
        say(f"Redis: embedded valkey-server on 127.0.0.1:{embedded.port} "
            f"(data in {settings.data_dir / 'redis'}, password-protected)")
    else:
        say("Redis: using REDIS_URL")
    if not settings.admin_token:
        env["ADMIN_TOKEN"] = _local_admin_token(settings)
        # The token itself is never printed: terminal output often ends up in logs.
        say(f"Admin token: generated, in {settings.data_dir / 'admin_token'} (owner-only)")
    supervisor = Supervisor(env, redis=embedded)
    for svc in SERVICES:
        if wanted and svc.name not in wanted:
            continue
        if importlib.util.find_spec(svc.module) is None:
            continue
        if svc.needs and not getattr(settings, svc.needs):
            say(f"{svc.name}: skipped ({svc.needs.upper()} is not set)")
            continue
        supervisor.add(svc.name, [sys.executable, "-m", "lottery", svc.command])
    try:
        supervisor.start_all()
        if "web" in supervisor.children:
            host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
            threading.Thread(target=_announce_dashboard, args=(host, settings.port, stop),
                             name="announce", daemon=True).start()
        while not stop.wait(0.2):
            supervisor.poll()
            if supervisor.children and not supervisor.running() and all(
                    c.given_up for c in supervisor.children.values()):
                say("every service failed; stopping")
                return 1
        return 0
    finally:
        say("stopping...")
        supervisor.stop_all()
        if embedded is not None:
            clear_local_url(settings.data_dir)
            embedded.stop()
        say("stopped")


def say(line: str) -> None:
    print(f"[up] {line}", flush=True)


_say = say


def _local_admin_token(settings: Settings) -> str:
    path = settings.data_dir / "admin_token"
    try:
        token = path.read_text().strip()
        if token:
            return token
    except OSError:
        pass
    token = secrets.token_urlsafe(24)
    make_private_dir(settings.data_dir)
    write_private(path, token + "\n")
    return token


def _announce_dashboard(host: str, port: int, stop: threading.Event, timeout: float = 60.0) -> None:
    """Print the dashboard URL once the web answers (runs beside the supervision loop)."""
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if client.get(url + "/health").status_code == 200:
                    say(f"Dashboard: {url}/   API: {url}/api/prediction")
                    return
            except httpx.HTTPError:
                pass
            stop.wait(0.2)  # the web process is still starting
    if not stop.is_set():
        say(f"web did not answer on {url} within {timeout:.0f} s; see its errors above")
