"""WinGo: one digit 0-9 per period. Size, colour, payouts, markets and the issue clock.

The one place for WinGo's rules. An issue string is `YYYYMMDD` + a 5-digit game
code + a 4-digit sequence in the UTC day (see `PeriodSchedule`), 17 ASCII digits
and nothing else; the next issue always comes from that clock, never from
`int(issue) + 1`.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from lottery.games.base import (Game, Market, PageConfig, brier_micro, log_loss_micro,
                                normalise_probs)
from lottery.games.schedule import PeriodSchedule

DIGITS = tuple(range(10))
SERVICE_FEE = 0.02
CONTRACT_FACTOR = 1.0 - SERVICE_FEE  # the contract amount is 0.98 x stake

BIG, SMALL = "Big", "Small"
RED, GREEN, VIOLET = "Red", "Green", "Violet"
SIZES = (BIG, SMALL)
COLORS = (RED, GREEN, VIOLET)
# Every bet the payout table knows: the sizes, the colours and each digit.
BETS = SIZES + COLORS + tuple(str(d) for d in DIGITS)



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



# -- markets: how a WinGo prediction is scored (SPEC 5) ---------------------------
MARKETS = (
    Market("number", "Top number", 0.1, break_even_rate("0"), (math.log(10), 0.9)),
    # 1/3 of the stake on each of 3 numbers: a hit returns (1/3) x 0.98 x 9.
    Market("top3", "Top 3", 0.3, 3 * break_even_rate("0")),
    Market("big_small", "Big/Small", 0.5, break_even_rate(BIG), (math.log(2), 0.25)),
    # Colour is scored on the primary colour (Red/Green); the usual payout is 2x
    # (1.5x on 0 and 5 is worse), so the break-even rate uses 2x.
    Market("color", "Colour", 0.5, break_even_rate(GREEN), (math.log(2), 0.25)),
)
MARKET_NAMES = tuple(m.name for m in MARKETS)


def picks(prediction) -> tuple[tuple[int, ...], str | None, str | None]:
    """Return (numbers, big_small, color) of a prediction object or dict."""
    if isinstance(prediction, Mapping):
        return (tuple(prediction.get("numbers") or ()), prediction.get("big_small"),
                prediction.get("color"))
    return tuple(prediction.numbers or ()), prediction.big_small, prediction.color


def markets_of(prediction) -> tuple[str, ...]:
    """Return the markets a prediction takes part in (top3 needs at least 3 numbers)."""
    numbers, bs, color = picks(prediction)
    taken = {"number": len(numbers) >= 1, "top3": len(numbers) >= 3,
             "big_small": bs in (BIG, SMALL), "color": color in (RED, GREEN)}
    return tuple(m for m in MARKET_NAMES if taken[m])


def hits(prediction, digit: int) -> dict[str, bool]:
    """Return, for each market the prediction takes part in, whether it hit the digit."""
    numbers, bs, color = picks(prediction)
    outcome = {"number": bool(numbers) and numbers[0] == digit, "top3": digit in numbers[:3],
               "big_small": size(digit) == bs, "color": primary_color(digit) == color}
    return {m: outcome[m] for m in markets_of(prediction)}


def normalise(prediction) -> dict:
    """Return the compact stored form of a prediction, or raise ValueError if unusable."""
    raw = prediction.to_dict() if hasattr(prediction, "to_dict") else dict(prediction)
    numbers, bs, color = picks(raw)
    try:
        numbers = [int(n) for n in numbers]
    except (TypeError, ValueError):
        raise ValueError(f"numbers must be digits, got {raw.get('numbers')!r}") from None
    if any(not 0 <= n <= 9 for n in numbers) or len(set(numbers)) != len(numbers):
        raise ValueError(f"numbers must be distinct digits 0-9, got {numbers}")
    if bs is not None and bs not in SIZES:
        raise ValueError(f"big_small must be Big or Small, got {bs!r}")
    if color is not None and color not in (RED, GREEN):
        raise ValueError(f"color must be Red or Green, got {color!r}")
    out: dict = {"numbers": numbers}
    if bs is not None:
        out["big_small"] = bs
    if color is not None:
        out["color"] = color
    if not markets_of(out):
        raise ValueError("the prediction takes part in no market")
    probs = raw.get("probs")
    if probs is not None:
        out["probs"] = normalise_probs(probs, len(DIGITS))
    for key in ("big_small_p", "color_p"):
        value = raw.get(key)
        if value is not None:
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be a probability, got {value}")
            out[key] = round(value, 6)
    for key in ("rule", "extra"):
        if raw.get(key) is not None:
            out[key] = raw[key]
    return out


def side_probability(pred: Mapping, market: str) -> float | None:
    """Return the forecast probability of the predicted size or colour, when known."""
    key, pick = ("big_small_p", pred.get("big_small")) if market == "big_small" \
        else ("color_p", pred.get("color"))
    if pred.get(key) is not None:
        return float(pred[key])
    probs = pred.get("probs")
    if probs is None or pick is None:
        return None
    side = size if market == "big_small" else primary_color
    return sum(p for d, p in enumerate(probs) if side(d) == pick)


def score(prediction, digit: int) -> dict[str, tuple[int, int | None, int | None]]:
    """Return {market: (hit 0/1, log loss in micro-units or None, Brier in micro-units or None)}."""
    pred = prediction.to_dict() if hasattr(prediction, "to_dict") else prediction
    numbers, bs, color = picks(pred)
    out = {}
    for market in markets_of(pred):
        if market == "number":
            hit = numbers[0] == digit
        elif market == "top3":
            hit = digit in numbers[:3]
        elif market == "big_small":
            hit = size(digit) == bs
        else:
            hit = primary_color(digit) == color
        ll = br = None
        if market == "number" and pred.get("probs") is not None:
            probs = pred["probs"]
            ll = log_loss_micro(probs[digit])
            br = brier_micro(sum(p * p for p in probs) - 2 * probs[digit] + 1)
        elif market in ("big_small", "color"):
            q = side_probability(pred, market)
            if q is not None:
                p_actual = q if hit else 1 - q
                ll = log_loss_micro(p_actual)
                br = brier_micro((1 - p_actual) ** 2)
        out[market] = (int(hit), ll, br)
    return out


def fair_digit(seed: bytes, game_code: str, issue: str) -> int:
    """Return the digit a revealed seed gives for an issue (anyone can run this)."""
    mac = hmac.new(seed, f"{game_code}:{issue}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac, "big") % 10


@dataclass(frozen=True, eq=False)
class WinGo(Game):
    """One WinGo variant: its code, period and issue clock."""

    code: str
    period_seconds: int
    game_code: str  # the 5 digits between date and sequence in upstream issues
    schedule: PeriodSchedule = field(init=False, repr=False)

    family = "wingo"
    label = "WinGo"
    outcomes = DIGITS
    markets = MARKETS
    bets = BETS
    outcome_fields = ("number",)
    predictors_path = "lottery.predictors.wingo:PREDICTOR_SET"
    report_path = "lottery.reports.wingo:REPORT"
    insights_path = "lottery.store.wingo_insights"
    audit_path = "lottery.evaluation.wingo_audit:audit"
    backtest_scorer_path = "lottery.evaluation.wingo_backtest:DigitScorer"
    ai_path = "lottery.ai.wingo:ADAPTER"
    bot_path = "lottery.bot.wingo_texts"
    page = PageConfig(template="index.html", title="WinGo",
                      pages=("board", "simulator", "fairness", "mixpred"),
                      config_path="lottery.web.wingo_pages:page_config")
    # The simulator's strategy markets, in the upstream order (colour, size, number).
    bet_groups = MappingProxyType({"color": COLORS, "big_small": SIZES,
                                   "number": tuple(str(d) for d in DIGITS)})
    default_bet = BIG
    default_bet_market = "big_small"
    sim_sessions_path = "lottery.sim.wingo_sessions:RULES"

    def __post_init__(self):
        object.__setattr__(self, "schedule", PeriodSchedule(self.period_seconds, self.game_code))

    @property
    def periods_per_day(self) -> int:
        return self.schedule.periods_per_day

    def make_issue(self, day, seq: int) -> str:
        """Return the issue string of period `seq` of UTC `day`."""
        return self.schedule.make_issue(day, seq)

    def period_start(self, issue: str):
        """Return the UTC instant the period of `issue` opens."""
        return self.schedule.period_start(issue)

    # -- outcomes ------------------------------------------------------------------
    def parse_outcome(self, raw: Any) -> int:
        """Return the digit of a raw outcome (int or string), or raise ValueError."""
        if isinstance(raw, Mapping):
            raw = raw.get("number")
        if isinstance(raw, bool):
            raise ValueError(f"not a digit: {raw!r}")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() \
                and len(raw.strip()) == 1:
            value = int(raw.strip())
        else:
            raise ValueError(f"not a digit 0-9: {raw!r}")
        _check_digit(value)
        return value

    def encode_outcome(self, outcome: int) -> dict:
        return {"number": outcome}

    def decode_outcome(self, record: Mapping) -> int:
        return record["number"]

    def describe(self, digit: int) -> dict:
        """Return the outcome's digit, size and colours as the API shows them."""
        return {"number": digit, "size": size(digit), "color": primary_color(digit),
                "colors": list(colors(digit))}

    def fair_outcome(self, seed: bytes, issue: str) -> int:
        return fair_digit(seed, self.code, issue)

    def fair_formula(self) -> str:
        return ("digit = int.from_bytes(HMAC_SHA256(key=seed, msg=f'{game}:{issue}'), 'big') % 10; "
                "commitment = SHA256(seed), published before the draw; "
                "SHA256(seed of period n) = seed of period n-1 (a hash chain per UTC day)")

    # -- markets ---------------------------------------------------------------------
    def normalise_prediction(self, prediction) -> dict:
        return normalise(prediction)

    def markets_of(self, prediction) -> tuple[str, ...]:
        return markets_of(prediction)

    def score(self, prediction, outcome: int) -> dict:
        return score(prediction, outcome)

    def settle(self, bet: str, stake: float, outcome: int) -> float:
        return settle(bet, stake, outcome)

    def expected_return(self, bet: str) -> float:
        return expected_return(bet)

    def bet_from_prediction(self, market: str, prediction) -> Any:
        """Return the colour, size or top-ranked number a prediction picks (None: no pick)."""
        key = "numbers" if market == "number" else market
        # Called once per draw in backtests: a stored dict or a Prediction object (the
        # Mapping ABC check would cost more than the rest).
        value = prediction.get(key) if isinstance(prediction, dict) \
            else getattr(prediction, key, None)
        if market != "number":
            return value
        return int(value[0]) if value else None


VARIANTS = {
    "WinGo_30S": WinGo("WinGo_30S", 30, "10005"),
    "WinGo_1M": WinGo("WinGo_1M", 60, "10001"),
    "WinGo_3M": WinGo("WinGo_3M", 180, "10002"),
    "WinGo_5M": WinGo("WinGo_5M", 300, "10003"),
}
