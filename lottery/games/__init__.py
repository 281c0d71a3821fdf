"""Games: each game family is one module; this registry is how the rest finds them.

A family subclasses `lottery.games.base.Game` (schedule, outcome, markets,
predictors, report, page) and registers its variants here. Nothing outside a
family's own modules knows its rules: a new game is a new module.
"""
from __future__ import annotations

from lottery.games import crash, pick, wingo
from lottery.games.base import Draw, Game, Market

GAMES: dict[str, Game] = dict(wingo.VARIANTS)
GAMES.update(crash.VARIANTS)
GAMES.update(pick.VARIANTS)  # Powerball, EuroMillions


def get_game(code: str) -> Game:
    """Return the game with this code, or raise KeyError naming the known ones."""
    try:
        return GAMES[code]
    except KeyError:
        raise KeyError(f"unknown game {code!r}; known games: {', '.join(sorted(GAMES))}") from None


def register(game: Game) -> Game:
    """Add a game (a new family's variant) to the registry and return it."""
    GAMES[game.code] = game
    return game


__all__ = ["Draw", "GAMES", "Game", "Market", "get_game", "register"]
