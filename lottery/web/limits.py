"""Rate limits for anonymous callers of the heavy endpoints (Flask-Limiter, Redis storage).

Counters live in the shared Redis under keys.RATE_LIMIT_PREFIX, so every web
process and replica counts together. A request with the admin token is exempt.
If Redis cannot be reached the limiter lets the request through (the endpoint
then answers 503 on its own).
"""
from __future__ import annotations

import hmac

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from lottery import keys
from lottery.config import Settings

# Endpoints that queue CPU-heavy jobs.
HEAVY_ENDPOINTS = ("simulator.monte_carlo", "simulator.run_backtest")


def _is_admin(settings: Settings):
    def exempt() -> bool:
        token = settings.admin_token
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode())
    return exempt


def install_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Limit each anonymous caller (by address) on the heavy endpoints to HEAVY_RATE_LIMIT."""
    storage = settings.redis_url or "memory://"
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=storage,
        # Short timeouts: a stalled Redis must not stall the request in the limiter.
        storage_options={"socket_timeout": 1.0, "socket_connect_timeout": 1.0,
                         "key_prefix": keys.RATE_LIMIT_PREFIX} if settings.redis_url else {},
        strategy="fixed-window", headers_enabled=True, swallow_errors=True)
    for endpoint in HEAVY_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(
                settings.heavy_rate_limit, exempt_when=_is_admin(settings),
                error_message=f"callers without the admin token may send {settings.heavy_rate_limit} "
                              "of these requests; try again later")(
                app.view_functions[endpoint])
    return limiter
