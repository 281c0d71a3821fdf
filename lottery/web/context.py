"""Accessors for what the app was created with: settings, Redis, caches."""
from __future__ import annotations

import json

from flask import current_app, request

from lottery.config import DEFAULT_GAME, Settings
from lottery.games import GAMES, WinGo
from lottery.web.errors import bad_request


def get_settings() -> Settings:
    """Return the app's settings."""
    return current_app.extensions["lottery"]["settings"]


def get_redis():
    """Return the app's pooled Redis client."""
    return current_app.extensions["lottery"]["redis"]


def get_fast_redis():
    """Return the Redis client that fails fast (health, status, history)."""
    return current_app.extensions["lottery"]["redis_fast"]


def get_service(name: str):
    """Return a per-process service the app registered (e.g. the prediction cache)."""
    return current_app.extensions["lottery"][name]


def get_game_arg() -> WinGo:
    """Return the game named by `?game=` (default WinGo_1M), or raise a 400."""
    # Fast path for the polled endpoints: no query string, no parsing.
    code = request.args.get("game", DEFAULT_GAME) if request.environ.get("QUERY_STRING") \
        else DEFAULT_GAME
    if code not in GAMES:
        raise bad_request(f"unknown game {code!r}; known games: {', '.join(sorted(GAMES))}",
                          "unknown_game")
    return GAMES[code]


def get_json_object() -> dict:
    """Return the request body as a JSON object ({} when empty), or raise a 400."""
    raw = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH (413 beyond)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser's stack; ValueError also covers
        # integers of more than 4,300 digits and invalid UTF-8.
        raise bad_request("the request body is not valid JSON", "invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object", "invalid_json")
    return body


def get_int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """Return a whole-number query parameter within bounds, or raise a 400."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise bad_request(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value
