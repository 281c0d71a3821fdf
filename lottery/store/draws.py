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


# Per draw (issue, ordinal, record): store it unless the issue is stored, or the period
# already has a result under another spelling of its issue. 1 = stored, 0 = the same issue
# again, 2 = the period already has a result. One script: the check and the write are atomic.
_ADD = """
local out = {}
for i = 1, #ARGV, 3 do
  local issue, ordinal = ARGV[i], ARGV[i + 1]
  if redis.call('hexists', KEYS[1], issue) == 1 then
    out[#out + 1] = 0
  elseif #redis.call('zrangebyscore', KEYS[2], ordinal, ordinal, 'LIMIT', 0, 1) > 0 then
    out[#out + 1] = 2
  else
    redis.call('hset', KEYS[1], issue, ARGV[i + 2])
    redis.call('zadd', KEYS[2], ordinal, issue)
    redis.call('zrem', KEYS[3], issue)
    out[#out + 1] = 1
  end
end
return out
"""
_BATCH = 1000


def add_draws(r, game: Game, draws: Iterable[Draw], max_draws: int,
              conflicts: list | None = None) -> list[Draw]:
    """Store draws not stored yet and return those that were new, oldest first.

    A draw whose period already has a result (under another issue string) is
    refused and appended to `conflicts` when given: one result per period.
    """
    draws = sorted(draws, key=lambda d: game.issue_ordinal(d.issue))
    new: list[Draw] = []
    keys_ = (keys.draws_data(game.code), keys.draws_index(game.code),
             keys.missing_draws(game.code))
    for start in range(0, len(draws), _BATCH):
        batch = draws[start:start + _BATCH]
        args = []
        for d in batch:
            args += [d.issue, game.issue_ordinal(d.issue),
                     json.dumps(d.to_record(game), separators=(",", ":"))]
        for d, outcome in zip(batch, r.eval(_ADD, 3, *keys_, *args)):
            if outcome == 1:
                new.append(d)
            elif outcome == 2 and conflicts is not None:
                conflicts.append(d)
    if new:
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


def count_present(r, game_code: str, issues: list[str]) -> int:
    """Return how many of `issues` are stored now."""
    present = 0
    for start in range(0, len(issues), 5000):
        chunk = issues[start:start + 5000]
        present += sum(score is not None for score in r.zmscore(keys.draws_index(game_code), chunk))
    return present


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


def draws_between(r, game_code: str, first: int, last: int, limit: int = 10_000) -> list[dict]:
    """Return up to `limit` stored draws with ordinals in [first, last], oldest first."""
    issues = [_s(m) for m in r.zrangebyscore(keys.draws_index(game_code), first, last,
                                             start=0, num=limit)]
    if not issues:
        return []
    raws = r.hmget(keys.draws_data(game_code), issues)
    return [_record(i, raw) for i, raw in zip(issues, raws) if raw is not None]
