"""Placeholder blueprint; filled in by its issue."""
from flask import Blueprint

bp = Blueprint("pages", __name__)
OPENAPI_PATHS: dict = {}
