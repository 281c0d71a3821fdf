"""Daily session starts in a chat's own timezone: parsing and what is due when.

Pure functions of (schedules, timezone, now); the bot's scheduler loop calls
`due()` with its injected clock and fires each reminder and start once (a
Redis marker per chat, local date and time decides the one replica that acts).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

REMIND_BEFORE = timedelta(minutes=5)
START_GRACE = timedelta(minutes=10)  # a start missed by a restart still fires within this
_HHMM = re.compile(r"^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$")


def parse_hhmm(text: str) -> str:
    """Return a time of day as "HH:MM", or raise ValueError."""
    m = _HHMM.match(text or "")
    if not m:
        raise ValueError(f"not a time of day (HH:MM, 00:00-23:59): {text!r}")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()
            if "/" in name or name == "UTC"}


def parse_timezone(text: str) -> str:
    """Return the canonical IANA name of a timezone like Asia/Kolkata, or raise ValueError."""
    name = _zones().get((text or "").strip().lower())
    if name is None:
        raise ValueError(f"unknown timezone {text!r}; use an IANA name like Europe/London")
    return name


def local_now(now: datetime, tz: str) -> datetime:
    """Return `now` (aware) in the chat's timezone."""
    return now.astimezone(ZoneInfo(tz))


def local_day(now: datetime, tz: str) -> str:
    """Return the chat's local date (ISO) at `now`: day counters roll over at its midnight."""
    return local_now(now, tz).date().isoformat()


@dataclass(frozen=True)
class Due:
    kind: str  # "remind" or "start"
    hhmm: str
    local_day: str  # the local date of the start being announced or made
    starts_at: datetime  # aware, in the chat's timezone


def start_instant(day: date, hhmm: str, tz: str) -> datetime:
    """Return the aware instant of a local wall-clock time on a local date."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))


def due(schedules: list[str], tz: str, now: datetime) -> list[Due]:
    """Return the reminders (5 minutes before) and starts (within the grace) due at `now`."""
    today = local_now(now, tz).date()
    out = []
    for hhmm in schedules:
        # A start just after local midnight is reminded on the previous local day.
        for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
            at = start_instant(day, hhmm, tz)
            if at - REMIND_BEFORE <= now < at:
                out.append(Due("remind", hhmm, day.isoformat(), at))
            elif at <= now < at + START_GRACE:
                out.append(Due("start", hhmm, day.isoformat(), at))
    return out
