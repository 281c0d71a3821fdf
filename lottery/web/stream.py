"""Placeholder blueprint; filled in by its issue."""
from flask import Blueprint

bp = Blueprint("stream", __name__)
OPENAPI_PATHS: dict = {}
