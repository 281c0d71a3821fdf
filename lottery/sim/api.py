"""Placeholder simulator blueprint; filled in by the simulator issue."""
from flask import Blueprint

bp = Blueprint("simulator", __name__, url_prefix="/api/simulator")
OPENAPI_PATHS: dict = {}
