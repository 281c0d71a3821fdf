"""Sending one message reliably, and the one place bot failures are logged.

Rate limits (including 429 retry_after) are PTB's AIORateLimiter's job; here
network errors are retried with backoff, a chat that blocked the bot (403) or
no longer exists is reported as gone, and a migrated group is followed.
Nothing logged here ever contains the bot token.

A delivery passes a `before_send` hook: `GuardedRateLimiter` runs it when the
rate limiter lets the request go, right before it goes on the wire, so a
message still waiting in the limiter's queue is not yet marked as sent (a
process killed meanwhile leaves it queued for the next one). A hook that finds
the delivery is not its to make raises NotOurs and nothing is sent.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from typing import Any

from telegram.error import (BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter,
                            TelegramError)
from telegram.ext import BaseRateLimiter

from lottery.logs import RedactSecrets

log = logging.getLogger("lottery.bot")

SENT, GONE, MIGRATED, FAILED, SKIPPED = "sent", "gone", "migrated", "failed", "skipped"
BEFORE_SEND = "before_send"  # key of the hook in rate_limit_args
# BadRequest texts meaning the chat itself is no longer reachable.
_GONE_TEXTS = ("chat not found", "user is deactivated", "bot was kicked",
               "not enough rights to send")


class NotOurs(Exception):
    """Raised by a before_send hook: another process sends (or sent) this delivery."""


class GuardedRateLimiter(BaseRateLimiter):
    """Wrap a rate limiter so a request's before_send hook runs just before the wire."""

    def __init__(self, inner: BaseRateLimiter):
        self.inner = inner

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def process_request(self, callback, args, kwargs, endpoint, data,
                              rate_limit_args: Any):
        hook = rate_limit_args.get(BEFORE_SEND) if isinstance(rate_limit_args, dict) else None
        if hook is None:
            return await self.inner.process_request(callback, args, kwargs, endpoint, data,
                                                    rate_limit_args)

        async def guarded(*a, **kw):
            await hook()
            return await callback(*a, **kw)

        return await self.inner.process_request(guarded, args, kwargs, endpoint, data, None)


@dataclass(frozen=True)
class SendResult:
    status: str  # SENT, GONE, MIGRATED (new_chat_id set, message sent there), FAILED or SKIPPED
    chat_id: int
    new_chat_id: int | None = None


def redact(text: str, token: str | None) -> str:
    """Return text with the bot token (and any token-bearing URL part) masked."""
    return RedactSecrets([token] if token else []).redact(text)


def log_failure(chat_id, exc: BaseException, token: str | None, where: str = "update") -> None:
    """Log a failure with its chat id and error, never the token or a traceback with URLs."""
    log.warning("%s failed for chat %s: %s: %s", where, chat_id, type(exc).__name__,
                redact(str(exc), token))


async def send_text(bot, chat_id: int, text: str, *, retries: int = 3, backoff: float = 0.5,
                    before_send=None, **kwargs) -> SendResult:
    """Send a message; retry network errors, classify blocked and migrated chats."""
    token = getattr(bot, "token", None)
    if before_send is not None:
        kwargs["rate_limit_args"] = {BEFORE_SEND: before_send}
    attempt = 0
    while True:
        try:
            await bot.send_message(chat_id=chat_id, text=text, **kwargs)
            return SendResult(SENT, chat_id)
        except NotOurs:
            return SendResult(SKIPPED, chat_id)
        except Forbidden as exc:  # blocked by the user, kicked from the group
            log_failure(chat_id, exc, token, "send")
            return SendResult(GONE, chat_id)
        except ChatMigrated as exc:
            kwargs.pop("rate_limit_args", None)
            result = await send_text(bot, exc.new_chat_id, text, retries=retries,
                                     backoff=backoff, before_send=before_send, **kwargs)
            return SendResult(MIGRATED if result.status == SENT else result.status, chat_id,
                              exc.new_chat_id)
        except BadRequest as exc:
            log_failure(chat_id, exc, token, "send")
            gone = any(t in str(exc).lower() for t in _GONE_TEXTS)
            return SendResult(GONE if gone else FAILED, chat_id)
        except RetryAfter as exc:  # the rate limiter gave up after its own retries
            log_failure(chat_id, exc, token, "send")
            return SendResult(FAILED, chat_id)
        except NetworkError as exc:  # includes TimedOut
            attempt += 1
            if attempt > retries:
                log_failure(chat_id, exc, token, "send")
                return SendResult(FAILED, chat_id)
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        except TelegramError as exc:  # e.g. an unparsable reply: not worth retrying
            log_failure(chat_id, exc, token, "send")
            return SendResult(FAILED, chat_id)
