"""The simulator blueprint: /api/simulator/* (paper money only).

POST /start, /stop, /config      live sessions (admin token); validated here, applied by the
                                 simulator worker (the single writer of session state)
GET  /status, /history           session state and its rounds, read straight from Redis
POST /montecarlo                 S sessions x R rounds on fair random draws   } queued jobs:
POST /backtest                   a strategy replayed over the stored draws   } 202 + job id,
GET  /jobs/<id>                  a job's status and result                   } 429 when full

A command is answered 200 once the worker applied it, 202 when the worker is
alive but did not answer within SIMULATOR_ACK_TIMEOUT (the command stays
queued and is applied in order), and 503 when no worker heartbeat exists (then
nothing is queued). Bad input is a 400 and nothing is queued.
"""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, request, url_for

from lottery.config import DEFAULT_GAME
from lottery.games import GAMES
from lottery.sim import backtest, jobs, montecarlo, sessions
from lottery.sim.params import reject_unknown
from lottery.sim.strategies import SimInputError
from lottery.web.auth import require_admin
from lottery.web.context import (get_game_arg, get_json_object, get_paging, get_redis,
                                 get_settings)
from lottery.web.errors import ApiError, bad_request, not_found

bp = Blueprint("simulator", __name__, url_prefix="/api/simulator")
HISTORY_PREVIEW = 10  # rounds shown inside /status (the rest via /history)
_JOB_ID = re.compile(r"[0-9a-f]{32}")


@bp.post("/start")
@require_admin
def start():
    """Start a live paper-trading session."""
    game = get_game_arg()
    body = _upstream_body(_json_body())
    _validated(sessions.parse_start, game, body)
    r = get_redis()
    _require_worker(r)
    running = [s for s in sessions.load_sessions(r) if s["is_running"]]
    limit = get_settings().simulator_max_sessions
    if len(running) >= limit:
        raise ApiError(409, "too_many_sessions",
                       f"{len(running)} sessions are running (the limit is {limit}); "
                       "stop one first")
    session_id = sessions.new_session_id()
    reply = _submit(r, "start", session_id, game.code, body)
    if reply is None:
        return _queued(session_id)
    return jsonify({"status": "success", "message": "Simulator session started (paper money).",
                    "session_id": session_id, "state": _state(r, reply["state"])})


@bp.post("/stop")
@require_admin
def stop():
    """Stop a session and return its summary."""
    body = _json_body()
    _validated(reject_unknown, body, ("session_id",))
    r = get_redis()
    if body.get("session_id") is None and not _running(r):
        # Upstream answers a stop with nothing running as a success with an empty summary.
        return jsonify({"status": "success", "message": "No simulator session was running.",
                        "session_summary": {}})
    session = _find_session(r, body.get("session_id"), running_only=True)
    _require_worker(r)
    reply = _submit(r, "stop", session["session_id"], session["game"], {})
    if reply is None:
        return _queued(session["session_id"])
    return jsonify({"status": "success", "message": "Simulator session stopped.",
                    "session_id": session["session_id"],
                    "session_summary": sessions.summary(reply["state"])})


@bp.post("/config")
@require_admin
def config():
    """Change a running session's settings (validated fields only)."""
    body = _json_body()
    r = get_redis()
    session = _find_session(r, body.get("session_id"), running_only=True)
    _validated(sessions.parse_config, body, session)
    _require_worker(r)
    reply = _submit(r, "config", session["session_id"], session["game"], body)
    if reply is None:
        return _queued(session["session_id"])
    return jsonify({"status": "success", "message": "Simulator configuration updated.",
                    "session_id": session["session_id"], "state": _state(r, reply["state"])})


@bp.get("/status")
def status():
    """Return a session's state (default: the newest of ?game=) and the list of sessions."""
    game = get_game_arg()
    r = get_redis()
    all_sessions = sessions.load_sessions(r)
    listed = [_brief(s) for s in all_sessions if s["game"] == game.code]
    worker = {"alive": sessions.worker_alive(r)}
    session = _pick(all_sessions, request.args.get("session_id"), game.code)
    if session is None:
        return jsonify({"status": "not_initialized",
                        "message": f"no simulator session for {game.code} yet",
                        "sessions": listed, "worker": worker})
    state = _state(r, session)
    net = state["total_wallet"] - session["initial_wallet"]
    state["performance_metrics"] = {
        "profit_loss": round(net, 6),
        "percentage_change": round(net / session["initial_wallet"] * 100, 6),
        "is_profitable": net > 0,
        "cycle_type": f"{game.period_seconds}-second" if hasattr(game, "period_seconds")
        else "feed-driven rounds",
        "environment": get_settings().environment}
    return jsonify({"status": "success", "state": state, "summary": sessions.summary(session),
                    "sessions": listed, "worker": worker})


@bp.get("/history")
def history():
    """Return a session's settled and skipped rounds, newest first, paged."""
    game = get_game_arg()
    page, per_page = get_paging(50, max_page=10_000)
    r = get_redis()
    session = _pick(sessions.load_sessions(r), request.args.get("session_id"), game.code)
    if session is None:
        return jsonify({"status": "not_initialized",
                        "message": f"no simulator session for {game.code} yet"})
    rows, total = sessions.read_history(r, session["session_id"], page, per_page)
    # history: upstream's entries (one per bet); rounds: ours (one per draw), the page's unit.
    return jsonify({"status": "success", "session_id": session["session_id"],
                    "history": _public_history(game, rows, session["simulation_mode"]),
                    "rounds": rows,
                    "pagination": {"page": page, "per_page": per_page, "total_entries": total,
                                   "total_pages": (total + per_page - 1) // per_page}})


@bp.post("/montecarlo")
def monte_carlo():
    """Queue a Monte Carlo study of a staking strategy on fair random draws (202 + job id)."""
    game = get_game_arg()
    body = _json_body()
    own = jobs.family_jobs(game).get("montecarlo")
    if own is not None:  # the family's own study (crash: cash-out strategies)
        return _queue_job("montecarlo", game.code, _validated(own[0], game, body, get_settings()))
    _validated(montecarlo.parse_study, game, body, get_settings().simulator_mc_max_bets)
    return _queue_job("montecarlo", game.code, body)


@bp.post("/replay")
def replay():
    """Queue a strategy replayed over the rounds of a hash chain (202 + job id; crash)."""
    game = get_game_arg()
    body = _json_body()
    own = jobs.family_jobs(game).get("replay")
    if own is None:
        raise bad_request(f"{game.code} has no hash chain to replay", "no_replay")
    return _queue_job("replay", game.code, _validated(own[0], game, body, get_settings()))


@bp.get("/strategies")
def strategies():
    """Return the game's simulator strategies and their parameters, with the honest statement."""
    game = get_game_arg()
    rules = game.sim_sessions()
    catalog = rules.catalog if rules is not None else None
    if catalog is None:
        raise not_found(f"{game.code} has no strategy catalogue")
    return jsonify({"game": game.code, **catalog()})


@bp.post("/backtest")
def run_backtest():
    """Queue a replay of a staking strategy over the stored draws of ?game= (202 + job id)."""
    game = get_game_arg()
    body = _json_body()
    _validated(backtest.parse_backtest, game, body)
    return _queue_job("backtest", game.code, body)


@bp.get("/jobs/<job_id>")
def job(job_id: str):
    """Return a queued job's status, and its result once done."""
    if not _JOB_ID.fullmatch(job_id):
        raise bad_request("a job id is 32 hexadecimal characters", "invalid_job_id")
    record = jobs.get(get_redis(), job_id)
    if record is None:
        raise not_found(f"no job {job_id} (unknown, or its result expired after "
                        f"{jobs.JOB_TTL // 60} minutes)")
    return jsonify(record)


def _queue_job(kind: str, game_code: str, body: dict):
    """Queue heavy work for the simulator worker: 202 with where to find the result."""
    r = get_redis()
    _require_worker(r)
    limit = get_settings().simulator_job_queue
    record = jobs.submit(r, kind, game_code, body, limit)
    if record is None:
        raise ApiError(429, "queue_full", f"{limit} simulator jobs are already waiting; "
                       "try again in a few seconds", headers={"Retry-After": "5"})
    url = url_for("simulator.job", job_id=record["job_id"])
    resp = jsonify({**record, "result_url": url,
                    "message": "queued: the simulator worker runs it; GET result_url for the "
                               "status and, once done, the result"})
    resp.status_code = 202
    resp.headers["Location"] = url
    return resp


# -- helpers ---------------------------------------------------------------------------------
def _upstream_body(body: dict) -> dict:
    """Accept upstream's page body, which nests the strategies under `bet_strategies`."""
    nested = body.get("bet_strategies")
    if nested is None:
        return body
    if not isinstance(nested, dict):
        raise bad_request("bet_strategies must be an object of strategy objects")
    clash = [key for key in nested if key in body]
    if clash:
        raise bad_request(f"give {clash[0]} at the top level or in bet_strategies, not both")
    flat = {k: v for k, v in body.items() if k != "bet_strategies"}
    flat.update(nested)
    return flat


def _state(r, session: dict) -> dict:
    """Return a session as its game shows it (WinGo: upstream's state shape)."""
    preview, _ = sessions.read_history(r, session["session_id"], 1, HISTORY_PREVIEW)
    rules = sessions.session_rules(GAMES[session["game"]])
    return (rules.public_state or sessions.plain_state)(session, preview,
                                                         get_settings().environment)


def _public_history(game, rows: list[dict], mode: str) -> list[dict]:
    rules = sessions.session_rules(game)
    return (rules.public_history or sessions.plain_history)(rows, mode)


def _running(r) -> bool:
    game = get_game_arg()
    return any(s["is_running"] and s["game"] == game.code for s in sessions.load_sessions(r))


def _validated(fn, *args):
    """Call a validating function, turning SimInputError into a 400."""
    try:
        return fn(*args)
    except SimInputError as exc:
        raise bad_request(str(exc)) from None


def _json_body() -> dict:
    return get_json_object()


def _require_worker(r) -> None:
    if not sessions.worker_alive(r):
        raise ApiError(503, "simulator_worker_down",
                       "the simulator worker is not running (start it with: python -m lottery "
                       "sim-worker); nothing was changed")


def _submit(r, kind: str, session_id: str, game_code: str, payload: dict) -> dict | None:
    """Queue a command and wait briefly for the worker; return its reply or None (queued)."""
    command_id = sessions.enqueue(r, kind, session_id, game_code, payload)
    reply = sessions.wait_reply(r, command_id, get_settings().simulator_ack_timeout)
    if reply is not None and not reply.get("ok"):
        raise ApiError(reply.get("status", 500), reply.get("error", "error"),
                       reply.get("message", "the simulator worker refused the command"))
    return reply


def _queued(session_id: str):
    resp = jsonify({"status": "queued", "session_id": session_id,
                    "message": "the simulator worker is busy: the command is queued and will be "
                               "applied in order; check /api/simulator/status"})
    resp.status_code = 202
    return resp


def _find_session(r, session_id, running_only: bool) -> dict:
    """Return the named session, or the one running session of ?game= when none is named."""
    if session_id is not None:
        if not isinstance(session_id, str):
            raise bad_request("session_id must be a string")
        session = sessions.load_session(r, session_id)
        if session is None:
            raise not_found(f"no simulator session {session_id!r}")
        if running_only and not session["is_running"]:
            raise ApiError(409, "not_running", f"session {session_id} is already stopped")
        return session
    game = get_game_arg()
    running = [s for s in sessions.load_sessions(r) if s["is_running"] and s["game"] == game.code]
    if not running:
        raise not_found(f"no running simulator session for {game.code}")
    if len(running) > 1:
        raise bad_request(f"{len(running)} sessions are running for {game.code}; "
                          "give session_id")
    return running[0]


def _pick(all_sessions: list[dict], session_id: str | None, game_code: str) -> dict | None:
    """Return the named session, else the newest running one of the game, else its newest."""
    if session_id:
        found = [s for s in all_sessions if s["session_id"] == session_id]
        if not found:
            raise not_found(f"no simulator session {session_id!r}")
        return found[0]
    mine = [s for s in all_sessions if s["game"] == game_code]
    running = [s for s in mine if s["is_running"]]
    return (running or mine or [None])[0]


def _brief(session: dict) -> dict:
    return {key: session[key] for key in (
        "session_id", "game", "is_running", "total_wallet", "in_play", "initial_wallet",
        "total_simulated_rounds", "skipped_rounds", "stop_reason", "started_at", "stopped_at")}


# -- OpenAPI ---------------------------------------------------------------------------------
_GAME = {"name": "game", "in": "query", "schema": {"type": "string", "enum": sorted(GAMES),
                                                   "default": DEFAULT_GAME}}
_SESSION = {"name": "session_id", "in": "query", "schema": {"type": "string"},
            "description": "default: the newest running session of the game"}
_ERR = {"description": "error", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
_JSON = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
# The request shapes are documented for the default game (its session rules and markets).
_RULES = sessions.session_rules(GAMES[DEFAULT_GAME])
_MARKETS = "|".join(GAMES[DEFAULT_GAME].bet_groups)


def _body(fields) -> dict:
    """A request body naming its fields (values are checked by the server: 400 when wrong)."""
    return {"required": False, "content": {"application/json": {"schema": {
        "type": "object", "properties": {name: {} for name in fields},
        "additionalProperties": False}}}}
_STRATEGY = ("{is_active, base_bet, progression (flat|martingale|dalembert|fibonacci|paroli|"
             "custom), bet_multipliers (or multipliers; default 1,2,4,8,16), "
             + "|".join(rule.target_field for rule in _RULES.strategies.values())
             + " (or target), auto_target}")


_JOB_RESPONSES = {
    "202": {"description": "queued: {job_id, status, result_url}; Location is the result URL"},
    "400": _ERR,
    "429": {"description": "the job queue is full (SIMULATOR_JOB_QUEUE) or the caller's rate "
                           "limit is used up; see Retry-After",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "503": {"description": "the simulator worker is not running; nothing queued"}}


def _command(summary: str, fields=()) -> dict:
    return {"post": {
        "summary": summary, "security": [{"admin": []}], "parameters": [_GAME],
        "requestBody": _body(fields) if fields else _JSON, "responses": {
            "200": {"description": "applied by the simulator worker"},
            "202": {"description": "queued: the worker did not answer in time"},
            "400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR, "409": _ERR,
            "503": {"description": "the simulator worker is not running; nothing queued"}}}}


OPENAPI_PATHS = {
    "/api/simulator/start": _command(
        "Start a live paper session. Body: initial_wallet, simulation_mode "
        f"({'|'.join(_RULES.modes)}|<predictor name>), "
        f"stop_loss, take_profit, max_rounds, {', '.join(_RULES.strategies)} (top level, or "
        "nested in bet_strategies as upstream's page sends them), each " + _STRATEGY,
        (*_RULES.session_fields(), "bet_strategies")),
    "/api/simulator/stop": _command("Stop a session (body: session_id, optional when one runs); "
                                    "returns its summary (an empty one when none runs)",
                                    ("session_id",)),
    "/api/simulator/config": _command("Change a running session: session_id, simulation_mode, "
                                      "stop_loss, take_profit, max_rounds, strategy objects; "
                                      "unknown fields are a 400", _RULES.config_fields()),
    "/api/simulator/status": {"get": {
        "summary": "A session's state and summary, the sessions of the game, worker liveness",
        "parameters": [_GAME, _SESSION], "responses": {"200": {"description": "state"},
                                                       "404": _ERR}}},
    "/api/simulator/history": {"get": {
        "summary": "A session's settled and skipped rounds, newest first",
        "parameters": [_GAME, _SESSION,
                       {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                       {"name": "per_page", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
        "responses": {"200": {"description": "history page"}, "400": _ERR, "404": _ERR}}},
    "/api/simulator/montecarlo": {"post": {
        "summary": "Queue a Monte Carlo study on fair draws (run by the simulator worker). Body: "
                   "target, progression, multipliers, base_bet, initial_wallet, stop_loss, "
                   "take_profit, sessions, rounds (<= 100,000), seed; sessions x rounds <= "
                   "SIMULATOR_MC_MAX_BETS. Rate-limited per anonymous caller (HEAVY_RATE_LIMIT)",
        "parameters": [_GAME], "requestBody": _body(montecarlo.STUDY_FIELDS),
        "responses": _JOB_RESPONSES}},
    "/api/simulator/backtest": {"post": {
        "summary": "Queue a replay of a strategy over the stored draws (run by the simulator "
                   "worker). Body: target or predictor + market "
                   f"({_MARKETS}), progression, multipliers, base_bet, initial_wallet, stop_loss, take_profit, "
                   "draws (<= 100,000), warmup, path_points. Rate-limited like Monte Carlo",
        "parameters": [_GAME], "requestBody": _body(backtest.BACKTEST_FIELDS),
        "responses": _JOB_RESPONSES}},
    "/api/simulator/replay": {"post": {
        "summary": "Queue a cash-out strategy replayed over a hash chain's rounds (crash). Body: "
                   "hash (the newest round's) or seed (a chain's secret: only SHA256(seed) is "
                   "queued), count (<= 100,000), profile, salt, strategy (fixed|progression|"
                   "martingale_script|streak_chaser), target, base_bet, progression, "
                   "multipliers, loss_multiplier, max_bet, wait_rounds, wait_under, "
                   "initial_wallet, stop_loss, take_profit, path_points",
        "parameters": [_GAME], "requestBody": _JSON, "responses": _JOB_RESPONSES}},
    "/api/simulator/strategies": {"get": {
        "summary": "The game's simulator strategies and parameters, with the statement that "
                   "no strategy changes the return per unit staked (crash)",
        "parameters": [_GAME], "responses": {"200": {"description": "catalogue"},
                                             "404": _ERR}}},
    "/api/simulator/jobs/{job_id}": {"get": {
        "summary": "A queued job's status (queued|running|done|failed); its result once done "
                   "(kept one hour)",
        "parameters": [{"name": "job_id", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}],
        "responses": {"200": {"description": "job status, with `result` (done) or `error` "
                                             "(failed)"},
                      "400": _ERR, "404": _ERR}}},
}
