"""The Telegram bot application, and `python -m lottery bot` (also `python bot.py`).

`build_application(settings, r)` wires python-telegram-bot to the settings
(token, TELEGRAM_API_BASE_URL for a local Bot API server or a test fake), its
rate limiter, the handlers, the one error handler and the lifecycle: the
service's pub/sub listener and housekeeping start in post_init and finish in
post_stop (SIGINT/SIGTERM are handled by run_polling).
"""
from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import Callable

import redis
from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from lottery.bot import handlers, sender
from lottery.bot.service import BotService, utc_now
from lottery.config import Settings
from lottery.logs import HTTP_LOGGERS, keep_quiet

log = logging.getLogger("lottery.bot")

PUBLIC_COMMANDS = [
    ("start", "follow the live feed"), ("stop", "stop the feed"),
    ("reset", "start a new session (counts back to 0)"),
    ("prediction", "latest prediction"),
    ("history", "last 10 draws and our hits"), ("stats", "honest scoreboard"),
    ("status", "session and today's hits"), ("fair", "fairness proof of a draw"),
    ("game", "switch game"), ("schedule", "daily session starts"),
    ("alerts", "crash alerts on/off"), ("help", "all commands"),
]


def missing_settings(settings: Settings) -> list[str]:
    """Return what the bot needs and is not configured (empty when it can start)."""
    missing = []
    if not settings.telegram_bot_token:
        missing.append("TELEGRAM_BOT_TOKEN (the token @BotFather gives you for your bot)")
    if not settings.redis_url:
        missing.append("REDIS_URL (the Redis the worker writes to; `python -m lottery up` sets it)")
    return missing


def file_url(base_url: str) -> str:
    """Return the Bot API file URL that goes with a base URL ending in /bot."""
    return base_url[:-len("bot")] + "file/bot" if base_url.endswith("bot") else base_url


def build_application(settings: Settings, r, *, clock: Callable[[], datetime] = utc_now,
                      rate_limiter=None, **service_options) -> Application:
    """Return the bot application (not started) with handlers, error handler and lifecycle."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    # The token is part of every Bot API URL: httpx logs URLs at INFO, PTB at DEBUG.
    keep_quiet(HTTP_LOGGERS)
    keep_quiet(("telegram",), logging.INFO)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url(settings.telegram_api_base_url))
        .rate_limiter(sender.GuardedRateLimiter(rate_limiter or AIORateLimiter(max_retries=5)))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["service"] = BotService(settings, r, application.bot, clock=clock,
                                                 **service_options)
    handlers.register(application)
    application.add_error_handler(on_error)
    return application


async def _post_init(application: Application) -> None:
    try:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in PUBLIC_COMMANDS])
    except TelegramError as exc:  # the menu is a convenience; the bot works without it
        sender.log_failure("-", exc, application.bot.token, "setMyCommands")
    service = application.bot_data["service"]
    await service.start()
    log.info("bot @%s started", application.bot.username)
    # The first /stats would otherwise pay for importing scipy and the scoreboard (1-2 s).
    service.background(_warm(service), "bot:warm")


async def _warm(service: BotService) -> None:
    try:
        seconds = await service.call(handlers.warm_stats, service.settings.games)
        log.info("/stats warmed in %.2f s", seconds)
    except Exception as exc:  # only a head start: /stats works without it
        sender.log_failure("-", exc, service.settings.telegram_bot_token, "warming /stats")


async def _post_stop(application: Application) -> None:
    await application.bot_data["service"].stop()


async def _post_shutdown(application: Application) -> None:
    log.info("bot stopped")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler error with its chat id (never the token) and tell the chat."""
    chat = update.effective_chat if isinstance(update, Update) else None
    sender.log_failure(chat.id if chat else "-", context.error, context.bot.token)
    if chat is None:
        return
    if isinstance(context.error, redis.RedisError):
        text = "The data store is unreachable right now; please try again in a moment."
    else:
        text = "Something went wrong handling that; please try again."
    try:
        await context.bot.send_message(chat.id, text)
    except TelegramError:
        pass  # the chat may be the problem (blocked, gone)


# -- CLI: python -m lottery bot ---------------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("--drop-pending-updates", action="store_true",
                        help="ignore commands sent while the bot was not running")


def run(args, settings: Settings) -> int:
    """Run the bot until SIGINT/SIGTERM; explain and return 2 when it is not configured."""
    from lottery.store.embedded import resolve_redis_url

    # While `up` runs, its local Redis is found without REDIS_URL.
    settings = settings.with_(redis_url=resolve_redis_url(settings))
    missing = missing_settings(settings)
    if missing:
        print("bot: cannot start; set " + " and ".join(missing), file=sys.stderr)
        return 2
    from lottery.logs import configure_logging
    from lottery.store.connection import connect

    configure_logging(settings, "bot")  # masks the token, tracebacks included
    r = connect(settings.redis_url)
    try:
        application = build_application(settings, r)
        application.run_polling(allowed_updates=["message", "callback_query"],
                                drop_pending_updates=args.drop_pending_updates)
        return 0
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
        return 1
    except TelegramError as exc:
        sender.log_failure("-", exc, settings.telegram_bot_token, "startup")
        return 1
    finally:
        r.close()
