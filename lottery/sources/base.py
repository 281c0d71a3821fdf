"""What a draw source is: something that yields settled draws."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Protocol

from lottery.games import Draw, Game

__all__ = ["Draw", "Source", "SourceError", "make_draw", "parse_drawn_at"]


class SourceError(RuntimeError):
    """The source could not be read this time (the worker retries next period)."""


class Source(Protocol):
    """A source of settled draws for one or more games."""

    name: str

    def fetch(self, game: Game, after_issue: str | None, until_issue: str,
              now: datetime) -> list[Draw]:
        """Return settled draws newer than `after_issue` up to `until_issue`, oldest first."""
        ...

    def can_backfill(self) -> bool:
        """Return True when any past issue can be asked for (not just a recent page)."""
        ...

    def close(self) -> None:
        """Release clients (HTTP connections)."""
        ...


# -- validation shared by the sources that parse outside data (http, csv) ----------
def parse_drawn_at(value: Any) -> str:
    """Return an ISO 8601 UTC string for a timestamp, or raise ValueError.

    Accepts ISO 8601 text (a time without offset is taken as UTC) and, for JSON
    sources, epoch seconds or milliseconds.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        seconds = value / 1000.0 if abs(value) >= 1e11 else float(value)
        try:
            when = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp out of range: {value!r}") from None
        return when.isoformat()
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat()


def make_draw(game: Game, issue: Any, raw_outcome: Any, drawn_at: Any, source: str) -> Draw:
    """Return a validated Draw from raw field values, or raise ValueError with the reason."""
    if issue is None or issue == "":
        raise ValueError(f"missing issue (got {issue!r})")
    issue = game.canonical_issue(issue)  # raises ValueError naming the problem
    if raw_outcome is None or raw_outcome == "":
        raise ValueError(f"issue {issue}: missing {' and '.join(game.outcome_fields)}")
    try:
        outcome = game.parse_outcome(raw_outcome)
    except ValueError as exc:
        raise ValueError(f"issue {issue}: {exc}") from None
    if drawn_at is None or drawn_at == "":
        when = game.draw_time(issue)
        stamp = when.isoformat() if when is not None else None
    else:
        try:
            stamp = parse_drawn_at(drawn_at)
        except ValueError as exc:
            raise ValueError(f"issue {issue}: {exc}") from None
    return Draw(game=game.code, issue=issue, outcome=outcome, drawn_at=stamp, source=source)
