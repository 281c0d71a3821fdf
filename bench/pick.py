"""Pick lotteries: cached-ticket throughput vs the constant-body ceiling, batch, backtest, insights.

Run: python bench/pick.py [--seconds 5] [--connections 64]
Targets (issue 14): /api/v1/tickets/cached throughput >= 0.9 of the ceiling of the
same server in the same run (the original promised < 10 ms a request); a batch of
100 tickets for every mode < 5 s; a backtest of all modes over 2,000 draws < 60 s;
all insights over 10,000 draws < 100 ms.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta

from _common import ROOT, embedded_redis

import httpx
import redis

from lottery.config import Settings
from lottery.evaluation import scoreboard
from lottery.evaluation.backtest import backtest
from lottery.evaluation.pick_audit import insights
from lottery.games.pick import POWERBALL, PickOutcome
from lottery.sources.simulated import SimulatedSource
from lottery.store import pick_batches
from lottery.store.embedded import free_port
from lottery.worker import Worker, build_source


def offline_figures() -> None:
    source = SimulatedSource("bench")
    first = POWERBALL.issue_ordinal(POWERBALL.history_start())
    outs = [source.draw(POWERBALL, POWERBALL.issue_from_ordinal(first + k)).outcome
            for k in range(2000)]
    modes = POWERBALL.predictors().build()
    for o in outs:
        for m in modes:
            m.update(o)
    t = time.perf_counter()
    for m in modes:
        m.tickets(100)
    print(f"batch: 100 tickets x {len(modes)} modes in {time.perf_counter() - t:.2f} s (target < 5 s)")
    t = time.perf_counter()
    scoreboard.build(POWERBALL, backtest(POWERBALL, outs, None, 0, 2, None))
    print(f"backtest: {len(modes)} modes x 2,000 draws in {time.perf_counter() - t:.1f} s "
          "(target < 60 s, 2 processes)")
    # 10,000 draws need more dates than one era has: the insights only read the balls.
    day = date(2015, 10, 7)
    rows = []
    for k in range(10_000):
        issue = (day + timedelta(days=k)).isoformat()
        o = source.draw(POWERBALL, POWERBALL.issue_from_ordinal(first + k % 1500)).outcome
        rows.append((issue, PickOutcome(o[0], o[1], o.era)))
    draws = [(POWERBALL.issue_from_ordinal(first + k), o) for k, (_, o) in enumerate(rows[:1500])]
    insights(POWERBALL, draws)  # warm the exact distributions
    from lottery.evaluation import pick_audit

    t = time.perf_counter()
    pick_audit.audit(POWERBALL, [o for _, o in rows])
    pick_audit.combos([o[0] for _, o in rows], 2, POWERBALL)
    pick_audit.combos([o[0] for _, o in rows], 3, POWERBALL)
    audit_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    insights(POWERBALL, draws)
    print(f"insights: 10,000 draws {audit_ms:.0f} ms without weekdays (target < 100 ms); "
          f"all of them over the era's 1,500 dates {(time.perf_counter() - t) * 1000:.0f} ms")


def import_figures() -> None:
    """Time a whole-era CSV import as one snapshot (preview, import, same again, rollback)."""
    from datetime import datetime, timezone

    from lottery.games.pick_csv import format_row, header_of
    from lottery.store import pick_imports

    source = SimulatedSource("bench")
    first = POWERBALL.issue_ordinal(POWERBALL.history_start())
    now = datetime.now(timezone.utc)
    last = POWERBALL.issue_ordinal(POWERBALL.last_settled_issue(now))
    rows = [source.draw(POWERBALL, POWERBALL.issue_from_ordinal(k)) for k in range(first, last + 1)]
    lines = [",".join(header_of("winning_numbers", POWERBALL))] + [
        ",".join(format_row("winning_numbers", POWERBALL, d.issue, d.outcome)) for d in rows]
    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        t = time.perf_counter()
        plan = pick_imports.plan(r, POWERBALL, lines, now)
        t_plan = time.perf_counter() - t
        t = time.perf_counter()
        out = pick_imports.import_draws(r, POWERBALL, plan["draws"], source="bench", now=now,
                                        max_draws=100_000)
        t_import = time.perf_counter() - t
        t = time.perf_counter()
        back = pick_imports.rollback(r, POWERBALL, out["version"], now)
        t_back = time.perf_counter() - t
        print(f"import snapshot: {len(rows)} draws, preview {t_plan * 1000:.0f} ms, import "
              f"{t_import * 1000:.0f} ms (one script), rollback {t_back * 1000:.0f} ms "
              f"({back['removed']} removed)")


def throughput(seconds: int, connections: int) -> None:
    from prediction_api import wrk

    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        settings = Settings.from_env({"GAMES": "WinGo_1M,Powerball"}, dotenv=False).with_(
            redis_url=url, sim_secret="bench")
        worker = Worker(settings, r, build_source(settings, r))
        worker.step("WinGo_1M")
        worker.step("Powerball")
        body = pick_batches.cached(r, POWERBALL, "hybrid", 10, __import__("datetime").datetime.now(
            __import__("datetime").timezone.utc))
        size = len(httpx.Response(200, json={"tickets": body}).content)
        port = free_port()
        env = {**os.environ, "REDIS_URL": url, "PORT": str(port), "GAMES": "WinGo_1M,Powerball",
               "BENCH_BODY_SIZE": str(size), "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "--worker-class", "gevent", "bench.prediction_app:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            path = "/api/v1/tickets/cached?mode=hybrid&limit=10&game=Powerball"
            for _ in range(200):
                try:
                    if httpx.get(base + path).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            results: dict = {}
            for p in ("/bench/constant", path, path, "/bench/constant"):
                results.setdefault(p, []).append(wrk(base + p, seconds, connections))
            c = sum(x[0] for x in results["/bench/constant"]) / 2
            t = sum(x[0] for x in results[path]) / 2
            p99 = sum(x[1] for x in results[path]) / 2
            print(f"/api/v1/tickets/cached {t:.0f} req/s p99 {p99:.1f} ms | ceiling {c:.0f} req/s "
                  f"| ratio {t / c:.2f} (target >= 0.9)")
        finally:
            proc.terminate()
            proc.wait(20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    offline_figures()
    import_figures()
    if shutil.which("wrk"):
        throughput(args.seconds, args.connections)
    else:
        print("wrk not installed: throughput skipped (apt-get install wrk)")


if __name__ == "__main__":
    main()
