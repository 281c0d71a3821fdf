"""`python -m lottery up`: the whole local system in one command.

Starts an embedded valkey-server when REDIS_URL is unset (data kept under the
data folder, append-only file on), then one child process per service, prints
the dashboard URL, restarts a service that dies, and stops everything cleanly
on Ctrl-C or SIGTERM.
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
from dataclasses import dataclass

import httpx

from lottery.config import Settings
from lottery.store.embedded import EmbeddedRedis, clear_local_url, write_local_url


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
)
MAX_RESTARTS = 5


def add_arguments(parser) -> None:
    parser.add_argument("--only", default="", help="comma-separated services to start "
                        f"(default: all of {', '.join(s.name for s in SERVICES)})")


def run(args, settings: Settings) -> int:
    """Start everything and supervise it until interrupted."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    embedded = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.data_dir / "redis").start()
        write_local_url(settings.data_dir, embedded.url)
        env["REDIS_URL"] = embedded.url
        say(f"Redis: embedded valkey-server on 127.0.0.1:{embedded.port} "
            f"(data in {settings.data_dir / 'redis'})")
    else:
        say("Redis: using REDIS_URL")
    if not settings.admin_token:
        env["ADMIN_TOKEN"] = _local_admin_token(settings)
        say(f"Admin token (generated, kept in {settings.data_dir / 'admin_token'}): "
            f"{env['ADMIN_TOKEN']}")
    children: dict[str, subprocess.Popen] = {}
    restarts: dict[str, int] = {}
    services = []
    for svc in SERVICES:
        if wanted and svc.name not in wanted:
            continue
        if importlib.util.find_spec(svc.module) is None:
            continue
        if svc.needs and not getattr(settings, svc.needs):
            say(f"{svc.name}: skipped ({svc.needs.upper()} is not set)")
            continue
        services.append(svc)
    try:
        for svc in services:
            children[svc.name] = _spawn(svc, env)
        if any(s.name == "web" for s in services):
            _announce_dashboard(settings.port, stop)
        while not stop.wait(0.5):
            for svc in services:
                proc = children[svc.name]
                if proc.poll() is None:
                    continue
                restarts[svc.name] = restarts.get(svc.name, 0) + 1
                if restarts[svc.name] > MAX_RESTARTS:
                    say(f"{svc.name}: exited {proc.returncode} too often; stopping everything")
                    return 1
                say(f"{svc.name}: exited with {proc.returncode}; restarting")
                children[svc.name] = _spawn(svc, env)
        return 0
    finally:
        say("stopping...")
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in children.items():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                say(f"{name}: did not stop in time; killing it")
                proc.kill()
                proc.wait()
        if embedded is not None:
            clear_local_url(settings.data_dir)
            embedded.stop()
        say("stopped")


def say(line: str) -> None:
    print(f"[up] {line}", flush=True)


def _spawn(svc: Service, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lottery", svc.command], env=env)


def _local_admin_token(settings: Settings) -> str:
    path = settings.data_dir / "admin_token"
    try:
        token = path.read_text().strip()
        if token:
            return token
    except OSError:
        pass
    token = secrets.token_urlsafe(24)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def _announce_dashboard(port: int, stop: threading.Event, timeout: float = 60.0) -> None:
    url = f"http://127.0.0.1:{port}"
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
    say(f"web did not answer on {url} yet; it may still be starting")
