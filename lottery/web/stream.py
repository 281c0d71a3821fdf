"""GET /api/stream: server-sent events of new draws, predictions and AI predictions.

One Redis pub/sub subscription per web process (the `StreamHub`, started by the
first client) is fanned out in-process to one bounded buffer per client, so a
thousand idle browsers cost a thousand small buffers, not a thousand Redis
connections. Event ids are the ids of the capped events stream
(`lottery.events`), so a client that reconnects with `Last-Event-ID` (header,
or `?last_event_id=` for clients that cannot set headers) is first replayed
what it missed from the stream and then continues live, without gaps or
duplicates. Comments are sent as heartbeats so proxies keep idle connections.

The hub uses only `threading`, `deque` and blocking Redis reads with timeouts:
under gunicorn's gevent worker (monkey-patched) they become greenlets, under
the threaded dev server and the Flask test client they are real threads.
"""
from __future__ import annotations

import json
import logging
import re
import signal
import threading
import time
from collections import deque

import redis
from flask import Blueprint, Response, current_app, request

from lottery import keys
from lottery.config import Settings
from lottery.events import Listener, read_events_after
from lottery.games import GAMES
from lottery.store import as_str as _s
from lottery.web.context import get_game_arg, get_redis, get_settings
from lottery.web.errors import ApiError, bad_request

log = logging.getLogger("lottery.web.stream")

bp = Blueprint("stream", __name__)

BUFFER_SIZE = 256  # events buffered per client before it is cut off (it then replays)
REPLAY_CHUNK = 500  # stream entries read per XRANGE when replaying
REPLAY_MAX = 10_000  # never replay more than the stream keeps
RETRY_MS = 2000  # the browser's reconnect delay
SEEN_IDS = 2048  # event ids the hub remembers to drop duplicates after a catch-up
CATCH_UP_MS = 2000  # after a Redis outage, re-read this much before the newest id seen

_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")
_HUBS_LOCK = threading.Lock()


def parse_event_id(event_id: str) -> tuple[int, int]:
    """Return a stream id "ms-seq" as a comparable (ms, seq) tuple, or raise ValueError."""
    if not isinstance(event_id, str) or not _ID_RE.match(event_id):
        raise ValueError(f"not a stream id: {event_id!r}")
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


def format_event(event: dict) -> bytes:
    """Return one SSE frame for a stored event (`id`, `event` = type, `data` = JSON)."""
    data = json.dumps(event, separators=(",", ":"))  # JSON escapes newlines: one data line
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


def _frame(name: str, data: dict, event_id: str | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class StreamClient:
    """One open stream: a bounded buffer of (id tuple, frame), its wake-up and game filter.

    A deque plus an Event is the cheapest hand-over that works both with threads
    and with gevent's patched Event (a Queue costs a lock and a condition per put).
    """

    __slots__ = ("closed", "game", "pending", "size", "wake")

    def __init__(self, game: str | None, size: int):
        self.pending: deque = deque()
        self.wake = threading.Event()
        self.game = game
        self.size = size
        self.closed = False

    def wants(self, game: str | None) -> bool:
        return self.game is None or game is None or game == self.game


class StreamHub:
    """One pub/sub subscription to the events channel, fanned out to client buffers."""

    def __init__(self, r, max_clients: int, buffer_size: int = BUFFER_SIZE,
                 poll_timeout: float = 1.0, before_dispatch=None):
        self.r = r
        self.before_dispatch = before_dispatch  # called with each new event before fan-out
        self.max_clients = max_clients
        self.buffer_size = buffer_size
        self.poll_timeout = poll_timeout
        self._clients: set[StreamClient] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: deque[str] = deque(maxlen=SEEN_IDS)
        self._seen_set: set[str] = set()
        self._newest: tuple[int, int] | None = None

    @property
    def client_count(self) -> int:
        return len(self._clients)

    @property
    def newest(self) -> tuple[int, int] | None:
        """Return the newest event id fanned out (or the tail at subscription), if subscribed."""
        return self._newest if self._ready.is_set() else None

    def register(self, game: str | None, timeout: float = 5.0) -> StreamClient:
        """Add a client (starting the hub if needed) once the subscription is live."""
        with self._lock:
            if len(self._clients) >= self.max_clients:
                raise ApiError(503, "too_many_streams",
                               "this server holds its maximum of live streams; poll the API instead",
                               headers={"Retry-After": "30"})
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="lottery.web.stream",
                                                daemon=True)
                self._thread.start()
            client = StreamClient(game, self.buffer_size)
            self._clients.add(client)
        # Registering before the replay read and waiting for the subscription means
        # every event is either in the stream we read next or in this buffer.
        if not self._ready.wait(timeout):
            self.unregister(client)
            raise ApiError(503, "stream_unavailable",
                           "live updates are unavailable right now; poll the API instead")
        return client

    def unregister(self, client: StreamClient) -> None:
        """Remove a client (its stream has ended)."""
        with self._lock:
            self._clients.discard(client)

    def disconnect_all(self) -> int:
        """End every open stream (clients reconnect with Last-Event-ID); return how many."""
        with self._lock:
            clients = list(self._clients)
            self._clients.clear()
        for client in clients:
            _close_client(client)
        return len(clients)

    def stop_soon(self) -> None:
        """Ask the hub to stop and end every stream at its next poll (signal-safe)."""
        self._stop.set()

    def close(self) -> bool:
        """Stop the subscription and end every open stream; True once its thread has ended."""
        self._stop.set()
        thread = self._thread
        finished = True
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.poll_timeout + 2)
            finished = not thread.is_alive()
        self.disconnect_all()
        return finished

    # -- the subscription loop ------------------------------------------------
    def _run(self) -> None:
        listener = Listener(lambda: self.r, (keys.EVENTS_CHANNEL,), self._on_message,
                            stop=self._stop, on_connected=self._connected, on_lost=self._ready.clear,
                            poll=self.poll_timeout, backoff=(0.25, 10.0), log=log)
        try:
            listener.run()
        finally:
            self._ready.clear()
            self.disconnect_all()

    def _connected(self) -> None:
        self._catch_up()
        self._ready.set()

    def _on_message(self, channel: str, data: bytes) -> None:
        self._dispatch(json.loads(data))

    def _catch_up(self) -> None:
        if self._newest is None:
            # First start: nothing to catch up; live events begin after the current tail.
            tail = self.r.xrevrange(keys.EVENTS_STREAM, count=1)
            self._newest = parse_event_id(_s(tail[0][0])) if tail else (0, 0)
            return
        ms, _ = self._newest
        cursor = f"{max(ms - CATCH_UP_MS, 0)}-0"
        while True:
            rows = read_events_after(self.r, cursor, count=REPLAY_CHUNK)
            for event in rows:
                self._dispatch(event)
            if len(rows) < REPLAY_CHUNK:
                return
            cursor = rows[-1]["id"]

    def _dispatch(self, event: dict) -> None:
        event_id = event["id"]
        id_tuple = parse_event_id(event_id)
        if event_id in self._seen_set:
            return
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(event_id)
        self._seen_set.add(event_id)
        if self._newest is None or id_tuple > self._newest:
            self._newest = id_tuple
        if self.before_dispatch is not None:
            try:
                self.before_dispatch(event)
            except redis.RedisError as exc:
                # The event still goes out; the cache re-reads stale copies on its own.
                log.warning("could not refresh before fan-out (%s)", type(exc).__name__)
        frame = format_event(event)
        game = event.get("game")
        with self._lock:
            clients = list(self._clients)
        overflowed = []
        item = (id_tuple, frame)
        for client in clients:
            if not client.wants(game):
                continue
            if len(client.pending) >= client.size:
                overflowed.append(client)
                continue
            client.pending.append(item)
            client.wake.set()
        for client in overflowed:
            # A client this far behind is cut off; it reconnects and replays from the stream.
            self.unregister(client)
            _close_client(client)


def _close_client(client: StreamClient) -> None:
    client.closed = True
    client.pending.clear()  # the client replays from its last id when it reconnects
    client.wake.set()


def get_hub(app=None) -> StreamHub:
    """Return the app's stream hub, creating it (not yet subscribed) on first use."""
    app = app or current_app
    hub = app.extensions.get("lottery_stream_hub")
    if hub is None:
        with _HUBS_LOCK:
            hub = app.extensions.get("lottery_stream_hub")
            if hub is None:
                lottery = app.extensions["lottery"]
                settings: Settings = lottery["settings"]
                hub = StreamHub(lottery["redis"], settings.sse_max_clients,
                                before_dispatch=_refresher(lottery.get("prediction_cache")))
                app.extensions["lottery_stream_hub"] = hub
    return hub


def _refresher(cache):
    """Return a hook that refreshes the report cache before a prediction event goes out."""
    if cache is None:
        return None

    def refresh(event: dict) -> None:
        # A browser refetches /api/prediction on this event: the copy must be new by then.
        if event.get("type") == "prediction" and event.get("game"):
            cache.refresh(event["game"])

    return refresh


def shutdown(app) -> bool:
    """Close the app's stream hub, if it was started (process exit, tests); True once ended."""
    hub = app.extensions.pop("lottery_stream_hub", None)
    return hub.close() if hub is not None else True


def end_streams_on_shutdown(worker) -> None:
    """Chain a gunicorn worker's SIGTERM so its open streams end at once (post_worker_init hook).

    Without it a graceful stop waits `graceful_timeout` for streams that never
    finish; with it each browser reconnects (to a live worker) with Last-Event-ID.
    """
    app = worker.wsgi
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        if callable(previous):
            previous(signum, frame)
        hub = app.extensions.get("lottery_stream_hub")
        if hub is not None:
            # Only set a flag here (a signal handler must not block, least of all under
            # gevent); the hub's loop notices within a poll and ends every stream.
            hub.stop_soon()

    signal.signal(signal.SIGTERM, on_term)


def requested_last_id() -> str | None:
    """Return the Last-Event-ID header or ?last_event_id= (None if absent), or raise a 400."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    try:
        parse_event_id(raw)
    except ValueError:
        raise bad_request("Last-Event-ID must be an event id like 1700000000000-0",
                          "bad_last_event_id") from None
    return raw


def requested_game() -> str | None:
    """Return the ?game= the stream is filtered to (None: every game), or raise 400/404."""
    game = get_game_arg(default=None)  # no game: every game's events
    return game.code if game is not None else None


@bp.get("/api/stream")
def stream():
    """Stream events as server-sent events, replaying from Last-Event-ID first."""
    last_id = requested_last_id()
    game = requested_game()
    settings = get_settings()
    r = get_redis()
    hub = get_hub()
    client = hub.register(game)
    try:
        head, start = _stream_head(r, last_id, game, hub.newest)
    except BaseException:
        hub.unregister(client)
        raise
    # direct_passthrough: the frames are bytes already; no per-chunk encoding wrapper.
    return Response(_events(hub, client, head, start, settings.sse_heartbeat),
                    mimetype="text/event-stream", direct_passthrough=True,
                    headers={"Cache-Control": "no-cache, no-transform",
                             "X-Accel-Buffering": "no"})


def _stream_head(r, last_id: str | None, game: str | None,
                 newest: tuple[int, int] | None = None) -> tuple[bytes, tuple]:
    """Return the opening frames (retry, hello, replay) and the position after them.

    `newest` is the newest id the hub has fanned out: a fresh client starts after it
    without asking Redis (every later event is in its buffer).
    """
    hello, hello_id, replayed, start = opening(r, last_id, game, newest)
    parts = [f"retry: {RETRY_MS}\n\n".encode(), _frame("hello", hello, hello_id)]
    parts.extend(format_event(event) for event in replayed)
    return b"".join(parts), start


def opening(r, last_id: str | None, game: str | None,
            newest: tuple[int, int] | None = None) -> tuple[dict, str | None, list, tuple]:
    """Return what a new stream opens with: (hello, hello id, replayed events, start position).

    Without `last_id` the stream starts after the newest event (the hello carries its
    id so a reconnect replays from there); with it, the stored events after that id
    (of this game and game-less ones) are replayed first. Live events must be newer
    than the returned position. /api/stream and /ws both open this way.
    """
    replayed: list[dict] = []
    if last_id is None:
        if newest is None:
            tail = r.xrevrange(keys.EVENTS_STREAM, count=1)
            newest = parse_event_id(_s(tail[0][0])) if tail else (0, 0)
        cursor = f"{newest[0]}-{newest[1]}"
        hello_id = cursor if newest != (0, 0) else None
    else:
        cursor = last_id
        hello_id = None
        while len(replayed) < REPLAY_MAX:
            rows = read_events_after(r, cursor, count=REPLAY_CHUNK)
            replayed.extend(event for event in rows if event.get("game") is None
                            or game is None or event.get("game") == game)
            if rows:
                cursor = rows[-1]["id"]
            if len(rows) < REPLAY_CHUNK:
                break
    hello = {"server_time": time.time(), "replayed": len(replayed), "game": game}
    return hello, hello_id, replayed, parse_event_id(cursor)


def _events(hub: StreamHub, client: StreamClient, head: bytes, start: tuple, heartbeat: float):
    """Yield the opening frames, then live frames newer than `start`, with heartbeats."""
    try:
        yield head
        for batch in live_batches(hub, client, start, heartbeat):
            if batch is None:
                yield b": keep-alive\n\n"
            elif batch:
                yield b"".join(batch)
    finally:
        hub.unregister(client)  # also when closed before the live part began


def live_batches(hub: StreamHub, client: StreamClient, start: tuple, heartbeat: float):
    """Yield each batch of live frames newer than `start` as it arrives, until the hub ends
    the stream; None after `heartbeat` idle seconds, [] on a wake-up with nothing new.

    The client is unregistered when this generator ends or is closed.
    """
    try:
        while True:
            if not client.pending and not client.closed and not client.wake.wait(heartbeat):
                yield None
                continue
            # Clear before draining: an event appended after this point sets it again.
            client.wake.clear()
            if client.closed:
                return
            batch = []
            while client.pending:
                id_tuple, frame = client.pending.popleft()
                if id_tuple > start:  # older ones were in the replay (or predate the client)
                    batch.append(frame)
            yield batch
    finally:
        hub.unregister(client)


def frame_data(frame: bytes) -> bytes:
    """Return the JSON event ({id, type, game, ts, data}) inside one SSE frame."""
    return frame[frame.index(b"\ndata: ") + 7:-2]


# The query parameters /api/stream and /ws share in the OpenAPI document.
GAME_PARAM = {"name": "game", "in": "query", "required": False,
              "description": "only events of this game (and game-less ones); default all",
              "schema": {"type": "string", "enum": sorted(GAMES)}}
EVENT_ID_SCHEMA = {"type": "string", "pattern": r"^\d+-\d+$"}

OPENAPI_PATHS: dict = {
    "/api/stream": {
        "get": {
            "summary": "Live events as server-sent events (text/event-stream)",
            "description": (
                "Events `draw`, `prediction`, `ai_prediction` and `simulator`; each frame has "
                "`id` (the events stream id), `event` (the type) and `data` (JSON "
                "{id, type, game, ts, data}). The first frame after connecting is `hello` "
                "({server_time, replayed, game}). Send `Last-Event-ID` (or ?last_event_id=) "
                "to be replayed every stored event after that id before live ones. "
                "Comment lines are heartbeats."),
            "parameters": [
                GAME_PARAM,
                {"name": "last_event_id", "in": "query", "required": False,
                 "description": "same as the Last-Event-ID header", "schema": EVENT_ID_SCHEMA},
                {"name": "Last-Event-ID", "in": "header", "required": False,
                 "schema": EVENT_ID_SCHEMA},
            ],
            "responses": {
                "200": {"description": "an endless event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                "400": {"description": "bad Last-Event-ID or unknown game"},
                "503": {"description": "too many streams or Redis unreachable; poll instead"},
            },
        }
    }
}
