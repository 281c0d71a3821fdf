"""Pick lotteries (Powerball, EuroMillions): the family as data, with its exact maths.

A pick lottery draws `whites` distinct balls from 1..white_max and `bonus`
distinct balls from 1..bonus_max. Matrix, ticket price and prize table change
over time in dated eras; an era is chosen by the draw date, never by the range
of the numbers. An issue is the draw date `YYYY-MM-DD` on the game's calendar
(`CalendarSchedule`). An outcome is `(whites, bonus)`, two sorted tuples.

Every chance here is exact (`fractions.Fraction`): prize odds, the
hypergeometric number of matched whites, pair and triplet rates, the sum of
the whites and the odd/even split. Nothing here knows a jackpot amount: it is
always a parameter.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from fractions import Fraction
from typing import Any, Iterable, Iterator, Mapping, Sequence

from lottery.games.base import Game, Market, PageConfig, _load
from lottery.games.schedule import CalendarEra, CalendarSchedule

Outcome = tuple[tuple[int, ...], tuple[int, ...]]


class PickOutcome(tuple):
    """An outcome `(whites, bonus)` that remembers the start of its draw date's era.

    The seam scores and audits outcomes without their issue; the era travels
    with the outcome (and in the stored record) so the prize table and the
    matrix are always the draw date's, never guessed from the numbers. It is
    equal to the plain tuple of its balls.
    """

    era: date | None

    def __new__(cls, whites: Sequence[int], bonus: Sequence[int] | None = None,
                era: date | None = None):
        if bonus is None:  # built from one iterable of the two parts (copy.deepcopy, asdict)
            whites, bonus = whites
        self = super().__new__(cls, (tuple(whites), tuple(bonus)))
        self.era = era
        return self

    def __getnewargs__(self):
        return self[0], self[1], self.era


# -- the family as data -------------------------------------------------------------
@dataclass(frozen=True)
class Tier:
    """One prize tier: `whites` + `bonus` balls matched pays `prize` per ticket.

    `prize` is None for the jackpot (always a parameter) and for pari-mutuel
    tiers, whose amount is announced after each draw.
    """

    whites: int
    bonus: int
    prize: float | None
    jackpot: bool = False

    @property
    def name(self) -> str:
        return f"{self.whites}+{self.bonus}"


@dataclass(frozen=True)
class Era:
    """From `start` on: the matrix, the ticket price and the prize table (best tier first)."""

    start: date
    whites: int  # balls drawn from 1..white_max
    white_max: int
    bonus: int  # balls drawn from 1..bonus_max (a separate drum)
    bonus_max: int
    price: float
    tiers: tuple[Tier, ...]
    # Pari-mutuel games: the share of sales paid back as prizes over time (jackpot included).
    prize_fund_rate: float | None = None

    def tier(self, white_matches: int, bonus_matches: int) -> Tier | None:
        """Return the tier a ticket with these matches wins, or None."""
        for t in self.tiers:
            if t.whites == white_matches and t.bonus == bonus_matches:
                return t
        return None

    @property
    def combinations(self) -> int:
        """Return the number of distinct tickets (the jackpot's odds, 1 in this)."""
        return math.comb(self.white_max, self.whites) * math.comb(self.bonus_max, self.bonus)

    @property
    def matrix(self) -> str:
        return f"{self.whites}/{self.white_max} + {self.bonus}/{self.bonus_max}"


def _fixed(table: Sequence[tuple[int, int, float | None]]) -> tuple[Tier, ...]:
    return tuple(Tier(w, b, p, jackpot=(i == 0)) for i, (w, b, p) in enumerate(table))


# Powerball's fixed prizes (without Power Play), by era. Sources: the operators'
# published prize charts for each matrix.
_PB_2015 = _fixed([(5, 1, None), (5, 0, 1_000_000), (4, 1, 50_000), (4, 0, 100), (3, 1, 100),
                   (3, 0, 7), (2, 1, 7), (1, 1, 4), (0, 1, 4)])
_PB_2012 = _fixed([(5, 1, None), (5, 0, 1_000_000), (4, 1, 10_000), (4, 0, 100), (3, 1, 100),
                   (3, 0, 7), (2, 1, 7), (1, 1, 4), (0, 1, 4)])
_PB_2009 = _fixed([(5, 1, None), (5, 0, 200_000), (4, 1, 10_000), (4, 0, 100), (3, 1, 100),
                   (3, 0, 7), (2, 1, 7), (1, 1, 4), (0, 1, 3)])

POWERBALL_ERAS = (
    # 5/59 + 1/39 at $1 from the draw of 2009-01-07; earlier matrices are not supported.
    Era(date(2009, 1, 7), 5, 59, 1, 39, 1.0, _PB_2009),
    # Price doubled and the red drum shrank for sales from 2012-01-15 (first draw 01-18).
    Era(date(2012, 1, 15), 5, 59, 1, 35, 2.0, _PB_2012),
    Era(date(2015, 10, 7), 5, 69, 1, 26, 2.0, _PB_2015),
)
POWERBALL_CALENDAR = CalendarSchedule(
    eras=(CalendarEra(date(2009, 1, 7), (2, 5)),  # Wednesday, Saturday
          CalendarEra(date(2021, 8, 23), (0, 2, 5))),  # Monday added
    draw_clock=time(22, 59), tz="America/New_York")

# EuroMillions is pari-mutuel: each tier shares a slice of the prize fund, so no
# tier has a fixed amount; half of sales go to the common prize fund.
_EM_TIERS_13 = tuple(Tier(w, b, None, jackpot=(w, b) == (5, 2)) for w, b in
                     [(5, 2), (5, 1), (5, 0), (4, 2), (4, 1), (3, 2), (4, 0), (2, 2), (3, 1),
                      (3, 0), (1, 2), (2, 1), (2, 0)])
_EM_TIERS_12 = tuple(t for t in _EM_TIERS_13 if (t.whites, t.bonus) != (2, 0))
EUROMILLIONS_ERAS = (
    Era(date(2004, 2, 13), 5, 50, 2, 9, 2.0, _EM_TIERS_12, prize_fund_rate=0.5),
    # 2011-05-10: Tuesday draws added, 11 lucky stars, a 13th tier (2+0).
    Era(date(2011, 5, 10), 5, 50, 2, 11, 2.0, _EM_TIERS_13, prize_fund_rate=0.5),
    # 2016-09-24: 12 lucky stars and EUR 2.50 a line (the price varies by country).
    Era(date(2016, 9, 24), 5, 50, 2, 12, 2.5, _EM_TIERS_13, prize_fund_rate=0.5),
)
EUROMILLIONS_CALENDAR = CalendarSchedule(
    eras=(CalendarEra(date(2004, 2, 13), (4,)),  # Friday
          CalendarEra(date(2011, 5, 10), (1, 4))),  # Tuesday and Friday
    # Paris, about 21:00 today (20:45 in earlier years); one local time serves both.
    draw_clock=time(21, 0), tz="Europe/Paris")


# -- exact maths under the fair null ----------------------------------------------------
def hypergeom(total: int, good: int, drawn: int, k: int) -> Fraction:
    """Return P(exactly k of `good` marked balls among `drawn` of `total`)."""
    if k < 0 or k > good or k > drawn or drawn - k > total - good:
        return Fraction(0)
    return Fraction(math.comb(good, k) * math.comb(total - good, drawn - k),
                    math.comb(total, drawn))


def white_match_distribution(era: Era) -> list[Fraction]:
    """Return P(a ticket matches k whites) for k = 0..whites (hypergeometric)."""
    return [hypergeom(era.white_max, era.whites, era.whites, k) for k in range(era.whites + 1)]


def bonus_match_distribution(era: Era) -> list[Fraction]:
    """Return P(a ticket matches k bonus balls) for k = 0..bonus."""
    return [hypergeom(era.bonus_max, era.bonus, era.bonus, k) for k in range(era.bonus + 1)]


def mean_white_matches(era: Era) -> Fraction:
    """Return the expected number of whites a ticket matches (k*k/N)."""
    return Fraction(era.whites * era.whites, era.white_max)


def tier_probability(era: Era, tier: Tier) -> Fraction:
    """Return the exact chance one ticket wins exactly this tier."""
    return (hypergeom(era.white_max, era.whites, era.whites, tier.whites)
            * hypergeom(era.bonus_max, era.bonus, era.bonus, tier.bonus))


def prize_odds(era: Era) -> list[tuple[Tier, Fraction]]:
    """Return each tier with its exact chance, best tier first."""
    return [(t, tier_probability(era, t)) for t in era.tiers]


def any_prize_probability(era: Era) -> Fraction:
    """Return the exact chance one ticket wins any tier."""
    return sum((p for _, p in prize_odds(era)), Fraction(0))


def ball_frequency(era: Era) -> tuple[Fraction, Fraction]:
    """Return P(a given white ball is drawn), P(a given bonus ball is drawn) per draw."""
    return Fraction(era.whites, era.white_max), Fraction(era.bonus, era.bonus_max)


def subset_probability(era: Era, size: int) -> Fraction:
    """Return P(a given set of `size` whites is all among one draw's whites)."""
    if not 0 <= size <= era.whites:
        return Fraction(0)
    return Fraction(math.comb(era.white_max - size, era.whites - size),
                    math.comb(era.white_max, era.whites))


def sum_distribution(era: Era) -> dict[int, Fraction]:
    """Return the exact distribution of the sum of the whites (counting subsets by DP)."""
    k, n = era.whites, era.white_max
    top = k * n
    # ways[j][s]: subsets of the balls seen so far with j balls summing to s.
    ways = [[0] * (top + 1) for _ in range(k + 1)]
    ways[0][0] = 1
    for ball in range(1, n + 1):
        for j in range(min(k, ball), 0, -1):
            row, prev = ways[j], ways[j - 1]
            for s in range(top, ball - 1, -1):
                if prev[s - ball]:
                    row[s] += prev[s - ball]
    total = math.comb(n, k)
    return {s: Fraction(c, total) for s, c in enumerate(ways[k]) if c}


def odd_count_distribution(era: Era) -> list[Fraction]:
    """Return P(exactly j of the whites are odd) for j = 0..whites."""
    odd = (era.white_max + 1) // 2
    return [hypergeom(era.white_max, odd, era.whites, j) for j in range(era.whites + 1)]


def gap_probability(p: float | Fraction, gap: int) -> Fraction | float:
    """Return P(a ball drawn with chance p per draw is next drawn after exactly `gap` misses)."""
    if gap < 0:
        raise ValueError("a gap is a whole number of draws >= 0")
    return (1 - p) ** gap * p


# -- unbiased selection for the fair feed --------------------------------------------------
def hmac_stream(seed: bytes, message: str) -> Iterator[int]:
    """Yield the bytes of HMAC_SHA256(seed, f'{message}:{counter}') for counter = 0, 1, ..."""
    counter = 0
    while True:
        yield from hmac.new(seed, f"{message}:{counter}".encode(), hashlib.sha256).digest()
        counter += 1


def uniform_below(stream: Iterator[int], n: int) -> int:
    """Return a uniform integer in [0, n) from a byte stream, by rejection (no modulo bias)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    width = max(1, (n - 1).bit_length() + 7 >> 3)
    space = 256 ** width
    limit = space - space % n  # the largest multiple of n not above `space`
    while True:
        value = 0
        for _ in range(width):  # a loop, not a generator: StopIteration must propagate
            value = value << 8 | next(stream)
        if value < limit:
            return value % n


def draw_distinct(stream: Iterator[int], count: int, top: int) -> tuple[int, ...]:
    """Return `count` distinct balls from 1..top, each subset equally likely (sorted)."""
    pool = list(range(1, top + 1))
    picked = [pool.pop(uniform_below(stream, len(pool))) for _ in range(count)]
    return tuple(sorted(picked))


# -- the family --------------------------------------------------------------------------
def _ints(raw: Any, what: str) -> list[int]:
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    if isinstance(raw, (int, str)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        raise ValueError(f"{what} must be a list of whole numbers, got {raw!r}")
    out = []
    for v in raw:
        if isinstance(v, bool):
            raise ValueError(f"{what}: not a whole number: {v!r}")
        if isinstance(v, int):
            out.append(v)
        elif isinstance(v, float) and v.is_integer():
            out.append(int(v))
        elif isinstance(v, str) and v.strip().isascii() and v.strip().isdigit():
            out.append(int(v.strip()))
        else:
            raise ValueError(f"{what}: not a whole number: {v!r}")
    return out


@dataclass(frozen=True, eq=False)
class PickLottery(Game):
    """One pick lottery described by data: eras of matrix, price and prizes, and a calendar."""

    code: str
    label: str
    eras: tuple[Era, ...]  # oldest first
    schedule: CalendarSchedule
    currency: str = "USD"
    bonus_name: str = "bonus"  # what players call the bonus balls
    bonus_fields: tuple[str, ...] = ("bonus",)  # CSV column names of the bonus balls
    markets: tuple[Market, ...] = field(init=False, repr=False)

    family = "pick"
    outcome_fields = ("whites", "bonus")
    predictors_path = "lottery.predictors.pick:predictor_set"
    report_path = "lottery.reports.pick:REPORT"
    audit_path = "lottery.evaluation.pick_audit:audit"
    csv_path = "lottery.games.pick_csv:read_draws"
    after_predict_path = "lottery.store.pick_batches:after_predict"
    bot_path = "lottery.bot.pick_texts"
    page = PageConfig(template="pick.html", title="Pick lotteries",
                      panels=("draws", "countdown", "insights", "tickets", "checker"))
    bets = ()  # a bet is a ticket: settle(ticket, stake, outcome)

    def predictors(self):
        """Return the ticket modes of this lottery (they play its current matrix)."""
        return _load(self.predictors_path)(self)

    def __post_init__(self):
        object.__setattr__(self, "markets", self._markets(self.current_era))

    # -- eras -------------------------------------------------------------------------------
    @property
    def current_era(self) -> Era:
        return self.eras[-1]

    def history_start(self) -> str:
        """Return the first draw date of the current era: a back-fill never crosses eras."""
        day = self.current_era.start
        while not self.schedule.is_draw_day(day):
            day += timedelta(days=1)
        return day.isoformat()

    def era_for(self, day: date | str) -> Era:
        """Return the era in force on a draw date, or raise ValueError before the first."""
        if isinstance(day, str):
            day = self.schedule.parse_issue(day)
        found = None
        for era in self.eras:
            if day >= era.start:
                found = era
        if found is None:
            raise ValueError(f"{day.isoformat()} is before the first supported era of "
                             f"{self.code} ({self.eras[0].start.isoformat()})")
        return found

    def _era_of(self, issue: Any, outcome: Any = None) -> Era:
        if issue is None:
            era_start = getattr(outcome, "era", None)
            return self.era_for(era_start) if era_start is not None else self.current_era
        if isinstance(issue, date):
            return self.era_for(issue)
        return self.era_for(self.schedule.parse_issue(self.canonical_issue(issue)))

    # -- outcomes ----------------------------------------------------------------------------
    def parse_outcome(self, raw: Any, issue: Any = None) -> Outcome:
        """Return (whites, bonus) of raw input, checked against the era of `issue`.

        Raw input is a mapping with `whites` and `bonus` (or the game's bonus
        field names), or a sequence / space-separated string of the whites then
        the bonus balls. Without an issue (or a `draw_date`/`issue` key in the
        mapping) the current era applies.
        """
        if isinstance(raw, Mapping):
            issue = issue if issue is not None else (raw.get("draw_date") or raw.get("issue"))
            if issue is None and raw.get("era"):
                issue = date.fromisoformat(str(raw["era"]))  # a stored record's era
        era = self._era_of(issue)
        if (isinstance(raw, tuple) and len(raw) == 2
                and all(isinstance(part, (tuple, list)) for part in raw)):
            raw = {"whites": raw[0], "bonus": raw[1]}  # an outcome or ticket tuple
        if isinstance(raw, Mapping):
            whites = _ints(raw.get("whites"), "whites") if raw.get("whites") is not None else None
            if raw.get("bonus") is not None:
                bonus = _ints(raw["bonus"], self.bonus_name)
            elif all(raw.get(f) is not None for f in self.bonus_fields):
                bonus = [n for f in self.bonus_fields for n in _ints(raw[f], self.bonus_name)]
            else:
                bonus = None
            if whites is None or bonus is None:
                raise ValueError(f"an outcome needs whites and {self.bonus_name}")
        else:
            balls = _ints(raw, "balls")
            if len(balls) != era.whites + era.bonus:
                raise ValueError(f"expected {era.whites} whites then {era.bonus} "
                                 f"{self.bonus_name}, got {len(balls)} numbers")
            whites, bonus = balls[:era.whites], balls[era.whites:]
        whites, bonus = self.check_balls(whites, bonus, era)
        return PickOutcome(whites, bonus, era.start if issue is not None else None)

    def check_balls(self, whites: Sequence[int], bonus: Sequence[int], era: Era) -> Outcome:
        """Return the sorted outcome, or raise ValueError naming what is wrong for the era."""
        for balls, count, top, what in ((whites, era.whites, era.white_max, "white balls"),
                                        (bonus, era.bonus, era.bonus_max, self.bonus_name)):
            if len(balls) != count:
                raise ValueError(f"{what}: expected {count}, got {len(balls)} ({era.matrix} "
                                 f"since {era.start.isoformat()})")
            if len(set(balls)) != len(balls):
                raise ValueError(f"{what} must be distinct, got {sorted(balls)}")
            bad = [b for b in balls if not 1 <= b <= top]
            if bad:
                raise ValueError(f"{what} must be 1-{top} ({era.matrix} since "
                                 f"{era.start.isoformat()}), got {bad}")
        return tuple(sorted(whites)), tuple(sorted(bonus))

    def encode_outcome(self, outcome: Outcome) -> dict:
        out = {"whites": list(outcome[0]), "bonus": list(outcome[1])}
        era = getattr(outcome, "era", None)
        if era is not None:
            out["era"] = era.isoformat()
        return out

    def decode_outcome(self, record: Mapping) -> Outcome:
        era = record.get("era")
        return PickOutcome(record["whites"], record["bonus"],
                           date.fromisoformat(era) if era else None)

    def describe(self, outcome: Outcome) -> dict:
        """Return the balls as the API shows them, with the sum and the odd count of the whites."""
        whites, bonus = outcome
        return {"whites": list(whites), "bonus": list(bonus), "bonus_name": self.bonus_name,
                "sum": sum(whites), "odd": sum(1 for w in whites if w % 2)}

    def fair_outcome(self, seed: bytes, issue: str) -> Outcome:
        era = self._era_of(issue)
        stream = hmac_stream(seed, f"{self.code}:{issue}")
        whites = draw_distinct(stream, era.whites, era.white_max)
        return PickOutcome(whites, draw_distinct(stream, era.bonus, era.bonus_max), era.start)

    def fair_formula(self) -> str:
        return ("bytes = HMAC_SHA256(key=seed, msg=f'{game}:{issue}:{i}') for i = 0, 1, ... "
                "concatenated; a uniform draw below n reads ceil(log256 n) bytes as a big-endian "
                "integer v and rejects v >= 256^w - 256^w % n (no modulo bias), else takes v % n; "
                "whites: pool 1..N, pick pool.pop(uniform(len(pool))) k times, then the bonus "
                "balls likewise from their own pool; the era (matrix) is chosen by the draw "
                "date; commitment = SHA256(seed) published before the draw; "
                "SHA256(seed of draw n) = seed of draw n-1 (one chain per year)")

    # -- tickets and markets --------------------------------------------------------------------
    def parse_ticket(self, raw: Any, issue: Any = None) -> Outcome:
        """Return a ticket (same shape as an outcome), or raise ValueError."""
        if isinstance(raw, Mapping) and "ticket" in raw:
            raw = raw["ticket"]
        return self.parse_outcome(raw, issue)

    def _markets(self, era: Era) -> tuple[Market, ...]:
        p_white = 1 - white_match_distribution(era)[0]
        p_bonus = 1 - bonus_match_distribution(era)[0]
        p_prize = any_prize_probability(era)
        # A ticket's matches pay nothing by themselves: no hit rate makes money.
        markets = [
            Market("white_match", "At least one white ball", float(p_white), 1.0, pays=False),
            Market("bonus_match", f"{self.bonus_name} matched", float(p_bonus), 1.0, pays=False),
        ]
        fixed = all(t.prize is not None for t in era.tiers if not t.jackpot)
        if fixed:
            # Break-even prize rate with the fair null's mix of tiers, jackpot excluded.
            per_win = sum(p * t.prize for t, p in prize_odds(era) if not t.jackpot) / p_prize
            markets.append(Market("prize", "Any prize", float(p_prize),
                                  min(1.0, era.price / float(per_win)),
                                  pays=era.price / float(per_win) < 1.0))
        else:
            markets.append(Market("prize", "Any prize", float(p_prize), 1.0, pays=False))
        return tuple(markets)

    def normalise_prediction(self, prediction: Any) -> dict:
        raw = prediction.to_dict() if hasattr(prediction, "to_dict") else prediction
        if not isinstance(raw, Mapping):
            raw = {"ticket": raw}
        whites, bonus = self.parse_ticket(raw.get("ticket") or
                                          {"whites": raw.get("whites"), "bonus": raw.get("bonus")})
        out: dict = {"whites": list(whites), "bonus": list(bonus)}
        for key in ("mode", "rule", "extra"):
            if raw.get(key) is not None:
                out[key] = raw[key]
        return out

    def markets_of(self, prediction: Mapping) -> tuple[str, ...]:
        if prediction.get("whites") and prediction.get("bonus"):
            return self.market_names
        return ()

    def matches(self, ticket: Outcome, outcome: Outcome) -> tuple[int, int]:
        """Return (whites matched, bonus balls matched) of a ticket against an outcome."""
        return (len(set(ticket[0]) & set(outcome[0])), len(set(ticket[1]) & set(outcome[1])))

    def score(self, prediction: Mapping, outcome: Outcome, issue: Any = None) -> dict:
        ticket = (tuple(prediction["whites"]), tuple(prediction["bonus"]))
        w, b = self.matches(ticket, outcome)
        won = self._era_of(issue, outcome).tier(w, b) is not None
        hits = {"white_match": w >= 1, "bonus_match": b >= 1, "prize": won}
        return {m: (int(hits[m]), None, None) for m in self.markets_of(prediction)}

    def hit_picks(self, prediction: Mapping) -> dict:
        return {"whites": prediction.get("whites"), "bonus": prediction.get("bonus")}

    def settle(self, bet: Any, stake: float, outcome: Outcome, *, issue: Any = None,
               jackpot: float | None = None, prizes: Mapping[str, float] | None = None) -> float:
        """Return what `stake` on a ticket pays back (stake / price tickets), 0 when it loses.

        The jackpot (and every pari-mutuel tier) is an amount the caller passes;
        a winning tier without a known amount raises ValueError, never a guess.
        """
        era = self._era_of(issue, outcome)
        ticket = self.parse_ticket(bet, issue if issue is not None else era.start)
        tier = era.tier(*self.matches(ticket, outcome))
        if tier is None:
            return 0.0
        return stake / era.price * self.tier_amount(tier, jackpot=jackpot, prizes=prizes)

    def tier_amount(self, tier: Tier, *, jackpot: float | None = None,
                    prizes: Mapping[str, float] | None = None) -> float:
        """Return a tier's prize per ticket, or raise ValueError when it is not known."""
        if prizes and tier.name in prizes:
            return float(prizes[tier.name])
        if tier.jackpot:
            if jackpot is None:
                raise ValueError("the jackpot amount is a parameter: pass jackpot=")
            return float(jackpot)
        if tier.prize is None:
            raise ValueError(f"tier {tier.name} is pari-mutuel: pass its announced amount "
                             "in prizes=")
        return float(tier.prize)

    def expected_return(self, bet: Any = None, *, jackpot: float = 0.0,
                        issue: Any = None) -> float:
        """Return the expected amount paid back per unit staked (any ticket; jackpot a parameter).

        Pari-mutuel games return their prize-fund rate (jackpot included, on average).
        """
        era = self._era_of(issue)
        if any(t.prize is None and not t.jackpot for t in era.tiers):
            return float(era.prize_fund_rate or 0.0)
        value = sum(p * Fraction(jackpot if t.jackpot else t.prize).limit_denominator()
                    for t, p in prize_odds(era))
        return float(value) / era.price


POWERBALL = PickLottery("Powerball", "Powerball", POWERBALL_ERAS, POWERBALL_CALENDAR,
                        currency="USD", bonus_name="Powerball", bonus_fields=("powerball",))
EUROMILLIONS = PickLottery("EuroMillions", "EuroMillions", EUROMILLIONS_ERAS,
                           EUROMILLIONS_CALENDAR, currency="EUR", bonus_name="Lucky Stars",
                           bonus_fields=("star1", "star2"))
VARIANTS = {g.code: g for g in (POWERBALL, EUROMILLIONS)}


# -- ticket checker and expected value ----------------------------------------------------
PARI_MUTUEL_NOTE = ("{code} prizes are pari-mutuel: each tier shares a slice of the prize fund "
                    "among its winners, so its amount is announced after each draw and varies. "
                    "No amount here is a fixed fact: pass the announced amounts to value a win.")


def is_pari_mutuel(era: Era) -> bool:
    """Return True when some non-jackpot tier has no fixed amount."""
    return any(t.prize is None and not t.jackpot for t in era.tiers)


def prize_table(game: PickLottery, era: Era | None = None) -> list[dict]:
    """Return each tier as a match pattern with its exact odds and how its amount is set."""
    era = era or game.current_era
    out = []
    for tier, p in prize_odds(era):
        if tier.jackpot:
            kind, text = "jackpot", "jackpot: advertised before each draw, shared among winners"
        elif tier.prize is None:
            kind, text = "pari-mutuel", "pari-mutuel, varies: announced after each draw"
        else:
            kind, text = "fixed", f"{game.currency} {tier.prize:,.0f}"
        out.append({"tier": tier.name, "whites": tier.whites, "bonus": tier.bonus,
                    "probability": float(p), "odds_one_in": float(1 / p),
                    "amount": tier.prize, "amount_kind": kind, "amount_text": text})
    return out


def prize_terms(game: PickLottery, era: Era | None = None) -> dict:
    """Return the prize table with whether it is pari-mutuel and what that means."""
    era = era or game.current_era
    pari = is_pari_mutuel(era)
    out = {"pari_mutuel": pari, "prize_table": prize_table(game, era)}
    if pari:
        out["prize_note"] = PARI_MUTUEL_NOTE.format(code=game.code)
        if era.prize_fund_rate is not None:
            out["prize_fund_rate"] = era.prize_fund_rate
    return out


def check_ticket(game: PickLottery, ticket: Any, issue: str, outcome: Outcome, *,
                 jackpot: float | None = None,
                 prizes: Mapping[str, float] | None = None) -> dict:
    """Return one ticket's result against one draw: matches, tier, prize, cost and net."""
    issue = game.canonical_issue(issue)
    era = game.era_for(issue)
    ticket = game.parse_ticket(ticket, issue)
    w, b = game.matches(ticket, outcome)
    tier = era.tier(w, b)
    prize: float | None = 0.0
    if tier is not None:
        try:
            prize = game.tier_amount(tier, jackpot=jackpot, prizes=prizes)
        except ValueError:
            prize = None  # won, amount not known: reported as unknown, never as 0
    return {"issue": issue, "ticket": game.encode_outcome(ticket),
            "draw": game.encode_outcome(outcome),
            "matched_whites": sorted(set(ticket[0]) & set(outcome[0])),
            "matched_bonus": sorted(set(ticket[1]) & set(outcome[1])),
            "white_matches": w, "bonus_matches": b,
            "tier": tier.name if tier else None, "jackpot": bool(tier and tier.jackpot),
            "prize": prize, "cost": era.price,
            "net": None if prize is None else prize - era.price}


def check_tickets(game: PickLottery, tickets: Iterable[Any],
                  draws: Iterable[tuple[str, Outcome]], *, jackpot: float | None = None,
                  prizes: Mapping[str, Mapping[str, float]] | None = None) -> dict:
    """Return every ticket against every draw, with totals over all tickets (losers included).

    `prizes` maps an issue to its announced tier amounts (pari-mutuel games).
    """
    tickets = list(tickets)
    rows = []
    for issue, outcome in draws:
        issue = game.canonical_issue(issue)
        for ticket in tickets:
            rows.append(check_ticket(game, ticket, issue, outcome, jackpot=jackpot,
                                     prizes=(prizes or {}).get(issue)))
    cost = sum(r["cost"] for r in rows)
    unknown = sum(1 for r in rows if r["prize"] is None)
    won = sum(r["prize"] for r in rows if r["prize"] is not None)
    winners = sum(1 for r in rows if r["tier"] is not None)
    return {"rows": rows, "plays": len(rows), "winning_plays": winners,
            "win_rate": winners / len(rows) if rows else None,
            "cost": cost, "won": won, "net": won - cost if not unknown else None,
            "unknown_prizes": unknown, "currency": game.currency}


def expected_value(game: PickLottery, jackpot: float, *, payout: str = "annuity",
                   cash_factor: float | None = None, tax_rate: float = 0.0,
                   tickets_sold: int = 0, issue: Any = None) -> dict:
    """Return one ticket's expected value: jackpot (cash or annuity, shared, taxed) and the rest.

    `jackpot` is the advertised (annuity) amount; `cash_factor` the lump sum as
    a share of it (required for payout='cash'); `tickets_sold` the other tickets
    in the draw, assumed random, so the number of co-winners is binomial and the
    expected share is E[1/(1+X)] = (1 - (1-p)^(n+1)) / ((n+1) p).
    """
    era = game._era_of(issue)
    if payout not in ("annuity", "cash"):
        raise ValueError("payout must be 'annuity' or 'cash'")
    if payout == "cash" and (cash_factor is None or not 0 < cash_factor <= 1):
        raise ValueError("payout='cash' needs cash_factor in (0, 1]")
    if not 0 <= tax_rate < 1:
        raise ValueError("tax_rate must be in [0, 1)")
    if jackpot < 0 or tickets_sold < 0:
        raise ValueError("jackpot and tickets_sold must not be negative")
    odds = prize_odds(era)
    p_jackpot = float(next(p for t, p in odds if t.jackpot))
    n = tickets_sold
    # log1p keeps (1-p)^(n+1) accurate for p ~ 3e-9.
    share = 1.0 if n == 0 else -math.expm1((n + 1) * math.log1p(-p_jackpot)) / ((n + 1) * p_jackpot)
    factor = cash_factor if payout == "cash" else 1.0
    keep = 1.0 - tax_rate
    ev_jackpot = p_jackpot * jackpot * factor * share * keep
    if any(t.prize is None and not t.jackpot for t in era.tiers):
        ev_other = None  # pari-mutuel: amounts only known after each draw
    else:
        ev_other = float(sum(p * Fraction(t.prize).limit_denominator()
                             for t, p in odds if not t.jackpot)) * keep
    total = None if ev_other is None else ev_jackpot + ev_other
    extra: dict = prize_terms(game, era)
    if ev_other is None and era.prize_fund_rate is not None:
        # A long-run average (jackpot included), not the value of any one draw's ticket.
        extra["long_run_return_per_unit"] = era.prize_fund_rate
        extra["ev_note"] = (f"Only the long-run average is known: {era.prize_fund_rate:.0%} of "
                            "sales go back as prizes (jackpot included), so a ticket returns "
                            f"about {era.prize_fund_rate * era.price:.2f} of its "
                            f"{era.price:.2f} {game.currency} price on average. The other "
                            "prizes of a given draw are not known in advance, so ev_total is "
                            "null rather than a made-up figure.")
    return {**extra, "price": era.price, "currency": game.currency,
            "p_jackpot": p_jackpot, "jackpot_odds": 1 / p_jackpot,
            "p_any_prize": float(any_prize_probability(era)),
            "expected_share": share, "ev_jackpot": ev_jackpot, "ev_other_prizes": ev_other,
            "ev_total": total, "net": None if total is None else total - era.price,
            "return_per_unit": None if total is None else total / era.price}
