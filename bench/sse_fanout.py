"""Server-sent events fan-out: many idle /api/stream clients, events published 50 ms apart.

Run: python bench/sse_fanout.py [--clients 500] [--events 100] [--interval 0.05]
                                [--classes gevent,gthread]

For each gunicorn worker class (one worker process each, side by side in one
run) it opens the clients with a light asyncio Protocol client (it only
timestamps bytes as they arrive; parsing happens after the run, so the client
is not the bottleneck), publishes the events with `lottery.events.publish_event`
and reports: delivery latency (receive time - publish time) p50/p99/max,
whether every client got every event exactly once, and the web worker's
resident memory and CPU time per delivered event.
Target: p99 under 50 ms with 500 clients.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import redis
from _common import ROOT, embedded_redis, percentile, rss_mb

from lottery.events import publish_event
from lottery.store.embedded import free_port

FRAME = re.compile(rb"id: (\d+-\d+)\nevent: (\w+)\ndata: (\{.*?\})\n\n")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def joined(chunks: list[tuple[float, bytes]]) -> tuple[bytes, list[tuple[int, float]]]:
    """Return the bytes a client received and (bytes so far, arrival time) per chunk."""
    buffer, arrivals = b"", []
    for at, data in chunks:
        buffer += data
        arrivals.append((len(buffer), at))
    return buffer, arrivals


def arrival(arrivals: list[tuple[int, float]], end: int) -> float:
    """Return when the byte before offset `end` arrived."""
    return next(t for size, t in arrivals if size >= end)


class SSEClient(asyncio.Protocol):
    """One stream; records (arrival time, bytes) and nothing else while the bench runs."""

    def __init__(self, path: str, hello: asyncio.Future):
        self.path = path
        self.hello = hello
        self.chunks: list[tuple[float, bytes]] = []
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(f"GET {self.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())

    def data_received(self, data):
        self.chunks.append((time.time(), data))
        if not self.hello.done() and b"event: hello" in data:
            self.hello.set_result(True)

    def connection_lost(self, exc):
        self.closed = True
        if not self.hello.done():
            self.hello.set_exception(ConnectionError("stream closed before hello"))

    def events(self) -> list[tuple[str, float]]:
        """Return (event id, latency in ms) for each `draw` event received."""
        out = []
        buffer, arrivals = joined(self.chunks)
        for m in FRAME.finditer(buffer):
            if m.group(2) != b"draw":
                continue
            end = m.end()
            at = arrival(arrivals, end)
            sent = json.loads(m.group(3))["ts"]
            out.append((m.group(1).decode(), (at - sent) * 1000))
        return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def worker_pids(master: int, n: int, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if len(children) >= n:
            return [int(c) for c in children]
        time.sleep(0.05)  # gunicorn forks its workers shortly after start
    raise RuntimeError("gunicorn did not start its workers")


def start_gunicorn(worker_class: str, url: str, clients: int, data_dir: str, workers: int):
    port = free_port()
    conf = Path(data_dir) / "gunicorn_bench.conf.py"
    # The production worker hooks that matter here (gunicorn.conf.py's post_worker_init).
    conf.write_text("def post_worker_init(worker):\n"
                    "    from lottery.web.serve import freeze_boot_objects\n"
                    "    from lottery.web.stream import end_streams_on_shutdown\n"
                    "    end_streams_on_shutdown(worker)\n"
                    "    freeze_boot_objects()\n")
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(conf), "-k", worker_class, "-w", str(workers),
           "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--log-level", "warning",
           "--no-control-socket"]
    if worker_class == "gevent":
        cmd += ["--worker-connections", str(clients + 100)]
    else:
        # gthread holds a thread per open stream: it needs at least one per client.
        cmd += ["--threads", str(clients + 10)]
    env = {**os.environ, "REDIS_URL": url, "LOTTERY_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT),
           "SSE_HEARTBEAT": "30", "SSE_MAX_CLIENTS": str(clients + 100), "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(cmd + ["lottery.web.wsgi:app"], cwd=ROOT, env=env)
    return proc, port


async def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def rss_total(pids: list[int]) -> float:
    return sum(rss_mb(pid) for pid in pids)


def cpu_total(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def warm_up(port: int, requests: int) -> None:
    """Wait until the workers answer: they import the app after the port is bound."""
    loop = asyncio.get_running_loop()
    for _ in range(requests):
        await loop.run_in_executor(None, lambda: urllib.request.urlopen(
            f"http://127.0.0.1:{port}/health", timeout=30).read())


async def connect_clients(factory, path: str, port: int, n: int, after_first_batch=None) -> list:
    """Open n clients in batches that each wait for their hellos: the web's Redis pool
    holds 50 connections and each connect reads the stream tail once."""
    loop = asyncio.get_running_loop()
    clients = []
    for start in range(0, n, 25):
        batch = []
        for _ in range(min(25, n - start)):
            hello = loop.create_future()
            _, proto = await loop.create_connection(lambda h=hello: factory(path, h), "127.0.0.1", port)
            clients.append(proto)
            batch.append(hello)
        await asyncio.wait_for(asyncio.gather(*batch), 30)
        if start == 0 and after_first_batch is not None:
            after_first_batch()
    return clients


async def publish_paced(r, clients, args, payload) -> tuple[list[str], float]:
    """Publish args.events draw events args.interval apart and wait (bounded) until the last
    one reached every client; return the event ids and the wall time taken."""
    published: list[str] = []

    def publisher():
        for i in range(args.events):
            published.append(publish_event(r, "draw", "WinGo_1M", payload(i)))
            time.sleep(args.interval)  # the paced publishing is what is measured

    thread = threading.Thread(target=publisher)
    t0 = time.perf_counter()
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.05)
    last = published[-1].encode()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if all(c.chunks and last in c.chunks[-1][1] for c in clients):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    return published, time.perf_counter() - t0


def tally(clients, published: list[str]) -> dict:
    """Latency p50/p99/max and delivery counts: complete = every event once, in order."""
    latencies, complete, duplicates = [], 0, 0
    for c in clients:
        got = c.events()
        ids = [i for i, _ in got]
        duplicates += len(ids) - len(set(ids))
        complete += ids == published
        latencies.extend(ms for _, ms in got)
    deliveries = len(latencies)
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "max": max(latencies) if latencies else float("nan"), "deliveries": deliveries,
            "complete": complete, "duplicates": duplicates}


async def run_class(worker_class: str, url: str, args) -> dict:
    import tempfile

    r = redis.Redis.from_url(url)
    with tempfile.TemporaryDirectory(prefix="sse-bench-") as data_dir:
        proc, port = start_gunicorn(worker_class, url, args.clients, data_dir, args.workers)
        try:
            await wait_port(port)
            pids = worker_pids(proc.pid, args.workers)
            await warm_up(port, 2 * args.workers)
            rss_idle = rss_total(pids)
            warm = []
            connect_t0 = time.perf_counter()
            # rss_warm: after the first requests loaded everything lazy
            clients = await connect_clients(SSEClient, "/api/stream?game=WinGo_1M", port, args.clients,
                                            lambda: warm.append(rss_total(pids)))
            rss_warm = warm[0]
            connect_s = time.perf_counter() - connect_t0
            rss_clients = rss_total(pids)
            cpu0 = cpu_total(pids)
            published, wall = await publish_paced(r, clients, args, lambda i: {"seq": i})
            cpu = cpu_total(pids) - cpu0
            rss_end = rss_total(pids)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for c in clients:
            c.transport.close()
    counts = tally(clients, published)
    return {
        "class": worker_class, "clients": len(clients), "events": len(published),
        "connect_s": connect_s, **counts,
        "rss_idle": rss_idle, "rss_warm": rss_warm, "rss_clients": rss_clients, "rss_end": rss_end,
        "cpu_s": cpu, "wall_s": wall,
        "cpu_us_per_delivery": 1e6 * cpu / counts["deliveries"] if counts["deliveries"] else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--classes", default="gevent,gthread")
    ap.add_argument("--workers", type=int, default=1, help="gunicorn worker processes")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * args.clients + 256)), hard))
    load = os.getloadavg()[0]
    results = []
    with embedded_redis() as url:
        for worker_class in args.classes.split(","):
            results.append(asyncio.run(run_class(worker_class.strip(), url, args)))
    print(f"{args.clients} SSE clients, {args.events} events published {args.interval * 1000:.0f} ms "
          f"apart, {args.workers} gunicorn worker process(es) per class (target p99 < 50 ms; "
          f"machine load average before: {load:.1f})")
    for res in results:
        per_client_kb = (res["rss_clients"] - res["rss_warm"]) * 1024 / max(res["clients"] - 25, 1)
        print(f"  {res['class']:8s} latency p50 {res['p50']:.1f} ms, p99 {res['p99']:.1f} ms, "
              f"max {res['max']:.1f} ms; {res['complete']}/{res['clients']} clients got every event "
              f"in order ({res['deliveries']} deliveries, {res['duplicates']} duplicates)")
        print(f"  {'':8s} worker RSS {res['rss_idle']:.0f} MB idle, {res['rss_warm']:.0f} MB with 25 "
              f"clients, {res['rss_clients']:.0f} MB with all ({per_client_kb:.0f} KB per added "
              f"client), {res['rss_end']:.0f} MB after; "
              f"CPU {res['cpu_s']:.2f} s over {res['wall_s']:.1f} s = "
              f"{res['cpu_us_per_delivery']:.0f} us per delivery; connect {res['connect_s']:.1f} s")


if __name__ == "__main__":
    main()
