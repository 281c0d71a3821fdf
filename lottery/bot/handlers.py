"""Command and button handlers. Each reads or writes Redis through the service.

Access: everyone may use the read-only commands; in groups only group
administrators may start, stop, switch game or change schedules and limits;
admin commands only answer user ids listed in TELEGRAM_ADMIN_IDS.
"""
from __future__ import annotations

import json
from functools import wraps

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from lottery import keys
from lottery.bot import chats, schedule, texts
from lottery.bot.service import BotService
from lottery.games import get_game
from lottery.store import draws, predictions

SCHED_CALLBACK = "sched:"
RESET_CALLBACK = "reset:"  # + game code: start a new session (confirmed by a button)
STATS_ALL_CALLBACK = "stats:all"
GROUP_MANAGERS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def service(context: ContextTypes.DEFAULT_TYPE) -> BotService:
    """Return the bot's service (settings, Redis, clock, deliveries)."""
    return context.application.bot_data["service"]


async def reply(update: Update, text: str, **kwargs) -> None:
    """Answer in the chat the update came from (long texts in several messages)."""
    for part in texts.split_message(text):
        await update.effective_message.reply_text(part, **kwargs)


def is_bot_admin(update: Update, context) -> bool:
    """Return True when the sender is listed in TELEGRAM_ADMIN_IDS."""
    user = update.effective_user
    return user is not None and user.id in service(context).settings.telegram_admin_ids


async def can_manage(update: Update, context) -> bool:
    """Return True in private chats and for group administrators."""
    chat = update.effective_chat
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    # An anonymous group admin posts as the group itself.
    sender_chat = message.sender_chat if message is not None else None
    if sender_chat is not None and sender_chat.id == chat.id:
        return True
    if update.effective_user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, update.effective_user.id)
    return member.status in GROUP_MANAGERS


def managers_only(handler):
    """Let a handler run only in private chats or for group administrators."""

    @wraps(handler)
    async def wrapper(update: Update, context):
        if not await can_manage(update, context):
            await reply(update, "Only group administrators can do that in this group.")
            return
        await handler(update, context)

    return wrapper


def admins_only(handler):
    """Let a handler run only for the bot's administrators."""

    @wraps(handler)
    async def wrapper(update: Update, context):
        if not is_bot_admin(update, context):
            await reply(update, "Sorry, that command is only for the bot's administrators.")
            return
        await handler(update, context)

    return wrapper


async def chat_game(svc: BotService, chat_id: int) -> tuple[chats.ChatState, str]:
    """Return a chat's state and its game (an enabled one)."""
    state = await svc.call(chats.get_chat, chat_id)
    game = state.game if state.game in svc.settings.games else svc.settings.games[0]
    return state, game


# -- feed ------------------------------------------------------------------------
def reset_keyboard(game_code: str) -> InlineKeyboardMarkup:
    """Return the button that confirms starting a new session (counts back to zero)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        "Start a new session (counts back to 0)", callback_data=RESET_CALLBACK + game_code)]])


async def running_session_reply(update: Update, state: chats.ChatState, game_code: str) -> None:
    """Say that a session is running and how to reset it, without touching it."""
    await reply(update, f"Your {game_code} session is already running: "
                        f"{texts.counts(state.session_wins, state.session_losses)} so far. "
                        "It carries on unchanged. /reset (or the button) starts a new session "
                        "with the counts back to 0; /stop ends it.",
                reply_markup=reset_keyboard(game_code))


async def new_session(update: Update, svc: BotService, chat_id: int, game_code: str,
                      opening: str) -> None:
    await svc.start_session(chat_id, game_code)
    await reply(update, opening)
    await svc.deliver_to(chat_id, game_code)


@managers_only
async def start(update: Update, context) -> None:
    """Subscribe the chat to its game's feed, start a session and send the open prediction."""
    svc = service(context)
    chat_id = update.effective_chat.id
    state, game = await chat_game(svc, chat_id)
    if state.subscribed:
        await running_session_reply(update, state, game)
        return
    await new_session(update, svc, chat_id, game, f"Subscribed to {game}: one message per "
                      "issue with our call and the last result. /stop ends it, /help lists "
                      "everything.\n" + texts.FOOTER)


@managers_only
async def reset(update: Update, context) -> None:
    """Start a new session of the chat's game (counts back to zero)."""
    svc = service(context)
    chat_id = update.effective_chat.id
    _, game = await chat_game(svc, chat_id)
    await new_session(update, svc, chat_id, game, f"New {game} session started: counts are "
                      "back to 0. /stop ends it.")


async def reset_button(update: Update, context) -> None:
    """Confirm a new session from the button under "already running"."""
    svc = service(context)
    query = update.callback_query
    if not await can_manage(update, context):
        await query.answer("Only group administrators can reset the session.", show_alert=True)
        return
    code = query.data[len(RESET_CALLBACK):]
    if code not in svc.settings.games:
        await query.answer("That button is out of date.")
        return
    await query.answer("New session started.")
    await new_session(update, svc, update.effective_chat.id, code,
                      f"New {code} session started: counts are back to 0. /stop ends it.")


@managers_only
async def stop(update: Update, context) -> None:
    """Unsubscribe the chat and show the session's counts."""
    svc = service(context)
    chat_id = update.effective_chat.id
    state = await svc.call(chats.get_chat, chat_id)
    if not await svc.call(chats.unsubscribe, chat_id):
        await reply(update, "This chat is not subscribed. /start follows the live feed.")
        return
    await reply(update, "Stopped. " + texts.family_texts(state.game).session_line(
        state.session_wins, state.session_losses, 0))


def find_game(games: tuple[str, ...], text: str) -> str | None:
    """Return the enabled game code matching `text` in any letter case, or None."""
    return {code.lower(): code for code in games}.get(text.strip().lower())


@managers_only
async def game(update: Update, context) -> None:
    """Switch the chat's game (a new session when subscribed to another game)."""
    svc = service(context)
    games = svc.settings.games
    code = find_game(games, context.args[0]) if len(context.args) == 1 else None
    if code is None:
        await reply(update, texts.USAGE["game"].format(games=", ".join(games)))
        return
    chat_id = update.effective_chat.id
    state = await svc.call(chats.get_chat, chat_id)
    if state.subscribed and state.game == code:
        await running_session_reply(update, state, code)
    elif state.subscribed:
        await new_session(update, svc, chat_id, code, f"Switched to {code}: the {state.game} "
                          f"session ended ({texts.counts(state.session_wins, state.session_losses)})"
                          f" and a new {code} session starts now.")
    else:
        await svc.call(chats.set_fields, chat_id, game=code)
        await reply(update, f"Game set to {code}. /start follows its live feed.")


# -- read-only -------------------------------------------------------------------
async def prediction(update: Update, context) -> None:
    """Show the latest prediction with the previous issue's result."""
    svc = service(context)
    _, code = await chat_game(svc, update.effective_chat.id)
    report = await svc.latest_report(code)
    if report is None:
        await reply(update, f"No prediction for {code} yet: the worker publishes one each period.")
        return
    g = get_game(code)
    previous = await svc.call(predictions.get_prediction, code,
                              g.previous_issue(report["next_issue"]))
    text = texts.family_texts(code).prediction_text(report, previous)
    if svc.is_stale(code, report["next_issue"]):
        text = "(This issue is already drawn: the worker is behind.)\n" + text
    await reply(update, text)


async def history(update: Update, context) -> None:
    """Show the last 10 draws with our calls and hits."""
    svc = service(context)
    _, code = await chat_game(svc, update.effective_chat.id)
    recent = await svc.call(draws.recent_draws, code, 10)
    preds = await svc.call(predictions.recent_predictions, code, 12)
    by_issue = {p["issue"]: p for p in preds}
    missing = [d["issue"] for d in recent if d["issue"] not in by_issue]
    for issue in missing:  # older than the 12 newest predictions (a gap in predictions)
        found = await svc.call(predictions.get_prediction, code, issue)
        if found:
            by_issue[issue] = found
    await reply(update, texts.family_texts(code).history_text(code, recent, by_issue))


async def stats(update: Update, context) -> None:
    """Show the live predictor's record (n, chance, 95% interval, verdict); `all` shows all."""
    svc = service(context)
    _, code = await chat_game(svc, update.effective_chat.id)
    show_all = bool(context.args) and context.args[0].lower() == "all"
    await send_stats(update, svc, code, show_all)


async def stats_button(update: Update, context) -> None:
    """Show every predictor's record from the button under /stats."""
    svc = service(context)
    await update.callback_query.answer()
    _, code = await chat_game(svc, update.effective_chat.id)
    await send_stats(update, svc, code, True)


async def send_stats(update: Update, svc: BotService, code: str, show_all: bool) -> None:
    sections = await svc.call(scoreboard_sections, code)
    replayed = await svc.call(replayed_sections, code)
    live = await svc.latest_report(code)
    live_name = (live or {}).get("predictor")
    text, more = texts.stats_text(code, sections, live_name, show_all, replayed)
    markup = None
    if more:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            f"Show all {len(sections)} predictors", callback_data=STATS_ALL_CALLBACK)]])
    await reply(update, text, reply_markup=markup)


def scoreboard_sections(r, game_code: str) -> list[tuple[str, list[tuple[str, dict]]]]:
    """Return (title, [(market label, figures)]) from the scoreboard, else the report."""
    try:
        from lottery.store.scores import scoreboard
    except ImportError:
        scoreboard = None
    if scoreboard is not None:
        sections = _from_scoreboard(scoreboard(r, game_code))
        if sections:
            return sections
    raw = predictions.read_report(r, game_code)
    if not raw:
        return []
    report = json.loads(raw)
    accuracy = report.get("accuracy") or {}
    rows = [(label, accuracy[m]) for m, label in texts.market_labels(game_code).items()
            if m in accuracy]
    return [(f"Report predictor: {report.get('predictor', '?')}", rows)] if rows else []


def replayed_sections(r, game_code: str) -> tuple[int, list] | None:
    """Return (draws, sections) of the replayed record on the scoreboard, or None."""
    try:
        from lottery.store.scores import scoreboard
    except ImportError:
        return None
    board = scoreboard(r, game_code)
    replayed = board.get("replayed")
    if not replayed:
        return None
    sections = _from_scoreboard({"game": board["game"], "rows": replayed["rows"]})
    return (replayed["n_draws"], sections) if sections else None


def warm_stats(r, games) -> float:
    """Import and compute what /stats needs (scipy, the scoreboard) once; return seconds."""
    import time

    t0 = time.monotonic()
    for code in games:
        scoreboard_sections(r, code)
    return time.monotonic() - t0


def _from_scoreboard(board) -> list | None:
    """Group scoreboard rows by predictor; None when the shape is not understood."""
    rows = board.get("rows") if isinstance(board, dict) else board
    if not isinstance(rows, list):
        return None
    labels = texts.market_labels(board["game"]) if isinstance(board, dict) else {}
    grouped: dict[str, list[tuple[str, dict]]] = {}
    for row in rows:
        if not isinstance(row, dict) or "market" not in row or "n" not in row:
            return None
        label = labels.get(row["market"], row["market"])
        grouped.setdefault(str(row.get("predictor", "?")), []).append((label, row))
    return [(f"Predictor: {name}", items) for name, items in grouped.items()]


async def fair(update: Update, context) -> None:
    """Show the fairness proof of a simulated draw (or the pending commitment)."""
    svc = service(context)
    _, code = await chat_game(svc, update.effective_chat.id)
    g = get_game(code)
    usage = texts.USAGE["fair"].format(example=g.last_settled_issue(svc.clock()))
    if len(context.args) != 1:
        await reply(update, usage)
        return
    issue = context.args[0]
    try:
        g.parse_issue(issue)
    except ValueError as exc:
        await reply(update, f"{exc}\n{usage}")
        return
    from lottery.sources.simulated import verify_draw

    record = await svc.call(draws.get_draw, code, issue)
    if record is None:
        commitment = await svc.call(lambda r: r.hget(keys.commitments(code), issue))
        if commitment is None:
            await reply(update, f"No draw or commitment stored for {code} issue {issue}.")
        else:
            await reply(update, texts.fair_pending_text(
                code, issue, commitment.decode() if isinstance(commitment, bytes) else commitment,
                g.draw_time(issue).isoformat() if g.draw_time(issue) else "when the feed plays it"))
        return
    if not record.get("seed"):
        await reply(update, f"{code} issue {issue} came from the '{record.get('source')}' source: "
                            "only simulated draws carry a fairness proof.")
        return
    previous = await svc.call(draws.get_draw, code, g.previous_issue(issue))
    await reply(update, texts.family_texts(code).fair_text(
        code, record, verify_draw(record, code, previous), g.fair_formula()))


async def status(update: Update, context) -> None:
    """Show the session, today's counts and the schedule in the chat's timezone."""
    svc = service(context)
    state, _ = await chat_game(svc, update.effective_chat.id)
    now = svc.clock()
    await reply(update, texts.status_text(state, schedule.local_now(now, state.tz),
                                          schedule.local_day(now, state.tz)))


async def help_(update: Update, context) -> None:
    """List the commands."""
    svc = service(context)
    await reply(update, texts.help_text(is_bot_admin(update, context), svc.settings.games))


async def unknown(update: Update, context) -> None:
    """Point an unknown command to /help."""
    await reply(update, "Unknown command. /help lists what I can do.")


async def alerts_cmd(update: Update, context) -> None:
    """Follow or stop a game's alerts (/alerts on|off [GAME]); /alerts alone shows the state."""
    svc = service(context)
    chat_id = update.effective_chat.id
    offered = svc.alert_games
    if not offered:
        await reply(update, "No game with alerts is running here.")
        return
    args = list(context.args)
    _, current = await chat_game(svc, chat_id)
    game = current if current in offered else offered[0]
    if len(args) == 2 and args[1] in offered:
        game = args.pop()
    usage = texts.USAGE["alerts"].format(games=", ".join(offered))
    if not args:
        following = await svc.call(chats.alert_games_of, chat_id)
        shown = ", ".join(g for g in following if g in offered) or "none"
        await reply(update, f"Alerts followed here: {shown}.\n{usage}\n{texts.ALERTS_ABOUT}")
        return
    if len(args) != 1 or args[0].lower() not in ("on", "off"):
        await reply(update, usage)
        return
    if not await can_manage(update, context):
        await reply(update, "Only group administrators can do that in this group.")
        return
    on = args[0].lower() == "on"
    changed = await svc.call(chats.set_alerts, chat_id, game, on)
    if on:
        await reply(update, (f"{game} alerts on." if changed else f"{game} alerts were already "
                             "on.") + f" /alerts off stops them.\n{texts.ALERTS_ABOUT}")
    else:
        await reply(update, f"{game} alerts off." if changed else f"{game} alerts were not on.")


# -- session settings ---------------------------------------------------------------
@managers_only
async def winlimit(update: Update, context) -> None:
    """Set or clear the session's win target."""
    svc = service(context)
    chat_id = update.effective_chat.id
    arg = context.args[0].lower() if len(context.args) == 1 else ""
    if arg in ("off", "0"):
        await svc.call(chats.set_fields, chat_id, win_limit=0)
        await reply(update, "Win target cleared.")
        return
    if not arg.isdigit() or not 1 <= int(arg) <= 1000:
        await reply(update, texts.USAGE["winlimit"])
        return
    await svc.call(chats.set_fields, chat_id, win_limit=int(arg))
    await reply(update, f"The session ends after {int(arg)} correct Big/Small calls.")


@managers_only
async def timezone_(update: Update, context) -> None:
    """Set the chat's timezone (validated IANA name)."""
    svc = service(context)
    chat_id = update.effective_chat.id
    if len(context.args) != 1:
        state = await svc.call(chats.get_chat, chat_id)
        await reply(update, f"Timezone: {state.tz}\n" + texts.USAGE["timezone"])
        return
    try:
        tz = schedule.parse_timezone(context.args[0])
    except ValueError as exc:
        await reply(update, f"{exc}\n" + texts.USAGE["timezone"])
        return
    await svc.call(chats.set_fields, chat_id, tz=tz)
    now_local = schedule.local_now(svc.clock(), tz)
    await reply(update, f"Timezone set to {tz} (local time {now_local:%H:%M}). Days and daily "
                        "starts follow it.")


def schedule_keyboard(active: list[str]) -> InlineKeyboardMarkup:
    """Return 24 hourly toggle buttons, ticked where a daily start is set."""
    rows = []
    for first in range(0, 24, 6):
        row = []
        for hour in range(first, first + 6):
            hhmm = f"{hour:02d}:00"
            label = f"✅ {hhmm}" if hhmm in active else hhmm
            row.append(InlineKeyboardButton(label, callback_data=SCHED_CALLBACK + hhmm))
        rows.append(row)
    return InlineKeyboardMarkup(rows)


async def _toggle(svc: BotService, chat_id: int, hhmm: str) -> str:
    outcome = await svc.call(chats.toggle_schedule, chat_id, hhmm)
    if outcome < 0:
        return f"At most {chats.MAX_SCHEDULES} daily starts; remove one first."
    return f"Daily start {hhmm} {'added' if outcome else 'removed'}."


@managers_only
async def schedule_cmd(update: Update, context) -> None:
    """Toggle a daily start, or show the hour buttons."""
    svc = service(context)
    chat_id = update.effective_chat.id
    if not context.args:
        state = await svc.call(chats.get_chat, chat_id)
        await reply(update, f"Tap an hour to toggle a daily session start ({state.tz}).",
                    reply_markup=schedule_keyboard(state.schedules))
        return
    try:
        hhmm = schedule.parse_hhmm(" ".join(context.args))
    except ValueError as exc:
        await reply(update, f"{exc}\n" + texts.USAGE["schedule"])
        return
    state = await svc.call(chats.get_chat, chat_id)
    await reply(update, await _toggle(svc, chat_id, hhmm) + f" (timezone {state.tz}; a reminder "
                                                            "comes 5 minutes before)")


async def schedule_button(update: Update, context) -> None:
    """Toggle the daily start of a tapped hour button."""
    svc = service(context)
    query = update.callback_query
    if not await can_manage(update, context):
        await query.answer("Only group administrators can change the schedule.", show_alert=True)
        return
    try:
        hhmm = schedule.parse_hhmm(query.data[len(SCHED_CALLBACK):])
    except ValueError:
        await query.answer("That button is out of date.")
        return
    chat_id = update.effective_chat.id
    text = await _toggle(svc, chat_id, hhmm)
    await query.answer(text)
    state = await svc.call(chats.get_chat, chat_id)
    try:
        await query.edit_message_reply_markup(schedule_keyboard(state.schedules))
    except BadRequest:  # "message is not modified" after a double tap, or a too-old message
        pass


async def viewschedule(update: Update, context) -> None:
    """List the chat's daily starts."""
    svc = service(context)
    state = await svc.call(chats.get_chat, update.effective_chat.id)
    await reply(update, texts.schedule_list_text(state.schedules, state.tz))


@managers_only
async def clearschedule(update: Update, context) -> None:
    """Remove all of the chat's daily starts."""
    svc = service(context)
    n = await svc.call(chats.clear_schedules, update.effective_chat.id)
    await reply(update, f"Removed {n} daily start(s)." if n else "There were no daily starts.")


# -- admin -------------------------------------------------------------------------
async def _set_ai(update: Update, context, enabled: bool) -> None:
    svc = service(context)

    def apply(r) -> str:
        from lottery.ai import store as ai_store

        ai_store.set_flag(r, enabled)
        # Reports carry ai_enabled: flip it now rather than at the next period.
        predictions.patch_reports(r, svc.settings.games,
                                  ai_enabled=ai_store.ai_enabled(r, svc.settings))
        return ai_store.state_text(r, svc.settings)

    def no_key(r) -> bool:
        from lottery.ai import store as ai_store

        return ai_store.key_configured(r, svc.settings) is False

    if enabled and await svc.call(no_key):
        await reply(update, "The AI cannot be switched on: the AI worker has no API key "
                            "(set AI_API_KEYS for it and restart it). Nothing was changed.")
        return
    state = await svc.call(apply)
    await reply(update, f"AI switched {'on' if enabled else 'off'}; AI status: {state}.")


@admins_only
async def ai_on(update: Update, context) -> None:
    """Switch the AI worker on."""
    await _set_ai(update, context, True)


@admins_only
async def ai_off(update: Update, context) -> None:
    """Switch the AI worker off."""
    await _set_ai(update, context, False)


@admins_only
async def broadcast(update: Update, context) -> None:
    """Send an announcement to every subscribed chat."""
    svc = service(context)
    text = update.effective_message.text.partition(" ")[2].strip()
    if not text:
        await reply(update, texts.USAGE["broadcast"])
        return
    counts = await svc.broadcast_text(text)
    await reply(update, f"Broadcast sent to {counts['sent']} chats ({counts['gone']} gone and "
                        f"unsubscribed, {counts['failed']} failed).")


@admins_only
async def subscribers(update: Update, context) -> None:
    """Show how many chats follow each game."""
    svc = service(context)
    counts = await svc.call(chats.subscriber_counts)
    lines = [f"{code}: {counts.get(code, 0)}" for code in svc.settings.games]
    await reply(update, f"Subscribed chats: {sum(counts.values())}\n" + "\n".join(lines))


COMMANDS = {
    "start": start, "reset": reset, "stop": stop, "game": game, "prediction": prediction, "history": history,
    "stats": stats, "fair": fair, "status": status, "help": help_, "winlimit": winlimit,
    "timezone": timezone_, "schedule": schedule_cmd, "viewschedule": viewschedule,
    "clearschedule": clearschedule, "ai_on": ai_on, "ai_off": ai_off, "broadcast": broadcast,
    "subscribers": subscribers, "alerts": alerts_cmd,
}


def register(application) -> None:
    """Add every command and button handler to the application."""
    from lottery.bot import pick_handlers  # the pick lotteries' /check and /pickstats

    for name, handler in {**COMMANDS, **pick_handlers.COMMANDS}.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(CallbackQueryHandler(schedule_button, pattern=f"^{SCHED_CALLBACK}"))
    application.add_handler(CallbackQueryHandler(reset_button, pattern=f"^{RESET_CALLBACK}"))
    application.add_handler(CallbackQueryHandler(stats_button, pattern=f"^{STATS_ALL_CALLBACK}$"))
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown))
