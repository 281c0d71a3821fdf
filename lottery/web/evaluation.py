"""The honest scoreboard (GET /api/accuracy) and the randomness audit (GET /api/audit)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from lottery.evaluation import audit as audit_mod
from lottery.store.audits import audit as stored_audit
from lottery.store.scores import WINDOW_MAX, scoreboard
from lottery.web.context import get_game_arg, get_int_arg, get_redis, get_settings

bp = Blueprint("evaluation", __name__)


@bp.get("/api/accuracy")
def accuracy():
    """Return every predictor's hit rates against chance, with intervals and verdicts."""
    game = get_game_arg()
    window = None
    if request.args.get("window", "") != "":
        window = get_int_arg("window", WINDOW_MAX, 1, WINDOW_MAX)
    return jsonify(scoreboard(get_redis(), game.code, window))


@bp.get("/api/audit")
def audit():
    """Return the randomness audit of the newest draws."""
    game = get_game_arg()
    maximum = max(get_settings().max_draws, audit_mod.MIN_WINDOW)
    window = get_int_arg("window", min(audit_mod.DEFAULT_WINDOW, maximum),
                         audit_mod.MIN_WINDOW, maximum)
    return jsonify(stored_audit(get_redis(), game.code, window))


_GAME = {"name": "game", "in": "query", "schema": {"type": "string", "default": "WinGo_1M"}}
_ERR = {"description": "bad input", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}

OPENAPI_PATHS = {
    "/api/accuracy": {"get": {
        "summary": "Honest scoreboard: every predictor and market against chance (SPEC 5)",
        "parameters": [_GAME, {"name": "window", "in": "query", "description":
                               "the last N resolved predictions (default: all kept); "
                               "descriptive: verdicts judge the full record",
                               "schema": {"type": "integer", "minimum": 1,
                                          "maximum": WINDOW_MAX}}],
        "responses": {"200": {"description": "{game, window, n_draws, alpha, alpha_row, min_n, "
                                             "method, rows[] (with anytime_ci; power on rows "
                                             "with no evidence of an edge), replayed{rows[]} "
                                             "or null, generated_at, note}"}, "400": _ERR}}},
    "/api/audit": {"get": {
        "summary": "Randomness audit of the draw stream (the game's own tests, e.g. WinGo: digit "
                   "uniformity, runs of sizes, lag-1 independence)",
        "parameters": [_GAME, {"name": "window", "in": "query",
                               "description": "the newest N draws (default 10000)",
                               "schema": {"type": "integer", "minimum": audit_mod.MIN_WINDOW}}],
        "responses": {"200": {"description": "{game, window, n, tests{...}, note}"},
                      "400": _ERR}}},
}
