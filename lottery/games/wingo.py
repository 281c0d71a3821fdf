"""WinGo rules: the one place for size, colour, payouts and issue arithmetic.

An issue string is `YYYYMMDD` + a 5-digit game code + a 4-digit sequence in
the UTC day (1 .. periods per day), 17 ASCII digits and nothing else. Period `n` of a day covers
[midnight + (n-1)*period, midnight + n*period) and settles at its end. The next
issue always comes from this clock (it rolls over at UTC midnight), never from
`int(issue) + 1`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

DIGITS = tuple(range(10))
SERVICE_FEE = 0.02
CONTRACT_FACTOR = 1.0 - SERVICE_FEE  # the contract amount is 0.98 x stake

BIG, SMALL = "Big", "Small"
RED, GREEN, VIOLET = "Red", "Green", "Violet"
SIZES = (BIG, SMALL)
COLORS = (RED, GREEN, VIOLET)
# Every bet the payout table knows: the sizes, the colours and each digit.
BETS = SIZES + COLORS + tuple(str(d) for d in DIGITS)

_EPOCH = date(1970, 1, 1)
ISSUE_LENGTH = 17  # YYYYMMDD + 5-digit game code + 4-digit sequence


def size(digit: int) -> str:
    """Return Big for 5-9 and Small for 0-4."""
    _check_digit(digit)
    return BIG if digit >= 5 else SMALL


def colors(digit: int) -> tuple[str, ...]:
    """Return the colours of a digit: primary first, then Violet for 0 and 5."""
    _check_digit(digit)
    primary = GREEN if digit % 2 == 1 else RED
    return (primary, VIOLET) if digit in (0, 5) else (primary,)


def primary_color(digit: int) -> str:
    """Return Red or Green, the colour a Red/Green prediction is scored on."""
    return colors(digit)[0]


def payout_multiplier(bet: str, digit: int) -> float:
    """Return what one unit of contract returns for `bet` on `digit` (0 when it loses)."""
    _check_digit(digit)
    if bet in SIZES:
        return 2.0 if size(digit) == bet else 0.0
    if bet == GREEN:
        return 0.0 if GREEN not in colors(digit) else (1.5 if digit == 5 else 2.0)
    if bet == RED:
        return 0.0 if RED not in colors(digit) else (1.5 if digit == 0 else 2.0)
    if bet == VIOLET:
        return 4.5 if digit in (0, 5) else 0.0
    if bet in BETS:  # a single number
        return 9.0 if int(bet) == digit else 0.0
    raise ValueError(f"unknown bet {bet!r}; expected one of {', '.join(BETS)}")


def settle(bet: str, stake: float, digit: int) -> float:
    """Return the amount paid back for `stake` on `bet` (fee taken first; 0 on a loss)."""
    return stake * CONTRACT_FACTOR * payout_multiplier(bet, digit)


def expected_return(bet: str) -> float:
    """Return the expected amount paid back per unit staked on fair digits."""
    return sum(settle(bet, 1.0, d) for d in DIGITS) / len(DIGITS)


def best_multiplier(bet: str) -> float:
    """Return the usual winning multiplier of a bet (its break-even base)."""
    return max(payout_multiplier(bet, d) for d in DIGITS)


def break_even_rate(bet: str) -> float:
    """Return the hit rate at which the usual payout of `bet` breaks even after the fee."""
    return 1.0 / (CONTRACT_FACTOR * best_multiplier(bet))


def _check_digit(digit: int) -> None:
    if not isinstance(digit, int) or isinstance(digit, bool) or not 0 <= digit <= 9:
        raise ValueError(f"a WinGo outcome is a digit 0-9, got {digit!r}")


@dataclass(frozen=True)
class WinGo:
    """One WinGo variant: its code, period and issue clock."""

    code: str
    period_seconds: int
    game_code: str  # the 5 digits between date and sequence in upstream issues

    family = "wingo"
    outcomes = DIGITS

    @property
    def periods_per_day(self) -> int:
        return 86_400 // self.period_seconds

    # -- issue arithmetic --------------------------------------------------
    def make_issue(self, day: date, seq: int) -> str:
        """Return the issue string of period `seq` of UTC `day`."""
        if not 1 <= seq <= self.periods_per_day:
            raise ValueError(f"sequence {seq} outside 1..{self.periods_per_day}")
        return f"{day:%Y%m%d}{self.game_code}{seq:04d}"

    def parse_issue(self, issue: str) -> tuple[date, int]:
        """Return (UTC date, sequence) of an issue string, or raise ValueError."""
        # ASCII digits only ("٢".isdigit() is True too) and exactly YYYYMMDD + 5-digit game
        # code + 4-digit sequence: other spellings of one period would be stored apart.
        if (not isinstance(issue, str) or len(issue) != ISSUE_LENGTH or not issue.isascii()
                or not issue.isdigit()):
            raise ValueError(f"not a {self.code} issue number (17 ASCII digits: YYYYMMDD, "
                             f"a 5-digit game code, a 4-digit sequence): {issue!r}")
        try:
            # int slicing instead of strptime: this runs several times per stored draw.
            day = date(int(issue[:4]), int(issue[4:6]), int(issue[6:8]))
        except ValueError:
            raise ValueError(f"issue {issue!r} does not start with a valid YYYYMMDD date") from None
        seq = int(issue[-4:])
        if not 1 <= seq <= self.periods_per_day:
            raise ValueError(f"issue {issue!r}: sequence {seq} outside 1..{self.periods_per_day}")
        return day, seq

    def issue_ordinal(self, issue: str) -> int:
        """Return a whole number that orders issues by (date, sequence), one per period."""
        day, seq = self.parse_issue(issue)
        return (day - _EPOCH).days * self.periods_per_day + (seq - 1)

    def issue_from_ordinal(self, ordinal: int) -> str:
        """Return the canonical issue string of a period ordinal."""
        days, rest = divmod(ordinal, self.periods_per_day)
        return self.make_issue(_EPOCH + timedelta(days=days), rest + 1)

    def next_issue(self, issue: str) -> str:
        """Return the issue after `issue` by the period clock (rolls over at UTC midnight)."""
        return self.issue_from_ordinal(self.issue_ordinal(issue) + 1)

    def previous_issue(self, issue: str) -> str:
        """Return the issue before `issue` by the period clock."""
        return self.issue_from_ordinal(self.issue_ordinal(issue) - 1)

    def issue_at(self, when: datetime) -> str:
        """Return the issue whose period contains the instant `when` (the open issue)."""
        when = _utc(when)
        midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
        seq = int((when - midnight).total_seconds() // self.period_seconds) + 1
        return self.make_issue(midnight.date(), seq)

    def period_start(self, issue: str) -> datetime:
        """Return the UTC instant the period of `issue` opens."""
        day, seq = self.parse_issue(issue)
        midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        return midnight + timedelta(seconds=(seq - 1) * self.period_seconds)

    def draw_time(self, issue: str) -> datetime:
        """Return the UTC instant `issue` is drawn (the end of its period)."""
        return self.period_start(issue) + timedelta(seconds=self.period_seconds)

    def last_settled_issue(self, when: datetime) -> str:
        """Return the newest issue already drawn at `when`."""
        return self.previous_issue(self.issue_at(when))

    def seconds_to_next_draw(self, when: datetime) -> float:
        """Return the seconds from `when` until the open issue is drawn."""
        return (self.draw_time(self.issue_at(when)) - _utc(when)).total_seconds()

    # -- outcome rules (delegating to the module functions) -----------------
    def describe(self, digit: int) -> dict:
        """Return the outcome's digit, size and colours as the API shows them."""
        return {"number": digit, "size": size(digit), "color": primary_color(digit),
                "colors": list(colors(digit))}

    def parse_outcome(self, raw) -> int:
        """Return the digit of a raw outcome (int or string), or raise ValueError."""
        if isinstance(raw, bool):
            raise ValueError(f"not a digit: {raw!r}")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) == 1:
            value = int(raw.strip())
        else:
            raise ValueError(f"not a digit 0-9: {raw!r}")
        _check_digit(value)
        return value


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return when.astimezone(timezone.utc)


VARIANTS = {
    "WinGo_30S": WinGo("WinGo_30S", 30, "10005"),
    "WinGo_1M": WinGo("WinGo_1M", 60, "10001"),
    "WinGo_3M": WinGo("WinGo_3M", 180, "10002"),
    "WinGo_5M": WinGo("WinGo_5M", 300, "10003"),
}
