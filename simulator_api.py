"""The simulator Flask blueprint (`/api/simulator/*`), registered by the app factory.

The routes live in lottery.web.simulator; this name is kept for upstream imports.
"""
from lottery.web.simulator import OPENAPI_PATHS, bp  # noqa: F401
