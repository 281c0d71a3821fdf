"""Logging: every line carries the process name; configured secrets never appear."""
from __future__ import annotations

import logging
import re

from lottery.config import SECRET_QUERY_PARAM, Settings

# Up to the last '@' of the URL: a password may itself hold '@' or '/'.
_URL_AUTH = re.compile(r"(\w+://)[^\s@]*(?:@[^\s@]*)*@")
_BOT_TOKEN_IN_URL = re.compile(r"bot\d+:[\w-]+")  # Telegram puts the token in the URL path


class RedactSecrets(logging.Filter):
    """Mask configured secrets, URL credentials and bot tokens, tracebacks included."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        text = _BOT_TOKEN_IN_URL.sub("bot***", text)
        text = _URL_AUTH.sub(r"\1***@", text)
        return SECRET_QUERY_PARAM.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if record.exc_info:
            # A traceback can quote URLs with tokens: fold it into the message, masked.
            msg += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = record.exc_text = None
        clean = self.redact(msg)
        if clean != record.getMessage() or record.args:
            record.msg, record.args = clean, None
        return True


def secret_values(settings: Settings) -> list[str]:
    """Return every secret string in the settings."""
    values = [settings.admin_token, settings.source_token, settings.sim_secret,
              settings.telegram_bot_token, *settings.ai_api_keys,
              *settings.alert_webhook_urls]
    if settings.redis_url and "@" in settings.redis_url:
        values.append(settings.redis_url)
    return [v for v in values if v]


def configure_logging(settings: Settings, process: str) -> None:
    """Set up root logging for one process (`process` appears on every line)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s %(levelname)s [{process}] %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Libraries that log request URLs (the Telegram token is in the URL) stay quiet.
    for noisy in ("httpx", "httpcore", "telegram.ext", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


HTTP_LOGGERS = ("httpx", "httpcore")  # they log request URLs, where tokens and hooks travel


def keep_quiet(names, floor: int = logging.WARNING) -> None:
    """Raise these loggers to `floor` unless they are already at least that quiet."""
    for name in names:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)
