"""The simulator Flask blueprint (`/api/simulator/*`), registered by the app factory.

The routes live in lottery.sim.api; this name is kept for upstream imports.
"""
from lottery.sim.api import OPENAPI_PATHS, bp  # noqa: F401
