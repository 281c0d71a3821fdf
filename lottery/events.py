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
import time

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
