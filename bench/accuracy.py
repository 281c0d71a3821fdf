"""/api/accuracy latency with 10,000 resolved predictions per predictor.

    python bench/accuracy.py [--issues 10000] [--requests 300]

Fills a throwaway embedded Redis through the real recorder (every predictor
plus an "ai" record per issue), then times GET /api/accuracy through the
Flask app (all kept, and window=1000), side by side with a naive recount
that reads every stored per-issue record. Target: p99 under 20 ms, served from
the stored aggregates.
"""
from __future__ import annotations

import argparse
import json
import time

from _common import embedded_redis, percentile

import redis

from lottery import keys
from lottery.config import Settings
from lottery.store import scores as recorder
from lottery.games.wingo import normalise, score
from lottery.games import get_game
from lottery.predictors.wingo.registry import build_predictors
from lottery.store import draws
from lottery.web import create_app

GAME = get_game("WinGo_1M")


def fill(r, n: int, batch_size: int = 500) -> list[str]:
    """Record and resolve `n` issues for every predictor; return the issues.

    The predictions are stored as record() stores them and scored by the
    recorder's own resolve script, batched many issues per round trip so the
    fill takes seconds rather than a minute (live, it is one issue per period).
    """
    preds = build_predictors(seed=1)
    digits = [d % 10 for d in range(7, 7 + 7 * n, 7)]  # deterministic, all digits
    issue, issues, calls = "20250101100010001", [], []
    pipe = r.pipeline(transaction=False)
    for i, d in enumerate(digits):
        batch = {p.name: normalise(p.predict()) for p in preds}
        batch["ai"] = {"numbers": [d % 3], "big_small": "Big", "color": "Red"}
        key = keys.eval_issue(GAME.code, issue)
        pipe.hset(key, mapping={k: json.dumps(v) for k, v in batch.items()})
        pipe.expire(key, recorder.PREDICTION_TTL)
        pipe.sadd(keys.eval_predictors(GAME.code), *batch)
        pipe.hset(keys.draws_data(GAME.code), issue, json.dumps({"number": d}))
        calls += [recorder._resolve_call(GAME, issue, name, pred, d) for name, pred in batch.items()]
        for p in preds:
            p.update(d)
        issues.append(issue)
        issue = GAME.next_issue(issue)
        if (i + 1) % batch_size == 0 or i + 1 == n:
            pipe.execute()
            recorder._run_scripts(r, calls)
            calls = []
    return issues


def naive_recount(r, issues: list[str]) -> int:
    """Recount hits by reading every per-issue record (what the aggregates avoid)."""
    hits = 0
    for start in range(0, len(issues), 1000):
        pipe = r.pipeline(transaction=False)
        chunk = issues[start:start + 1000]
        for issue in chunk:
            pipe.hgetall(f"lottery:{GAME.code}:eval:pred:{issue}")
        for issue, rec in zip(chunk, pipe.execute()):
            digit = draws.get_draw(r, GAME.code, issue)["number"]
            for name, raw in rec.items():
                if not name.startswith(b"r:"):
                    hits += sum(h for h, _, _ in score(json.loads(raw), digit).values())
    return hits


def timed(fn, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        started = time.perf_counter()
        issues = fill(r, args.issues)
        fill_s = time.perf_counter() - started
        app = create_app(Settings.from_env({}, dotenv=False).with_(redis_url=url), r)
        client = app.test_client()
        body = client.get("/api/accuracy").get_json()
        print(f"filled {args.issues:,} issues x {len({row['predictor'] for row in body['rows']})} "
              f"predictors ({len(body['rows'])} rows) in {fill_s:.1f} s "
              f"(batched through the recorder's resolve script)")
        assert min(row["n"] for row in body["rows"]) == args.issues
        cache = keys.eval_board_cache(GAME.code)

        def uncached(path):
            r.delete(cache)  # as right after a draw was scored: computed from the aggregates
            return client.get(path)

        for label, fn, path in (
                ("cached", client.get, "/api/accuracy"),
                ("cached", client.get, "/api/accuracy?window=1000"),
                ("fresh", uncached, "/api/accuracy"),
                ("fresh", uncached, "/api/accuracy?window=1000")):
            lat = timed(lambda: fn(path), args.requests)
            p50, p99 = percentile(lat, 50), percentile(lat, 99)
            print(f"  {label:<6} GET {path:<28} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                  f"max {max(lat):6.2f} ms  (target p99 < 20 ms: {'met' if p99 < 20 else 'MISSED'})")
        naive = timed(lambda: naive_recount(r, issues), 1)
        agg = timed(lambda: client.get("/api/accuracy"), 30)
        print(f"  naive recount from per-issue records: p50 {percentile(naive, 50):8.1f} ms "
              f"({percentile(naive, 50) / percentile(agg, 50):.0f}x the aggregate read)")
        mem = r.info("memory")["used_memory"] / 1e6
        print(f"  Redis memory used: {mem:.1f} MB")


if __name__ == "__main__":
    main()
