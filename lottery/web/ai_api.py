"""AI worker output and its on/off switch.

GET  /api/ai_prediction?game=&limit=   newest AI prediction (+ recent history)
GET  /api/ai_big_small_accuracy?game=  resolved record with n, chance, 95% interval
GET  /api/ai/status                    switch, key presence, worker, calls, errors, latency
POST /api/ai/start, /api/ai/stop       switch the AI on/off (admin token)
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from lottery.ai import store
from lottery.games import GAMES
from lottery.store.predictions import patch_reports
from lottery.web.auth import require_admin
from lottery.web.errors import ApiError
from lottery.web.context import get_game_arg, get_int_arg, get_redis, get_settings

bp = Blueprint("ai_api", __name__)


@bp.get("/api/ai_prediction")
def ai_prediction():
    """Return the newest AI prediction of a game with its recent history."""
    game = get_game_arg()
    limit = get_int_arg("limit", 10, 0, 100)
    r = get_redis()
    latest = store.latest(r, game.code)
    if latest is None:
        # Upstream answers 200 with status no_data (its pages show "No Data").
        return jsonify({"status": "no_data",
                        "message": "AI prediction not yet available or AI is disabled.",
                        "game": game.code, "ai_enabled": store.ai_enabled(r, get_settings())})
    # `prediction`: the name upstream's hosted dashboard reads (its worker wrote ai_prediction).
    return jsonify({**latest, "prediction": latest.get("ai_prediction"),
                    "environment": get_settings().environment,
                    "ai_enabled": store.ai_enabled(r, get_settings()),
                    "history": store.history(r, game.code, limit) if limit else []})


@bp.get("/api/ai_big_small_accuracy")
def ai_big_small_accuracy():
    """Return the AI's resolved record against chance, with upstream's status and message."""
    game = get_game_arg()
    if game.ai() is None:
        raise ApiError(404, "ai_not_available", f"the AI worker does not predict {game.code}")
    body = store.accuracy(get_redis(), game.code)
    n = body["total_predictions"]
    # Upstream's status codes by sample size; the message says what the figure is worth.
    status = ("no_data" if n == 0 else "early_data" if n < 3 else "limited_data" if n < 10
              else "reliable_data")
    plural = "s" if n != 1 else ""
    message = ("Collecting data for accuracy calculation..." if n == 0 else
               f"Big/Small accuracy from {n} resolved AI prediction{plural}; "
               f"compare it with the 50% chance rate and its 95% interval."
               if "overall_accuracy_percentage" in body else
               f"Record of {n} resolved AI prediction{plural}, per market against its chance "
               f"rate.")
    # accuracy/correct/total: the names upstream's dashboards read (its worker wrote others);
    # a family without a single right/wrong call (crash: probabilities) has none.
    return jsonify({**body, "status": status, "message": message,
                    "accuracy": body.get("overall_accuracy_percentage"),
                    "correct": body.get("correct_predictions"),
                    "total": n})


@bp.get("/api/ai/status")
def ai_status():
    """Return whether the AI runs, why not, and how the provider behaves."""
    return jsonify(_status_body(get_redis(), get_settings()))


def _status_body(r, settings) -> dict:
    # Upstream's two fields first: the switch as stored, and Redis answering.
    return {"ai_enabled_flag": store.flag_on(r), "redis_available": True,
            **store.status(r, settings)}


@bp.post("/api/ai/start")
@require_admin
def ai_start():
    """Switch the AI on."""
    return _switch(True)


@bp.post("/api/ai/stop")
@require_admin
def ai_stop():
    """Switch the AI off."""
    return _switch(False)


def _switch(on: bool):
    r, settings = get_redis(), get_settings()
    store.set_flag(r, on)
    # Reports carry ai_enabled: flip it now rather than at the next period.
    patch_reports(r, settings.games, ai_enabled=store.ai_enabled(r, settings))
    return jsonify({"status": "success",
                    "message": "AI prediction enabled." if on else "AI prediction disabled.",
                    **_status_body(r, settings)})


_GAME = {"name": "game", "in": "query", "schema": {"type": "string", "enum": sorted(GAMES),
                                                   "default": "WinGo_1M"}}
_OK = {"description": "OK"}
_ERR = {"description": "error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
_SWITCH = {"security": [{"admin": []}], "responses": {
    "200": {"description": "the AI status after the switch"}, "401": _ERR,
    "403": {"description": "ADMIN_TOKEN not configured on the server"}}}

OPENAPI_PATHS = {
    "/api/ai_prediction": {"get": {
        "summary": "Newest AI prediction of a game (issue, number, size, color, confidence, "
                   "model, latency_ms, status, reason when failed) and its recent history",
        "parameters": [_GAME, {"name": "limit", "in": "query", "schema": {
            "type": "integer", "minimum": 0, "maximum": 100, "default": 10}}],
        "responses": {"200": {"description": "the prediction, or status no_data when none "
                                             "exists yet"}, "400": _ERR}}},
    "/api/ai_big_small_accuracy": {"get": {
        "summary": "AI record on resolved issues: total_predictions, correct_predictions, "
                   "overall_accuracy_percentage, big/small_predictions, with n, chance rate, "
                   "95% Wilson interval and p-value per market",
        "parameters": [_GAME], "responses": {"200": _OK, "400": _ERR}}},
    "/api/ai/status": {"get": {
        "summary": "AI switch, key presence ('disabled: no API key'), worker heartbeat, calls, "
                   "errors, last success/failure and provider latency percentiles",
        "responses": {"200": _OK}}},
    "/api/ai/start": {"post": {"summary": "Switch the AI on (admin)", **_SWITCH}},
    "/api/ai/stop": {"post": {"summary": "Switch the AI off (admin)", **_SWITCH}},
}
