"""Issue clocks: a fixed period, a draw calendar, or feed-driven rounds.

Every schedule orders issues by a whole-number ordinal (one per period, draw
date or round, consecutive), so gaps are found by counting and the next issue
comes from the clock, never from `int(issue) + 1` of the issue string.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol
from zoneinfo import ZoneInfo

_EPOCH = date(1970, 1, 1)


class Schedule(Protocol):
    """What every issue clock answers."""

    kind: str  # "period", "calendar" or "rounds"

    def parse_issue(self, issue: str) -> Any:
        """Return the parsed issue, or raise ValueError."""

    def canonical_issue(self, issue: Any) -> str:
        """Return the canonical issue string of a raw id, or raise ValueError."""

    def ordinal(self, issue: str) -> int:
        """Return the issue's ordinal (consecutive issues differ by one)."""

    def from_ordinal(self, ordinal: int) -> str:
        """Return the canonical issue of an ordinal."""

    def open_issue(self, when: datetime) -> str | None:
        """Return the issue open for predictions at `when` (None: the feed decides)."""

    def last_settled(self, when: datetime) -> str | None:
        """Return the newest issue drawn by `when` (None: the feed decides)."""

    def draw_time(self, issue: str) -> datetime | None:
        """Return the UTC instant of an issue's draw (None: the feed decides)."""

    def seconds_to_next_draw(self, when: datetime) -> float | None:
        """Return the seconds until the open issue is drawn (None: unknown)."""

    def next_wake(self, when: datetime, poll_seconds: float) -> float:
        """Return the seconds a worker should sleep before looking for the next draw."""

    def retry_seconds(self) -> float:
        """Return the seconds before asking a source again for a draw it has not delivered."""

    def waiting_for_source(self, when: datetime) -> bool:
        """Return True while it is early enough to wait for the newest draw before predicting."""

    def chain_id(self, issue: str) -> str:
        """Return the id of the simulated seed chain an issue belongs to."""

    def chain_span(self, issue: str) -> tuple[int, int]:
        """Return the first and last ordinal of the seed chain an issue belongs to."""


def utc(when: datetime) -> datetime:
    """Return an aware datetime in UTC, or raise ValueError for a naive one."""
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return when.astimezone(timezone.utc)


def _ascii_digits(issue: Any, what: str) -> str:
    if isinstance(issue, int) and not isinstance(issue, bool):
        issue = str(issue)
    if not isinstance(issue, str):
        raise ValueError(f"not a valid {what}: {issue!r}")
    issue = issue.strip()
    # str.isdigit() is true for every script's digits and for superscripts: ASCII only.
    if not issue or not issue.isascii() or not issue.isdigit():
        raise ValueError(f"not a valid {what}: {issue!r}")
    return issue


@dataclass(frozen=True)
class PeriodSchedule:
    """A fixed period clock: `YYYYMMDD` + a game code + the period's 4-digit sequence in the UTC day.

    Period `n` of a day covers [midnight + (n-1)*period, midnight + n*period) and
    settles at its end; the sequence rolls over at UTC midnight.
    """

    period_seconds: int
    game_code: str  # the digits between date and sequence in the upstream platform's issues
    kind = "period"

    @property
    def periods_per_day(self) -> int:
        return 86_400 // self.period_seconds

    def make_issue(self, day: date, seq: int) -> str:
        """Return the issue string of period `seq` of UTC `day`."""
        if not 1 <= seq <= self.periods_per_day:
            raise ValueError(f"sequence {seq} outside 1..{self.periods_per_day}")
        return f"{day:%Y%m%d}{self.game_code}{seq:04d}"

    def parse_issue(self, issue: str) -> tuple[date, int]:
        """Return (UTC date, sequence) of an issue string, or raise ValueError."""
        # ASCII digits only ("٢".isdigit() is True too) and exactly YYYYMMDD + the game code's
        # length + a 4-digit sequence: other spellings of one period would be stored apart.
        length = 8 + len(self.game_code) + 4
        if (not isinstance(issue, str) or len(issue) != length or not issue.isascii()
                or not issue.isdigit()):
            raise ValueError(f"not an issue number of this game ({length} ASCII digits: "
                             f"YYYYMMDD, a {len(self.game_code)}-digit game code, a 4-digit "
                             f"sequence): {issue!r}")
        try:
            # int slicing instead of strptime: this runs several times per stored draw.
            day = date(int(issue[:4]), int(issue[4:6]), int(issue[6:8]))
        except ValueError:
            raise ValueError(f"issue {issue!r} does not start with a valid YYYYMMDD date") from None
        seq = int(issue[-4:])
        if not 1 <= seq <= self.periods_per_day:
            raise ValueError(f"issue {issue!r}: sequence {seq} outside 1..{self.periods_per_day}")
        return day, seq

    def canonical_issue(self, issue: Any) -> str:
        if isinstance(issue, int) and not isinstance(issue, bool):
            issue = str(issue)  # some platforms send issue numbers as JSON numbers
        issue = issue.strip() if isinstance(issue, str) else issue
        self.parse_issue(issue)  # names what is wrong: ASCII digits, length, date, sequence
        return issue

    def ordinal(self, issue: str) -> int:
        day, seq = self.parse_issue(issue)
        return (day - _EPOCH).days * self.periods_per_day + (seq - 1)

    def from_ordinal(self, ordinal: int) -> str:
        days, rest = divmod(ordinal, self.periods_per_day)
        return self.make_issue(_EPOCH + timedelta(days=days), rest + 1)

    def open_issue(self, when: datetime) -> str:
        when = utc(when)
        midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
        seq = int((when - midnight).total_seconds() // self.period_seconds) + 1
        return self.make_issue(midnight.date(), seq)

    def last_settled(self, when: datetime) -> str:
        return self.from_ordinal(self.ordinal(self.open_issue(when)) - 1)

    def period_start(self, issue: str) -> datetime:
        """Return the UTC instant the period of `issue` opens."""
        day, seq = self.parse_issue(issue)
        midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        return midnight + timedelta(seconds=(seq - 1) * self.period_seconds)

    def draw_time(self, issue: str) -> datetime:
        return self.period_start(issue) + timedelta(seconds=self.period_seconds)

    def seconds_to_next_draw(self, when: datetime) -> float:
        return (self.draw_time(self.open_issue(when)) - utc(when)).total_seconds()

    def next_wake(self, when: datetime, poll_seconds: float) -> float:
        return max(0.0, self.seconds_to_next_draw(when) + poll_seconds)

    def retry_seconds(self) -> float:
        return min(5.0, self.period_seconds / 6)

    def waiting_for_source(self, when: datetime) -> bool:
        # Predict without the newest draw only in the second half of the period.
        return self.seconds_to_next_draw(when) > self.period_seconds / 2

    def chain_id(self, issue: str) -> str:
        # One seed chain per UTC day.
        return issue[:8]

    def chain_span(self, issue: str) -> tuple[int, int]:
        first = self.ordinal(issue) - (self.parse_issue(issue)[1] - 1)
        return first, first + self.periods_per_day - 1


@dataclass(frozen=True)
class CalendarEra:
    """From `start` on, draws happen on these weekdays (Monday = 0)."""

    start: date
    weekdays: tuple[int, ...]


@dataclass(frozen=True)
class CalendarSchedule:
    """Draws on set weekdays at a local time of day; an issue is the draw date `YYYY-MM-DD`.

    The ordinal counts draw days since the first era's start, so consecutive
    draws differ by one whatever the weekdays (eras may add or drop a weekday).
    """

    eras: tuple[CalendarEra, ...]  # oldest first
    draw_clock: time  # local time of the draw
    tz: str  # IANA time zone of the draw time
    kind = "calendar"

    def parse_issue(self, issue: str) -> date:
        if not isinstance(issue, str) or not issue.isascii():
            raise ValueError(f"not a draw date (YYYY-MM-DD): {issue!r}")
        try:
            day = date.fromisoformat(issue.strip())
        except ValueError:
            raise ValueError(f"not a draw date (YYYY-MM-DD): {issue!r}") from None
        if not self.is_draw_day(day):
            raise ValueError(f"{day.isoformat()} is not a draw date of this game "
                             f"({self.describe_days(day)})")
        return day

    def canonical_issue(self, issue: Any) -> str:
        if isinstance(issue, date):
            issue = issue.isoformat()
        return self.parse_issue(issue).isoformat()

    def _era(self, day: date) -> CalendarEra | None:
        found = None
        for era in self.eras:
            if day >= era.start:
                found = era
        return found

    def is_draw_day(self, day: date) -> bool:
        """Return True when `day` is a draw date by the calendar of its era."""
        era = self._era(day)
        return era is not None and day.weekday() in era.weekdays

    def describe_days(self, day: date) -> str:
        """Return the draw weekdays in force on `day`, in words."""
        era = self._era(day)
        if era is None:
            return f"draws start on {self.eras[0].start.isoformat()}"
        names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        return "draws on " + ", ".join(names[w] for w in sorted(era.weekdays))

    @staticmethod
    def _count(weekdays: tuple[int, ...], start: date, end: date) -> int:
        """Return how many days in [start, end) fall on `weekdays`."""
        days = (end - start).days
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        n = weeks * len(weekdays)
        first = start.weekday()
        n += sum(1 for i in range(rest) if (first + i) % 7 in weekdays)
        return n

    def ordinal(self, issue: str) -> int:
        day = self.parse_issue(issue)
        total = 0
        for i, era in enumerate(self.eras):
            end = self.eras[i + 1].start if i + 1 < len(self.eras) else None
            if end is not None and day >= end:
                total += self._count(era.weekdays, era.start, end)
            else:
                return total + self._count(era.weekdays, era.start, day)
        raise AssertionError("unreachable")

    def from_ordinal(self, ordinal: int) -> str:
        if ordinal < 0:
            raise ValueError("no draw before the calendar starts")
        remaining = ordinal
        for i, era in enumerate(self.eras):
            end = self.eras[i + 1].start if i + 1 < len(self.eras) else None
            in_era = self._count(era.weekdays, era.start, end) if end else None
            if in_era is not None and remaining >= in_era:
                remaining -= in_era
                continue
            weeks, rest = divmod(remaining, len(era.weekdays))
            day = era.start + timedelta(weeks=weeks)
            while True:  # at most 7 steps to the rest-th draw day of that week
                if day.weekday() in era.weekdays:
                    if rest == 0:
                        return day.isoformat()
                    rest -= 1
                day += timedelta(days=1)
        raise AssertionError("unreachable")

    def draw_time(self, issue: str) -> datetime:
        day = self.parse_issue(issue)
        local = datetime.combine(day, self.draw_clock, tzinfo=ZoneInfo(self.tz))
        return local.astimezone(timezone.utc)

    def open_issue(self, when: datetime) -> str:
        when = utc(when)
        day = when.astimezone(ZoneInfo(self.tz)).date() - timedelta(days=1)
        while not (self.is_draw_day(day) and self.draw_time(day.isoformat()) > when):
            day += timedelta(days=1)
        return day.isoformat()

    def last_settled(self, when: datetime) -> str:
        return self.from_ordinal(self.ordinal(self.open_issue(when)) - 1)

    def seconds_to_next_draw(self, when: datetime) -> float:
        return (self.draw_time(self.open_issue(when)) - utc(when)).total_seconds()

    def next_wake(self, when: datetime, poll_seconds: float) -> float:
        # Results appear some time after the draw; never sleep past a day so a
        # restarted source or an import is noticed.
        return max(0.0, min(self.seconds_to_next_draw(when) + poll_seconds, 3600.0))

    def retry_seconds(self) -> float:
        return 60.0  # results of a calendar draw are published minutes to hours after it

    def waiting_for_source(self, when: datetime) -> bool:
        return self.seconds_to_next_draw(when) > 86_400  # a day before the next draw: predict

    def chain_id(self, issue: str) -> str:
        return issue[:4]  # one seed chain per year

    def chain_span(self, issue: str) -> tuple[int, int]:
        year = self.parse_issue(issue).year
        return (self.ordinal(self._first_draw_from(date(year, 1, 1))),
                self.ordinal(self._first_draw_from(date(year + 1, 1, 1))) - 1)

    def _first_draw_from(self, day: date) -> str:
        day = max(day, self.eras[0].start)
        while not self.is_draw_day(day):
            day += timedelta(days=1)
        return day.isoformat()


@dataclass(frozen=True)
class RoundSchedule:
    """Feed-driven rounds: each has a whole-number id, one after another, no fixed clock."""

    poll_seconds: float = 1.0
    kind = "rounds"

    def parse_issue(self, issue: str) -> int:
        return int(_ascii_digits(issue, "round id"))

    def canonical_issue(self, issue: Any) -> str:
        return str(self.parse_issue(issue))

    def ordinal(self, issue: str) -> int:
        return self.parse_issue(issue)

    def from_ordinal(self, ordinal: int) -> str:
        if ordinal < 0:
            raise ValueError("round ids are not negative")
        return str(ordinal)

    def open_issue(self, when: datetime) -> None:
        return None

    def last_settled(self, when: datetime) -> None:
        return None

    def draw_time(self, issue: str) -> None:
        return None

    def seconds_to_next_draw(self, when: datetime) -> None:
        return None

    def next_wake(self, when: datetime, poll_seconds: float) -> float:
        return max(poll_seconds, self.poll_seconds) if poll_seconds > 0 else self.poll_seconds

    def retry_seconds(self) -> float:
        return self.poll_seconds

    def waiting_for_source(self, when: datetime) -> bool:
        return False

    def chain_id(self, issue: str) -> str:
        return ""  # one hash chain for every round

    def chain_span(self, issue: str) -> tuple[int, int]:
        raise NotImplementedError("a round feed's chain is the feed's own")
