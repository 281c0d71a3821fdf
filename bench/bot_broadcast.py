"""Broadcast of one prediction to N subscribed chats against the fake Bot API server.

Run: python bench/bot_broadcast.py [--chats 1000] [--skip-limited]

Measured side by side in one run (real embedded Redis, the fake Telegram server
of the tests on 127.0.0.1 with no rate limit of its own, the real PTB bot):
  bare       PTB bot.send_message to every chat, 30 at a time, no rate limiter:
             the cost of the HTTP calls alone
  broadcast  BotService.deliver(report) with no rate limiter: subscriber scan,
             per-chunk Redis claims, session counting, texts, sends
  overhead   (broadcast - bare) / chats: what the bot adds per message
  own cost   BotService.deliver with a bot whose send_message returns at once: the
             bot's own work per message without any HTTP (the clean overhead figure)
  limited    BotService.deliver with the production AIORateLimiter (30 msg/s):
             the real wall time of a broadcast (Telegram's global limit)
The fake server runs in a child process; bare and broadcast alternate for
--repeat rounds and the best of each is shown (the machine is shared).
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from datetime import datetime, timezone

from _common import ROOT, embedded_redis

sys.path.insert(0, str(ROOT / "tests"))  # the fake Bot API used by the tests

from fake_telegram import FakeTelegram  # noqa: E402
from telegram.ext import AIORateLimiter  # noqa: E402

from lottery import keys  # noqa: E402
from lottery.reports import wingo as report  # noqa: E402
from lottery.bot import chats  # noqa: E402
from lottery.bot.app import build_application  # noqa: E402
from lottery.config import Settings  # noqa: E402
from lottery.games import get_game  # noqa: E402
from lottery.predictors.wingo.base import from_probs  # noqa: E402
from lottery.store import predictions  # noqa: E402
from lottery.store.connection import connect  # noqa: E402

GAME = "WinGo_1M"
NOW = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)  # early in a period: never stale


def make_report(r, ids) -> dict:
    """Store a settled previous issue every chat was sent (so sessions count), return a report."""
    game = get_game(GAME)
    pred = from_probs("overdue", [0.05] * 7 + [0.55] + [0.05] * 2)
    previous = game.previous_issue(game.issue_at(NOW))
    predictions.save_prediction(r, game, previous, pred.to_dict(), 1000)
    predictions.resolve_prediction(r, GAME, previous, {**report.result_of(7), "hits": {
        "number": True, "top3": True, "big_small": True, "color": True}})
    r.sadd(keys.telegram_sent(GAME, previous), *ids)
    return report.build_report(game=game, next_issue=game.issue_at(NOW), now=NOW, prediction=pred,
                               digits=[], recent=[], history=[], counters={}, ai_enabled=False,
                               commitment=None)


async def timed_deliver(settings, r, body, limiter) -> tuple[float, int]:
    app = build_application(settings, r, clock=lambda: NOW, rate_limiter=limiter)
    await app.initialize()
    try:
        svc = app.bot_data["service"]
        r.delete(keys.telegram_sent(GAME, body["next_issue"]))
        started = time.perf_counter()
        sent = await svc.deliver(body)
        return time.perf_counter() - started, sent
    finally:
        await app.shutdown()


async def timed_bare(settings, r, ids) -> float:
    app = build_application(settings, r, clock=lambda: NOW,
                            rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0))
    await app.initialize()
    try:
        started = time.perf_counter()
        for i in range(0, len(ids), 30):
            await asyncio.gather(*(app.bot.send_message(chat_id=c, text="x" * 160)
                                   for c in ids[i:i + 30]))
        return time.perf_counter() - started
    finally:
        await app.shutdown()


class NullBot:
    """A bot whose sends cost nothing: isolates the service's own work."""

    token = "0:null"

    async def send_message(self, **kwargs):
        return None


async def timed_own_cost(settings, r, body) -> float:
    from lottery.bot.service import BotService

    svc = BotService(settings, r, NullBot(), clock=lambda: NOW)
    r.delete(keys.telegram_sent(GAME, body["next_issue"]))
    started = time.perf_counter()
    sent = await svc.deliver(body)
    assert sent > 0
    return time.perf_counter() - started


def serve_fake(info, stop) -> None:
    """Run the fake Bot API in this (child) process until `stop` is set."""
    with FakeTelegram(poll_wait=0.0) as fake:
        info.put((fake.base_url, fake.token))
        stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-limited", action="store_true",
                        help="skip the run with the production rate limiter (~N/30 seconds)")
    args = parser.parse_args()
    info, stop = multiprocessing.Queue(), multiprocessing.Event()
    child = multiprocessing.Process(target=serve_fake, args=(info, stop), daemon=True)
    child.start()
    base_url, token = info.get(timeout=30)
    try:
        with embedded_redis() as url:
            run_all(args, url, base_url, token)
    finally:
        stop.set()
        child.join(10)
    return 0


def run_all(args, url: str, base_url: str, token: str) -> None:
    settings = Settings.from_env({}, dotenv=False).with_(
        redis_url=url, telegram_bot_token=token, telegram_api_base_url=base_url)
    r = connect(url)
    ids = list(range(1_000_000, 1_000_000 + args.chats))
    session_start = get_game(GAME).previous_issue(get_game(GAME).issue_at(NOW))
    for chat_id in ids:
        chats.subscribe(r, chat_id, GAME, session_start, NOW.isoformat())
    body = make_report(r, ids)
    asyncio.run(timed_bare(settings, r, ids[:50]))  # warm-up: imports, connections
    bares, broadcasts, own = [], [], []
    for _ in range(args.repeat):
        own.append(asyncio.run(timed_own_cost(settings, r, body)))
        bares.append(asyncio.run(timed_bare(settings, r, ids)))
        elapsed, sent = asyncio.run(timed_deliver(
            settings, r, body, AIORateLimiter(overall_max_rate=0, group_max_rate=0)))
        assert sent == args.chats, f"only {sent} of {args.chats} sent"
        broadcasts.append(elapsed)
    bare, broadcast = min(bares), min(broadcasts)
    assert chats.get_chat(r, ids[0]).session_wins == 2 * args.repeat  # sessions were counted
    print(f"chats: {args.chats} (best of {args.repeat})")
    print(f"bare sends       : {bare:7.2f} s  {args.chats / bare:8.0f} msg/s")
    print(f"broadcast (no RL): {broadcast:7.2f} s  {args.chats / broadcast:8.0f} msg/s")
    print(f"bot overhead     : {1000 * (broadcast - bare) / args.chats:7.3f} ms per message "
          f"({100 * (broadcast - bare) / bare:+.0f}% over bare sends)")
    print(f"own cost (no HTTP): {min(own):6.2f} s  {1000 * min(own) / args.chats:7.3f} ms per "
          "message (Redis claims, session counting, texts)")
    if not args.skip_limited:
        limited, sent = asyncio.run(timed_deliver(settings, r, body,
                                                  AIORateLimiter(max_retries=5)))
        print(f"broadcast (30/s) : {limited:7.2f} s  {sent / limited:8.1f} msg/s  ({sent} sent)")
    r.close()


if __name__ == "__main__":
    sys.exit(main())
