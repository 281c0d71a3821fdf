"""Games: each game family is one module; this registry is how the rest finds them.

A new game (Crash, a pick lottery) is a new module that registers its variants
here; nothing else changes.
"""
from __future__ import annotations

from lottery.games import wingo
from lottery.games.wingo import WinGo

GAMES: dict[str, WinGo] = dict(wingo.VARIANTS)


def get_game(code: str) -> WinGo:
    """Return the game with this code, or raise KeyError naming the known ones."""
    try:
        return GAMES[code]
    except KeyError:
        raise KeyError(f"unknown game {code!r}; known games: {', '.join(sorted(GAMES))}") from None


__all__ = ["GAMES", "WinGo", "get_game", "wingo"]
