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

import redis

from lottery import keys
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

    def upstream(self, environment: str) -> "CachedReport":
        """Return the report in the upstream shape, converted once per report."""
        entry = self._upstream
        if entry is None:
            from lottery.report import encode, upstream_report

            # Two requests racing here convert twice and keep either copy: same bytes.
            entry = CachedReport(encode(upstream_report(json.loads(self.body), environment)))
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

    def stop(self) -> None:
        self._stop.set()

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
            threading.Thread(target=self._listen, name="prediction-cache", daemon=True).start()

    def _listen(self) -> None:
        from lottery.store.connection import pubsub_client

        backoff = 0.5
        while not self._stop.is_set():
            client = pubsub_client(self.url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(keys.EVENTS_CHANNEL)
                # Anything published while we were not listening is unknown: drop copies.
                self._entries.clear()
                self._listening.set()
                backoff = 0.5
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is None:
                        continue
                    event = json.loads(msg["data"])
                    if event.get("type") == "prediction" and event.get("game"):
                        self.refresh(event["game"])
            except (redis.RedisError, OSError, ValueError) as exc:
                log.warning("prediction cache listener lost Redis (%s); retrying",
                            type(exc).__name__)
            finally:
                self._listening.clear()
                try:
                    pubsub.close()
                    client.close()
                except Exception:  # closing a dead connection may fail; nothing to do
                    pass
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 10.0)
