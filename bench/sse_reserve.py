"""Ordinary requests while more idle SSE clients ask for streams than the server takes.

Run: python bench/sse_reserve.py [--clients 2200] [--probes 20]

Starts the web as production does (gunicorn with gunicorn.conf.py: gevent, 2
workers, their connection limit, the default SSE_MAX_CLIENTS cap per process),
opens --clients streams on /api/stream and keeps the accepted ones open, then
times GET /api/prediction and GET /health on fresh connections. Prints how many
streams were accepted and how many refused (503 with Retry-After), and the
probes' p50/p99/max. Issue 11 item 7: with 2,200 clients the old settings let
/api/prediction time out at 20 s and /health take 17.6 s.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time

from _common import ROOT, embedded_redis, percentile

import redis

from lottery.config import Settings
from lottery.store.embedded import free_port
from lottery.worker import Worker, build_source


async def open_stream(port: int) -> tuple[str, asyncio.StreamWriter | None]:
    """Ask for a stream; return (status line, the open writer if it was accepted)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        return f"connect error {exc.errno}", None
    writer.write(b"GET /api/stream HTTP/1.1\r\nHost: bench\r\n\r\n")
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, OSError):
        writer.close()
        return "no answer", None
    status = head.split(b"\r\n", 1)[0].decode()
    if " 200 " in status:
        return status, writer
    writer.close()
    return status + (" (Retry-After)" if b"retry-after" in head.lower() else ""), None


async def probe(port: int, path: str) -> float:
    """Return the milliseconds a GET on a fresh connection takes to its full answer."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
    body = await asyncio.wait_for(reader.read(), 60)
    writer.close()
    assert b" 200 " in body.split(b"\r\n", 1)[0], body[:200]
    return (time.perf_counter() - started) * 1000


async def run(port: int, args) -> None:
    outcomes = await asyncio.gather(*(open_stream(port) for _ in range(args.clients)))
    counts: dict[str, int] = {}
    for status, _ in outcomes:
        counts[status] = counts.get(status, 0) + 1
    print(f"{args.clients:,} stream requests: "
          + "; ".join(f"{n:,} x {status}" for status, n in sorted(counts.items())))
    for path in ("/api/prediction", "/health"):
        times = [await probe(port, path) for _ in range(args.probes)]
        print(f"  {path:<16} with the streams open: p50 {percentile(times, 50):.1f} ms, "
              f"p99 {percentile(times, 99):.1f} ms, max {max(times):.1f} ms ({args.probes} probes)")
    for _, writer in outcomes:
        if writer is not None:
            writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2200)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    # Each stream is a socket here and one in a server worker.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.clients)), hard))
    with embedded_redis() as url, tempfile.TemporaryDirectory(prefix="sse-reserve-") as data:
        settings = Settings.from_env({"REDIS_URL": url, "LOTTERY_DATA_DIR": data,
                                      "GAMES": "WinGo_1M", "SIM_BACKFILL": "50"})
        r = redis.Redis.from_url(url)
        Worker(settings, r, build_source(settings, r)).run(max_iterations=1)
        port = free_port()
        env = {**os.environ, "REDIS_URL": url, "LOTTERY_DATA_DIR": data, "PORT": str(port),
               "WEB_HOST": "127.0.0.1", "GAMES": "WinGo_1M", "LOG_LEVEL": "WARNING"}
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                 "lottery.web.wsgi:app"], cwd=ROOT, env=env)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    asyncio.run(probe(port, "/health"))
                    break
                except (OSError, AssertionError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)  # gunicorn is still starting its workers
            print(f"gunicorn.conf.py (gevent), load average before: {os.getloadavg()[0]:.1f}")
            asyncio.run(run(port, args))
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
