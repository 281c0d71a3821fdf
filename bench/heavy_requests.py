"""/api/prediction latency while clients hammer the Monte Carlo endpoint.

Run: python bench/heavy_requests.py [--clients 8] [--probes 300]
Starts `python -m lottery up --only web,worker,sim-worker` on a temporary data
folder, measures /api/prediction idle, then while N clients loop on POST
/api/simulator/montecarlo (20 M-bet studies, admin token so only the queue
bounds them), side by side in one run. Target: p99 under load < 100 ms.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from _common import ROOT, percentile

import httpx

sys.path.insert(0, str(ROOT / "tests"))
from upproc import Up  # noqa: E402

from lottery.store.embedded import free_port  # noqa: E402

HEAVY = {"sessions": 20_000, "rounds": 1000, "progression": "martingale"}


def probe(base: str, n: int) -> list[float]:
    """Return n /api/prediction latencies in ms (one client, 20 ms apart)."""
    out = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for _ in range(n):
            started = time.perf_counter()
            c.get("/api/prediction").raise_for_status()
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    return out


def hammer(base: str, token: str, clients: int, stop, counts, pause: float = 0.0) -> None:
    """Loop `clients` threads on the Monte Carlo endpoint until `stop`; report status counts."""
    answers: Counter = Counter()

    def loop():
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as hc:
            while not stop.is_set():
                answers[hc.post("/api/simulator/montecarlo", json=HEAVY).status_code] += 1
                stop.wait(pause)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts.put(dict(answers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds each client waits between posts (0: a tight loop)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lottery-bench-") as tmp:
        port = free_port()
        up = Up(Path(tmp) / "data", port, only="web,worker,sim-worker")
        base = f"http://127.0.0.1:{port}"
        try:
            up.wait_for("Dashboard:")
            token = (Path(tmp) / "data" / "admin_token").read_text().strip()
            with httpx.Client(base_url=base, timeout=10) as c:
                while c.get("/api/prediction").status_code != 200:
                    up.wait_for("predicted", timeout=60)
            idle = probe(base, args.probes)
            # The hammering clients run in their own process: in this one they would
            # compete with the probe for the GIL and the figure would measure the bench.
            ctx = multiprocessing.get_context("fork")
            stop = ctx.Event()
            counts = ctx.Queue()
            proc = ctx.Process(target=hammer, args=(base, token, args.clients, stop, counts,
                                                               args.pause))
            proc.start()
            time.sleep(1.0)
            loaded = probe(base, args.probes)
            stop.set()
            answers = counts.get(timeout=120)
            proc.join(60)
        finally:
            up.stop()
    print(f"/api/prediction, {args.probes} probes each; {args.clients} clients posting "
          f"20 M-bet Monte Carlo studies, {args.pause} s apart: {dict(answers)}")
    for name, lat in (("idle", idle), ("under load", loaded)):
        print(f"  {name:<11} p50 {percentile(lat, 50):7.1f} ms  p99 {percentile(lat, 99):7.1f} ms"
              f"  max {max(lat):7.1f} ms")
    print(f"  p99 ratio loaded/idle: {percentile(loaded, 99) / percentile(idle, 99):.2f} "
          "(target: loaded p99 < 100 ms)")


if __name__ == "__main__":
    main()
