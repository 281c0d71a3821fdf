"""What a draw source is: something that yields settled draws."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

from lottery.games import WinGo


@dataclass(frozen=True)
class Draw:
    """One settled draw. `issue` is kept exactly as the source gave it."""

    game: str
    issue: str
    number: int
    drawn_at: str | None = None  # ISO 8601 UTC
    source: str = "simulated"
    seed: str | None = None  # simulated source: the revealed seed (hex)
    commitment: str | None = None  # simulated source: sha256(seed), public before the draw

    def to_record(self) -> dict:
        """Return the JSON-able record stored in Redis (without the game)."""
        rec = asdict(self)
        rec.pop("game")
        return {k: v for k, v in rec.items() if v is not None}


class SourceError(RuntimeError):
    """The source could not be read this time (the worker retries next period)."""


class Source(Protocol):
    """A source of settled draws for one or more games."""

    name: str

    def fetch(self, game: WinGo, after_issue: str | None, until_issue: str,
              now: datetime) -> list[Draw]:
        """Return settled draws newer than `after_issue` up to `until_issue`, oldest first."""
        ...

    def can_backfill(self) -> bool:
        """Return True when any past issue can be asked for (not just a recent page)."""
        ...

    def close(self) -> None:
        """Release clients (HTTP connections)."""
        ...
