"""The chat messages sent to the provider: the game's rules and its recent digits."""
from __future__ import annotations

from lottery.games import wingo
from lottery.games.wingo import WinGo

HISTORY_DIGITS = 50  # recent digits shown to the model (oldest first)

SYSTEM = ("You predict the next draw of a WinGo lottery game. Draws are meant to be fair and "
          "random; give your best single guess with an honest probability. Reply with one JSON "
          "object and nothing else.")


def rules_text() -> str:
    """Return the game's size and colour rules, written from the rules module."""
    by_color: dict[tuple[str, ...], list[str]] = {}
    for d in wingo.DIGITS:
        by_color.setdefault(wingo.colors(d), []).append(str(d))
    colours = "; ".join(f"{','.join(ds)} {'+'.join(cs)}" for cs, ds in by_color.items())
    small = [str(d) for d in wingo.DIGITS if wingo.size(d) == wingo.SMALL]
    big = [str(d) for d in wingo.DIGITS if wingo.size(d) == wingo.BIG]
    return (f"Each draw is one digit 0-9. Size: {small[0]}-{small[-1]} {wingo.SMALL}, "
            f"{big[0]}-{big[-1]} {wingo.BIG}. Colours: {colours}.")


def build_messages(game: WinGo, issue: str, digits: list[int]) -> list[dict]:
    """Return the chat messages asking for the digit of `issue` given recent `digits`."""
    recent = digits[-HISTORY_DIGITS:]
    history = ", ".join(str(d) for d in recent) if recent else "(none yet)"
    user = (
        f"Game {game.code}, one draw every {game.period_seconds} seconds. {rules_text()}\n"
        f"The last {len(recent)} results, oldest first: {history}\n"
        f"Predict the draw of issue {issue}. Answer with JSON only, exactly: "
        '{"number": <digit 0-9>, "size": "Big" or "Small", "color": "Red", "Green" or "Violet", '
        '"confidence": <probability 0-1 that the number is right>}'
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
