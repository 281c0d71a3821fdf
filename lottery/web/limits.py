"""Rate limits for anonymous callers of the heavy endpoints (Flask-Limiter, Redis storage).

Counters live in the shared Redis under keys.RATE_LIMIT_PREFIX, so every web
process and replica counts together. A request with the admin token is exempt.
If Redis cannot be reached the limiter lets the request through (the endpoint
then answers 503 on its own).
"""
from __future__ import annotations

import hmac
from functools import partial

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
    _only_on_heavy_endpoints(app, limiter)
    return limiter


def _only_on_heavy_endpoints(app: Flask, limiter: Limiter) -> None:
    """Run the limiter's request hooks on the heavy endpoints only.

    Flask-Limiter hooks every request of the app; only the heavy endpoints have
    limits, and its hooks cost about 0.2 ms a request, which doubled the cost of
    the polled endpoints (/api/prediction).
    """
    def mine(fn) -> bool:
        return getattr(fn, "__self__", None) is limiter or (
            isinstance(fn, partial) and limiter in fn.args)

    def guard(fn, passthrough: bool):
        def hook(*args):
            if request.endpoint in HEAVY_ENDPOINTS:
                return fn(*args)
            return args[0] if passthrough else None  # after_request hands the response on
        return hook

    for funcs, passthrough in ((app.before_request_funcs, False),
                               (app.after_request_funcs, True),
                               (app.teardown_request_funcs, False)):
        hooks = funcs.get(None, [])
        funcs[None] = [guard(f, passthrough) if mine(f) else f for f in hooks]
