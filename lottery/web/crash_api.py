"""The crash streak API's routes with its field names, and manual entry of crash rounds.

`GET /games/`, `GET /streaks/`, `GET /predictions/` and `POST /predictions/`
answer with the field names of the Crash Game Streak Prediction API
(0xbhvn/crash-exploratory-analysis, api/app/schemas) so its clients keep
working; the numbers behind them are ours and honest: a 10x streak's length
is geometric with p = 0.99 / 10 on fair rounds, so the best any length class
can be called is about 26.9% of the time, and `confidence` is the computed
probability of the class called, never more.

`POST /api/crash/rounds` (admin) stores rounds entered by hand; every round of
a request is validated before any is stored.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import Blueprint, jsonify, request

from lottery.games import get_game
from lottery.games.crash import (PROFILES, STREAK_BUCKETS, STREAK_MARKET, STREAK_THRESHOLD,
                                 get_profile, streak_bucket_probs, streak_p, to_cents)
from lottery.sources import crash_feed
from lottery.sources.base import make_draw
from lottery.store import draws, predictions
from lottery.web.auth import require_admin
from lottery.web.context import followed_game, get_int_arg, get_json_object, get_redis, get_settings
from lottery.web.errors import bad_request

bp = Blueprint("crash_api", __name__)

CODE = "Crash"
# The streak API's four length classes of a 10x streak.
CLUSTERS = ((0, "short", 1, 3), (1, "medium_short", 4, 7), (2, "medium_long", 8, 14),
            (3, "long", 15, None))
STREAK_WINDOW = 10_000  # stored rounds the streak routes scan
MAX_ROUNDS = 1000  # rounds per manual entry request
MODEL_VERSION = "geometric-null"


def _paging() -> tuple[int, int]:
    return get_int_arg("skip", 0, 0, 1_000_000), get_int_arg("limit", 100, 1, 1000)


def _rounds(r, limit: int = STREAK_WINDOW) -> list[dict]:
    """Return stored crash rounds, oldest first."""
    return list(reversed(draws.recent_draws(r, CODE, limit)))


def cluster_probs(probs: list[float], run: int = 0) -> dict[str, float]:
    """Return P(streak length in each class | it has lasted `run` rounds) of a bucketed distribution."""
    alive = sum(probs[run:]) or 1.0
    out = {}
    for _, name, lo, hi in CLUSTERS:
        top = len(probs) if hi is None else min(hi, len(probs))
        out[name] = sum(probs[k - 1] for k in range(max(lo, run + 1), top + 1)) / alive
    return out


def _call(dist: dict[str, float]) -> dict:
    names = [c[1] for c in CLUSTERS]
    best = max(range(len(names)), key=lambda i: dist[names[i]])
    entropy = -sum(p * math.log(p) for p in dist.values() if p > 0)
    return {"predicted_cluster": best, "prediction_desc": names[best],
            "confidence": round(dist[names[best]], 6),
            "confidence_distribution": {k: round(v, 6) for k, v in dist.items()},
            "prediction_entropy": round(entropy, 6)}


def _cluster_of(length: int) -> int:
    return next(i for i, _, lo, hi in CLUSTERS if length >= lo and (hi is None or length <= hi))


def streaks_of(rounds: list[dict]) -> list[dict]:
    """Return the completed 10x streaks of rounds (oldest first), in the streak API's fields."""
    t = to_cents(STREAK_THRESHOLD)
    out, current = [], []
    for rec in rounds:
        current.append(rec)
        if to_cents(rec["multiplier"]) >= t:
            xs = [c["multiplier"] for c in current]
            mean = sum(xs) / len(xs)
            std = (math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
                   if len(xs) > 1 else None)
            end = int(rec["issue"])
            out.append({"id": end, "streak_number": len(out) + 1,
                        "start_game_id": int(current[0]["issue"]), "end_game_id": end,
                        "streak_length": len(xs), "hit_multiplier": rec["multiplier"],
                        "mean_multiplier": round(mean, 4),
                        "std_multiplier": round(std, 4) if std is not None else None,
                        "max_multiplier": max(xs), "min_multiplier": min(xs),
                        "created_at": rec.get("drawn_at")})
            current = []
    return out


@bp.get("/games/")
def games():
    """Return recent crash rounds, newest first, as the streak API's games."""
    followed_game(CODE)
    skip, limit = _paging()
    game = get_game(CODE)
    out = []
    for rec in draws.recent_draws(get_redis(), CODE, limit, skip):
        x = rec["multiplier"]
        seed = rec.get("seed")
        end = rec.get("drawn_at")
        begin = prepare = None
        if end and rec.get("source") == "simulated":
            ended = datetime.fromisoformat(end)
            flying = math.log(x) / crash_feed.GROWTH_PER_SECOND
            begun = ended - timedelta(seconds=flying + crash_feed.CRASH_PAUSE_SECONDS)
            begin = begun.isoformat()
            prepare = (begun - timedelta(seconds=crash_feed.BETTING_SECONDS)).isoformat()
        out.append({"game_id": rec["issue"], "crash_point": x, "hash_value": seed,
                    "calculated_point": game.fair_outcome(bytes.fromhex(seed), rec["issue"])
                    if seed else None,
                    "crashed_floor": int(math.floor(x)), "end_time": end,
                    "prepare_time": prepare, "begin_time": begin})
    return jsonify(out)


@bp.get("/streaks/")
def streaks():
    """Return completed 10x streaks, newest first (numbered within the stored rounds)."""
    followed_game(CODE)
    skip, limit = _paging()
    found = streaks_of(_rounds(get_redis()))
    found.reverse()
    return jsonify(found[skip:skip + limit])


@bp.get("/predictions/")
def recent_predictions():
    """Return the streak predictions recorded before each 10x streak began, newest first."""
    followed_game(CODE)
    skip, limit = _paging()
    r = get_redis()
    lengths = {s["start_game_id"]: s["streak_length"] for s in streaks_of(_rounds(r))}
    out = []
    for pred in predictions.recent_predictions(r, CODE, 2000):
        streak = pred.get(STREAK_MARKET)
        if not streak or streak.get("run") != 0:
            continue  # one prediction per streak: the one made before its first round
        first = int(pred["issue"])
        call = _call(cluster_probs(streak["probs"]))
        actual = lengths.get(first)
        out.append({"id": first, "created_at": pred.get("recorded_at"),
                    "next_streak_number": None, "starts_after_game_id": first - 1, **call,
                    "correct": None if actual is None
                    else _cluster_of(actual) == call["predicted_cluster"],
                    "actual_streak_length": actual,
                    "actual_cluster": None if actual is None else _cluster_of(actual),
                    "time_to_verification": actual, "model_version": pred.get("predictor"),
                    "feature_set": "rounds since the last 10x", "lookback_window": None})
    return jsonify(out[skip:skip + limit])


@bp.post("/predictions/")
def predict_next_streak():
    """Predict the next 10x streak's length class from recent streaks (the fair geometric)."""
    followed_game(CODE)
    body = get_json_object()
    recent = body.get("recent_streaks")
    if not isinstance(recent, list) or not recent:
        raise bad_request("recent_streaks must be a non-empty list of streaks", "invalid_streaks")
    lookback = body.get("lookback", 50)
    if isinstance(lookback, bool) or not isinstance(lookback, int) or not 1 <= lookback <= 10_000:
        raise bad_request("lookback must be a whole number from 1 to 10000", "invalid_lookback")
    lengths, last_end, last_number = [], None, 0
    for i, s in enumerate(recent):
        length = s.get("streak_length") if isinstance(s, dict) else None
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise bad_request(f"recent_streaks[{i}].streak_length must be a whole number >= 1",
                              "invalid_streaks")
        end = s.get("end_game_id")
        if end is not None and (isinstance(end, bool) or not isinstance(end, int) or end < 0):
            raise bad_request(f"recent_streaks[{i}].end_game_id must be a round id",
                              "invalid_streaks")
        lengths.append(length)
        last_end = end if end is not None else last_end
        number = s.get("streak_number")
        last_number = number if isinstance(number, int) and not isinstance(number, bool) \
            else last_number + 1
    used = lengths[-lookback:]
    p = streak_p(STREAK_THRESHOLD)
    dist = cluster_probs(streak_bucket_probs(p, STREAK_BUCKETS))
    mean = sum(used) / len(used)
    return jsonify({"next_streak_number": last_number + 1,
                    "starts_after_game_id": last_end, **_call(dist),
                    "model_version": MODEL_VERSION, "feature_set": "none (memoryless rounds)",
                    "lookback_window": len(used),
                    "observed_mean_length": round(mean, 3), "expected_mean_length": round(1 / p, 3),
                    "note": ("A 10x streak's length is geometric with p = 0.099 on fair rounds "
                             "whatever came before; no length class can be called more than "
                             f"{100 * max(dist.values()):.1f}% of the time.")})


@bp.post("/api/crash/rounds")
@require_admin
def enter_rounds():
    """Store rounds entered by hand (admin): all are validated first; one bad round stores none."""
    game = followed_game(request.args.get("game") or CODE)
    if game.family != "crash":
        raise bad_request(f"{game.code} is not a crash game", "not_crash")
    body = get_json_object()
    rows = body.get("rounds", [body] if body else [])
    if not isinstance(rows, list) or not rows or len(rows) > MAX_ROUNDS:
        raise bad_request(f"send a round or 1..{MAX_ROUNDS} rounds under 'rounds'", "invalid_rounds")
    r = get_redis()
    made, seen = [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise bad_request(f"rounds[{i}] must be an object", "invalid_round")
        try:
            raw = row.get("multiplier")
            if row.get("profile") is not None or row.get("hash") is not None:
                name = row.get("profile")
                if not isinstance(name, str) or name not in PROFILES:
                    raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
                computed = get_profile(name).multiplier(row.get("hash"), row.get("salt"))
                if raw is not None and to_cents(raw) != to_cents(computed):
                    raise ValueError(f"multiplier {raw} does not match the hash ({computed})")
                raw = computed
            draw = make_draw(game, row.get("round_id"), raw, row.get("time"), source="manual")
        except (ValueError, KeyError) as exc:
            raise bad_request(f"rounds[{i}]: {exc.args[0] if exc.args else exc}",
                              "invalid_round") from None
        if draw.issue in seen or draws.get_draw(r, game.code, draw.issue) is not None:
            raise bad_request(f"rounds[{i}]: round {draw.issue} is already stored", "duplicate_round")
        seen.add(draw.issue)
        made.append(draw)
    stored = draws.add_draws(r, game, made, get_settings().max_draws)
    return jsonify({"game": game.code, "stored": [d.issue for d in stored]}), 201


_PAGING = [{"name": "skip", "in": "query", "schema": {"type": "integer", "minimum": 0}},
           {"name": "limit", "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}]
_BAD = {"description": "bad input: {error, message}"}
OPENAPI_PATHS = {
    "/games/": {"get": {"summary": "Recent crash rounds in the streak API's game fields",
                        "parameters": _PAGING, "responses": {"200": {"description": "rounds"}}}},
    "/streaks/": {"get": {"summary": "Completed 10x streaks, newest first",
                          "parameters": _PAGING, "responses": {"200": {"description": "streaks"}}}},
    "/predictions/": {
        "get": {"summary": "Streak predictions recorded before each 10x streak, with results",
                "parameters": _PAGING, "responses": {"200": {"description": "predictions"}}},
        "post": {"summary": "Length class odds of the next 10x streak (the fair geometric)",
                 "responses": {"200": {"description": "prediction"}, "400": _BAD}}},
    "/api/crash/rounds": {"post": {
        "summary": "Store crash rounds entered by hand (admin): round_id, multiplier or "
                   "hash + profile, optional time; one bad round stores none",
        "responses": {"201": {"description": "stored round ids"}, "400": _BAD,
                      "401": _BAD, "403": _BAD}}},
}
