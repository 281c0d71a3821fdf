"""What WinGo's pages need from its rules: each digit's size and colours, payouts, bets."""
from __future__ import annotations

from lottery.games.wingo import COLORS, DIGITS, SIZES, WinGo, break_even_rate, expected_return


def page_config(game: WinGo) -> dict:
    """Return the WinGo part of a page's configuration."""
    return {
        "period_seconds": game.period_seconds,
        "digits": [game.describe(d) for d in game.outcomes],
        "break_even": {bet: round(break_even_rate(bet), 6) for bet in SIZES + COLORS},
        "expected_return": {**{bet: round(expected_return(bet), 6) for bet in SIZES + COLORS},
                            "a number": round(expected_return("0"), 6)},
        "sizes": list(SIZES),
        "colors": list(COLORS),
        "numbers": [str(d) for d in DIGITS],
    }
