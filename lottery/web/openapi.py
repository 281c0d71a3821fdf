"""The OpenAPI document, merged from every blueprint module's OPENAPI_PATHS."""
from __future__ import annotations

from lottery import __version__

ERROR_SCHEMA = {"type": "object", "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


def build_document() -> dict:
    """Return the OpenAPI 3.1 document of all registered endpoints."""
    from lottery.web import blueprint_modules

    paths: dict = {}
    for module in blueprint_modules():
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lottery prediction service", "version": __version__,
                 "description": "Predictions for periodic draws, measured honestly against "
                                "chance. Errors are {error, message} JSON. Mutating endpoints "
                                "need Authorization: Bearer <ADMIN_TOKEN>."},
        "components": {"schemas": {"Error": ERROR_SCHEMA},
                       "securitySchemes": {"admin": {"type": "http", "scheme": "bearer"}}},
        "paths": dict(sorted(paths.items())),
    }
