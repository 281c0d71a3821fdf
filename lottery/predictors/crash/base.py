"""What every crash predictor shares: its prediction object and the streak it tracks."""
from __future__ import annotations

from dataclasses import dataclass, field

from lottery.games.crash import (REACH_MARKETS, RTP, STREAK_BUCKETS, STREAK_MARKET,
                                 STREAK_THRESHOLD, streak_bucket_probs, target_cents, to_cents)

TARGET_CENTS = tuple(REACH_MARKETS.values())  # the "reaches m" grid, in cents
NULL_REACH = {m: RTP * 100 / c for m, c in REACH_MARKETS.items()}  # 0.99 / m
STREAK_CENTS = target_cents(STREAK_THRESHOLD)
P_MIN, P_MAX = 1e-4, 1 - 1e-4


@dataclass
class CrashCall:
    """One crash prediction: P(next round reaches m) per market and the 10x streak distribution."""

    predictor: str
    reach_p: dict[str, float]
    run: int  # rounds since the last 10x
    streak_probs: list[float]  # P(S = 1..49), P(S >= 50) of the current streak's length S
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"predictor": self.predictor,
               "reach_p": {m: round(p, 6) for m, p in self.reach_p.items()},
               STREAK_MARKET: {"run": self.run, "probs": [round(p, 6) for p in self.streak_probs]}}
        if self.extra:
            out["extra"] = self.extra
        return out


def clip(p: float) -> float:
    """Return p kept inside (0, 1) so a log loss stays finite."""
    return min(max(p, P_MIN), P_MAX)


def geometric_streak(p: float) -> list[float]:
    """Return the bucketed streak-length distribution of a per-round end chance p."""
    return streak_bucket_probs(clip(p), STREAK_BUCKETS)


class RunTracker:
    """Counts rounds since the last 10x (the open streak); every predictor feeds one."""

    def __init__(self):
        self.run = 0

    def update(self, cents: int) -> None:
        self.run = 0 if cents >= STREAK_CENTS else self.run + 1


def cents_of(outcome) -> int:
    """Return an outcome (a multiplier) in cents."""
    return to_cents(outcome)
