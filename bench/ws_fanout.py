"""/ws against /api/stream fan-out: many idle clients, events published 50 ms apart.

Run: python bench/ws_fanout.py [--clients 500] [--events 100] [--interval 0.05]
                               [--order sse,ws]

One gunicorn gevent worker process serves both kinds of client, side by side in one
run: for each kind in turn it opens the clients (light asyncio Protocol clients that
only timestamp bytes as they arrive; frames are parsed after the run), publishes the
events with `lottery.events.publish_event` and reports delivery latency (receive
time - publish time) p50/p99/max, whether every client got every event exactly once
and in order, and the worker's memory and CPU time per delivered event.
Target: /ws p99 under 50 ms with 500 clients, as for SSE.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import tempfile
import time

import redis
from _common import embedded_redis
from sse_fanout import (SSEClient, arrival, connect_clients, cpu_total, joined, publish_paced, rss_total,
                        start_gunicorn, tally, wait_port, warm_up, worker_pids)

from lottery.events import publish_event


class WSClient(asyncio.Protocol):
    """One WebSocket; records (arrival time, bytes) and nothing else while the bench runs."""

    def __init__(self, path: str, hello: asyncio.Future):
        self.path = path
        self.hello = hello
        self.chunks: list[tuple[float, bytes]] = []

    def connection_made(self, transport):
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                         f"Sec-WebSocket-Version: 13\r\n\r\n").encode())

    def data_received(self, data):
        self.chunks.append((time.time(), data))
        if not self.hello.done() and b'"type":"hello"' in data:
            self.hello.set_result(True)

    def connection_lost(self, exc):
        if not self.hello.done():
            self.hello.set_exception(ConnectionError("socket closed before hello"))

    def events(self) -> list[tuple[str, float]]:
        """Return (event id, latency in ms) for each `draw` event received."""
        buffer, arrivals = joined(self.chunks)
        pos = buffer.index(b"\r\n\r\n") + 4  # after the 101 response
        out = []
        while pos + 2 <= len(buffer):
            opcode, size = buffer[pos] & 0x0F, buffer[pos + 1] & 0x7F
            head = 2
            if size == 126:
                size, head = int.from_bytes(buffer[pos + 2:pos + 4], "big"), 4
            elif size == 127:
                size, head = int.from_bytes(buffer[pos + 2:pos + 10], "big"), 10
            end = pos + head + size
            if end > len(buffer):
                break
            if opcode == 1:  # text: one event (server frames are never masked)
                event = json.loads(buffer[pos + head:end])
                if event.get("type") == "draw":
                    at = arrival(arrivals, end)
                    out.append((event["id"], (at - event["ts"]) * 1000))
            pos = end
        return out


async def run_kind(kind: str, port: int, r, pids: list[int], args) -> dict:
    factory, path = ((SSEClient, "/api/stream?game=WinGo_1M") if kind == "sse"
                     else (WSClient, "/ws?game=WinGo_1M"))
    rss_before = rss_total(pids)
    connect_t0 = time.perf_counter()
    clients = await connect_clients(factory, path, port, args.clients)
    connect_s = time.perf_counter() - connect_t0
    rss_clients = rss_total(pids)
    cpu0 = cpu_total(pids)
    published, wall = await publish_paced(r, clients, args, lambda i: {"seq": i, "kind": kind})
    cpu = cpu_total(pids) - cpu0
    for c in clients:
        c.transport.close()
    counts = tally(clients, published)
    deliveries = counts["deliveries"]
    return {"kind": kind, "clients": len(clients), "connect_s": connect_s, **counts,
            "rss_before": rss_before, "rss_clients": rss_clients, "cpu_s": cpu, "wall_s": wall,
            "cpu_us": 1e6 * cpu / deliveries if deliveries else float("nan")}


async def run(url: str, args) -> list[dict]:
    r = redis.Redis.from_url(url)
    with tempfile.TemporaryDirectory(prefix="ws-bench-") as data_dir:
        proc, port = start_gunicorn("gevent", url, args.clients, data_dir, 1)
        try:
            await wait_port(port)
            pids = worker_pids(proc.pid, 1)
            await warm_up(port, 2)
            results = []
            for kind in args.order.split(","):
                results.append(await run_kind(kind.strip(), port, r, pids, args))
                # A closed SSE stream leaves the hub when a write fails: the first write to a
                # closed peer still succeeds, the second fails. Then every place is free.
                for _ in range(2):
                    publish_event(r, "simulator", None, {"flush": True})
                    await asyncio.sleep(0.5)
            return results
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--order", default="sse,ws")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * args.clients + 256)), hard))
    load = os.getloadavg()[0]
    with embedded_redis() as url:
        results = asyncio.run(run(url, args))
    print(f"{args.clients} clients of each kind in turn, one gunicorn gevent worker, {args.events} "
          f"events {args.interval * 1000:.0f} ms apart (target p99 <= 50 ms; load average "
          f"before: {load:.1f})")
    for res in results:
        print(f"  {res['kind']:3s} latency p50 {res['p50']:.1f} ms, p99 {res['p99']:.1f} ms, max "
              f"{res['max']:.1f} ms; {res['complete']}/{res['clients']} clients got every event "
              f"in order ({res['deliveries']} deliveries, {res['duplicates']} duplicates); "
              f"worker RSS {res['rss_before']:.0f} -> {res['rss_clients']:.0f} MB with the "
              f"clients; CPU {res['cpu_us']:.0f} us per delivery; connect {res['connect_s']:.1f} s")
    if len(results) == 2 and results[0]["p99"] > 0:
        a, b = results
        print(f"  ratio {b['kind']}/{a['kind']}: p99 {b['p99'] / a['p99']:.2f}, CPU per delivery "
              f"{b['cpu_us'] / a['cpu_us']:.2f}")


if __name__ == "__main__":
    main()
