"""/api/prediction under the gunicorn config vs a constant-body endpoint in the same server.

Run: python bench/prediction_api.py [--seconds 5] [--rounds 3] [--connections 64]
Needs `wrk` (Debian: apt-get install wrk). Targets: throughput ratio >= 0.9 and
p99 <= 1.5x the ceiling's; gevent's /api/prediction p99 <= 1.5x gthread's.
Both gunicorn worker classes run at once and are loaded in turn, round after
round (the order alternates), so both see the same background load; figures
are medians over the rounds, and the gevent/gthread p99 ratio is the median of
the per-round ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from _common import ROOT, embedded_redis, percentile

import httpx
import redis

from lottery.config import Settings
from lottery.store.embedded import free_port
from lottery.worker import Worker, build_source


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """Return (requests/s, p99 ms) of a wrk run."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    if "Non-2xx" in out:
        raise SystemExit(f"errors while loading {url}:\n{out}")
    return rps, p99


def visibility_ms(base: str, r, trials: int = 40) -> list[float]:
    """Return, per trial, the ms from writing a new report to every one of 6 GETs seeing it."""
    from lottery.events import publish_event
    from lottery.store.predictions import read_report, write_report

    report = json.loads(read_report(r, "WinGo_1M"))
    out = []
    with httpx.Client(base_url=base, timeout=5) as client:
        for i in range(trials):
            report["next_issue"] = f"bench-{time.time_ns()}-{i}"
            write_report(r, "WinGo_1M", json.dumps(report).encode())
            written = time.perf_counter()
            publish_event(r, "prediction", "WinGo_1M", {"issue": report["next_issue"]})
            seen = 0
            # Several requests in a row, so both gunicorn workers must have the new copy.
            while seen < 6:
                body = client.get("/api/prediction", headers={"Connection": "close"}).json()
                seen = seen + 1 if body["next_issue"] == report["next_issue"] else 0
            out.append((time.perf_counter() - written) * 1000)
    return out


CLASSES = (("gevent", []), ("gthread", ["--threads", "8"]))
PATHS = ("/bench/constant", "/api/prediction")


def start_server(worker_class: str, extra: list[str], url: str, body_size: int):
    """Start gunicorn with the production config and the bench app; return (process, base URL)."""
    port = free_port()
    env = {**os.environ, "REDIS_URL": url, "PORT": str(port),
           "BENCH_BODY_SIZE": str(body_size), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--worker-class", worker_class, *extra, "bench.prediction_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/api/prediction").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)  # gunicorn is booting
    return proc, base


def median(values):
    return statistics.median(values)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        settings = Settings.from_env({}, dotenv=False).with_(redis_url=url, sim_secret="bench")
        Worker(settings, r, build_source(settings, r)).step("WinGo_1M")
        body_size = len(r.get("latest_prediction_data"))
        print(f"report size {body_size} bytes; {args.connections} connections, "
              f"{args.rounds} rounds of {args.seconds} s per class and path")
        servers = {}
        try:
            for worker_class, extra in CLASSES:
                servers[worker_class] = start_server(worker_class, extra, url, body_size)
            # results[class][path] = [(req/s, p99 ms) per round]
            results = {c: {p: [] for p in PATHS} for c in servers}
            for i in range(args.rounds):
                order = list(servers) if i % 2 == 0 else list(reversed(servers))
                paths = PATHS if i % 2 == 0 else PATHS[::-1]
                for worker_class in order:
                    for path in paths:
                        results[worker_class][path].append(
                            wrk(servers[worker_class][1] + path, args.seconds, args.connections))
            for worker_class, (_, base) in servers.items():
                vis = visibility_ms(base, r)
                print(f"{worker_class:8s} new report visible to clients (6 GETs in a row, new "
                      f"connections): p50 {percentile(vis, 50):.1f} ms, p99 {percentile(vis, 99):.1f} ms, "
                      f"max {max(vis):.1f} ms (target <= 100 ms)")
            for worker_class, by_path in results.items():
                c_rps = median([x[0] for x in by_path["/bench/constant"]])
                c_p99 = median([x[1] for x in by_path["/bench/constant"]])
                p_rps = median([x[0] for x in by_path["/api/prediction"]])
                p_p99 = median([x[1] for x in by_path["/api/prediction"]])
                print(f"{worker_class:8s} ceiling {c_rps:8.0f} req/s p99 {c_p99:6.1f} ms | "
                      f"/api/prediction {p_rps:8.0f} req/s p99 {p_p99:6.1f} ms | "
                      f"throughput ratio {p_rps / c_rps:.2f} (target >= 0.9), "
                      f"p99 ratio {p_p99 / c_p99:.2f} (target <= 1.5)")
            ratios = [g[1] / t[1] for g, t in zip(results["gevent"]["/api/prediction"],
                                                  results["gthread"]["/api/prediction"])]
            print(f"gevent/gthread /api/prediction p99, per round: "
                  f"{', '.join(f'{x:.2f}' for x in ratios)}; median {median(ratios):.2f} "
                  f"(target <= 1.5)")
        finally:
            for proc, _ in servers.values():
                proc.terminate()
            for proc, _ in servers.values():
                proc.wait(20)


if __name__ == "__main__":
    main()
