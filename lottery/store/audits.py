"""The randomness audit of a game's stored draws, cached until the next draw lands."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from lottery import keys
from lottery.evaluation.audit import DEFAULT_WINDOW, LEVEL, NOTE
from lottery.games import get_game
from lottery.store import draws

CACHE_SECONDS = 300  # games without a clock: the cache is keyed by the newest issue anyway


def audit(r, game_code: str, window: int = DEFAULT_WINDOW) -> dict:
    """Return the audit of a game's newest `window` stored draws (cached per newest issue)."""
    game = get_game(game_code)
    latest = draws.latest_issue(r, game_code)
    cache_key = keys.audit_cache(game_code, window)
    cached = r.get(cache_key)
    if cached is not None:
        body = json.loads(cached)
        if body.get("latest_issue") == latest:
            return body
    outcomes = draws.recent_outcomes(r, game, window)
    body = {"game": game_code, "window": window, "n": len(outcomes), "latest_issue": latest,
            "level": LEVEL, "tests": game.audit(outcomes),
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": NOTE}
    # One period is the most a cached audit can be behind (the newest issue keys it anyway).
    interval = game.interval_before(latest) if latest else None
    r.set(cache_key, json.dumps(body, separators=(",", ":")),
          ex=round(interval) if interval else CACHE_SECONDS)
    return body
