"""Placeholder blueprint; filled in by its issue."""
from flask import Blueprint

bp = Blueprint("evaluation", __name__)
OPENAPI_PATHS: dict = {}
