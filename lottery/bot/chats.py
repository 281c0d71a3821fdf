"""Telegram chat state in Redis: `telegram_chat:{chat_id}` hashes plus the subscriber sets.

Every write touches single fields (HSET of the fields it owns, HINCRBY, or a
Lua script for read-modify-write), never the whole hash, so a command that
arrives while a broadcast is counting outcomes is not overwritten. Growth is
bounded: a chat that stops keeps its settings for FORGET_AFTER seconds, a chat
that blocked the bot is deleted, and per-issue delivery keys expire.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lottery import keys
from lottery.config import DEFAULT_GAME
from lottery.store import as_str as _s

FORGET_AFTER = 180 * 86400  # an unsubscribed, unscheduled chat's settings are kept this long
MAX_SCHEDULES = 24
SCHED_PREFIX = "sched:"

# Count one settled outcome into the session and day counters (day rolls over
# when the chat's local date changes) and end the session at the win target.
_RECORD_OUTCOME = """
local h = KEYS[1]
if redis.call('HGET', h, 'subscribed') ~= '1' then return false end
if redis.call('HGET', h, 'day') ~= ARGV[1] then
  redis.call('HSET', h, 'day', ARGV[1], 'day_wins', 0, 'day_losses', 0)
end
local f = (ARGV[2] == '1') and 'wins' or 'losses'
redis.call('HINCRBY', h, 'session_' .. f, 1)
redis.call('HINCRBY', h, 'day_' .. f, 1)
local wins = tonumber(redis.call('HGET', h, 'session_wins') or '0')
local losses = tonumber(redis.call('HGET', h, 'session_losses') or '0')
local limit = tonumber(redis.call('HGET', h, 'win_limit') or '0')
local ended = 0
if limit > 0 and wins >= limit then
  redis.call('HSET', h, 'subscribed', '0', 'target_day', ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[3])
  ended = 1
end
return {wins, losses, ended}
"""

# Delivery of one issue to one chat, in a hash field per chat (KEYS[1]):
#   "c"        queued: its session outcome is counted; any process may send it
#   "w:TOKEN"  a request is on the wire from process TOKEN (it may have reached Telegram)
#   "d"        Telegram accepted it (the chat is also in the issue's `sent` set)
#   "x:WHY"    not delivered: gone, failed, or unknown (its sender died mid-request)
# Prepare: -1 nothing to do (not subscribed, done, failed); {-2, value} on the wire
# elsewhere; 0 already queued; 10 + (was sent the previous issue) when queued here.
_PREPARE = """
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 then return -1 end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then
  redis.call('HSET', KEYS[1], ARGV[1], 'c')
  return 10 + redis.call('SISMEMBER', KEYS[2], ARGV[1])
end
if v == 'c' then return 0 end
if string.sub(v, 1, 2) == 'w:' then return {-2, v} end
return -1
"""

# Just before a request goes on the wire: take the chat if it is queued or already ours
# (and, unless ARGV[3] is "0", still subscribed: a /stop meanwhile wins).
_ON_WIRE = """
if ARGV[3] ~= '0' and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 0 end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == 'c' or v == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""

_SET_IF = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
"""

# Toggle one daily start time; keep the scheduled-chats index in step.
_TOGGLE_SCHEDULE = """
local h, field = KEYS[1], ARGV[1]
local function count()
  local n = 0
  for _, k in ipairs(redis.call('HKEYS', h)) do
    if string.sub(k, 1, 6) == 'sched:' then n = n + 1 end
  end
  return n
end
if redis.call('HEXISTS', h, field) == 1 then
  redis.call('HDEL', h, field)
  if count() == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
  return 0
end
if count() >= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', h, field, '1')
redis.call('PERSIST', h)
redis.call('SADD', KEYS[2], ARGV[2])
return 1
"""

_CLEAR_SCHEDULES = """
local n = 0
for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(k, 1, 6) == 'sched:' then redis.call('HDEL', KEYS[1], k); n = n + 1 end
end
redis.call('SREM', KEYS[2], ARGV[1])
return n
"""

# Keep the hash of a chat that is subscribed, follows alerts or is scheduled; let an idle
# chat expire.
_RETAIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'subscribed') == '1'
   or (redis.call('HGET', KEYS[1], 'alerts') or '') ~= ''
   or redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


@dataclass
class ChatState:
    """What the bot knows about one chat."""

    chat_id: int
    game: str = DEFAULT_GAME
    subscribed: bool = False
    tz: str = "UTC"
    win_limit: int = 0  # 0: no win target
    session_start: str = ""  # first issue counted in the current session
    session_started_at: str = ""  # ISO UTC
    session_wins: int = 0
    session_losses: int = 0
    day: str = ""  # the chat's local date the day counters belong to
    day_wins: int = 0
    day_losses: int = 0
    target_day: str = ""  # the chat's local date its win target last ended a session
    schedules: list[str] = field(default_factory=list)  # "HH:MM", sorted

    def today_counts(self, local_day: str) -> tuple[int, int]:
        """Return today's (wins, misses); zero once the chat's local date has moved on."""
        return (self.day_wins, self.day_losses) if self.day == local_day else (0, 0)



def _parse(chat_id: int, raw: dict) -> ChatState:
    data = {_s(k): _s(v) for k, v in raw.items()}
    return ChatState(
        chat_id=chat_id,
        game=data.get("game") or DEFAULT_GAME,
        subscribed=data.get("subscribed") == "1",
        tz=data.get("tz") or "UTC",
        win_limit=int(data.get("win_limit") or 0),
        session_start=data.get("session_start", ""),
        session_started_at=data.get("session_started_at", ""),
        session_wins=int(data.get("session_wins") or 0),
        session_losses=int(data.get("session_losses") or 0),
        day=data.get("day", ""),
        day_wins=int(data.get("day_wins") or 0),
        day_losses=int(data.get("day_losses") or 0),
        target_day=data.get("target_day", ""),
        schedules=sorted(k[len(SCHED_PREFIX):] for k in data if k.startswith(SCHED_PREFIX)),
    )


def get_chat(r, chat_id: int) -> ChatState:
    """Return a chat's state (defaults for a chat never seen)."""
    return _parse(chat_id, r.hgetall(keys.telegram_chat(chat_id)))


def _retain(r, chat_id: int) -> None:
    r.register_script(_RETAIN)(keys=[keys.telegram_chat(chat_id), keys.TELEGRAM_SCHEDULED],
                               args=[chat_id, FORGET_AFTER])


def set_fields(r, chat_id: int, **values) -> None:
    """Set some settings fields of a chat (only those fields are written)."""
    r.hset(keys.telegram_chat(chat_id), mapping={k: str(v) for k, v in values.items()})
    _retain(r, chat_id)


def subscribe(r, chat_id: int, game: str, session_start: str, started_at: str) -> None:
    """Subscribe a chat to a game's feed and start a fresh session."""
    key = keys.telegram_chat(chat_id)
    pipe = r.pipeline(transaction=True)
    pipe.hset(key, mapping={"game": game, "subscribed": "1", "session_start": session_start,
                            "session_started_at": started_at, "session_wins": 0,
                            "session_losses": 0})
    pipe.persist(key)
    pipe.sadd(keys.TELEGRAM_SUBSCRIBERS, chat_id)
    pipe.execute()


def unsubscribe(r, chat_id: int) -> bool:
    """Stop a chat's feed (settings kept for a while); return True if it was subscribed."""
    pipe = r.pipeline(transaction=True)
    pipe.srem(keys.TELEGRAM_SUBSCRIBERS, chat_id)
    pipe.hset(keys.telegram_chat(chat_id), "subscribed", "0")
    removed = pipe.execute()[0]
    _retain(r, chat_id)
    return bool(removed)


def forget_chat(r, chat_id: int) -> None:
    """Delete everything about a chat (it blocked the bot or no longer exists)."""
    games = alert_games_of(r, chat_id)
    pipe = r.pipeline(transaction=True)
    for game in games:
        pipe.srem(keys.telegram_alert_chats(game), chat_id)
    pipe.delete(keys.telegram_chat(chat_id))
    pipe.srem(keys.TELEGRAM_SUBSCRIBERS, chat_id)
    pipe.srem(keys.TELEGRAM_SCHEDULED, chat_id)
    pipe.execute()


def migrate_chat(r, old_id: int, new_id: int) -> None:
    """Move a group's state to its new supergroup id."""
    pipe = r.pipeline(transaction=True)
    pipe.exists(keys.telegram_chat(old_id))
    pipe.srem(keys.TELEGRAM_SUBSCRIBERS, old_id)
    pipe.srem(keys.TELEGRAM_SCHEDULED, old_id)
    existed, was_sub, was_sched = pipe.execute()
    pipe = r.pipeline(transaction=True)
    for game in alert_games_of(r, old_id):
        pipe.srem(keys.telegram_alert_chats(game), old_id)
        pipe.sadd(keys.telegram_alert_chats(game), new_id)
    if existed:
        pipe.rename(keys.telegram_chat(old_id), keys.telegram_chat(new_id))
    if was_sub:
        pipe.sadd(keys.TELEGRAM_SUBSCRIBERS, new_id)
    if was_sched:
        pipe.sadd(keys.TELEGRAM_SCHEDULED, new_id)
    pipe.execute()


# -- alert subscriptions: the chat hash's `alerts` field (games, comma-separated) is the truth,
# one set per game indexes it for delivery.
def alert_games_of(r, chat_id: int) -> list[str]:
    """Return the games whose alerts a chat follows."""
    raw = _s(r.hget(keys.telegram_chat(chat_id), "alerts")) or ""
    return [g for g in raw.split(",") if g]


def set_alerts(r, chat_id: int, game: str, on: bool) -> bool:
    """Follow or stop a game's alerts in a chat; return False when nothing changed."""
    games = alert_games_of(r, chat_id)
    if (game in games) == on:
        return False
    games = sorted(set(games) | {game}) if on else [g for g in games if g != game]
    pipe = r.pipeline(transaction=True)
    pipe.hset(keys.telegram_chat(chat_id), "alerts", ",".join(games))
    if on:
        pipe.sadd(keys.telegram_alert_chats(game), chat_id)
    else:
        pipe.srem(keys.telegram_alert_chats(game), chat_id)
    pipe.execute()
    _retain(r, chat_id)
    return True


def alert_chat_ids(r, game: str) -> list[int]:
    """Return the chats that follow a game's alerts."""
    return sorted(int(_s(m)) for m in r.sscan_iter(keys.telegram_alert_chats(game), count=1000))


def _states_in(r, set_key: str) -> list[ChatState]:
    """Return the states of the chats in an index set, read in one round trip."""
    ids = [int(_s(m)) for m in r.sscan_iter(set_key, count=1000)]
    if not ids:
        return []
    pipe = r.pipeline(transaction=False)
    for chat_id in ids:
        pipe.hgetall(keys.telegram_chat(chat_id))
    return [_parse(chat_id, raw) for chat_id, raw in zip(ids, pipe.execute())]


def subscribed_chats(r, game: str | None = None) -> list[ChatState]:
    """Return the subscribed chats (of one game when given)."""
    return [s for s in _states_in(r, keys.TELEGRAM_SUBSCRIBERS) if game is None or s.game == game]


def scheduled_chats(r) -> list[ChatState]:
    """Return the chats with at least one daily start time."""
    return _states_in(r, keys.TELEGRAM_SCHEDULED)


def prepare_deliveries(r, game: str, issue: str, previous_issue: str, chat_ids: list[int],
                       ttl: int) -> list[tuple[int, int, str | None]]:
    """Queue (chat, issue) deliveries; return (chat_id, code, value) per chat (see _PREPARE)."""
    if not chat_ids:
        return []
    state = keys.telegram_delivery(game, issue)
    script = r.register_script(_PREPARE)
    pipe = r.pipeline(transaction=False)
    for chat_id in chat_ids:
        script(keys=[state, keys.telegram_sent(game, previous_issue), keys.TELEGRAM_SUBSCRIBERS],
               args=[chat_id], client=pipe)
    pipe.expire(state, ttl)
    out = []
    for chat_id, reply in zip(chat_ids, pipe.execute()[:-1]):
        if isinstance(reply, list):
            out.append((chat_id, int(reply[0]), _s(reply[1])))
        else:
            out.append((chat_id, int(reply), None))
    return out


def on_wire(r, game: str, issue: str, chat_id: int, owner: str,
            subscribed_only: bool = True) -> bool:
    """Mark a queued delivery as being sent by `owner`; False when it is not ours to send."""
    return bool(r.register_script(_ON_WIRE)(
        keys=[keys.telegram_delivery(game, issue), keys.TELEGRAM_SUBSCRIBERS],
        args=[chat_id, owner, "1" if subscribed_only else "0"]))


def finish_delivery(r, game: str, issue: str, chat_id: int, outcome: str, ttl: int) -> None:
    """Record how a delivery ended: "d" (Telegram accepted it) or "x:WHY"."""
    pipe = r.pipeline(transaction=True)
    pipe.hset(keys.telegram_delivery(game, issue), chat_id, outcome)
    if outcome == "d":
        pipe.sadd(keys.telegram_sent(game, issue), chat_id)
        pipe.expire(keys.telegram_sent(game, issue), ttl)
    pipe.execute()


def set_delivery_if(r, game: str, issue: str, chat_id: int, expected: str, value: str) -> bool:
    """Change a chat's delivery state only if it still is `expected`."""
    return bool(r.register_script(_SET_IF)(keys=[keys.telegram_delivery(game, issue)],
                                           args=[chat_id, expected, value]))


def delivery_states(r, game: str, issue: str) -> dict[int, str]:
    """Return chat id -> delivery state of an issue."""
    return {int(_s(k)): _s(v) for k, v in r.hgetall(keys.telegram_delivery(game, issue)).items()}


def processes_alive(r, tokens: list[str]) -> dict[str, bool]:
    """Return whether each bot process token still has its liveness key."""
    if not tokens:
        return {}
    pipe = r.pipeline(transaction=False)
    for token in tokens:
        pipe.exists(keys.bot_process(token))
    return {token: bool(n) for token, n in zip(tokens, pipe.execute())}


def record_outcomes(r, outcomes: list[tuple[int, bool, str]]) -> dict[int, tuple[int, int, bool]]:
    """Count (chat_id, hit, local day) outcomes; return chat -> (session wins, losses, ended)."""
    if not outcomes:
        return {}
    script = r.register_script(_RECORD_OUTCOME)
    pipe = r.pipeline(transaction=False)
    for chat_id, win, day in outcomes:
        script(keys=[keys.telegram_chat(chat_id), keys.TELEGRAM_SUBSCRIBERS],
               args=[day, "1" if win else "0", chat_id], client=pipe)
    out = {}
    for (chat_id, _, _), reply in zip(outcomes, pipe.execute()):
        if reply is None:  # the chat stopped meanwhile
            continue
        wins, losses, ended = (int(x) for x in reply)
        out[chat_id] = (wins, losses, bool(ended))
        if ended:
            _retain(r, chat_id)
    return out


def toggle_schedule(r, chat_id: int, hhmm: str) -> int:
    """Add or remove a daily start time: 1 added, 0 removed, -1 refused (too many)."""
    out = int(r.register_script(_TOGGLE_SCHEDULE)(
        keys=[keys.telegram_chat(chat_id), keys.TELEGRAM_SCHEDULED],
        args=[SCHED_PREFIX + hhmm, chat_id, MAX_SCHEDULES]))
    _retain(r, chat_id)
    return out


def clear_schedules(r, chat_id: int) -> int:
    """Remove every daily start time of a chat; return how many there were."""
    n = int(r.register_script(_CLEAR_SCHEDULES)(
        keys=[keys.telegram_chat(chat_id), keys.TELEGRAM_SCHEDULED], args=[chat_id]))
    _retain(r, chat_id)
    return n


def drop_from_schedule_index(r, chat_id: int) -> None:
    """Forget a scheduled-chats entry whose chat has no start times left."""
    r.srem(keys.TELEGRAM_SCHEDULED, chat_id)


def once(r, key: str, ttl: int) -> bool:
    """Return True for the first caller of `key` within `ttl` seconds (across replicas)."""
    return bool(r.set(key, "1", nx=True, ex=ttl))


def subscriber_counts(r) -> dict[str, int]:
    """Return how many chats follow each game."""
    counts: dict[str, int] = {}
    for s in subscribed_chats(r):
        counts[s.game] = counts.get(s.game, 0) + 1
    return counts
