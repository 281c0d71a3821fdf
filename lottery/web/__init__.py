"""The Flask app factory: `create_app(settings, redis)`.

Each concern is a blueprint module exposing `bp` and `OPENAPI_PATHS`; adding a
panel or endpoint group is adding a module to BLUEPRINT_MODULES.
"""
from __future__ import annotations

import importlib
import logging

from flask import Flask

from lottery.config import Settings
from lottery.web.errors import check_url_length, register_error_handlers

BLUEPRINT_MODULES = (
    "lottery.web.api",  # core: health, status, prediction, history, fairness, openapi
    "lottery.web.evaluation",  # accuracy scoreboard and randomness audit
    "lottery.web.wingo_insights",  # colour/size insights, reset-streaks
    "lottery.web.ai_api",  # AI worker output and toggle
    "lottery.web.simulator",  # /api/simulator/*
    "lottery.web.stream",  # /api/stream (server-sent events)
    "lottery.web.ws",  # /ws: the same events over a WebSocket
    "lottery.web.monitoring",  # /metrics (Prometheus), request counts, web workers' CPU/memory
    "lottery.web.crash_api",  # the crash streak API's routes, manual crash rounds
    "lottery.web.pages",  # dashboard pages
    "lottery.web.pick_api",  # pick lotteries: cached tickets, batch status, insights, checker, EV
)


def blueprint_modules():
    """Import and return the blueprint modules, in registration order."""
    return [importlib.import_module(name) for name in BLUEPRINT_MODULES]


def create_app(settings: Settings | None = None, redis_client=None) -> Flask:
    """Create the web app with its settings and a Redis client passed in (or built once)."""
    from lottery.store.connection import connect
    from lottery.web.cache import PredictionCache

    settings = settings or Settings.from_env()
    if redis_client is None:
        if not settings.redis_url:
            raise RuntimeError("REDIS_URL is not set (python -m lottery up starts a local server)")
        redis_client = connect(settings.redis_url)
    app = Flask(__name__, root_path=str(_project_root()), template_folder="templates",
                static_folder="static")
    app.json.sort_keys = False
    # A larger body is refused with a 413 before it is read (werkzeug checks Content-Length
    # and stops reading a chunked body at the limit).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    from lottery.store.connection import connect_fast

    app.extensions["lottery"] = {
        "settings": settings,
        "redis": redis_client,
        # Health, status and history answer from a client that gives up within a second.
        "redis_fast": connect_fast(settings.redis_url) if settings.redis_url else redis_client,
        "prediction_cache": PredictionCache(redis_client, settings.redis_url),
    }
    register_error_handlers(app)
    _enable_cors(app, settings.cors_origins)
    app.before_request(check_url_length)
    for module in blueprint_modules():
        app.register_blueprint(module.bp)
    from lottery.web.limits import install_rate_limits

    install_rate_limits(app, settings)
    logging.getLogger("lottery.web").debug("app created for games %s", settings.games)
    return app


def close_app(app: Flask, timeout: float = 5.0) -> bool:
    """Stop the app's background threads (prediction cache, stream hub, sampler); True once all ended."""
    from lottery.web.monitoring import stop_sampler
    from lottery.web.stream import shutdown

    hub_done = shutdown(app)
    sampler_done = stop_sampler(app)
    return app.extensions["lottery"]["prediction_cache"].stop(timeout) and hub_done and sampler_done


def _enable_cors(app: Flask, origins: tuple[str, ...]) -> None:
    """Let pages on the configured origins call the API from a browser (none by default)."""
    if not origins:
        return
    from flask_cors import CORS

    allowed = "*" if "*" in origins else list(origins)
    rule = {"origins": allowed, "methods": ["GET", "POST", "OPTIONS"],
            "allow_headers": ["Content-Type", "Authorization", "If-None-Match", "Last-Event-ID"],
            "expose_headers": ["ETag"], "max_age": 600}
    CORS(app, resources={r"/api/*": rule, r"/health": rule})


def _project_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]
