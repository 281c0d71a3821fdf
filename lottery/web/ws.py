"""GET /ws: the live events of /api/stream over a WebSocket (flask-sock), for clients of
both systems.

A WebSocket is one more client of the same `StreamHub` as the SSE streams: it takes a
place under SSE_MAX_CLIENTS, gets the same events (the JSON inside each SSE frame, one
text message per event), honours `?game=` and `?last_event_id=` the same way, and ends
when the hub ends streams (shutdown, a client too far behind), with close code 1001;
the client then reconnects with `?last_event_id=` of the last event it got.

Everything that can fail (bad input, the client cap, Redis) is checked before the
handshake, so it is answered with the usual JSON error, not a closed socket. The
socket's reader thread (a greenlet under gevent) shares the hub client's wake-up
event, so a peer that goes away frees its place at once, not at the next heartbeat.
"""
from __future__ import annotations

import json

from flask import Blueprint, g
from flask_sock import Sock

from lottery.web.context import get_redis, get_settings
from lottery.web.stream import (EVENT_ID_SCHEMA, GAME_PARAM, frame_data, get_hub, live_batches,
                                opening, requested_game, requested_last_id)

bp = Blueprint("ws", __name__)
sock = Sock()

GOING_AWAY = 1001  # WebSocket close code: the server ends the stream; reconnect
MAX_CLIENT_MESSAGE = 4096  # clients have nothing to say; a larger message closes the socket


@bp.record_once
def _socket_options(state) -> None:
    settings = state.app.extensions["lottery"]["settings"]
    # simple-websocket pings at this interval and closes a peer that does not answer:
    # the WebSocket counterpart of the SSE heartbeat comments.
    state.app.config.setdefault("SOCK_SERVER_OPTIONS", {
        "ping_interval": settings.sse_heartbeat, "max_message_size": MAX_CLIENT_MESSAGE})


@bp.before_request
def _open_stream() -> None:
    """Validate, take a place on the hub and read the replay before the handshake."""
    last_id = requested_last_id()
    game = requested_game()
    hub = get_hub()
    client = hub.register(game)
    g.ws_stream = (hub, client)
    g.ws_opening = opening(get_redis(), last_id, game, hub.newest)


@bp.teardown_request
def _close_stream(exc=None) -> None:
    stream = g.pop("ws_stream", None)
    if stream is not None:
        hub, client = stream
        hub.unregister(client)  # a no-op when the stream already ended on its own


class _WholeWrites:
    """A socket whose send() writes everything (sendall).

    simple-websocket writes each frame with one send(); under gevent that returns after
    a partial write once the peer's receive window is nearly full, and the rest of the
    frame is lost: a slow reader then gets a corrupt stream. With this it waits instead
    (the hub cuts the client off if it falls BUFFER_SIZE events behind).
    """

    __slots__ = ("_sock",)

    def __init__(self, sock):
        self._sock = sock

    def send(self, data) -> int:
        self._sock.sendall(data)
        return len(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@sock.route("/ws", bp=bp)
def ws(conn) -> None:
    """Send the hello, the replay, then live events until either side ends the stream."""
    hub, client = g.ws_stream
    hello, hello_id, replayed, start = g.pop("ws_opening")
    conn.sock = _WholeWrites(conn.sock)  # the reader thread looks it up on each use
    client.wake = conn.event  # the reader sets it when the peer closes or writes
    conn.send(json.dumps({"type": "hello", "id": hello_id, **hello}, separators=(",", ":")))
    for event in replayed:
        conn.send(json.dumps(event, separators=(",", ":")))
    for batch in live_batches(hub, client, start, get_settings().sse_heartbeat):
        if not conn.connected:
            return
        conn.input_buffer.clear()  # nothing a client sends is a command
        for frame in batch or ():
            conn.send(frame_data(frame).decode())
    conn.close(GOING_AWAY, "stream ended; reconnect with ?last_event_id=")


OPENAPI_PATHS: dict = {
    "/ws": {
        "get": {
            "summary": "Live events over a WebSocket (the same events as /api/stream)",
            "description": (
                "Upgrade with `Connection: Upgrade`, `Upgrade: websocket`. Text messages, one "
                "JSON object each: first `{type: \"hello\", id, server_time, replayed, game}` "
                "(`id` is the newest event id, null when nothing was stored yet or after a "
                "replay), then every event as /api/stream's `data`: `{id, type, game, ts, data}` "
                "with type `draw`, `prediction`, `ai_prediction` or `simulator`. With "
                "`?last_event_id=` the stored events after that id come first. Shares the "
                "SSE_MAX_CLIENTS cap with /api/stream. The server pings every SSE_HEARTBEAT "
                "seconds; it closes with code 1001 when it ends streams (reconnect with "
                "`?last_event_id=`). Messages from the client are ignored."),
            "parameters": [
                GAME_PARAM,
                {"name": "last_event_id", "in": "query", "required": False,
                 "description": "replay the stored events after this id first",
                 "schema": EVENT_ID_SCHEMA},
            ],
            "responses": {
                "101": {"description": "switching protocols: the WebSocket is open"},
                "400": {"description": "not a WebSocket upgrade, bad last_event_id or unknown "
                                       "game"},
                "503": {"description": "too many streams or Redis unreachable; poll instead"},
            },
        }
    }
}
