"""Trigger published -> AI prediction stored, with a fake provider that answers instantly.

Run: python bench/ai_latency.py [--triggers 300]

Measured side by side in one run (real embedded Redis, fake OpenAI-compatible
server on 127.0.0.1, the real worker in a thread):
  bare      ChatProvider.complete alone against the fake server (HTTP round trip)
  e2e       trigger published on lottery:ai_trigger -> `ai_prediction` event received
  provider  the provider time the worker measured for that prediction (latency_ms)
  overhead  e2e - provider: what the worker adds (Redis checks, claim, prompt, store,
            scoreboard record, event)
Target: overhead p99 < 50 ms.
"""
from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time
from datetime import datetime, timezone

from _common import ROOT, embedded_redis, percentile

sys.path.insert(0, str(ROOT / "tests"))  # the fake provider used by the tests

from fake_openai import chat_reply, fake_provider  # noqa: E402

from lottery import keys  # noqa: E402
from lottery.ai import store  # noqa: E402
from lottery.ai.provider import ChatProvider  # noqa: E402
from lottery.ai.worker import AIWorker  # noqa: E402
from lottery.config import Settings  # noqa: E402
from lottery.games import get_game  # noqa: E402
from lottery.sources.base import Draw  # noqa: E402
from lottery.store import draws  # noqa: E402
from lottery.store.connection import connect  # noqa: E402

ANSWER = '{"number": 7, "size": "Big", "color": "Green", "confidence": 0.1}'
WARMUP = 10


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<9} p50 {percentile(values, 50):7.2f} ms   p90 {percentile(values, 90):7.2f} ms"
            f"   p99 {percentile(values, 99):7.2f} ms   max {max(values):7.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=300)
    args = parser.parse_args()
    game = get_game("WinGo_1M")
    with embedded_redis() as url, fake_provider(chat_reply(ANSWER)) as srv:
        # The test server writes headers and body separately; with Nagle on, every reply
        # waits ~40 ms for a delayed ACK, which is not the worker's time.
        srv._server.RequestHandlerClass.disable_nagle_algorithm = True
        settings = Settings.from_env({}, dotenv=False).with_(
            redis_url=url, ai_api_keys=("bench-key",), ai_base_url=srv.url)
        r = connect(url)
        open_ordinal = game.issue_ordinal(game.issue_at(datetime.now(timezone.utc)))
        draws.add_draws(r, game, [Draw(game.code, game.issue_from_ordinal(open_ordinal - k), k % 10)
                                  for k in range(1, 501)], 10_000)
        store.set_flag(r, True)

        bare_provider = ChatProvider.from_settings(settings)
        messages = [{"role": "user", "content": "bench"}]
        bare = []
        for i in range(args.triggers + WARMUP):
            t0 = time.perf_counter()
            bare_provider.complete(messages, budget=10)
            if i >= WARMUP:
                bare.append((time.perf_counter() - t0) * 1000)
        bare_provider.close()

        worker = AIWorker(settings, r, url, outcomes=queue.Queue())
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        if not worker.ready.wait(10):
            raise SystemExit("the worker did not start")
        events = connect(url).pubsub(ignore_subscribe_messages=True)
        events.subscribe(keys.EVENTS_CHANNEL)
        e2e, provider, overhead = [], [], []
        try:
            for i in range(args.triggers + WARMUP):
                issue = game.issue_from_ordinal(open_ordinal + 1 + i)
                t0 = time.perf_counter()
                r.publish(keys.AI_TRIGGER_CHANNEL, json.dumps({
                    "trigger_type": "new_issue", "game": game.code, "issue": issue,
                    "timestamp": datetime.now(timezone.utc).isoformat(), "source": "bench"}))
                while True:
                    message = events.get_message(timeout=10)
                    if message is None:
                        continue
                    event = json.loads(message["data"])
                    if event["type"] == "ai_prediction" and event["data"]["issue"] == issue:
                        break
                total = (time.perf_counter() - t0) * 1000
                if event["data"]["status"] != "ok":
                    raise SystemExit(f"prediction failed: {event['data'].get('reason')}")
                if i >= WARMUP:
                    e2e.append(total)
                    provider.append(event["data"]["latency_ms"])
                    overhead.append(total - event["data"]["latency_ms"])
        finally:
            worker.request_stop()
            thread.join(10)
            events.close()
    print(f"AI worker latency, {args.triggers} triggers (after {WARMUP} warm-up), "
          f"instant fake provider, embedded Redis")
    for name, values in (("bare", bare), ("e2e", e2e), ("provider", provider),
                         ("overhead", overhead)):
        print(summary(name, values))
    ratio = percentile(e2e, 50) / percentile(bare, 50)
    p99 = percentile(overhead, 99)
    print(f"e2e / bare provider round trip (p50): {ratio:.2f}x")
    print(f"overhead p99 {p99:.2f} ms: {'PASS' if p99 < 50 else 'FAIL'} (target < 50 ms)")
    return 0 if p99 < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
