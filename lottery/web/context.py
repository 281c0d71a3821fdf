"""Accessors for what the app was created with: settings, Redis, caches."""
from __future__ import annotations

import json

from flask import current_app, request

from lottery.config import DEFAULT_GAME, Settings
from lottery.games import GAMES, Game
from lottery.web.errors import ApiError, bad_request


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


def followed_game(code: str) -> Game:
    """Return the game of this code if the server follows it; else raise 400 (unknown) or 404."""
    if code not in GAMES:
        raise bad_request(f"unknown game {code!r}; known games: {', '.join(sorted(GAMES))}",
                          "unknown_game")
    followed = get_settings().games
    if code not in followed:
        raise ApiError(404, "game_not_followed", f"this server does not follow {code}; "
                                                 f"it follows {', '.join(followed)}")
    return GAMES[code]


def get_game_arg(default: str | None = DEFAULT_GAME) -> Game | None:
    """Return the followed game named by `?game=` (else `default`), or raise 400/404.

    The one policy for "which game does this request mean": every view asks here.
    """
    # Fast path for the polled endpoints: no query string, no parsing.
    code = request.args.get("game") if request.environ.get("QUERY_STRING") else None
    if code is None or code == "":
        if default is None:
            return None
        code = default if default in get_settings().games else get_settings().games[0]
    return followed_game(code)


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


def get_paging(per_page: int, max_page: int = 1_000_000, max_per_page: int = 200
               ) -> tuple[int, int]:
    """Return (?page=, ?per_page=) of a paged list (1-based), or raise a 400."""
    return (get_int_arg("page", 1, 1, max_page),
            get_int_arg("per_page", per_page, 1, max_per_page))


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
