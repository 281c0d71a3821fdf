"""Settled draws per game: a sorted-set index by period ordinal plus a hash of records.

Ingest is idempotent (HSETNX decides the first writer of an issue) and the
history is bounded to `max_draws` (the oldest are dropped from both keys).
"""
from __future__ import annotations

import json
from typing import Iterable

from lottery import keys
from lottery.games import Draw, Game
from lottery.store import as_str as _s


def add_draws(r, game: Game, draws: Iterable[Draw], max_draws: int) -> list[Draw]:
    """Store draws not stored yet and return those that were new, oldest first."""
    draws = sorted(draws, key=lambda d: game.issue_ordinal(d.issue))
    if not draws:
        return []
    pipe = r.pipeline(transaction=False)
    for d in draws:
        pipe.hsetnx(keys.draws_data(game.code), d.issue,
                    json.dumps(d.to_record(game), separators=(",", ":")))
    created = pipe.execute()
    new = [d for d, was_set in zip(draws, created) if was_set]
    if new:
        pipe = r.pipeline(transaction=False)
        pipe.zadd(keys.draws_index(game.code), {d.issue: game.issue_ordinal(d.issue) for d in new})
        pipe.zrem(keys.missing_draws(game.code), *[d.issue for d in new])
        pipe.execute()
        trim(r, game.code, max_draws)
    return new


def trim(r, game_code: str, max_draws: int) -> int:
    """Drop the oldest draws beyond `max_draws`; return how many were dropped."""
    excess = r.zcard(keys.draws_index(game_code)) - max_draws
    if excess <= 0:
        return 0
    dropped = [_s(m) for m, _ in r.zpopmin(keys.draws_index(game_code), excess)]
    if dropped:
        r.hdel(keys.draws_data(game_code), *dropped)
    return len(dropped)


def mark_missing(r, game: Game, issues: Iterable[str]) -> int:
    """Record issues the source could not provide; return how many were recorded."""
    mapping = {i: game.issue_ordinal(i) for i in issues}
    if not mapping:
        return 0
    r.zadd(keys.missing_draws(game.code), mapping)
    # Keep the record bounded: a day of 30 s periods is the most worth showing.
    r.zremrangebyrank(keys.missing_draws(game.code), 0, -2881)
    return len(mapping)


def missing_issues(r, game_code: str, limit: int = 100) -> list[str]:
    """Return the newest issues recorded as missing, newest first."""
    return [_s(m) for m in r.zrevrange(keys.missing_draws(game_code), 0, limit - 1)]


def latest_issue(r, game_code: str) -> str | None:
    """Return the newest stored issue, or None when there is no draw."""
    top = r.zrevrange(keys.draws_index(game_code), 0, 0)
    return _s(top[0]) if top else None


def ordinals_between(r, game_code: str, first: int, last: int) -> set[int]:
    """Return the period ordinals of stored draws in [first, last]."""
    return {int(score) for _, score in
            r.zrangebyscore(keys.draws_index(game_code), first, last, withscores=True)}


def count(r, game_code: str) -> int:
    """Return how many draws are stored for the game."""
    return r.zcard(keys.draws_index(game_code))


def get_draw(r, game_code: str, issue: str) -> dict | None:
    """Return one stored draw record (with its issue), or None."""
    raw = r.hget(keys.draws_data(game_code), issue)
    return _record(issue, raw) if raw is not None else None


def recent_draws(r, game_code: str, limit: int, offset: int = 0) -> list[dict]:
    """Return up to `limit` draws, newest first, skipping the `offset` newest."""
    if limit <= 0:
        return []
    issues = [_s(m) for m in r.zrevrange(keys.draws_index(game_code), offset, offset + limit - 1)]
    if not issues:
        return []
    raws = r.hmget(keys.draws_data(game_code), issues)
    return [_record(i, raw) for i, raw in zip(issues, raws) if raw is not None]


def recent_outcomes(r, game: Game, limit: int) -> list:
    """Return the outcomes of the `limit` newest draws, oldest first (predictor warm-up)."""
    out: list = []
    decode = game.decode_outcome
    # Read in chunks so 100,000 draws never sit in one reply.
    chunk = 5000
    offset = 0
    while offset < limit:
        rows = recent_draws(r, game.code, min(chunk, limit - offset), offset)
        if not rows:
            break
        out.extend(decode(row) for row in rows)
        offset += len(rows)
    out.reverse()
    return out



def _record(issue: str, raw) -> dict:
    rec = json.loads(raw)
    rec["issue"] = issue
    return rec
