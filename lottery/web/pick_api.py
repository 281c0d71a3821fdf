"""Pick lotteries: pre-generated tickets (upstream-compatible paths), insights, checker, EV.

`/api/v1/tickets/cached` and `/api/v1/tickets/batch-status` keep the field
names of the batch system they replace (see lottery.store.pick_batches); the
rest is ours. `?game=` defaults to Powerball here.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, request

from lottery.evaluation.pick_audit import insights as build_insights
from lottery.games.pick import PickLottery, check_tickets, expected_value, prize_terms
from lottery.predictors.pick import ALIASES
from lottery.games.pick_maintenance import maintenance_report
from lottery.store import draws, pick_batches, pick_imports, scores
from lottery.web.auth import require_admin
from lottery.games.base import Draw
from lottery.web.context import (get_game_arg, get_int_arg, get_json_object, get_redis,
                                 get_settings)
from lottery.web.errors import bad_request, not_found

bp = Blueprint("pick", __name__)
DEFAULT = "Powerball"
MAX_CHECK_DRAWS = 1_000
MAX_CHECK_TICKETS = 100


def _game() -> PickLottery:
    game = get_game_arg(DEFAULT)
    if not isinstance(game, PickLottery):
        raise bad_request(f"{game.code} is not a pick lottery", "not_a_pick_lottery")
    return game


def _mode(game: PickLottery, default: str) -> str:
    mode = request.args.get("mode") or default
    mode = ALIASES.get(mode, mode)
    names = game.predictors().names
    if mode not in names:
        raise bad_request(f"unknown mode {mode!r}; known: {', '.join(names)}", "unknown_mode")
    return mode


def _now() -> datetime:
    return datetime.now(timezone.utc)


CACHE_SECONDS = 2.0  # tickets change once a draw: each process keeps a reply this long


@bp.get("/api/v1/tickets/cached")
def tickets_cached():
    """Return a mode's newest pre-generated tickets (upstream fields)."""
    started = time.perf_counter()
    game = _game()
    mode = _mode(game, game.predictors().report_predictor)
    limit = get_int_arg("limit", 10, 1, 100)
    cache = current_app.extensions["lottery"].setdefault("pick_tickets_cache", {})
    key = (game.code, mode, limit)
    hit = cache.get(key)
    if hit is None or hit[0] < started:
        if len(cache) > 1000:
            cache.clear()
        tickets = pick_batches.cached(get_redis(), game, mode, limit, _now())
        hit = cache[key] = (started + CACHE_SECONDS, tickets)
    tickets = hit[1]
    return jsonify({"mode": mode, "game": game.code, "count": len(tickets), "tickets": tickets,
                    "cached": True,
                    "response_time_ms": round((time.perf_counter() - started) * 1000, 3)})


@bp.get("/api/v1/tickets/batch-status")
def batch_status():
    """Return the batch store's counts per mode, oldest/newest ticket, metrics and errors."""
    game = _game()
    return jsonify(pick_batches.status(get_redis(), game, game.predictors().names, _now()))


@bp.post("/api/v1/tickets/generate")
@require_admin
def tickets_generate():
    """Generate a batch now (admin): N tickets per mode from the stored draws."""
    game = _game()
    n = get_int_arg("n", pick_batches.BATCH_SIZE, 1, 1000)
    r = get_redis()
    latest = draws.latest_issue(r, game.code)
    now = _now()
    issue = game.issue_at(now)
    if latest is None:
        raise bad_request(f"no {game.code} draws stored yet", "no_draws")
    result = pick_batches.generate(r, game, pick_batches.fresh_modes(r, game), issue=issue,
                                   now=now, n=n)
    return jsonify(result)


@bp.post("/api/pick/draws")
@require_admin
def manual_entry():
    """Store one draw entered by hand (admin); refuse a date off the calendar, future or stored."""
    game = _game()
    body = get_json_object()
    now = _now()
    try:
        issue = game.canonical_issue(body.get("draw_date"))
        outcome = game.parse_outcome({"whites": body.get("whites"), "bonus": body.get("bonus")},
                                     issue)
    except (TypeError, ValueError) as exc:
        raise bad_request(str(exc), "bad_draw") from None
    if game.draw_time(issue) > now:
        raise bad_request(f"{issue} is not drawn yet", "bad_draw")
    r = get_redis()
    if draws.get_draw(r, game.code, issue) is not None:
        raise bad_request(f"a {game.code} draw for {issue} is already stored", "duplicate_draw")
    stored = draws.add_draws(r, game, [Draw(game=game.code, issue=issue, outcome=outcome,
                                            drawn_at=game.draw_time(issue).isoformat(),
                                            source="manual")], get_settings().max_draws)
    if not stored:
        raise bad_request(f"a {game.code} draw for {issue} is already stored", "duplicate_draw")
    resp = jsonify({"game": game.code, "issue": issue, **game.describe(outcome),
                    "source": "manual"})
    resp.status_code = 201
    return resp


def _csv_body() -> tuple[str, dict]:
    """Return (CSV text, JSON options) of a request: JSON {csv, ...} or a text/csv body."""
    if request.mimetype == "application/json" or not request.mimetype:
        body = get_json_object()
        text = body.get("csv")
    else:
        body = {}
        try:
            text = request.get_data(cache=True).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise bad_request("the CSV is not UTF-8 text", "bad_csv") from None
    if not isinstance(text, str) or not text.strip():
        raise bad_request("give the CSV text: JSON {\"csv\": \"...\"} or a text/csv body",
                          "bad_csv")
    return text.lstrip("\ufeff"), body


def _plan(text: str, limit: int = 10) -> dict:
    return pick_imports.plan(get_redis(), _game(), text.splitlines(), _now(), limit)


@bp.post("/api/pick/import/preview")
@require_admin
def import_preview():
    """Parse a CSV (admin): format, first rows, line-numbered errors, what would be added; stores nothing."""
    text, body = _csv_body()
    limit = body.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise bad_request("limit must be a whole number 1-1000", "bad_parameter")
    out = _plan(text, limit)
    out.pop("draws")
    return jsonify({"game": _game().code, **out})


@bp.post("/api/pick/import")
@require_admin
def import_csv():
    """Import a CSV (admin) as one versioned snapshot: all rows or, on any error, none."""
    text, body = _csv_body()
    game = _game()
    source = body.get("source") or "api"
    if not isinstance(source, str) or len(source) > 200:
        raise bad_request("source must be a name of at most 200 characters", "bad_parameter")
    out = _plan(text)
    if not out["ok"]:
        shown = "; ".join(f"line {e['line']}: {e['message']}" for e in out["errors"][:5])
        more = len(out["errors"]) - 5
        raise bad_request(f"nothing stored: {shown}" + (f" (and {more} more; the preview lists "
                                                        "them all)" if more > 0 else ""), "bad_csv")
    r = get_redis()
    try:
        result = pick_imports.import_draws(r, game, out["draws"], source=source, now=_now(),
                                           max_draws=get_settings().max_draws)
    except pick_imports.ImportRefused as exc:
        if exc.code != "duplicate_content":
            raise bad_request(str(exc), exc.code) from None
        return jsonify({"game": game.code, "status": "duplicate", "added": 0,
                        "duplicates": len(out["draws"]), "version": out["same_as_version"],
                        "message": str(exc)})
    if result["added"]:
        scores.forget_replay(r, game.code)  # the worker replays the new history
    resp = jsonify(result)
    resp.status_code = 201
    return resp


@bp.get("/api/pick/imports")
def import_versions():
    """List the CSV import snapshots, newest first (public: where each stored draw came from)."""
    game = _game()
    return jsonify({"game": game.code,
                    "versions": pick_imports.list_versions(get_redis(), game.code)})


@bp.post("/api/pick/imports/<int:version>/rollback")
@require_admin
def import_rollback(version: int):
    """Roll an import back (admin): remove exactly the draws it added, atomically."""
    game = _game()
    r = get_redis()
    try:
        result = pick_imports.rollback(r, game, version, _now())
    except pick_imports.ImportRefused as exc:
        raise bad_request(str(exc), exc.code) from None
    if result.get("removed"):
        scores.forget_replay(r, game.code)
    return jsonify(result)


@bp.get("/api/pick/maintenance")
def maintenance():
    """Report problems among the stored draws: duplicates, ranges, calendar, eras."""
    game = _game()
    examples = get_int_arg("examples", 10, 1, 100)
    return jsonify(maintenance_report(game, pick_imports.stored_records(get_redis(), game.code),
                                      examples))


@bp.get("/api/pick/insights")
def insights():
    """Return the current era's insights, each next to its exact expectation and test."""
    game = _game()
    window = get_int_arg("window", 10_000, 20, 100_000)
    rows = list(reversed(draws.recent_draws(get_redis(), game.code, window)))
    body = build_insights(game, [(d["issue"], game.decode_outcome(d)) for d in rows])
    return jsonify({"game": game.code, "window": window, **body})


@bp.post("/api/pick/check")
def check():
    """Check one ticket or many against one stored draw or a date range: prizes, cost and net."""
    game = _game()
    body = get_json_object()
    raw = body.get("tickets", [body["ticket"]] if "ticket" in body else None)
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CHECK_TICKETS:
        raise bad_request(f"give `ticket` or `tickets` (1-{MAX_CHECK_TICKETS})", "bad_ticket")
    start = body.get("draw_date") or body.get("from")
    end = body.get("draw_date") or body.get("to") or start
    if not start:
        raise bad_request("give `draw_date`, or `from` and `to`", "bad_issue")
    try:
        first, last = game.issue_ordinal(game.canonical_issue(start)), \
            game.issue_ordinal(game.canonical_issue(end))
        jackpot = body.get("jackpot")
        jackpot = None if jackpot is None else float(jackpot)
    except (TypeError, ValueError) as exc:
        raise bad_request(str(exc), "bad_issue") from None
    if last < first or last - first >= MAX_CHECK_DRAWS:
        raise bad_request(f"a range runs forward over at most {MAX_CHECK_DRAWS} draws", "bad_range")
    rows = draws.draws_between(get_redis(), game.code, first, last)
    if not rows:
        raise not_found(f"no stored {game.code} draws from {start} to {end}")
    tickets = []
    for i, t in enumerate(raw):
        try:
            tickets.append(game.parse_ticket(t, rows[-1]["issue"]))
        except ValueError as exc:
            raise bad_request(f"ticket {i + 1}: {exc}", "bad_ticket") from None
    prizes = body.get("prizes")
    if prizes is not None:
        # Announced amounts per tier ("4+2": 123.4) of the one draw checked (pari-mutuel games).
        tiers = {t.name for t in game.era_for(rows[-1]["issue"]).tiers}
        if (not isinstance(prizes, dict) or len(rows) != 1 or not all(
                k in tiers and isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
                for k, v in prizes.items())):
            raise bad_request("prizes: one draw's announced amounts by tier ("
                              f"{', '.join(sorted(tiers))}), each a number >= 0", "bad_prizes")
        prizes = {rows[0]["issue"]: prizes}
    result = check_tickets(game, tickets, [(d["issue"], game.decode_outcome(d)) for d in rows],
                           jackpot=jackpot, prizes=prizes)
    result.update(prize_terms(game, game.era_for(rows[-1]["issue"])))
    result["note"] = ("Totals count every play, losing ones included, against the cost of all "
                      "tickets. A jackpot or pari-mutuel prize without a given amount is "
                      "reported as unknown, never as 0.")
    return jsonify({"game": game.code, **result})


@bp.get("/api/pick/expected-value")
def ev():
    """Return one ticket's expected value for a jackpot (cash or annuity, tax, sharing)."""
    game = _game()
    args = request.args
    try:
        jackpot = float(args.get("jackpot", ""))
        cash = args.get("cash_factor")
        out = expected_value(game, jackpot, payout=args.get("payout", "annuity"),
                             cash_factor=None if cash in (None, "") else float(cash),
                             tax_rate=float(args.get("tax_rate", 0) or 0),
                             tickets_sold=int(args.get("tickets_sold", 0) or 0))
    except ValueError as exc:
        raise bad_request(f"{exc} (jackpot is required, a number)", "bad_parameter") from None
    return jsonify({"game": game.code, "jackpot": jackpot, **out})


_GAME = {"name": "game", "in": "query", "schema": {"type": "string", "default": DEFAULT}}
_ERR = {"description": "bad input", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}


def _get(summary: str, params: list, shape: str) -> dict:
    return {"get": {"summary": summary, "parameters": [_GAME, *params],
                    "responses": {"200": {"description": shape}, "400": _ERR}}}


def _q(name: str, kind: str = "integer", text: str = "") -> dict:
    return {"name": name, "in": "query", "description": text, "schema": {"type": kind}}


OPENAPI_PATHS = {
    "/api/v1/tickets/cached": _get(
        "A mode's newest pre-generated tickets (upstream field names; 7-day expiry)",
        [_q("mode", "string", "random | frequency (v1) | hybrid"), _q("limit", text="1-100")],
        "{mode, count, tickets[{white_balls, powerball, confidence (null: exact odds instead), "
        "strategy, cached, created_at, draw_date, odds}], cached, response_time_ms}"),
    "/api/v1/tickets/batch-status": _get(
        "The ticket batches: counts per mode, oldest and newest ticket, metrics, errors", [],
        "{total_tickets, by_mode, oldest_ticket, newest_ticket, errors, metrics}"),
    "/api/v1/tickets/generate": {"post": {
        "summary": "Generate a batch now (admin)", "parameters": [_GAME, _q("n", text="1-1000")],
        "security": [{"admin": []}],
        "responses": {"200": {"description": "{modes_processed, modes_failed, errors, ...}"},
                      "400": _ERR}}},
    "/api/pick/draws": {"post": {
        "summary": "Enter one draw by hand (admin); a date off the calendar, in the future or "
                   "already stored is a 400", "parameters": [_GAME], "security": [{"admin": []}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"201": {"description": "{game, issue, whites, bonus, ...}"},
                      "400": _ERR}}},
    "/api/pick/import/preview": {"post": {
        "summary": "Preview a CSV import (admin): format, first rows, line-numbered errors, "
                   "would_add, duplicates, conflicts, hash; stores nothing",
        "parameters": [_GAME], "security": [{"admin": []}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}},
                                    "text/csv": {"schema": {"type": "string"}}}},
        "responses": {"200": {"description": "{format, rows, first[], errors[{line, message}], "
                                             "ok, hash, same_as_version, would_add, duplicates, "
                                             "conflicts, dates}"}, "400": _ERR}}},
    "/api/pick/import": {"post": {
        "summary": "Import a CSV (admin) as a versioned snapshot: every row or none",
        "parameters": [_GAME], "security": [{"admin": []}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}},
                                    "text/csv": {"schema": {"type": "string"}}}},
        "responses": {"201": {"description": "{version, hash, created_at, rows, added, "
                                             "duplicates, source, status, first, last}"},
                      "200": {"description": "{status: duplicate, version, message}: the same "
                                             "content was imported before; nothing stored"},
                      "400": _ERR}}},
    "/api/pick/imports": _get(
        "The CSV import snapshots, newest first", [],
        "{versions[{version, hash, created_at, rows, added, duplicates, source, status, "
        "rolled_back_at, removed}]}"),
    "/api/pick/imports/{version}/rollback": {"post": {
        "summary": "Roll back an import (admin): remove exactly the draws it added, atomically",
        "parameters": [_GAME, {"name": "version", "in": "path", "required": True,
                               "schema": {"type": "integer"}}],
        "security": [{"admin": []}],
        "responses": {"200": {"description": "the snapshot with status rolled_back, "
                                             "rolled_back_at, removed, not_present"},
                      "400": _ERR}}},
    "/api/pick/maintenance": _get(
        "Data maintenance report of the stored draws", [_q("examples", text="1-100 per kind")],
        "{checked, problems, clean, counts{unreadable, off_calendar, duplicates, era_mismatch, "
        "out_of_range}, examples}"),
    "/api/pick/insights": _get(
        "Current-era insights next to their exact expectations under the fair null",
        [_q("window", text="newest N draws")],
        "{era, white_frequency, bonus_frequency, white_gaps, bonus_gaps, white_sum, odd_even, "
        "pairs, triplets, weekdays, caveat}"),
    "/api/pick/check": {"post": {
        "summary": "Check tickets against a stored draw or a date range: prizes, cost and net",
        "parameters": [_GAME],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "{rows[], plays, winning_plays, win_rate, cost, won, "
                                             "net, unknown_prizes, currency, note}"},
                      "400": _ERR, "404": _ERR}}},
    "/api/pick/expected-value": _get(
        "One ticket's expected value for a jackpot", [
            _q("jackpot", "number"), _q("payout", "string", "annuity | cash"),
            _q("cash_factor", "number"), _q("tax_rate", "number"), _q("tickets_sold")],
        "{price, p_jackpot, jackpot_odds, expected_share, ev_jackpot, ev_other_prizes, "
        "ev_total, net, return_per_unit}"),
}
