"""One error type for views, one handler that shapes every error as JSON."""
from __future__ import annotations

import json
import logging

import redis
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.routing import WebsocketMismatch

log = logging.getLogger("lottery.web")


class ApiError(Exception):
    """An error a view raises; rendered as {"error": code, "message": text}."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    """Return a 400 error for invalid input."""
    return ApiError(400, code, message)


def not_found(message: str) -> ApiError:
    """Return a 404 error."""
    return ApiError(404, "not_found", message)


# What upstream's 404 body lists (its clients show it); ours are all in /api/openapi.json.
UPSTREAM_ENDPOINTS = (
    "/", "/mixpred/", "/health", "/api/redis/status", "/api/prediction", "/api/ai_prediction",
    "/api/ai_big_small_accuracy", "/api/status", "/api/ai/status", "/api/ai/start",
    "/api/ai/stop", "/api/color_insights", "/api/size_insights", "/api/v2/insights",
    "/admin/reset-streaks")


def _body(code: str, message: str, status: int, **extra):
    # "status": "error" is what upstream clients test for; "error" is our code.
    resp = jsonify({"error": code, "message": message, "status": "error", **extra})
    resp.status_code = status
    return resp


def register_error_handlers(app: Flask) -> None:
    """Install the handlers: ApiError, HTTP errors, Redis outages, anything else."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        resp = _body(err.code, err.message, err.status)
        resp.headers.update(err.headers)
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if err.code == 404:  # no such route: upstream's body, plus our code
            return _body("not_found", "Endpoint not found", 404,
                         available_endpoints=[*UPSTREAM_ENDPOINTS, "/api/openapi.json"])
        if isinstance(err, WebsocketMismatch):
            return _body("websocket_mismatch", "/ws takes WebSocket upgrades only (Upgrade: "
                         "websocket); the other endpoints take plain HTTP", 400)
        code = (err.name or "error").lower().replace(" ", "_")
        resp = _body(code, err.description or err.name, err.code or 500)
        # Keep what the error says beyond its body: Allow on a 405, Retry-After on a 429.
        for name, value in err.get_headers():
            if name.lower() not in ("content-type", "content-length"):
                resp.headers[name] = value
        return resp

    @app.errorhandler(redis.RedisError)
    def _redis_down(err: redis.RedisError):
        # The message never includes the URL (it may carry a password).
        log.warning("redis unavailable: %s", type(err).__name__)
        return _body("redis_unavailable", "the data store is unreachable; try again shortly", 503)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")
        return _body("internal_error", "an unexpected error occurred", 500)


MAX_URL_LENGTH = 4096  # characters of path + query string the app accepts (414 beyond)


def check_url_length() -> None:
    """Refuse a request whose URL is over MAX_URL_LENGTH with a 414 (runs before every view)."""
    from flask import request

    raw = request.environ.get("RAW_URI") or request.full_path
    if len(raw) > MAX_URL_LENGTH:
        raise ApiError(414, "uri_too_long",
                       f"the URL is {len(raw)} characters long; the limit is {MAX_URL_LENGTH}")


def install_gunicorn_json_errors() -> None:
    """Make gunicorn answer the errors it handles itself (414, 431, bad request lines) as JSON."""
    from gunicorn import util

    def write_error(sock, status_int, reason, mesg):
        body = json.dumps({"error": reason.lower().replace(" ", "_"),
                           "message": mesg or reason}).encode()
        head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        util.write_nonblock(sock, head.encode("latin-1") + body)

    # gunicorn's workers call util.write_error for these; it writes an HTML page.
    util.write_error = write_error
