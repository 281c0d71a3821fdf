"""Pick-lottery CSV imports as versioned snapshots that can be rolled back.

Each import is one atomic Redis script: it refuses content already imported
(same sha256 of the normalised rows), stores the draws whose date is not
stored yet (tagging each record with `"import": version`), keeps the list of
dates it added and records the snapshot (version, hash, created_at, row count,
added and duplicate counts, source). A rollback, also one script, removes
exactly the draws that import added and that still carry its tag (never a draw
of the feed, of manual entry or of another import) and records the rollback.

Keys (lottery.keys): pick_import_versions / _seq / _hashes / _added. At most
MAX_VERSIONS snapshots are kept; older ones are forgotten (their draws stay,
they can no longer be rolled back).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Iterable

from lottery import keys
from lottery.games import Draw
from lottery.games.pick import PickLottery
from lottery.store import as_str as _s
from lottery.store import draws as draw_store

MAX_VERSIONS = 500
MAX_ROWS = 50_000  # one script call; a larger history is imported in several files

# ARGV: hash, meta JSON without its closing brace, then (issue, ordinal, record JSON) triples.
# Returns {-1, version} when the content was imported before, else {version, added, duplicates}.
_IMPORT = """
local existing = redis.call('hget', KEYS[5], ARGV[1])
if existing then return {-1, tonumber(existing)} end
local v = redis.call('incr', KEYS[6])
local added, dup = {}, 0
local tag = ',"import":' .. v .. '}'
for i = 3, #ARGV, 3 do
  local issue, ordinal = ARGV[i], ARGV[i + 1]
  if redis.call('hexists', KEYS[1], issue) == 1
      or #redis.call('zrangebyscore', KEYS[2], ordinal, ordinal, 'LIMIT', 0, 1) > 0 then
    dup = dup + 1
  else
    local rec = ARGV[i + 2]
    redis.call('hset', KEYS[1], issue, string.sub(rec, 1, -2) .. tag)
    redis.call('zadd', KEYS[2], ordinal, issue)
    redis.call('zrem', KEYS[3], issue)
    added[#added + 1] = issue
  end
end
redis.call('hset', KEYS[7], v, table.concat(added, ','))
redis.call('hset', KEYS[5], ARGV[1], v)
redis.call('hset', KEYS[4], v, ARGV[2] .. ',"version":' .. v .. ',"added":' .. #added
  .. ',"duplicates":' .. dup .. ',"status":"active"}')
return {v, #added, dup}
"""

# ARGV: version, rolled_back_at. Returns {0} unknown version, {-1} already rolled back,
# else {removed, not_present, replaced}.
_ROLLBACK = """
local meta = redis.call('hget', KEYS[3], ARGV[1])
if not meta then return {0} end
local m = cjson.decode(meta)
if m.status ~= 'active' then return {-1} end
local list = redis.call('hget', KEYS[5], ARGV[1]) or ''
local tag = ',"import":' .. ARGV[1] .. '}'
local removed, gone, replaced = 0, 0, 0
for issue in string.gmatch(list, '[^,]+') do
  local rec = redis.call('hget', KEYS[1], issue)
  if not rec then
    gone = gone + 1
  elseif string.sub(rec, -#tag) == tag then
    redis.call('hdel', KEYS[1], issue)
    redis.call('zrem', KEYS[2], issue)
    removed = removed + 1
  else
    replaced = replaced + 1
  end
end
m.status = 'rolled_back'
m.rolled_back_at = ARGV[2]
m.removed = removed
m.not_present = gone + replaced
redis.call('hset', KEYS[3], ARGV[1], cjson.encode(m))
if redis.call('hget', KEYS[4], m.hash) == ARGV[1] then redis.call('hdel', KEYS[4], m.hash) end
redis.call('hdel', KEYS[5], ARGV[1])
return {removed, gone, replaced}
"""


class ImportRefused(ValueError):
    """An import or rollback that changes nothing: `code` names why, the message says it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def normalised_lines(game: PickLottery, draws: Iterable[Draw]) -> list[str]:
    """Return one `date|whites|bonus` line per draw, sorted: what the content hash covers."""
    return sorted(f"{d.issue}|{','.join(map(str, sorted(d.outcome[0])))}|"
                  f"{','.join(map(str, sorted(d.outcome[1])))}" for d in draws)


def content_hash(game: PickLottery, draws: Iterable[Draw]) -> str:
    """Return the sha256 hex of a game's normalised rows (format, order and spacing blind)."""
    text = game.code + "\n" + "\n".join(normalised_lines(game, draws))
    return hashlib.sha256(text.encode()).hexdigest()


def version_of_hash(r, game_code: str, digest: str) -> int | None:
    """Return the live import version with this content hash, or None."""
    raw = r.hget(keys.pick_import_hashes(game_code), digest)
    return int(raw) if raw is not None else None


def compare(r, game: PickLottery, draws: list[Draw]) -> dict:
    """Return which draws are new, already stored alike, or stored with other numbers."""
    data = keys.draws_data(game.code)
    new, same, differ = [], [], []
    for start in range(0, len(draws), 5000):
        chunk = draws[start:start + 5000]
        for d, raw in zip(chunk, r.hmget(data, [d.issue for d in chunk])):
            if raw is None:
                new.append(d)
                continue
            rec = json.loads(raw)
            stored = (tuple(rec.get("whites") or ()), tuple(rec.get("bonus") or ()))
            (same if stored == (tuple(d.outcome[0]), tuple(d.outcome[1])) else differ).append(
                (d, stored))
    return {"new": new, "same": [d for d, _ in same], "differ": differ}


def import_draws(r, game: PickLottery, draws: list[Draw], *, source: str, now: datetime,
                 max_draws: int) -> dict:
    """Store draws as one versioned snapshot (atomic); return its record.

    Content imported before is refused with ImportRefused (nothing stored).
    """
    if not draws:
        raise ImportRefused("no draws to import", "no_draws")
    if len(draws) > MAX_ROWS:
        raise ImportRefused(f"at most {MAX_ROWS} rows per import (got {len(draws)})",
                            "too_many_rows")
    digest = content_hash(game, draws)
    ordered = sorted(draws, key=lambda d: d.issue)
    meta = {"game": game.code, "hash": digest, "created_at": now.isoformat(timespec="seconds"),
            "rows": len(draws), "source": str(source)[:200],
            "first": ordered[0].issue, "last": ordered[-1].issue}
    args: list = [digest, json.dumps(meta, separators=(",", ":"))[:-1]]
    for d in ordered:
        rec = json.dumps(d.to_record(game), separators=(",", ":"))
        args += [d.issue, game.issue_ordinal(d.issue), rec]
    code = game.code
    out = r.eval(_IMPORT, 7, keys.draws_data(code), keys.draws_index(code),
                 keys.missing_draws(code), keys.pick_import_versions(code),
                 keys.pick_import_hashes(code), keys.pick_import_seq(code),
                 keys.pick_import_added(code), *args)
    if int(out[0]) == -1:
        raise ImportRefused(f"the same content (sha256 {digest[:12]}…) was imported as "
                            f"version {int(out[1])}: nothing stored", "duplicate_content")
    version, added, dup = (int(x) for x in out)
    dropped = draw_store.trim(r, code, max_draws) if added else 0
    _prune(r, code)
    return {**meta, "version": version, "added": added, "duplicates": dup,
            "status": "active", "trimmed": dropped}


def rollback(r, game: PickLottery, version: int, now: datetime) -> dict:
    """Remove exactly the draws an import added (atomic); return its updated record."""
    code = game.code
    out = r.eval(_ROLLBACK, 5, keys.draws_data(code), keys.draws_index(code),
                 keys.pick_import_versions(code), keys.pick_import_hashes(code),
                 keys.pick_import_added(code), str(int(version)),
                 now.isoformat(timespec="seconds"))
    if int(out[0]) == 0 and len(out) == 1:
        raise ImportRefused(f"no {code} import version {version}", "unknown_version")
    if int(out[0]) == -1 and len(out) == 1:
        raise ImportRefused(f"{code} import version {version} is already rolled back",
                            "already_rolled_back")
    return get_version(r, code, version)


def get_version(r, game_code: str, version: int) -> dict | None:
    """Return one snapshot's record, or None."""
    raw = r.hget(keys.pick_import_versions(game_code), str(int(version)))
    return json.loads(raw) if raw is not None else None


def list_versions(r, game_code: str) -> list[dict]:
    """Return every kept snapshot, newest first."""
    raw = r.hgetall(keys.pick_import_versions(game_code))
    return sorted((json.loads(v) for v in raw.values()), key=lambda m: -m["version"])


def _prune(r, game_code: str) -> None:
    versions = sorted(int(_s(v)) for v in r.hkeys(keys.pick_import_versions(game_code)))
    old = versions[:-MAX_VERSIONS] if len(versions) > MAX_VERSIONS else []
    if old:
        metas = [json.loads(m) for m in r.hmget(keys.pick_import_versions(game_code), old) if m]
        pipe = r.pipeline(transaction=True)
        pipe.hdel(keys.pick_import_versions(game_code), *old)
        pipe.hdel(keys.pick_import_added(game_code), *old)
        for m in metas:
            pipe.hdel(keys.pick_import_hashes(game_code), m["hash"])
        pipe.execute()


def stored_records(r, game_code: str) -> list[tuple[str, object]]:
    """Return every stored (issue, record JSON text), oldest first, index members included."""
    data = r.hgetall(keys.draws_data(game_code))
    order = [_s(m) for m in r.zrange(keys.draws_index(game_code), 0, -1)]
    rows = {_s(k): _s(v) for k, v in data.items()}
    seen = set(order)
    out = [(i, rows.get(i, "missing record")) for i in order]
    out += [(i, rows[i]) for i in sorted(rows) if i not in seen]
    return out


def plan(r, game: PickLottery, lines: Iterable[str], now: datetime, limit: int = 10) -> dict:
    """Return what importing a CSV text would do, storing nothing.

    {format, rows, first (the first `limit` parsed rows), errors (line-numbered),
    dates, hash, same_as_version, would_add, duplicates, draws (the parsed Draws)}.
    A stored draw of the same date with other numbers is an error of its line.
    """
    from lottery.games.pick_csv import check_pick_csv, row_draw

    parsed, errors = check_pick_csv(lines, game, now)
    if len(parsed.rows) > MAX_ROWS:
        errors.append((0, f"at most {MAX_ROWS} rows per import (got {len(parsed.rows)})"))
    draws = [row_draw(game, row) for row in parsed.rows]
    line_of = {row.issue: row.line for row in parsed.rows}
    seen = compare(r, game, draws)
    for d, stored in seen["differ"]:
        errors.append((line_of[d.issue], f"{d.issue} is stored with other numbers "
                                         f"({list(stored[0])} + {list(stored[1])})"))
    digest = content_hash(game, draws) if draws else None
    preview = parsed.preview(game, limit)
    return {**preview, "errors": [{"line": n, "message": m} for n, m in sorted(errors)],
            "ok": parsed.format is not None and not errors, "hash": digest,
            "same_as_version": version_of_hash(r, game.code, digest) if digest else None,
            "would_add": len(seen["new"]), "duplicates": len(seen["same"]),
            "conflicts": len(seen["differ"]), "draws": draws}
