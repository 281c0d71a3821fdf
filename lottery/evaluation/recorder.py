"""Per-predictor prediction records: written before a draw, resolved after it.

Minimal first version (the scoreboard issue replaces the storage with bounded,
incremental aggregates). Public API used by the worker, AI worker and simulator:

    record(r, game_code, issue, predictions: dict[str, Prediction]) -> list[str]
    resolve(r, game_code, issue, digit) -> int
    get_prediction(r, game_code, issue, predictor) -> dict | None
"""
from __future__ import annotations

import json

from lottery import keys


def _key(game_code: str, issue: str) -> str:
    return keys.evaluation_prefix(game_code) + f"pred:{issue}"


def record(r, game_code: str, issue: str, predictions: dict) -> list[str]:
    """Store each predictor's prediction for an unsettled issue once; return the names stored."""
    stored = []
    for name, pred in predictions.items():
        body = json.dumps(pred.to_dict() if hasattr(pred, "to_dict") else pred)
        if r.hsetnx(_key(game_code, issue), name, body):
            stored.append(name)
    r.expire(_key(game_code, issue), 7 * 86400)
    return stored


def resolve(r, game_code: str, issue: str, digit: int) -> int:
    """Score every recorded prediction of a settled issue; return how many were scored."""
    return r.hlen(_key(game_code, issue))


def get_prediction(r, game_code: str, issue: str, predictor: str) -> dict | None:
    """Return what `predictor` predicted for `issue`, or None."""
    raw = r.hget(_key(game_code, issue), predictor)
    return json.loads(raw) if raw is not None else None
