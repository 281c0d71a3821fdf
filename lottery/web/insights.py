"""Placeholder blueprint; filled in by its issue."""
from flask import Blueprint

bp = Blueprint("insights", __name__)
OPENAPI_PATHS: dict = {}
