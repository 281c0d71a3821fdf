"""Placeholder blueprint; filled in by its issue."""
from flask import Blueprint

bp = Blueprint("ai_api", __name__)
OPENAPI_PATHS: dict = {}
