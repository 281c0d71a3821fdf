"""WinGo's live simulator sessions: the upstream strategy objects and simulation modes.

The upstream simulator takes one strategy object per market (colour, big/small,
number), each naming its fixed target in its own field, and three simulation
modes; `lottery.sim.sessions` runs them like any game's session rules.
"""
from __future__ import annotations

from types import MappingProxyType

from lottery.games.wingo import BIG, GREEN
from lottery.sim.sessions import REPORT, SessionRules, StrategyRule

RULES = SessionRules(
    strategies=MappingProxyType({
        "color_bet_strategy": StrategyRule("color", "target_color", GREEN, "martingale"),
        "big_small_bet_strategy": StrategyRule("big_small", "target_side", BIG, "martingale"),
        "number_bet_strategy": StrategyRule("number", "target_number", "0", "flat",
                                            numeric_target=True),
    }),
    modes=MappingProxyType({
        "main_app_prediction": {"color": REPORT, "big_small": REPORT, "number": REPORT},
        "color_size_prediction": {"color": "color_rules", "big_small": "size_rules",
                                  "number": REPORT},
        "internal_logic": {},  # fixed targets only: auto_target is ignored
    }),
    default_mode="main_app_prediction",
)
