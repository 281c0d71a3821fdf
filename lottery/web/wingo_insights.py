"""Colour/size insights (upstream-compatible) and the admin streak reset.

Every endpoint reads state precomputed by the recorder; nothing here scans
history. POST /admin/reset-streaks needs the admin token.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, jsonify, request

from lottery.store import wingo_insights as insights
from lottery.web.auth import require_admin
from lottery.web.context import get_game_arg, get_json_object, get_redis
from lottery.web.errors import bad_request

bp = Blueprint("insights", __name__)

DISCLAIMER = ("Colour and size rules are patterns found in past draws. Fair draws are "
              "independent, so no rule is expected to beat the 50% chance rate; see "
              "/api/accuracy for the full scoreboard. Paper figures only, not betting advice.")


def _insights(*kinds: str):
    game = get_game_arg()
    r = get_redis()
    body = {"game": game.code}
    for kind in kinds:
        body.update(insights.read(r, game.code, kind))
    body["disclaimer"] = DISCLAIMER
    return jsonify(body)


@bp.get("/api/color_insights")
def color_insights():
    """Return the colour rule prediction, its history, accuracy and streaks."""
    return _insights("color")


@bp.get("/api/size_insights")
def size_insights():
    """Return the Big/Small rule prediction, its history, accuracy and streaks."""
    return _insights("size")


@bp.get("/api/v2/insights")
def v2_insights():
    """Return the colour and size insights together."""
    return _insights("color", "size")


@bp.post("/admin/reset-streaks")
@require_admin
def reset_streaks():
    """Restart colour and size accuracy and streak counting from an issue."""
    game = get_game_arg()
    r = get_redis()
    body = get_json_object()
    issue = request.args.get("issue") or body.get("issue")
    now = datetime.now(timezone.utc)
    if issue in (None, ""):
        issue = insights.pending_issue(r, game.code) or game.issue_at(now)
    if not isinstance(issue, str):
        raise bad_request(f"issue must be a string like {game.issue_at(now)!r}", "invalid_issue")
    try:
        ordinal = game.issue_ordinal(issue)
    except ValueError as exc:
        raise bad_request(str(exc), "invalid_issue") from None
    if ordinal > game.issue_ordinal(game.issue_at(now)):
        raise bad_request(f"issue {issue} is in the future; the open issue is "
                          f"{game.issue_at(now)}", "invalid_issue")
    recounted = insights.reset(r, game, issue)
    return jsonify({"status": "success", "game": game.code, "reset_from_issue": issue,
                    "recounted": recounted,
                    "message": f"Colour and size streaks and accuracy now count from issue {issue}.",
                    "timestamp": now.isoformat(timespec="seconds")})


_GAME = {"name": "game", "in": "query", "schema": {"type": "string", "default": "WinGo_1M"}}
_ERR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _insight(summary: str) -> dict:
    return {"get": {"summary": summary, "parameters": [_GAME],
                    "responses": {"200": {"description": "insights"},
                                  "400": {"description": "unknown game", **_ERR}}}}


OPENAPI_PATHS = {
    "/api/color_insights": _insight("Colour rule prediction, last 15 results, accuracy, streaks"),
    "/api/size_insights": _insight("Big/Small rule prediction, last 15 results, accuracy, streaks"),
    "/api/v2/insights": _insight("Colour and size insights together"),
    "/admin/reset-streaks": {"post": {
        "summary": "Restart colour/size streak and accuracy counting from an issue (admin)",
        "security": [{"admin": []}],
        "parameters": [_GAME, {"name": "issue", "in": "query", "schema": {"type": "string"},
                               "description": "default: the pending colour prediction's issue"}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"issue": {"type": "string"}}}}}},
        "responses": {"200": {"description": "reset"},
                      "400": {"description": "invalid issue", **_ERR},
                      "401": {"description": "missing or wrong token", **_ERR},
                      "403": {"description": "no ADMIN_TOKEN configured", **_ERR}}}},
}
