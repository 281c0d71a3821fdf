"""Admin auth for mutating endpoints: `Authorization: Bearer $ADMIN_TOKEN`."""
from __future__ import annotations

import hmac
from functools import wraps

from flask import request

from lottery.web.context import get_settings
from lottery.web.errors import ApiError


def check_admin() -> None:
    """Raise ApiError unless the request carries the configured admin token."""
    token = get_settings().admin_token
    if not token:
        raise ApiError(403, "admin_disabled",
                       "admin actions are disabled: set ADMIN_TOKEN on the server to enable them")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <ADMIN_TOKEN>")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "unauthorized", "the admin token is not valid")


def require_admin(view):
    """Decorate a view so it runs only for a request with the admin token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        check_admin()
        return view(*args, **kwargs)

    return wrapper
