"""Validation of simulator input (API bodies and CLI options alike).

Every parser takes a plain dict, rejects unknown fields, and raises
SimInputError with a message that names the field; callers turn it into a 400
(API) or an exit status 2 (CLI). Nothing is changed before validation passes.
"""
from __future__ import annotations

import math
from typing import Iterable

from lottery.sim.strategies import SimInputError, make_progression

STRATEGY_FIELDS = ("progression", "multipliers", "base_bet")
LIMIT_FIELDS = ("initial_wallet", "stop_loss", "take_profit")


def require_object(body, where: str = "the request body") -> dict:
    """Return `body` if it is a JSON object, else raise SimInputError."""
    if not isinstance(body, dict):
        raise SimInputError(f"{where} must be a JSON object")
    return body


def reject_unknown(body: dict, allowed: Iterable[str], where: str = "the request body") -> None:
    """Raise SimInputError naming any field of `body` not in `allowed`."""
    allowed = tuple(allowed)
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise SimInputError(f"unknown field(s) in {where}: {', '.join(map(str, unknown))}; "
                            f"allowed: {', '.join(allowed)}")


def get_number(body: dict, name: str, default=None, *, minimum: float | None = None,
               maximum: float | None = None, strict_minimum: bool = False,
               integer: bool = False, nullable: bool = False):
    """Return a numeric field (numbers or numeric strings) within bounds, or raise SimInputError."""
    raw = body.get(name, default)
    if raw is None:
        if nullable:
            return None
        raise SimInputError(f"{name} is required")
    value = raw
    if isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise SimInputError(f"{name} must be a number, got {_short(raw)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SimInputError(f"{name} must be a number, got {_short(raw)}")
    try:
        finite = math.isfinite(value)  # an int beyond float range raises OverflowError
    except OverflowError:
        finite = False
    if not finite:
        raise SimInputError(f"{name} must be a finite number, got {_short(raw)}")
    if integer:
        if float(value) != int(value):
            raise SimInputError(f"{name} must be a whole number, got {_short(raw)}")
        value = int(value)
    if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
        relation = "greater than" if strict_minimum else "at least"
        raise SimInputError(f"{name} must be {relation} {minimum}, got {_short(raw)}")
    if maximum is not None and value > maximum:
        raise SimInputError(f"{name} must be at most {maximum:,}, got {_short(raw)}")
    return value


def _short(raw, limit: int = 40) -> str:
    """Return repr(raw) cut to `limit` characters (an error message never echoes a huge value)."""
    try:
        text = repr(raw)
    except ValueError:  # int repr beyond Python's digit limit
        text = f"<a {type(raw).__name__} too large to show>"
    return text if len(text) <= limit else text[:limit] + "..."


def get_bool(body: dict, name: str, default: bool) -> bool:
    """Return a boolean field (true/false, 1/0 or their strings), or raise SimInputError."""
    raw = body.get(name, default)
    if isinstance(raw, bool):
        return raw
    if raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return raw.strip().lower() in ("true", "1", "yes")
    raise SimInputError(f"{name} must be true or false, got {_short(raw)}")


def get_money(body: dict, name: str, default=None, nullable: bool = False):
    """Return a positive amount of paper money, or raise SimInputError."""
    return get_number(body, name, default, minimum=0, strict_minimum=True, maximum=1e12,
                      nullable=nullable)


def parse_staking(body: dict, default_progression: str = "flat"):
    """Return (progression, base_bet) from the common strategy fields."""
    progression = make_progression(body.get("progression", default_progression),
                                   body.get("multipliers"))
    return progression, get_money(body, "base_bet", 1.0)


def parse_limits(body: dict, progression, base_bet: float, default_wallet: float = 1000.0):
    """Return validated Limits (initial wallet, stop-loss, take-profit) for a strategy."""
    from lottery.sim.engine import Limits

    return Limits(bankroll=get_money(body, "initial_wallet", default_wallet), base_bet=base_bet,
                  stop_loss=get_money(body, "stop_loss", nullable=True),
                  take_profit=get_money(body, "take_profit", nullable=True)).check(progression)
