"""Pre-generated pick-lottery tickets: N per mode after each new draw, kept 7 days in Redis.

Field names follow the batch system this replaces (SHIOL-PLUS): a cached ticket
has `white_balls`, `powerball`, `confidence`, `strategy`, `cached` and
`created_at`; the status has `total_tickets`, `by_mode`, `oldest_ticket` and
`newest_ticket`; a run reports `modes_processed`, `modes_failed` and `errors`;
the metrics are `total_runs`, `successful_runs`, `failed_runs`, `last_run_time`,
`last_run_status`, `last_run_duration`, `tickets_generated` and `by_mode`.

`confidence` is null: no mode has a computed probability that its ticket does
better than any other, so each ticket shows its exact odds instead. A mode that
fails does not stop the others; its error is kept for batch-status until it
next succeeds.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import Sequence

from lottery import keys
from lottery.games.pick import PickLottery, any_prize_probability
from lottery.store import as_str, draws

BATCH_SIZE = 100  # tickets per mode per run
KEEP_SECONDS = 7 * 86_400  # tickets older than 7 days are deleted
MAX_PER_MODE = 20 * BATCH_SIZE  # a bound on top of the expiry (3 draws a week: ~300 kept)
WARM_DRAWS = 5_000  # stored draws an on-demand run feeds fresh modes
log = logging.getLogger("lottery.pick_batches")


def _odds(game: PickLottery) -> dict:
    era = game.current_era
    return {"jackpot_one_in": era.combinations,
            "any_prize_one_in": round(float(1 / any_prize_probability(era)), 2)}


def fresh_modes(r, game: PickLottery, seed: int = 0, names: Sequence[str] | None = None) -> list:
    """Return the game's modes fed with its stored draws (for a run outside the draw worker)."""
    modes = game.predictors().build(seed=seed, names=names)
    for outcome in draws.recent_outcomes(r, game, WARM_DRAWS):
        for m in modes:
            m.update(outcome)
    return modes


def generate(r, game: PickLottery, modes: Sequence, *, issue: str, now: datetime,
             n: int = BATCH_SIZE, seed: int = 0) -> dict:
    """Generate `n` tickets per mode for the draw `issue` and store them; one mode's failure is its own."""
    started = time.perf_counter()
    stamp, epoch = now.astimezone(timezone.utc).isoformat(timespec="seconds"), now.timestamp()
    odds = _odds(game)
    processed, failed, errors, made = [], [], {}, 0
    for mode in modes:
        name = getattr(mode, "name", "?")
        try:
            tickets = mode.tickets(n, seed)
            members = {}
            for k, t in enumerate(tickets):
                body = {"white_balls": list(t.whites), "powerball": (
                    t.bonus[0] if len(t.bonus) == 1 else list(t.bonus)), "confidence": None,
                    "strategy": name, "created_at": stamp, "draw_date": issue, "n": k,
                    "odds": odds}
                members[json.dumps(body, separators=(",", ":"))] = epoch
        except Exception as exc:  # any mode's failure stays that mode's
            log.warning("%s: batch of %s failed: %s", game.code, name, exc)
            failed.append(name)
            errors[name] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        key = keys.pick_tickets(game.code, name)
        pipe = r.pipeline()
        pipe.zadd(key, members)
        pipe.zremrangebyscore(key, "-inf", f"({epoch - KEEP_SECONDS}")
        pipe.zremrangebyrank(key, 0, -MAX_PER_MODE - 1)
        pipe.expire(key, KEEP_SECONDS)
        pipe.hdel(keys.pick_batch_errors(game.code), name)
        pipe.execute()
        processed.append(name)
        made += len(members)
    duration = time.perf_counter() - started
    status = "success" if not failed else ("partial" if processed else "failed")
    mk = keys.pick_batch_metrics(game.code)
    pipe = r.pipeline()
    pipe.hincrby(mk, "total_runs", 1)
    pipe.hincrby(mk, "successful_runs" if not failed else "failed_runs", 1)
    pipe.hset(mk, mapping={"last_run_time": stamp, "last_run_status": status,
                           "last_run_duration": round(duration, 4), "last_issue": issue})
    pipe.hincrby(mk, "tickets_generated", made)
    for name in processed:
        pipe.hincrby(mk, f"mode:{name}:successes", 1)
        pipe.hincrby(mk, f"mode:{name}:tickets", n)
    for name in failed:
        pipe.hincrby(mk, f"mode:{name}:failures", 1)
    if errors:
        pipe.hset(keys.pick_batch_errors(game.code), mapping={
            name: json.dumps({"error": msg, "at": stamp}) for name, msg in errors.items()})
    pipe.execute()
    return {"draw_date": issue, "modes_processed": processed, "modes_failed": failed,
            "errors": errors, "tickets_generated": made, "duration_seconds": duration,
            "status": status}


def after_predict(r, game: PickLottery, modes: Sequence, issue: str, now: datetime) -> dict:
    """The draw worker's hook after a new draw's tickets are committed: a fresh batch."""
    return generate(r, game, modes, issue=issue, now=now)


def cached(r, game: PickLottery, mode: str, limit: int, now: datetime) -> list[dict]:
    """Return up to `limit` of a mode's tickets from the last 7 days, newest first."""
    raw = r.zrevrangebyscore(keys.pick_tickets(game.code, mode), "+inf",
                             now.timestamp() - KEEP_SECONDS, start=0, num=limit)
    out = []
    for member in raw:
        body = json.loads(member)
        body.pop("n", None)
        out.append({**body, "cached": True})
    return out


def status(r, game: PickLottery, modes: Sequence[str], now: datetime) -> dict:
    """Return counts per mode, the oldest and newest ticket, metrics and each failing mode's error."""
    floor = now.timestamp() - KEEP_SECONDS
    pipe = r.pipeline()
    for mode in modes:
        key = keys.pick_tickets(game.code, mode)
        pipe.zcount(key, floor, "+inf")
        pipe.zrangebyscore(key, floor, "+inf", start=0, num=1, withscores=True)
        pipe.zrevrangebyscore(key, "+inf", floor, start=0, num=1, withscores=True)
    pipe.hgetall(keys.pick_batch_metrics(game.code))
    pipe.hgetall(keys.pick_batch_errors(game.code))
    res = pipe.execute()
    by_mode, oldest, newest = {}, None, None
    for i, mode in enumerate(modes):
        count, first, last = res[3 * i:3 * i + 3]
        by_mode[mode] = int(count)
        if first:
            oldest = min(oldest, first[0][1]) if oldest is not None else first[0][1]
        if last:
            newest = max(newest, last[0][1]) if newest is not None else last[0][1]
    metrics_raw = {as_str(k): as_str(v) for k, v in res[-2].items()}
    errors = {as_str(k): json.loads(v) for k, v in res[-1].items()}

    def iso(ts):
        return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat(
            timespec="seconds")

    metrics = {name: int(metrics_raw.get(name, 0)) for name in
               ("total_runs", "successful_runs", "failed_runs", "tickets_generated")}
    metrics.update({"last_run_time": metrics_raw.get("last_run_time"),
                    "last_run_status": metrics_raw.get("last_run_status"),
                    "last_run_duration": (float(metrics_raw["last_run_duration"])
                                          if "last_run_duration" in metrics_raw else None),
                    "by_mode": {m: {"successes": int(metrics_raw.get(f"mode:{m}:successes", 0)),
                                    "failures": int(metrics_raw.get(f"mode:{m}:failures", 0)),
                                    "tickets": int(metrics_raw.get(f"mode:{m}:tickets", 0))}
                                for m in modes}})
    return {"game": game.code, "total_tickets": sum(by_mode.values()), "by_mode": by_mode,
            "oldest_ticket": iso(oldest), "newest_ticket": iso(newest),
            "keep_days": KEEP_SECONDS // 86_400, "errors": errors, "metrics": metrics}
