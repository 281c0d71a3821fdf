"""Draw settled -> prediction published, and the worker's memory with 100,000 stored draws.

Run: python bench/worker_latency.py [--draws 100000] [--periods 300] [--game Crash]
Targets: p99 <= 200 ms (Crash, whose rounds are short: <= 100 ms); resident memory <= 150 MB.
For Crash the virtual clock moves one second at a time and only the steps that
settled a new round count (the feed decides when a round ends).
"""
from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta, timezone

from _common import embedded_redis, percentile, rss_mb

import redis

from lottery import keys
from lottery.config import Settings
from lottery.worker import Worker, build_source


class StepClock:
    """Virtual time that the bench moves to each draw instant (plus the poll delay)."""

    def __init__(self, start):
        self.t = start

    def now(self):
        return self.t

    def wait(self, seconds, stop):
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--periods", type=int, default=300)
    ap.add_argument("--game", default="WinGo_1M", help="WinGo_1M (default) or Crash")
    args = ap.parse_args()
    game = args.game
    rounds = game == "Crash"  # feed-driven: step the clock until a round settles
    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        settings = Settings.from_env({}, dotenv=False).with_(
            redis_url=url, sim_secret="bench", sim_backfill=args.draws, max_draws=args.draws,
            games=(game,))
        start = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=args.draws + 1,
                                                                        seconds=1)
        clock = StepClock(start)
        base_rss = rss_mb()
        worker = Worker(settings, r, build_source(settings, r), clock=clock)
        t0 = time.perf_counter()
        worker.step(game)  # back-fills args.draws periods and predicts
        backfill_s = time.perf_counter() - t0
        stored = r.zcard(keys.draws_index(game))
        # A fresh worker process state, warmed from the 100,000 stored draws.
        worker = Worker(settings, r, build_source(settings, r), clock=clock)
        t0 = time.perf_counter()
        worker.step(game)
        warm_s = time.perf_counter() - t0

        sub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
        sub.subscribe(keys.AI_TRIGGER_CHANNEL)
        sub.get_message(timeout=1)
        latencies = []
        while len(latencies) < args.periods:
            clock.t += timedelta(seconds=1 if rounds else 60)
            woke = time.perf_counter()  # the draw is settled at this instant (+ poll delay)
            result = worker.step(game)
            if rounds and not result.published:
                continue  # the round is still flying
            msg = None
            while msg is None:
                msg = sub.get_message(timeout=1)
            latencies.append((time.perf_counter() - woke) * 1000)
            json.loads(msg["data"])
        rss = rss_mb()
    print(f"stored draws: {stored:,} (back-fill {backfill_s:.1f} s; warm-up from Redis {warm_s:.2f} s)")
    print(f"settled -> trigger published over {len(latencies)} periods: "
          f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
          f"max {max(latencies):.1f} ms (target p99 <= {100 if rounds else 200} ms)")
    print(f"worker resident memory: {rss:.0f} MB (interpreter before the worker: {base_rss:.0f} MB; "
          f"target <= 150 MB)")


if __name__ == "__main__":
    main()
