"""What the crash pages need from its rules: targets with their fair odds, streak thresholds.

The page never re-implements the odds: every chance it shows next to a figure
comes from here (0.99 / m under the v2 formula) or from the API.
"""
from __future__ import annotations

from lottery.games.crash import (BETS, MAX_MULTIPLIER, RTP, TARGETS, Crash, reach_market_name,
                                 streak_p)
from lottery.reports.crash import STREAK_THRESHOLDS
from lottery.web.crash_api import MAX_ROUNDS


def page_config(game: Crash) -> dict:
    """Return the crash part of a page's configuration."""
    return {
        "rtp": RTP,
        "targets": [{"market": reach_market_name(t), "target": t, "chance": round(RTP / t, 6)}
                    for t in TARGETS],
        "streak_thresholds": [{"label": f"{t:g}x", "threshold": t, "p": round(streak_p(t), 6)}
                              for t in STREAK_THRESHOLDS],
        "bets": list(BETS),
        "max_multiplier": MAX_MULTIPLIER,
        "max_manual_rounds": MAX_ROUNDS,
        "salt": game.salt,
        "chain_length": game.schedule.chain_length,
    }
