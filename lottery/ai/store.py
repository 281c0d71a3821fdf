"""What the AI worker keeps in Redis: the on/off flag, predictions, accuracy and status.

Upstream-compatible names and shapes: `lottery:ai_enabled` ("1" on, "0" off; a
missing flag is off, as upstream), `lottery:ai_prediction` (JSON of the newest
prediction of the default game), `lottery:ai_preds_history` (hash: issue ->
JSON, bounded through a per-game index), `lottery:ai_big_small_accuracy` (JSON
with `total_predictions`, `correct_predictions`, `overall_accuracy_percentage`,
`big_predictions`, `small_predictions`, for the default game). Every game also
has its own latest/index/counters keys (lottery.keys, "AI worker" section).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from lottery import keys
from lottery.config import DEFAULT_GAME
from lottery.games import Game, get_game
from lottery.store import as_str as _s
from lottery.store import scores

AI_PREDICTOR = "ai"  # the AI's name on the scoreboard (the AI worker records under it)

RECENT_MAX = 20  # outcomes behind the recent failure rate
OPEN_MAX = 100  # issues started and not answered yet, per game (older ones are dropped)
UNRESOLVED_MAX = 500  # valid predictions waiting for their draw (older ones are dropped)
LATENCIES_MAX = 500  # provider latencies kept for the percentiles
PROCESS = "ai_worker"  # heartbeat name of the AI worker process
NO_KEY = "disabled: no API key"
STOPPED = "disabled: stopped (POST /api/ai/start enables it)"
ENABLED = "enabled"
CANCELLED = "cancelled"  # reason prefix of a call cut short by POST /api/ai/stop
_TRUE = (b"1", b"true", b"yes", b"on", b"enabled")


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def now_iso() -> str:
    """Return the current UTC time in ISO 8601."""
    return datetime.now(timezone.utc).isoformat()


# -- on/off -------------------------------------------------------------------------
def flag_on(r) -> bool:
    """Return True when an operator has switched the AI on (a missing flag is off)."""
    raw = r.get(keys.AI_ENABLED)
    return raw is not None and (raw if isinstance(raw, bytes) else raw.encode()).lower() in _TRUE


def set_flag(r, on: bool) -> None:
    """Switch the AI on or off."""
    r.set(keys.AI_ENABLED, "1" if on else "0")


def key_configured(r, settings=None) -> bool | None:
    """Return whether the AI worker has an API key, as it last reported (else as `settings` say)."""
    raw = r.hget(keys.AI_STATUS, "key_configured")
    if raw is not None:
        return _s(raw) == "1"
    return bool(settings.ai_api_keys) if settings is not None else None


def ai_enabled(r, settings=None) -> bool:
    """Return the effective switch: on, and the worker has (or may have) an API key."""
    return flag_on(r) and key_configured(r, settings) is not False


def state_text(r, settings=None) -> str:
    """Return the AI state as shown in /api/ai/status ("enabled", "disabled: ...")."""
    if key_configured(r, settings) is False:
        return NO_KEY
    return ENABLED if flag_on(r) else STOPPED


# -- claims: a short lease per issue, owned by one live process ----------------------
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def claim(r, game_code: str, issue: str, ttl: float, token: str = "claimed") -> bool:
    """Take the lease on an issue for `ttl` seconds (first caller wins); True if this one did."""
    return bool(r.set(keys.ai_claim(game_code, issue), token, nx=True, px=int(ttl * 1000)))


def renew(r, game_code: str, issue: str, token: str, ttl: float) -> bool:
    """Extend a lease this token holds; False when it has lapsed or belongs to another."""
    return bool(r.register_script(_RENEW)(keys=[keys.ai_claim(game_code, issue)],
                                          args=[token, int(ttl * 1000)]))


def release(r, game_code: str, issue: str, token: str) -> None:
    """Give a lease back (only if this token still holds it)."""
    r.register_script(_RELEASE)(keys=[keys.ai_claim(game_code, issue)], args=[token])


def leased(r, game_code: str, issue: str) -> bool:
    """Return True while some live process holds the lease on an issue."""
    return bool(r.exists(keys.ai_claim(game_code, issue)))


def mark_open(r, game: Game, issue: str) -> None:
    """Remember that the worker started on an issue (until an answer or a failure is stored)."""
    pipe = r.pipeline(transaction=False)
    pipe.zadd(keys.ai_open(game.code), {issue: game.issue_ordinal(issue)})
    pipe.zremrangebyrank(keys.ai_open(game.code), 0, -(OPEN_MAX + 1))
    pipe.execute()


def open_issues(r, game_code: str) -> list[str]:
    """Return the issues started on and not answered yet, oldest first."""
    return [_s(m) for m in r.zrange(keys.ai_open(game_code), 0, -1)]


def close_open(r, game_code: str, issue: str) -> None:
    """Forget an open issue (its answer or failure is stored)."""
    r.zrem(keys.ai_open(game_code), issue)


# -- predictions --------------------------------------------------------------------


def has_prediction(r, game_code: str, issue: str) -> bool:
    """Return True when an AI prediction (valid or failed) is stored for the issue."""
    return bool(r.hexists(keys.AI_PREDS_HISTORY, keys.ai_history_field(game_code, issue)))


def get_prediction(r, game_code: str, issue: str) -> dict | None:
    """Return the stored AI prediction of an issue, or None."""
    raw = r.hget(keys.AI_PREDS_HISTORY, keys.ai_history_field(game_code, issue))
    return json.loads(raw) if raw is not None else None


def save_prediction(r, game: Game, entry: dict, max_entries: int) -> None:
    """Store an AI prediction (entry has game, issue, status) as the latest and in the history."""
    issue = entry["issue"]
    ordinal = game.issue_ordinal(issue)
    body = _dumps(entry)
    pipe = r.pipeline(transaction=True)
    pipe.hset(keys.AI_PREDS_HISTORY, keys.ai_history_field(game.code, issue), body)
    pipe.zadd(keys.ai_history_index(game.code), {issue: ordinal})
    pipe.set(keys.ai_latest(game.code), body)
    pipe.zrem(keys.ai_open(game.code), issue)
    if game.code == DEFAULT_GAME:
        pipe.set(keys.AI_PREDICTION, body)
    if entry.get("status") == "ok":
        pipe.zadd(keys.ai_unresolved(game.code), {issue: ordinal})
        pipe.zremrangebyrank(keys.ai_unresolved(game.code), 0, -(UNRESOLVED_MAX + 1))
    pipe.execute()
    excess = r.zcard(keys.ai_history_index(game.code)) - max_entries
    if excess > 0:
        dropped = [_s(m) for m, _ in r.zpopmin(keys.ai_history_index(game.code), excess)]
        if dropped:
            r.hdel(keys.AI_PREDS_HISTORY, *[keys.ai_history_field(game.code, i) for i in dropped])


def latest(r, game_code: str) -> dict | None:
    """Return the newest AI prediction of a game, or None."""
    raw = r.get(keys.ai_latest(game_code))
    return json.loads(raw) if raw is not None else None


def history(r, game_code: str, limit: int) -> list[dict]:
    """Return up to `limit` stored AI predictions of a game, newest issue first."""
    issues = [_s(m) for m in r.zrevrange(keys.ai_history_index(game_code), 0, limit - 1)]
    if not issues:
        return []
    raws = r.hmget(keys.AI_PREDS_HISTORY, [keys.ai_history_field(game_code, i) for i in issues])
    return [json.loads(raw) for raw in raws if raw is not None]


def unresolved_issues(r, game_code: str, limit: int = 100) -> list[str]:
    """Return the newest issues whose valid AI prediction is not scored yet, newest first."""
    return [_s(m) for m in r.zrevrange(keys.ai_unresolved(game_code), 0, limit - 1)]


def resolve(r, game_code: str, issue: str, outcome) -> dict | None:
    """Score the AI prediction of a settled issue once; return it, or None if nothing to do."""
    # ZREM decides the one resolver: duplicate events and replicas count nothing twice.
    if not r.zrem(keys.ai_unresolved(game_code), issue):
        return None
    entry = get_prediction(r, game_code, issue)
    if entry is None or entry.get("status") != "ok":
        return None
    game = get_game(game_code)
    updates, counts = game.ai().score_entry(game, entry, outcome)
    entry.update(updates)
    body = _dumps(entry)
    pipe = r.pipeline(transaction=True)
    pipe.hset(keys.AI_PREDS_HISTORY, keys.ai_history_field(game_code, issue), body)
    counters = keys.ai_accuracy(game_code)
    for name, value in counts.items():
        pipe.hincrby(counters, name, value)
    pipe.execute()
    current = latest(r, game_code)
    if current is not None and current.get("issue") == issue:
        r.set(keys.ai_latest(game_code), body)
        if game_code == DEFAULT_GAME:
            r.set(keys.AI_PREDICTION, body)
    if game_code == DEFAULT_GAME:
        r.set(keys.AI_BIG_SMALL_ACCURACY, _dumps(accuracy(r, game_code)))
    return entry


# -- accuracy -----------------------------------------------------------------------
def accuracy(r, game_code: str) -> dict:
    """Return the AI's resolved record in the family's shape (WinGo: the upstream fields)."""
    c = {_s(k): int(v) for k, v in r.hgetall(keys.ai_accuracy(game_code)).items()}
    game = get_game(game_code)
    # The verdicts are the scoreboard's (one rule everywhere): its `ai` rows.
    verdicts = {row["market"]: row for row in scores.scoreboard(r, game_code)["rows"]
                if row["predictor"] == AI_PREDICTOR}
    return {**game.ai().accuracy(game, c, verdicts), "timestamp": now_iso()}


def record_calls(r, calls) -> None:
    """Count provider calls and errors and keep the latencies of those that were answered."""
    if not calls:
        return
    pipe = r.pipeline(transaction=False)
    pipe.hincrby(keys.AI_STATUS, "calls", len(calls))
    pipe.hincrby(keys.AI_STATUS, "errors", sum(1 for c in calls if not c.ok))
    answered = [round(c.latency_ms, 1) for c in calls if c.status is not None]
    if answered:
        pipe.lpush(keys.AI_LATENCIES, *answered)
        pipe.ltrim(keys.AI_LATENCIES, 0, LATENCIES_MAX - 1)
    pipe.execute()


def record_outcome(r, entry: dict) -> None:
    """Remember the last success or failure (with its reason) and count it.

    A call cancelled by an operator's stop is counted as `cancelled`, not as a failure.
    """
    ok = entry["status"] == "ok"
    if not ok and str(entry.get("reason", "")).startswith(CANCELLED):
        r.hincrby(keys.AI_STATUS, "cancelled", 1)
        return
    prefix = "last_success" if ok else "last_failure"
    fields = {f"{prefix}_at": entry["timestamp"], f"{prefix}_game": entry["game"],
              f"{prefix}_issue": entry["issue"]}
    if not ok:
        fields["last_failure_reason"] = entry.get("reason", "")
    pipe = r.pipeline(transaction=False)
    pipe.hset(keys.AI_STATUS, mapping=fields)
    pipe.hincrby(keys.AI_STATUS, "successes" if ok else "failures", 1)
    pipe.lpush(keys.AI_RECENT, "1" if ok else "0")
    pipe.ltrim(keys.AI_RECENT, 0, RECENT_MAX - 1)
    pipe.execute()


def recent_outcomes(r) -> dict:
    """Return n, failures and the failure rate of the latest RECENT_MAX issues asked about."""
    values = [_s(v) for v in r.lrange(keys.AI_RECENT, 0, -1)]
    failures = values.count("0")
    return {"n": len(values), "failures": failures,
            "failure_rate": round(failures / len(values), 3) if values else None}


def set_worker_fields(r, **fields) -> None:
    """Record what the running worker reports about itself (state, key_configured, model)."""
    r.hset(keys.AI_STATUS, mapping={k: ("1" if v is True else "0" if v is False else str(v))
                                    for k, v in fields.items()})


def latency_percentiles(r) -> dict:
    """Return n, p50, p90, p99 and max of the recent provider latencies (ms)."""
    import numpy as np

    values = [float(v) for v in r.lrange(keys.AI_LATENCIES, 0, -1)]
    if not values:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None}
    p50, p90, p99 = (round(float(x), 1) for x in np.percentile(values, [50, 90, 99]))
    return {"n": len(values), "p50": p50, "p90": p90, "p99": p99, "max": max(values)}


def status(r, settings=None) -> dict:
    """Return the AI status as /api/ai/status shows it (no secrets)."""
    raw = {_s(k): _s(v) for k, v in r.hgetall(keys.AI_STATUS).items()}
    beat = r.get(keys.heartbeat(PROCESS))

    def last(prefix: str) -> dict | None:
        if f"{prefix}_at" not in raw:
            return None
        out = {"at": raw[f"{prefix}_at"], "game": raw.get(f"{prefix}_game"),
               "issue": raw.get(f"{prefix}_issue")}
        if prefix == "last_failure":
            out["reason"] = raw.get("last_failure_reason")
        return out

    last_seen = json.loads(beat).get("at") if beat else None
    if isinstance(last_seen, (int, float)):  # heartbeats keep an epoch; the API speaks ISO
        last_seen = datetime.fromtimestamp(last_seen, timezone.utc).isoformat()
    return {
        "enabled": ai_enabled(r, settings),
        "state": state_text(r, settings),
        "flag": flag_on(r),
        "key_configured": key_configured(r, settings),
        "model": raw.get("model") or (settings.ai_model if settings else None),
        "provider": raw.get("provider"),
        "worker": {"alive": beat is not None, "state": raw.get("worker_state"),
                   "started_at": raw.get("started_at"),
                   "last_seen": last_seen},
        "calls": int(raw.get("calls", 0)),
        "errors": int(raw.get("errors", 0)),
        "successes": int(raw.get("successes", 0)),
        "failures": int(raw.get("failures", 0)),
        "cancelled": int(raw.get("cancelled", 0)),
        "recent": recent_outcomes(r),
        "last_success": last("last_success"),
        "last_failure": last("last_failure"),
        "latency_ms": latency_percentiles(r),
        "timestamp": now_iso(),
    }
