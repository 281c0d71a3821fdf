"""Core endpoints: health, status, prediction, history, fairness, OpenAPI."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import redis
from flask import Blueprint, Response, jsonify, request

from lottery import __version__, keys
from lottery.config import DEFAULT_GAME
from lottery.ai import store as ai_store
from lottery.games import GAMES
from lottery.sources.simulated import feed_facts, verify_draw
from lottery.store import draws, heartbeat
from lottery.web.context import (get_fast_redis, get_game_arg, get_paging, get_redis,
                                 get_service, get_settings)
from lottery.web.errors import ApiError, bad_request, not_found
from lottery.web.monitoring import summary as monitoring_summary

bp = Blueprint("api", __name__)

def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@bp.get("/health")
def health():
    """Report liveness and Redis reachability (503 when Redis is down); upstream fields."""
    settings = get_settings()
    base = {"environment": settings.environment, "port": settings.port}
    try:
        started = time.perf_counter()
        get_fast_redis().ping()
        latency = (time.perf_counter() - started) * 1000
    except redis.RedisError:
        resp = jsonify({"status": "degraded", "redis": "disconnected", **base,
                        "timestamp": _now(), "error": "redis_unavailable",
                        "message": "Redis is unreachable"})
        resp.status_code = 503
        return resp
    return jsonify({"status": "healthy", "redis": "connected", **base, "timestamp": _now(),
                    "redis_latency_ms": round(latency, 3)})


@bp.get("/api/status")
def status():
    """Return service status: upstream's fields, heartbeats, workers, Redis latency, monitoring."""
    r = get_fast_redis()
    settings = get_settings()
    upstream = {"service_status": "running", "environment": settings.environment}
    try:
        started = time.perf_counter()
        r.ping()
        latency = (time.perf_counter() - started) * 1000
    except redis.RedisError:
        # Upstream answers 200 and says what is wrong; so do we.
        return jsonify({**upstream, "last_main_prediction_update_timestamp": "N/A",
                        "main_prediction_data_status": "redis_connection_error",
                        "main_prediction_message": "Redis is unreachable",
                        "ai_enabled_flag": False, "redis_available": False,
                        "service": "lottery", "version": __version__})
    processes = heartbeat.read(r)
    games = {}
    for code in settings.games:
        worker = {k.decode(): v.decode() for k, v in r.hgetall(keys.worker_status(code)).items()}
        games[code] = {"draws": draws.count(r, code), "latest_issue": draws.latest_issue(r, code),
                       "missing": len(draws.missing_issues(r, code)), "worker": worker}
    entry = get_service("prediction_cache").get(DEFAULT_GAME if DEFAULT_GAME in settings.games
                                                else settings.games[0])
    if entry is None:
        report_status = {"last_main_prediction_update_timestamp": "N/A",
                         "main_prediction_data_status": "no_main_prediction_data",
                         "main_prediction_message": "The worker has not stored a prediction yet."}
    else:
        stored = json.loads(entry.body)
        report_status = {"last_main_prediction_update_timestamp": stored.get("timestamp", "N/A"),
                         "main_prediction_data_status": "success",
                         "main_prediction_message": "N/A"}
    return jsonify({**upstream, **report_status, "ai_enabled_flag": ai_store.flag_on(r),
                    "redis_available": True,
                    "service": "lottery", "version": __version__, "source": settings.source,
                    "games": games, "processes": processes,
                    "redis": {"ok": True, "latency_ms": round(latency, 3)},
                    "ai_enabled": ai_store.ai_enabled(r, settings),
                    "monitoring": monitoring_summary(r)})


@bp.get("/api/redis/status")
def redis_status():
    """Return Redis reachability, latency and memory (never its URL); upstream fields."""
    r = get_fast_redis()
    try:
        started = time.perf_counter()
        r.ping()
        latency = (time.perf_counter() - started) * 1000
        info = r.info()
        size = r.dbsize()
    except redis.RedisError:
        resp = jsonify({"status": "error", "connected": False, "error": "redis_unavailable",
                        "message": "Redis is unreachable", "timestamp": _now()})
        resp.status_code = 503
        return resp
    return jsonify({"status": "connected", "connected": True, "latency_ms": round(latency, 3),
                    "redis_version": info.get("redis_version", "unknown"),
                    "connected_clients": info.get("connected_clients", 0),
                    "used_memory_human": info.get("used_memory_human", "unknown"),
                    "timestamp": _now(),
                    "server_version": info.get("redis_version"),
                    "uptime_seconds": info.get("uptime_in_seconds"), "db_size": size})


@bp.get("/api/prediction")
def prediction():
    """Serve the latest report in the upstream shape, with an ETag (304 when unchanged)."""
    game = get_game_arg()
    entry = get_service("prediction_cache").get(game.code)
    if entry is None:
        # Upstream's answer while its worker has not run yet (its clients show "initializing").
        resp = jsonify({"status": "initializing", "error": "no_prediction_yet",
                        "message": f"no prediction for {game.code} yet: the worker publishes "
                                   "one every period",
                        "ai_enabled": ai_store.ai_enabled(get_redis(), get_settings())})
        resp.status_code = 503
        return resp
    convert = getattr(game.report_builder(), "public_view", None)
    return _serve(entry.view(convert, get_settings().environment))


@bp.get("/api/v2/report")
def report_v2():
    """Serve the stored report bytes as they are (our shape), with an ETag."""
    game = get_game_arg()
    entry = get_service("prediction_cache").get(game.code)
    if entry is None:
        raise ApiError(503, "no_prediction_yet",
                       f"no prediction for {game.code} yet: the worker publishes one every period")
    return _serve(entry)


def _serve(entry):
    # Compare the raw header (the hot path skips werkzeug's ETag parsing when absent).
    given = request.environ.get("HTTP_IF_NONE_MATCH")
    if given and request.if_none_match.contains(entry.etag):
        return Response(status=304, headers=entry.headers)
    return Response(entry.body, headers=entry.headers)


@bp.get("/api/history")
def history():
    """Return settled draws, newest first, paged."""
    game = get_game_arg()
    page, per_page = get_paging(20)
    r = get_fast_redis()
    total = draws.count(r, game.code)
    items = draws.recent_draws(r, game.code, per_page, (page - 1) * per_page)
    return jsonify({"game": game.code, "page": page, "per_page": per_page, "total": total,
                    "pages": (total + per_page - 1) // per_page,
                    "items": [{"issue": d["issue"], **game.describe(game.decode_outcome(d)),
                               "drawn_at": d.get("drawn_at"), "source": d.get("source")}
                              for d in items]})


@bp.get("/api/fairness/<issue>")
def fairness(issue: str):
    """Return the commitment, revealed seed and recomputed outcome of a simulated draw."""
    game = get_game_arg()
    try:
        game.parse_issue(issue)
    except ValueError as exc:
        raise bad_request(str(exc), "bad_issue") from None
    r = get_redis()
    record = draws.get_draw(r, game.code, issue)
    base = {"game": game.code, "issue": issue, "formula": game.fair_formula()}
    if record is None:
        commitment = r.hget(keys.commitments(game.code), issue)
        if commitment is None:
            raise not_found(f"no draw or commitment for {game.code} issue {issue}")
        due = game.draw_time(issue)
        return jsonify({**base, "status": "pending", "commitment": commitment.decode(),
                        "draw_at": due.isoformat() if due else None})
    if not record.get("seed"):
        raise ApiError(409, "not_simulated",
                       f"{issue} came from the {record.get('source')} source: no seed to reveal")
    previous = draws.get_draw(r, game.code, game.previous_issue(issue))
    check = verify_draw(record, game.code, previous, feed_facts(r, game.code))
    return jsonify({**base, "status": "settled", "commitment": record.get("commitment"),
                    "seed": record["seed"],
                    **game.encode_outcome(game.decode_outcome(record)),
                    "previous_seed": previous.get("seed") if previous else None, **check})


@bp.get("/api/openapi.json")
def openapi():
    """Return the OpenAPI document of every endpoint."""
    from lottery.web.openapi import build_document

    return jsonify(build_document())


_GAME = {"name": "game", "in": "query", "schema": {"type": "string", "enum": sorted(GAMES),
                                                   "default": "WinGo_1M"}}


def _get(summary: str, params=(), responses=None) -> dict:
    return {"get": {"summary": summary, "parameters": list(params),
                    "responses": responses or {"200": {"description": "OK"}}}}


OPENAPI_PATHS = {
    "/health": _get("Liveness and Redis reachability", responses={
        "200": {"description": "healthy"}, "503": {"description": "Redis unreachable"}}),
    "/api/status": _get("Service and worker status, heartbeats, Redis latency, and `monitoring`: "
                        "CPU %, resident MB per process and predictions per second per game"),
    "/api/redis/status": _get("Redis reachability, latency and memory"),
    "/api/prediction": _get("Latest prediction report in the upstream service's shape "
                            "(ETag; 304 when unchanged)", [_GAME], {
        "200": {"description": "report"}, "304": {"description": "unchanged"},
        "503": {"description": "no prediction yet (status: initializing) or Redis down"}}),
    "/api/v2/report": _get("Latest prediction report in our own shape: likelihoods per digit, "
                           "accuracy with n, chance and 95% interval, draws, sequence analysis "
                           "(ETag; 304 when unchanged)", [_GAME], {
        "200": {"description": "report"}, "304": {"description": "unchanged"},
        "404": {"description": "a game this server does not follow"},
        "503": {"description": "no prediction yet or Redis down"}}),
    "/api/history": _get("Settled draws, newest first, paged", [
        _GAME, {"name": "page", "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
        {"name": "per_page", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": 200}}]),
    "/api/fairness/{issue}": _get("Commitment, seed and recomputed digit of a simulated draw", [
        _GAME, {"name": "issue", "in": "path", "required": True, "schema": {"type": "string"}}], {
        "200": {"description": "proof (settled) or commitment (pending)"},
        "400": {"description": "not an issue number"}, "404": {"description": "unknown issue"}}),
    "/api/openapi.json": _get("This document"),
}
