"""How fast the csv and http parsers validate draws (next to a bare csv/json read),
and how fast `import-csv` stores them in Redis (first import, then a repeat).

    python bench/sources.py [ROWS]
"""
from __future__ import annotations

import csv
import io
import json
import sys
import time
from datetime import date, timedelta

from _common import embedded_redis

import redis

from lottery.games import get_game
from lottery.sources.csv_source import STORE_CHUNK, read_csv
from lottery.sources.http_source import parse_history
from lottery.store import draws as draw_store


def best_of(fn, repeat: int = 3) -> float:
    """Return the fastest of `repeat` timed runs of fn(), in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def timed(fn) -> tuple[float, object]:
    """Return (seconds, result) of one run of fn()."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def store_all(r, game, draws) -> int:
    """Store draws the way import-csv does (chunked); return how many were new."""
    return sum(len(draw_store.add_draws(r, game, draws[i:i + STORE_CHUNK], 1_000_000))
               for i in range(0, len(draws), STORE_CHUNK))


def main(rows: int) -> None:
    game = get_game("WinGo_1M")
    day0 = date(2024, 1, 1)
    issues = [game.make_issue(day0 + timedelta(days=i // 1440), i % 1440 + 1) for i in range(rows)]
    text = "issue,number\n" + "".join(f"{iss},{i % 10}\n" for i, iss in enumerate(issues))
    body = json.dumps({"code": 0, "data": {"list": [
        {"issueNumber": iss, "number": str(i % 10)} for i, iss in enumerate(issues)]}})

    bare_csv = best_of(lambda: list(csv.reader(io.StringIO(text))))
    full_csv = best_of(lambda: read_csv(io.StringIO(text), game))
    bare_json = best_of(lambda: json.loads(body))
    full_json = best_of(lambda: parse_history(json.loads(body), game, "data.list",
                                              "issueNumber", "number"))
    print(f"{rows} rows")
    print(f"csv : bare reader {bare_csv * 1e3:8.1f} ms | read_csv      {full_csv * 1e3:8.1f} ms "
          f"({rows / full_csv:,.0f} rows/s, {full_csv / bare_csv:.0f}x the bare read)")
    print(f"json: bare loads  {bare_json * 1e3:8.1f} ms | parse_history {full_json * 1e3:8.1f} ms "
          f"({rows / full_json:,.0f} items/s, {full_json / bare_json:.0f}x the bare load)")

    draws, _ = read_csv(io.StringIO(text), game)
    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        first, new = timed(lambda: store_all(r, game, draws))
        again, new_again = timed(lambda: store_all(r, game, draws))
        r.close()
    print(f"store: first import {first * 1e3:8.1f} ms ({new} new, {rows / first:,.0f} draws/s) | "
          f"repeat {again * 1e3:8.1f} ms ({new_again} new, {again / first:.2f}x the first)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
