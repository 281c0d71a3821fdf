"""Crash's simulator rules: live paper sessions on the crash feed, Monte Carlo and chain replay.

A session has one cash-out strategy: each round it bets its stake (the base
bet times its progression's step: flat, martingale, d'Alembert, Paroli,
Fibonacci or a custom ladder) at a cash-out target from 1.01x, placed in the
round's betting phase - right after the previous round's draw event, and only
while the round is not drawn yet - and settled when the round's multiplier
arrives: stake x m back if X >= m, else nothing. `lottery.sim.sessions` runs
it like any game's session rules; the hooks below supply crash's targets,
win chances (0.99 / m) and the family's heavy jobs (Monte Carlo of the
cash-out strategies and hash-chain replay).
"""
from __future__ import annotations

from types import MappingProxyType

from lottery.games import Game
from lottery.sim import crash_montecarlo, crash_replay
from lottery.sim.crash_strategies import NO_EDGE, catalog, parse_target, target_text
from lottery.sim.sessions import SessionRules, StrategyRule, plain_state


def session_target(raw) -> str:
    """Return a live strategy's cash-out target as the bet name the game settles."""
    return target_text(parse_target(raw, "cashout_at"))


def win_probability(game: Game, bet: str) -> float:
    """Return P(X >= m) of a cash-out at `bet` under the fair formula."""
    return game.expected_return(bet) / (parse_target(bet) / 100)


def public_state(session: dict, rounds: list, environment: str) -> dict:
    """Return a crash session as the API shows it, with the honest statement."""
    return {**plain_state(session, rounds, environment),
            "honesty": {"statement": NO_EDGE, "no_strategy_changes_it": True}}


RULES = SessionRules(
    strategies=MappingProxyType({
        "cashout_strategy": StrategyRule("cashout", "cashout_at", "2", "flat",
                                         parse_target=session_target),
    }),
    modes=MappingProxyType({"fixed_target": {}}),  # a cash-out target follows no prediction
    default_mode="fixed_target",
    public_state=public_state,
    win_probability=win_probability,
    jobs=MappingProxyType({
        "montecarlo": (crash_montecarlo.validate, crash_montecarlo.execute),
        "replay": (crash_replay.validate, crash_replay.execute),
    }),
    statement=NO_EDGE,
    catalog=catalog,
)
