"""The OpenAPI document, merged from every blueprint module's OPENAPI_PATHS."""
from __future__ import annotations

from lottery import __version__

ERROR_SCHEMA = {"type": "object", "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
# What the server enforces on every request, whatever the endpoint (lottery.web.errors):
# added to each operation that does not describe it itself.
_COMMON = {
    "400": "invalid query parameter or body (unknown game, out-of-range number, bad JSON)",
    "414": "the URL is longer than 4,096 characters",
    "503": "Redis is unreachable",
}
_WITH_BODY = {"413": "the body is larger than MAX_BODY_BYTES"}
_WITH_GAME = {"404": "the server does not follow that game (the message names those it does)"}


def _add_enforced_limits(paths: dict) -> None:
    for item in paths.values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            common = dict(_COMMON)
            if method in ("post", "put", "patch"):
                common.update(_WITH_BODY)
            if any(p.get("name") == "game" for p in operation.get("parameters", ())):
                common.update(_WITH_GAME)
            for status, text in common.items():
                if status not in responses:
                    responses[status] = {"description": text, **_ERROR}


def build_document() -> dict:
    """Return the OpenAPI 3.1 document of all registered endpoints."""
    from lottery.web import blueprint_modules

    paths: dict = {}
    for module in blueprint_modules():
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
    _add_enforced_limits(paths)
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
