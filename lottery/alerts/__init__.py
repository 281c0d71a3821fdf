"""Alerts: a family's rule says what is alert-worthy; this package publishes and delivers.

Flow. The draw worker does no alert work: it already publishes a `prediction`
event per round. A process that delivers alerts (the bot for Telegram chats,
`python -m lottery alerts` for webhooks) runs the family's rule on each such
event (`check`). Every alert carries a dedupe key, so the rule may run in any
number of processes and each alert is still published once (SET NX), to a
capped Redis stream plus a pub/sub wake-up. Each delivery channel follows that
stream from its own cursor (`pending`, `claim`, `done`): a restart catches up,
alerts older than MAX_AGE are dropped as no longer news.

A family's rule is `rule(r, settings, game) -> list[Alert]` (RULES names it by
import path, like a game names its predictors).
"""
from __future__ import annotations

import importlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import redis

from lottery import keys
from lottery.config import Settings
from lottery.games import get_game
from lottery.store import as_str

log = logging.getLogger("lottery.alerts")

# family -> "module:function" of its alert rule
RULES = {"crash": "lottery.alerts.crash:rule"}
STREAM_MAXLEN = 1000
MAX_AGE = 600.0  # seconds: an older alert is not delivered any more (a late drought alert misleads)
ONCE_TTL = 2 * 86400  # how long a fired alert's dedupe key is kept
CLAIM_TTL = 600  # a delivering process's claim on an alert (longer than its bounded retries)

# Move a channel's cursor forward only (two replicas may finish out of order).
_ADVANCE = """
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local cur = redis.call('GET', KEYS[1])
if cur then
  local a, b = parse(cur)
  local c, d = parse(ARGV[1])
  if a > c or (a == c and b >= d) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class Alert:
    """One alert: plain text for people, `data` for machines."""

    game: str
    kind: str  # the family's word: e.g. drought, landed, signal
    key: str  # dedupe key: the same key fires once (within ONCE_TTL or `ttl`)
    text: str
    data: dict = field(default_factory=dict)
    ttl: int = ONCE_TTL  # how long the dedupe key holds (a signal's cooldown is shorter)
    id: str | None = None  # the stream id, once published
    ts: float | None = None  # when it was published (Unix seconds)

    def to_json(self) -> str:
        body = {k: v for k, v in asdict(self).items() if k not in ("id", "ttl")}
        return json.dumps(body, separators=(",", ":"))


def rule_for(game_code: str) -> Callable | None:
    """Return a game's alert rule (None: its family has none)."""
    path = RULES.get(get_game(game_code).family)
    if not path:
        return None
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def alert_games(settings: Settings) -> list[str]:
    """Return the configured games whose family has an alert rule."""
    return [code for code in settings.games if get_game(code).family in RULES]


def check(r, settings: Settings, game_code: str) -> list[Alert]:
    """Run a game's rule on the stored rounds; publish and return the alerts that are new."""
    rule = rule_for(game_code)
    if rule is None:
        return []
    try:
        found = rule(r, settings, get_game(game_code))
    except redis.RedisError:
        raise  # the caller's loop waits Redis out
    except Exception:  # a rule's bug must not stop the loop that delivers every other alert
        log.exception("%s: the alert rule failed", game_code)
        return []
    out = []
    for alert in found:
        published = publish(r, alert)
        if published is not None:
            out.append(published)
    return out


def publish(r, alert: Alert) -> Alert | None:
    """Publish an alert unless its key already fired; return it with its stream id, or None."""
    if not r.set(keys.alert_once(alert.game, alert.key), "1", nx=True, ex=alert.ttl):
        return None
    stamped = Alert(**{**asdict(alert), "ts": time.time()})
    alert_id = as_str(r.xadd(keys.ALERTS_STREAM, {"a": stamped.to_json()}, maxlen=STREAM_MAXLEN,
                             approximate=True))
    r.publish(keys.ALERTS_CHANNEL, alert_id)
    return Alert(**{**asdict(stamped), "id": alert_id})


def pending(r, channel: str, *, max_age: float = MAX_AGE, count: int = 100,
            now: float | None = None) -> list[Alert]:
    """Return the alerts a channel has not handled yet (oldest first, none older than max_age)."""
    now = time.time() if now is None else now
    floor = f"{int((now - max_age) * 1000)}-0"
    cursor = as_str(r.get(keys.alert_cursor(channel)))
    start = floor if cursor is None or _id_key(cursor) < _id_key(floor) else f"({cursor}"
    out = []
    for alert_id, fields in r.xrange(keys.ALERTS_STREAM, min=start, count=count):
        body = json.loads(fields.get(b"a") or fields.get("a"))
        out.append(Alert(**body, id=as_str(alert_id)))
    return out


def claim(r, channel: str, alert_id: str) -> bool:
    """Return True for the one process that delivers an alert on a channel."""
    return bool(r.set(keys.alert_claim(channel, alert_id), "1", nx=True, ex=CLAIM_TTL))


def done(r, channel: str, alert_id: str) -> None:
    """Record that a channel has handled every alert up to `alert_id`."""
    r.register_script(_ADVANCE)(keys=[keys.alert_cursor(channel)], args=[alert_id])


def slack_payload(alert: Alert) -> dict:
    """Return the Slack-compatible webhook body of an alert (`text`, plus a section block)."""
    # Only fields Slack knows: other receivers read the same `text`.
    return {"text": alert.text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": alert.text}},
                       {"type": "context", "elements": [
                           {"type": "mrkdwn", "text": f"{alert.game} · {alert.kind} alert"}]}]}


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)
