"""Crash cash-out strategies for the simulator: parameterised rules, never user code.

A bet of stake s cashing out at target m wins s x (m - 1) when the round's
multiplier X reaches m (X >= m) and loses s otherwise. The strategies are the
classic systems and the common bustabit scripts, each a fixed set of numbers:

| strategy | what it does |
|---|---|
| fixed | the base bet at target m, every round |
| progression | a staking progression at target m: martingale, d'Alembert, Paroli (anti-martingale), Fibonacci or a custom ladder (`lottery.sim.strategies`) |
| martingale_script | bustabit's martingale script: after a loss the bet is multiplied by loss_multiplier, after a win it is the base bet again, and a bet that would exceed max_bet goes back to the base bet |
| streak_chaser | "wait N rounds under T then bet": sits out until the last wait_rounds rounds all crashed below wait_under, then bets flat at m while that holds |

Every one of them returns 0.99 per unit staked on fair rounds: P(X >= m) =
0.99 / m, rounds are independent, and a stake chosen from past rounds cannot
change the next round's odds (`NO_EDGE`). Staking rules only move risk around.

Stakes are computed for whole blocks of rounds at once (S sessions x R rounds)
from two boolean arrays: whether each round reached the target, and (for the
streak chaser) whether it crashed below wait_under. Monte Carlo, hash-chain
replay and the tests all use the same `CashoutStrategy.block`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lottery.games.crash import MIN_TARGET_CENTS, RTP, TWO52, reach_probability, target_cents
from lottery.sim.params import get_money, get_number
from lottery.sim.strategies import (SCALE, Progression, SimInputError, Workspace, _streak_before,
                                    make_progression)
from lottery.sim.words import WordTables, word_tables

STRATEGIES = ("fixed", "progression", "martingale_script", "streak_chaser")
PROGRESSION_NAMES = ("martingale", "dalembert", "fibonacci", "paroli", "custom")
MAX_TARGET = 1_000_000.0  # a cash-out above this is a typo, and keeps path sums in int64
MAX_SCRIPT_STEPS = 1000  # the longest loss run a martingale script's stake table covers
MAX_STAKE_MULTIPLIER = 1_000_000  # largest stake, in base bets (as for the other progressions)
MAX_WAIT = 10_000
DEFAULT_TARGET = "2"
# The fields a strategy is given by; which ones apply depends on `strategy`.
STRATEGY_FIELDS = ("strategy", "target", "base_bet", "progression", "multipliers",
                   "loss_multiplier", "max_bet", "wait_rounds", "wait_under")
_ONLY = {"progression": "progression", "multipliers": "progression",
         "loss_multiplier": "martingale_script", "max_bet": "martingale_script",
         "wait_rounds": "streak_chaser", "wait_under": "streak_chaser"}
NO_EDGE = ("Every cash-out target returns 0.99 per unit staked on fair rounds: P(X >= m) = "
           "0.99 / m, so m x 0.99 / m = 0.99. No strategy changes that: progressions, scripts "
           "and waiting for a streak only reshape the risk, and a long run of low rounds never "
           "makes the next round likelier to reach a target.")


def parse_target(raw, name: str = "target") -> int:
    """Return a cash-out target (2, 2.5, '10x') in cents, or raise SimInputError (1.01x to 1,000,000x)."""
    if isinstance(raw, float) and not math.isfinite(raw):
        raise SimInputError(f"{name} must be a finite multiplier, got {raw!r}")
    try:
        cents = target_cents(raw)
    except ValueError as exc:
        raise SimInputError(f"{name}: {exc}") from None
    if cents > MAX_TARGET * 100:
        raise SimInputError(f"{name} must be at most {MAX_TARGET:,.0f}x, got {str(raw)[:20]!r}")
    return cents


def target_text(cents: int) -> str:
    """Return a target in cents as the bet name the game settles, e.g. '2' or '1.01'."""
    return f"{cents / 100:g}" if cents % 100 == 0 else f"{cents / 100:.2f}"


def reach_threshold(cents: int) -> int:
    """Return the smallest 52-bit r whose v2 multiplier reaches `cents` (X >= m  <=>  r >= it)."""
    # floor(99 x 2^52 / (2^52 - r)) >= c  <=>  2^52 - r <= 2^52 x P(X >= c).
    return TWO52 - int(reach_probability(cents / 100) * TWO52)


@dataclass(frozen=True)
class CashoutStrategy:
    """A validated cash-out strategy: its kind, target and staking rule."""

    kind: str
    target: int  # cents
    progression: Progression  # the staking rule (flat for fixed and streak_chaser)
    loss_multiplier: float | None = None
    max_bet: float | None = None  # in base bets
    wait_rounds: int = 0
    wait_under: int = 0  # cents

    @property
    def target_bet(self) -> str:
        return target_text(self.target)

    @property
    def needs_below(self) -> bool:
        """True when the stakes depend on which rounds crashed below wait_under."""
        return self.kind == "streak_chaser"

    def expected_return(self) -> float:
        """Return the exact payback per unit staked at the target (0.99 up to 2^-52)."""
        return float(self.target / 100 * reach_probability(self.target / 100))

    def to_dict(self, base_bet: float) -> dict:
        """Return the strategy's parameters as shown in answers."""
        out: dict = {"strategy": self.kind, "target": self.target / 100, "base_bet": base_bet}
        if self.kind == "progression":
            out.update(self.progression.to_dict())
        elif self.kind == "martingale_script":
            out.update(loss_multiplier=self.loss_multiplier,
                       max_bet=None if self.max_bet is None else self.max_bet * base_bet,
                       stake_steps=len(self.progression.multipliers))
        elif self.kind == "streak_chaser":
            out.update(wait_rounds=self.wait_rounds, wait_under=self.wait_under / 100)
        return out

    def word_tables(self) -> WordTables | None:
        """Return the tables that settle this strategy a word of rounds at a time, or None."""
        if self.needs_below:  # it sits rounds out: not one bet every round
            return None
        return word_tables(self.target - SCALE, self.progression)

    def block(self, reached: np.ndarray, below: np.ndarray | None,
              work: Workspace) -> tuple[np.ndarray, np.ndarray | None]:
        """Return (gain per unit in hundredths, stakes in hundredths or None) of a block of rounds.

        `reached[s, t]`: round t of session s reached the target; `below`: it crashed
        below wait_under (streak chaser only). None for stakes: the progression decides.
        """
        gain = np.multiply(reached, self.target, out=work.get("gain", reached.shape))
        gain -= SCALE  # reached: target - 100 (the profit per unit); else -100 (the stake)
        if self.kind != "streak_chaser":
            return gain, None
        # Rounds in a row below wait_under just before each round: a round at or above breaks it.
        above = np.logical_not(below, out=work.get("above", below.shape, bool))
        run = _streak_before(above, work)
        stakes = np.greater_equal(run, self.wait_rounds, out=work.get("bet", run.shape, bool))
        # One base bet or none (crash_montecarlo counts the bets from it).
        return gain, np.multiply(stakes, SCALE, out=work.get("stakes", run.shape))


def parse_strategy(body: dict) -> tuple[CashoutStrategy, float]:
    """Return (strategy, base bet) from the strategy fields of a body, or raise SimInputError."""
    kind = body.get("strategy", "fixed")
    if not isinstance(kind, str) or kind.strip().lower() not in STRATEGIES:
        raise SimInputError(f"strategy must be one of {', '.join(STRATEGIES)}, got "
                            f"{str(kind)[:40]!r}")
    kind = kind.strip().lower()
    for field, owner in _ONLY.items():
        if field in body and owner != kind:
            raise SimInputError(f"{field} applies to the {owner} strategy, not {kind}")
    target = parse_target(body.get("target", DEFAULT_TARGET))
    base_bet = get_money(body, "base_bet", 1.0)
    if kind == "progression":
        name = body.get("progression", "martingale")
        if not isinstance(name, str) or name.strip().lower() not in PROGRESSION_NAMES:
            raise SimInputError(f"progression must be one of {', '.join(PROGRESSION_NAMES)}, "
                                f"got {str(name)[:40]!r}")
        return CashoutStrategy(kind, target, make_progression(name, body.get("multipliers"))), \
            base_bet
    if kind == "martingale_script":
        factor = get_number(body, "loss_multiplier", 2.0, minimum=1, strict_minimum=True,
                            maximum=100)
        max_bet = get_money(body, "max_bet", nullable=True)
        if max_bet is not None and max_bet < base_bet:
            raise SimInputError(f"max_bet ({max_bet}) must be at least base_bet ({base_bet})")
        cap = None if max_bet is None else max_bet / base_bet
        return CashoutStrategy(kind, target, script_ladder(factor, cap), loss_multiplier=factor,
                               max_bet=cap), base_bet
    if kind == "streak_chaser":
        wait = get_number(body, "wait_rounds", 10, minimum=1, maximum=MAX_WAIT, integer=True)
        under = parse_target(body.get("wait_under", target_text(target)), "wait_under")
        return CashoutStrategy(kind, target, Progression("flat"), wait_rounds=wait,
                               wait_under=under), base_bet
    return CashoutStrategy(kind, target, Progression("flat")), base_bet


def script_ladder(factor: float, cap: float | None) -> Progression:
    """Return the stake ladder of the martingale script: factor^k base bets while within the cap.

    A loss moves one step up; a win, or a step past the last (the next bet would
    exceed max_bet), goes back to the base bet: the `custom` ladder's rule.
    Stakes are kept in hundredths of the base bet.
    """
    limit = min(cap if cap is not None else MAX_STAKE_MULTIPLIER, MAX_STAKE_MULTIPLIER)
    steps, stake = [], 1.0
    while stake <= limit + 1e-9 and len(steps) < MAX_SCRIPT_STEPS:
        steps.append(round(stake, 2))
        stake *= factor
    return Progression("custom", tuple(steps))


def catalog() -> dict:
    """Return the strategies and their parameters, for the page and API clients."""
    target = {"name": "target", "label": "Cash out at (x)", "default": 2, "min": 1.01,
              "max": MAX_TARGET, "step": 0.01}
    base = {"name": "base_bet", "label": "Base bet", "default": 10, "min": 0.01, "step": "any"}
    return {
        "strategies": [
            {"name": "fixed", "label": "Fixed target", "params": [target, base],
             "description": "Bet the base bet every round and cash out at the target."},
            {"name": "progression", "label": "Progression on a target", "params": [
                target, base, {"name": "progression", "label": "Progression",
                               "choices": list(PROGRESSION_NAMES[:-1]), "default": "martingale"}],
             "description": "Martingale doubles after a loss; d'Alembert adds a unit after a "
                            "loss and removes one after a win; Paroli doubles after a win "
                            "(three steps); Fibonacci walks the Fibonacci stakes."},
            {"name": "martingale_script", "label": "Martingale script (bustabit)", "params": [
                target, base, {"name": "loss_multiplier", "label": "Multiply bet on loss",
                               "default": 2, "min": 1.01, "max": 100, "step": 0.01},
                {"name": "max_bet", "label": "Max bet (back to base above it)",
                 "default": None, "min": 0.01, "step": "any"}],
             "description": "bustabit's martingale script: multiply the bet after each loss, "
                            "back to the base bet after a win or above the max bet."},
            {"name": "streak_chaser", "label": "Wait N rounds under T, then bet", "params": [
                target, base, {"name": "wait_rounds", "label": "Wait for rounds in a row",
                               "default": 10, "min": 1, "max": MAX_WAIT, "step": 1},
                {"name": "wait_under", "label": "…that crashed under (x)", "default": 2,
                 "min": 1.01, "max": MAX_TARGET, "step": 0.01}],
             "description": "Sits out until the last N rounds all crashed under T, then bets. "
                            "Rounds are independent: the wait changes nothing."},
        ],
        "targets": [1.01, 1.5, 2, 3, 5, 10, 100],
        "min_target": MIN_TARGET_CENTS / 100,
        "max_target": MAX_TARGET,
        "expected_return_per_unit": RTP,
        "statement": NO_EDGE,
    }
