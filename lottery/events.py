"""Live events: one capped Redis stream (for replay) plus a pub/sub wake-up.

Every event gets the stream id as its `id`, so an SSE client that reconnects
with `Last-Event-ID` can be given exactly what it missed (XRANGE from that id),
and a restarted subscriber can catch up from the stream. Pub/sub only wakes
listeners; it is never the only copy.

Event types: `draw` (a settled draw), `prediction` (a new report prediction),
`ai_prediction` (a stored AI prediction), `simulator` (a session changed).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable

import redis

from lottery import keys

STREAM_MAXLEN = 10_000
EVENT_TYPES = ("draw", "prediction", "ai_prediction", "simulator")


def publish_event(r, type_: str, game: str | None, data: dict) -> str:
    """Append an event to the stream, publish it on the channel, and return its id."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    body = json.dumps({"type": type_, "game": game, "ts": time.time(), "data": data},
                      separators=(",", ":"))
    event_id = r.xadd(keys.EVENTS_STREAM, {"e": body}, maxlen=STREAM_MAXLEN, approximate=True)
    if isinstance(event_id, bytes):
        event_id = event_id.decode()
    r.publish(keys.EVENTS_CHANNEL, json.dumps({"id": event_id, **json.loads(body)},
                                              separators=(",", ":")))
    return event_id


def read_events_after(r, last_id: str, count: int = 1000) -> list[dict]:
    """Return the stored events newer than `last_id` ("0" for all), oldest first."""
    rows = r.xrange(keys.EVENTS_STREAM, min=f"({last_id}" if last_id not in ("0", "-") else "-",
                    count=count)
    out = []
    for event_id, fields in rows:
        event_id = event_id.decode() if isinstance(event_id, bytes) else event_id
        raw = fields.get(b"e") or fields.get("e")
        out.append({"id": event_id, **json.loads(raw)})
    return out


class Listener:
    """Follow pub/sub channels: subscribe, catch up after every (re)connect, back off while
    Redis is away.

    The one implementation of that loop: the SSE hub, the prediction cache, the AI
    worker, the simulator worker and the bot give it their callbacks.
    `on_connected()` runs once the subscription is confirmed (and again when
    redis-py re-subscribes by itself after a dropped connection): whatever was
    published while nobody listened is only in the stream, so that is where a
    listener catches up. `on_message(channel, data)` gets each message;
    `on_idle()` runs when a poll times out; `on_lost()` when Redis goes away.
    The loop ends when `stop` is set or `should_stop()` says so.
    """

    def __init__(self, connect: Callable[[], "redis.Redis"], channels: tuple[str, ...],
                 on_message: Callable[[str, bytes], None], *, stop: threading.Event,
                 on_connected: Callable[[], None] | None = None,
                 on_idle: Callable[[], None] | None = None,
                 on_lost: Callable[[], None] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 poll: float = 1.0, backoff: tuple[float, float] = (0.25, 10.0),
                 log: logging.Logger | None = None):
        self.connect = connect
        self.channels = channels
        self.on_message = on_message
        self.on_connected = on_connected or (lambda: None)
        self.on_idle = on_idle or (lambda: None)
        self.on_lost = on_lost or (lambda: None)
        self.should_stop = should_stop or (lambda: False)  # e.g. a test's iteration budget
        self.stop = stop
        self.poll = poll
        self.backoff = backoff
        self.log = log or logging.getLogger("lottery.events")

    def run(self, max_sessions: int | None = None) -> None:
        """Listen until `stop` is set (or after `max_sessions` subscriptions ended)."""
        delay = self.backoff[0]
        sessions = 0
        while not self._stopping() and (max_sessions is None or sessions < max_sessions):
            sessions += 1
            pubsub = None
            try:
                pubsub = self._subscribe()
                if pubsub is None:
                    break  # stopped while waiting for the confirmation
                self.on_connected()
                delay = self.backoff[0]
                self._follow(pubsub)
            except (redis.RedisError, OSError) as exc:
                self.on_lost()
                self.log.warning("subscription to %s lost (%s); retrying in %.2fs",
                                 ", ".join(self.channels), type(exc).__name__, delay)
                self.stop.wait(delay)
                delay = min(delay * 2, self.backoff[1])
            finally:
                _close_quietly(pubsub, self.log)

    def _stopping(self) -> bool:
        return self.stop.is_set() or self.should_stop()

    def _subscribe(self):
        pubsub = self.connect().pubsub()
        pubsub.subscribe(*self.channels)
        # Wait for every confirmation: only then is each later publish sure to reach us.
        confirmed = 0
        deadline = time.monotonic() + 5.0
        while confirmed < len(self.channels):
            if self._stopping():
                _close_quietly(pubsub, self.log)
                return None
            if time.monotonic() > deadline:
                _close_quietly(pubsub, self.log)
                raise redis.TimeoutError("no subscribe confirmation")
            msg = pubsub.get_message(timeout=0.5)
            if msg and msg.get("type") == "subscribe":
                confirmed += 1
        return pubsub

    def _follow(self, pubsub) -> None:
        resubscribed = 0
        while not self._stopping():
            msg = pubsub.get_message(timeout=self.poll)
            if msg is None:
                self.on_idle()
                continue
            kind = msg.get("type")
            if kind == "message":
                channel = msg["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                try:
                    self.on_message(channel, msg["data"])
                except (ValueError, KeyError, TypeError) as exc:
                    self.log.warning("ignoring a malformed message on %s: %s", channel, exc)
            elif kind == "subscribe":
                # redis-py re-subscribed by itself after a dropped connection: catch up
                # once every channel is back.
                resubscribed += 1
                if resubscribed % len(self.channels) == 0:
                    self.on_connected()


def _close_quietly(pubsub, log: logging.Logger) -> None:
    if pubsub is None:
        return
    try:
        pubsub.close()
    except Exception as exc:  # noqa: BLE001 - closing a broken connection may fail any way
        log.debug("closing the subscription failed: %s", type(exc).__name__)
