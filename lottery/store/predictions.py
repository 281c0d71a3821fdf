"""The report prediction per issue: stored before the draw, resolved after it.

`latest_prediction(game)` holds the JSON report bytes that `/api/prediction`
serves as-is; the default game's report is also written to the upstream key
`latest_prediction_data`. Per-issue predictions are bounded to `max_predictions`.
"""
from __future__ import annotations

import json

from lottery import keys
from lottery.config import DEFAULT_GAME
from lottery.games import Game
from lottery.store import as_str as _s


def save_prediction(r, game: Game, issue: str, prediction: dict, max_predictions: int) -> bool:
    """Store the prediction for an unsettled issue once; return False when one exists."""
    body = json.dumps({"issue": issue, **prediction}, separators=(",", ":"))
    if not r.hsetnx(keys.predictions_data(game.code), issue, body):
        return False
    r.zadd(keys.predictions_index(game.code), {issue: game.issue_ordinal(issue)})
    excess = r.zcard(keys.predictions_index(game.code)) - max_predictions
    if excess > 0:
        dropped = [_s(m) for m, _ in r.zpopmin(keys.predictions_index(game.code), excess)]
        if dropped:
            r.hdel(keys.predictions_data(game.code), *dropped)
    return True


def get_prediction(r, game_code: str, issue: str) -> dict | None:
    """Return the stored prediction of an issue (with `result` once settled), or None."""
    raw = r.hget(keys.predictions_data(game_code), issue)
    return json.loads(raw) if raw is not None else None


def resolve_prediction(r, game_code: str, issue: str, result: dict,
                       hits: dict | None = None) -> dict | None:
    """Attach the settled result (and hits) to a stored prediction; return it if newly resolved."""
    pred = get_prediction(r, game_code, issue)
    if pred is None or "result" in pred:
        return None
    pred["result"] = result
    if hits is not None:
        pred["hits"] = hits
    r.hset(keys.predictions_data(game_code), issue, json.dumps(pred, separators=(",", ":")))
    return pred


def recent_predictions(r, game_code: str, limit: int) -> list[dict]:
    """Return up to `limit` stored predictions, newest issue first."""
    issues = [_s(m) for m in r.zrevrange(keys.predictions_index(game_code), 0, limit - 1)]
    if not issues:
        return []
    raws = r.hmget(keys.predictions_data(game_code), issues)
    return [json.loads(raw) for raw in raws if raw is not None]


def pending_issues(r, game_code: str, limit: int = 20) -> list[str]:
    """Return the newest issues with a stored prediction and no result yet, newest first."""
    out = []
    for pred in recent_predictions(r, game_code, limit):
        if "result" not in pred:
            out.append(pred["issue"])
    return out


def write_report(r, game_code: str, report_bytes: bytes) -> None:
    """Write the latest report JSON for a game (and the upstream key for the default game)."""
    pipe = r.pipeline(transaction=False)
    pipe.set(keys.latest_prediction(game_code), report_bytes)
    if game_code == DEFAULT_GAME:
        pipe.set(keys.LATEST_PREDICTION, report_bytes)
    pipe.execute()


def read_report(r, game_code: str) -> bytes | None:
    """Return the latest report JSON bytes of a game, untouched, or None."""
    return r.get(keys.latest_prediction(game_code))



def patch_reports(r, game_codes, **fields) -> None:
    """Set top-level fields (e.g. ai_enabled) in each game's stored report and announce it."""
    from lottery.events import publish_event

    for code in game_codes:
        raw = read_report(r, code)
        if raw is None:
            continue
        report = json.loads(raw)
        report.update(fields)
        write_report(r, code, json.dumps(report, separators=(",", ":")).encode())
        publish_event(r, "prediction", code, {"issue": report.get("next_issue"), "patched": True})
