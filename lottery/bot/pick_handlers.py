"""Pick-lottery bot commands: /check a ticket against a draw, /pickstats the honest record.

Both answer for the chat's game when it is a pick lottery, else for the first
enabled one (a game code as the first word picks another).
"""
from __future__ import annotations

from lottery.bot import pick_texts
from lottery.bot.handlers import chat_game, reply, service
from lottery.games import get_game
from lottery.games.pick import check_ticket, is_pari_mutuel
from lottery.store import draws


def _pick_games(codes) -> list[str]:
    return [c for c in codes if getattr(get_game(c), "family", "") == "pick"]


async def _game_of(update, svc, asked: str | None) -> str | None:
    games = _pick_games(svc.settings.games)
    if asked:
        return asked
    _, code = await chat_game(svc, update.effective_chat.id)
    return code if code in games else (games[0] if games else None)


async def check(update, context) -> None:
    """Check a ticket against the last draw (or a given date): matches, prize, cost and net."""
    svc = service(context)
    games = _pick_games(svc.settings.games)
    if not games:
        await reply(update, "No pick lottery (Powerball, EuroMillions) is followed here.")
        return
    try:
        asked, raw, day = pick_texts.parse_check_args(context.args, games)
    except ValueError as exc:
        await reply(update, f"{exc}.\n{pick_texts.CHECK_USAGE}")
        return
    if not raw.get("balls") and not raw.get("whites"):
        await reply(update, pick_texts.CHECK_USAGE)
        return
    code = await _game_of(update, svc, asked)
    game = get_game(code)
    try:
        issue = game.canonical_issue(day) if day else await svc.call(draws.latest_issue, code)
    except ValueError as exc:
        await reply(update, f"{exc}.\n{pick_texts.CHECK_USAGE}")
        return
    record = await svc.call(draws.get_draw, code, issue) if issue else None
    if record is None:
        await reply(update, f"No stored {code} draw" + (f" for {issue}." if issue else " yet."))
        return
    ticket_raw = raw["balls"] if "balls" in raw else raw
    try:
        ticket = game.parse_ticket(ticket_raw, issue)
    except ValueError as exc:
        await reply(update, f"That is not a {code} ticket: {exc}.\n{pick_texts.CHECK_USAGE}")
        return
    result = check_ticket(game, ticket, issue, game.decode_outcome(record))
    await reply(update, pick_texts.check_text(game, result, is_pari_mutuel(game.era_for(issue))))


async def pickstats(update, context) -> None:
    """Show each mode's record against chance and the random baseline (n, p, verdict)."""
    svc = service(context)
    games = _pick_games(svc.settings.games)
    asked = None
    if context.args:
        asked = {g.lower(): g for g in games}.get(context.args[0].lower())
        if asked is None or len(context.args) > 1:
            await reply(update, f"Usage: /pickstats [GAME] (one of: {', '.join(games) or 'none'})")
            return
    code = await _game_of(update, svc, asked)
    if code is None:
        await reply(update, "No pick lottery (Powerball, EuroMillions) is followed here.")
        return
    from lottery.store.scores import scoreboard

    board = await svc.call(scoreboard, code)
    rows, replayed = board.get("rows") or [], False
    if not rows and (board.get("replayed") or {}).get("rows"):
        rows, replayed = board["replayed"]["rows"], True
    await reply(update, pick_texts.pick_stats_text(get_game(code), rows, replayed))


COMMANDS = {"check": check, "pickstats": pickstats}
