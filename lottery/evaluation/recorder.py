"""Per-predictor prediction records: written before a draw, resolved after it.

Public API (used by the worker, the AI worker and the simulator):

    record(r, game_code, issue, predictions: dict[str, Prediction | dict]) -> list[str]
    resolve(r, game_code, issue, digit) -> int
    get_prediction(r, game_code, issue, predictor) -> dict | None

Storage is bounded and incremental (see docs/evaluation.md):

* `eval_issue(game, issue)`: hash predictor -> prediction JSON, plus a
  `r:{predictor}` marker once scored; expires PREDICTION_TTL after the last record.
* `eval_totals(game, predictor)`: constant-size counters per market.
* `eval_cumulative(game, predictor)`: capped list of cumulative snapshots, newest
  first, so "the last N" is one subtraction (no request scans records).
* colour/size insight state for the rule learners (`lottery.evaluation.insights`).

One Lua script scores one (issue, predictor): it sets the resolved marker and
updates every counter atomically, so resolving twice, or a record racing with
resolve, counts once.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re

import redis

from lottery import keys
from lottery.evaluation import insights
from lottery.evaluation.scoring import normalise, score
from lottery.games import get_game
from lottery.predictors.base import MARKETS
from lottery.store import as_str as _s
from lottery.store import draws

log = logging.getLogger("lottery.evaluation.recorder")

PREDICTION_TTL = 86_400  # per-issue records: a day is plenty to resolve and follow them
WINDOW_MAX = 10_000  # the longest window the scoreboard answers exactly
MAX_PREDICTORS = 32  # distinct predictor names per game (bounds the set and the totals keys)
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
RESOLVED_PREFIX = "r:"

# KEYS: issue hash, totals hash, cumulative list, version counter[, insight stats hash,
#       insight history list]
# ARGV: predictor, cumulative cap, then per market (flag -1/0/1, log loss, Brier: '' when
#       unknown)[, insight: hit, rule, entry JSON, history cap, issue ordinal]
_RESOLVE_LUA = """
local function streak(key, p, hit, dist)
  local cur = tonumber(redis.call('HGET', key, p .. 'cur') or '0')
  if hit == 1 then
    if cur < 0 then
      if dist then redis.call('HINCRBY', key, p .. 'dl:' .. (-cur), 1) end
      cur = 0
    end
    cur = cur + 1
    if cur > tonumber(redis.call('HGET', key, p .. 'bw') or '0') then
      redis.call('HSET', key, p .. 'bw', cur)
    end
  else
    if cur > 0 then
      if dist then redis.call('HINCRBY', key, p .. 'dw:' .. cur, 1) end
      cur = 0
    end
    cur = cur - 1
    if -cur > tonumber(redis.call('HGET', key, p .. 'bl') or '0') then
      redis.call('HSET', key, p .. 'bl', -cur)
    end
  end
  redis.call('HSET', key, p .. 'cur', cur)
end

if redis.call('HSETNX', KEYS[1], 'r:' .. ARGV[1], 1) == 0 then return 0 end
local markets = {'number', 'top3', 'big_small', 'color'}
local fields = {}
for i, m in ipairs(markets) do
  local a = 3 + (i - 1) * 3
  local flag = tonumber(ARGV[a])
  if flag >= 0 then
    redis.call('HINCRBY', KEYS[2], m .. ':n', 1)
    if flag == 1 then redis.call('HINCRBY', KEYS[2], m .. ':k', 1) end
    if ARGV[a + 1] ~= '' then
      redis.call('HINCRBY', KEYS[2], m .. ':pn', 1)
      redis.call('HINCRBY', KEYS[2], m .. ':ll', ARGV[a + 1])
      redis.call('HINCRBY', KEYS[2], m .. ':br', ARGV[a + 2])
    end
    streak(KEYS[2], m .. ':', flag, false)
  end
  for _, f in ipairs({':n', ':k', ':pn', ':ll', ':br'}) do table.insert(fields, m .. f) end
end
redis.call('HINCRBY', KEYS[2], 'res', 1)
redis.call('INCR', KEYS[4])
local values = redis.call('HMGET', KEYS[2], unpack(fields))
for i = 1, #values do values[i] = values[i] or '0' end
redis.call('LPUSH', KEYS[3], table.concat(values, ','))
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[2]) - 1)
if #KEYS >= 6 then
  local hit = tonumber(ARGV[15])
  local since = tonumber(redis.call('HGET', KEYS[5], 'since_ord') or '-1')
  if tonumber(ARGV[19]) >= since then
    redis.call('HINCRBY', KEYS[5], 'total', 1)
    redis.call('HINCRBY', KEYS[5], 'rule:' .. ARGV[16] .. ':t', 1)
    if hit == 1 then
      redis.call('HINCRBY', KEYS[5], 'correct', 1)
      redis.call('HINCRBY', KEYS[5], 'rule:' .. ARGV[16] .. ':c', 1)
    end
    streak(KEYS[5], '', hit, true)
  end
  redis.call('LPUSH', KEYS[6], ARGV[17])
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[18]) - 1)
end
return 1
"""
_RESOLVE_SHA = hashlib.sha1(_RESOLVE_LUA.encode()).hexdigest()
SNAPSHOT_FIELDS = ("n", "k", "pn", "ll", "br")  # per market, in MARKETS order


def record(r, game_code: str, issue: str, predictions: dict) -> list[str]:
    """Store each predictor's prediction for an unsettled issue once; return the names stored."""
    game = get_game(game_code)
    game.parse_issue(issue)  # a malformed issue is a caller bug: raise ValueError
    if draws.get_draw(r, game_code, issue) is not None:
        return []  # too late: predictions are only taken before the draw
    bodies = {}
    for name, pred in predictions.items():
        if not isinstance(name, str) or not NAME_RE.match(name):
            log.warning("%s %s: ignoring a prediction with an invalid name %r",
                        game_code, issue, name)
            continue
        try:
            bodies[name] = normalise(pred)
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("%s %s: ignoring %s's prediction: %s", game_code, issue, name, exc)
    bodies = _within_name_cap(r, game_code, bodies)
    if not bodies:
        return []
    key = keys.eval_issue(game_code, issue)
    pipe = r.pipeline(transaction=False)
    for name, body in bodies.items():
        pipe.hsetnx(key, name, json.dumps(body, separators=(",", ":")))
    pipe.expire(key, PREDICTION_TTL)
    pipe.sadd(keys.eval_predictors(game_code), *bodies)
    created = pipe.execute()[:len(bodies)]
    stored = [name for name, was_set in zip(bodies, created) if was_set]
    for name in stored:
        kind = insights.KIND_OF.get(name)
        if kind:
            insights.save_next(r, game, kind, issue, bodies[name])
    # The draw may have landed while we wrote: resolve ourselves (idempotent).
    draw = draws.get_draw(r, game_code, issue)
    if stored and draw is not None:
        resolve(r, game_code, issue, int(draw["number"]))
    return stored


def _within_name_cap(r, game_code: str, bodies: dict) -> dict:
    """Drop predictor names beyond MAX_PREDICTORS distinct names for the game."""
    known = {_s(m) for m in r.smembers(keys.eval_predictors(game_code))}
    room = MAX_PREDICTORS - len(known)
    out = {}
    for name, body in bodies.items():
        if name in known:
            out[name] = body
        elif room > 0:
            out[name] = body
            room -= 1
        else:
            log.warning("%s: too many predictor names; ignoring %r", game_code, name)
    return out


def resolve(r, game_code: str, issue: str, digit: int) -> int:
    """Score every recorded prediction of a settled issue; return how many were newly scored."""
    game = get_game(game_code)
    digit = game.parse_outcome(digit)
    key = keys.eval_issue(game_code, issue)
    raw = {_s(k): v for k, v in r.hgetall(key).items()}
    todo = [name for name in raw
            if not name.startswith(RESOLVED_PREFIX) and RESOLVED_PREFIX + name not in raw]
    if not todo:
        return 0
    calls = []
    for name in todo:
        try:
            pred = json.loads(raw[name])
        except ValueError:
            log.warning("%s %s: unreadable record of %s", game_code, issue, name)
            continue
        calls.append(_resolve_call(game, issue, name, pred, digit))
    return sum(int(x) for x in _run_scripts(r, calls))


def _resolve_call(game, issue: str, name: str, pred: dict, digit: int) -> tuple[list, list]:
    """Return the (keys, args) of the resolve script for one predictor's record."""
    scored = score(pred, digit)
    call_keys = [keys.eval_issue(game.code, issue), keys.eval_totals(game.code, name),
                 keys.eval_cumulative(game.code, name), keys.eval_version(game.code)]
    args: list = [name, WINDOW_MAX + 1]
    for market in MARKETS:
        hit, ll, br = scored.get(market, (-1, None, None))
        args += [hit, "" if ll is None else ll, "" if br is None else br]
    kind = insights.KIND_OF.get(name)
    market = insights.MARKET_OF.get(kind)
    if kind and market in scored:
        call_keys += [keys.insight_stats(game.code, kind), keys.insight_history(game.code, kind)]
        entry = insights.history_entry(game, kind, issue, pred, digit, bool(scored[market][0]))
        args += [scored[market][0], insights.rule_of(pred), json.dumps(entry, separators=(",", ":")),
                 insights.HISTORY_CAP, game.issue_ordinal(issue)]
    return call_keys, args


def _run_scripts(r, calls: list[tuple[list, list]]) -> list:
    """Run the resolve script for each call in one round trip (loading it once if needed)."""
    if not calls:
        return []
    for attempt in (1, 2):
        pipe = r.pipeline(transaction=False)
        for call_keys, args in calls:
            pipe.evalsha(_RESOLVE_SHA, len(call_keys), *call_keys, *args)
        results = pipe.execute(raise_on_error=False)
        if not any(isinstance(x, redis.exceptions.NoScriptError) for x in results):
            break
        # A fresh or flushed server: load the script and run again (every
        # call is idempotent, so the ones that did run count once).
        r.script_load(_RESOLVE_LUA)
    for x in results:
        if isinstance(x, Exception):
            raise x
    return results


def get_prediction(r, game_code: str, issue: str, predictor: str) -> dict | None:
    """Return what `predictor` predicted for `issue`, or None."""
    raw = r.hget(keys.eval_issue(game_code, issue), predictor)
    return json.loads(raw) if raw is not None else None
