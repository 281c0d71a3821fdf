"""Per-process copy of each game's report bytes for the hot `/api/prediction` path.

A background listener (started lazily, so after gunicorn forks) subscribes to
the events channel and refreshes a game's copy as soon as a `prediction` event
arrives. While the listener is not connected, copies older than one second are
re-read, so a lost subscription can never serve a stale report for long.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time

from lottery import keys
from lottery.events import Listener
from lottery.reports import encode
from lottery.store.predictions import read_report

log = logging.getLogger("lottery.web.cache")
STALE_AFTER = 1.0


class CachedReport:
    __slots__ = ("body", "etag", "headers", "at", "_upstream")

    def __init__(self, body: bytes):
        self.body = body
        self.etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        # Built once per report, reused by every response.
        self.headers = {"Content-Type": "application/json", "ETag": f'"{self.etag}"',
                        "Cache-Control": "no-cache"}
        self.at = time.monotonic()
        self._upstream = None

    def view(self, convert, environment: str) -> "CachedReport":
        """Return the report as the family serves it publicly, converted once per report.

        `convert(report, environment)` is the family's public view (WinGo: the upstream
        shape); without one the stored bytes are served as they are.
        """
        if convert is None:
            return self
        entry = self._upstream
        if entry is None:
            # Two requests racing here convert twice and keep either copy: same bytes.
            entry = CachedReport(encode(convert(json.loads(self.body), environment)))
            self._upstream = entry
        return entry


class PredictionCache:
    """Report bytes and ETags per game, refreshed by pub/sub."""

    def __init__(self, connection, url: str | None):
        self.r = connection
        self.url = url
        self._entries: dict[str, CachedReport] = {}
        self._listening = threading.Event()
        self._started = False
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._pid = None
        self._thread: threading.Thread | None = None

    def get(self, game_code: str) -> CachedReport | None:
        """Return the current report of a game, or None when none is stored."""
        self._ensure_listener()
        entry = self._entries.get(game_code)
        if entry is None or (not self._listening.is_set()
                             and time.monotonic() - entry.at > STALE_AFTER):
            entry = self.refresh(game_code)
        return entry

    def refresh(self, game_code: str) -> CachedReport | None:
        """Re-read a game's report from Redis into the copy."""
        body = read_report(self.r, game_code)
        if body is None:
            self._entries.pop(game_code, None)
            return None
        entry = CachedReport(body)
        self._entries[game_code] = entry
        return entry

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the listener; return True once its thread (if any) has finished."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _ensure_listener(self) -> None:
        if self.url is None or (self._started and self._pid == os.getpid()):
            return
        with self._start_lock:
            if self._started and self._pid == os.getpid():
                return
            # After a fork the parent's thread is gone: start one in this process.
            self._pid = os.getpid()
            self._started = True
            self._listening.clear()
            self._thread = threading.Thread(target=self._listen, name="prediction-cache",
                                            daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        from lottery.store.connection import pubsub_client

        client = pubsub_client(self.url)
        try:
            Listener(lambda: client, (keys.EVENTS_CHANNEL,), self._on_message, stop=self._stop,
                     on_connected=self._connected, on_lost=self._listening.clear,
                     backoff=(0.5, 10.0), log=log).run()
        finally:
            self._listening.clear()
            client.close()

    def _connected(self) -> None:
        # Anything published while we were not listening is unknown: drop copies.
        self._entries.clear()
        self._listening.set()

    def _on_message(self, channel: str, data: bytes) -> None:
        event = json.loads(data)
        if event.get("type") == "prediction" and event.get("game"):
            self.refresh(event["game"])
