"""A fast, injected clock: waits advance virtual time instead of sleeping."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self.t = start or datetime(2026, 1, 1, 0, 0, 30, tzinfo=timezone.utc)
        self.waits: list[float] = []

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        self.waits.append(seconds)
        self.advance(seconds)
