"""Per-predictor prediction records: written before a draw, resolved after it.

Public API (used by the worker, the AI worker and the simulator):

    record(r, game_code, issue, predictions: dict[str, Prediction | dict]) -> list[str]
    resolve(r, game_code, issue, outcome) -> int
    get_prediction(r, game_code, issue, predictor) -> dict | None
    scoreboard(r, game_code, window=None) -> dict   (GET /api/accuracy; two round trips)
    save_replay / read_replay / forget_replay       (the first-start "replayed" record)

Storage is bounded and incremental (see docs/evaluation.md):

* `eval_issue(game, issue)`: hash predictor -> prediction JSON, plus a
  `r:{predictor}` marker once scored; expires PREDICTION_TTL after the last record.
* `eval_totals(game, predictor)`: constant-size counters per market.
* `eval_cumulative(game, predictor)`: capped list of cumulative snapshots, newest
  first, so "the last N" is one subtraction (no request scans records).
* `eval_replay(game)`: the replayed record (JSON), kept apart from the live
  counters and never merged into them: when history is back-filled or imported
  the worker replays the predictors over it walk-forward (lottery.worker).
* a family's own per-predictor state kept with the records (WinGo: the colour/size
  insights of the rule learners, `lottery.store.wingo_insights`), through the
  game's `insights()` hook.

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
from lottery.evaluation.scoreboard import Totals, build
from lottery.evaluation.scoring import MarketTotals, Streaks
from lottery.games import Game, get_game
from lottery.store import as_str as _s
from lottery.store import draws

log = logging.getLogger("lottery.store.scores")

PREDICTION_TTL = 86_400  # per-issue records: a day is plenty to resolve and follow them
WINDOW_MAX = 10_000  # the longest window the scoreboard answers exactly
MAX_PREDICTORS = 32  # distinct predictor names per game (bounds the set and the totals keys)
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
RESOLVED_PREFIX = "r:"

# KEYS: issue hash, totals hash, cumulative list, version counter[, insight stats hash,
#       insight history list]
# ARGV: predictor, cumulative cap, market count M, then per market (name, flag -1/0/1,
#       log loss, Brier: '' when unknown)[, insight: hit, rule, entry JSON, history cap,
#       issue ordinal]
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
local m_count = tonumber(ARGV[3])
local fields = {}
for i = 1, m_count do
  local a = 4 + (i - 1) * 4
  local m = ARGV[a]
  local flag = tonumber(ARGV[a + 1])
  if flag >= 0 then
    redis.call('HINCRBY', KEYS[2], m .. ':n', 1)
    if flag == 1 then redis.call('HINCRBY', KEYS[2], m .. ':k', 1) end
    if ARGV[a + 2] ~= '' then
      redis.call('HINCRBY', KEYS[2], m .. ':pn', 1)
      redis.call('HINCRBY', KEYS[2], m .. ':ll', ARGV[a + 2])
      redis.call('HINCRBY', KEYS[2], m .. ':br', ARGV[a + 3])
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
  local b = 4 + m_count * 4
  local hit = tonumber(ARGV[b])
  local since = tonumber(redis.call('HGET', KEYS[5], 'since_ord') or '-1')
  if tonumber(ARGV[b + 4]) >= since then
    redis.call('HINCRBY', KEYS[5], 'total', 1)
    redis.call('HINCRBY', KEYS[5], 'rule:' .. ARGV[b + 1] .. ':t', 1)
    if hit == 1 then
      redis.call('HINCRBY', KEYS[5], 'correct', 1)
      redis.call('HINCRBY', KEYS[5], 'rule:' .. ARGV[b + 1] .. ':c', 1)
    end
    streak(KEYS[5], '', hit, true)
  end
  redis.call('LPUSH', KEYS[6], ARGV[b + 2])
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[b + 3]) - 1)
end
return 1
"""
_RESOLVE_SHA = hashlib.sha1(_RESOLVE_LUA.encode()).hexdigest()
SNAPSHOT_FIELDS = ("n", "k", "pn", "ll", "br")  # per market, in the game's market order


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
            bodies[name] = game.normalise_prediction(pred)
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
    hook = game.insights()
    for name in stored:
        kind = hook.KIND_OF.get(name) if hook else None
        if kind:
            hook.save_next(r, game, kind, issue, bodies[name])
    # The draw may have landed while we wrote: resolve ourselves (idempotent).
    draw = draws.get_draw(r, game_code, issue)
    if stored and draw is not None:
        resolve(r, game_code, issue, game.decode_outcome(draw))
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


def resolve(r, game_code: str, issue: str, outcome) -> int:
    """Score every recorded prediction of a settled issue; return how many were newly scored."""
    game = get_game(game_code)
    outcome = game.parse_outcome(outcome)
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
        calls.append(_resolve_call(game, issue, name, pred, outcome))
    return sum(int(x) for x in _run_scripts(r, calls))


def _resolve_call(game, issue: str, name: str, pred: dict, outcome) -> tuple[list, list]:
    """Return the (keys, args) of the resolve script for one predictor's record."""
    scored = game.score(pred, outcome)
    call_keys = [keys.eval_issue(game.code, issue), keys.eval_totals(game.code, name),
                 keys.eval_cumulative(game.code, name), keys.eval_version(game.code)]
    args: list = [name, WINDOW_MAX + 1, len(game.markets)]
    for market in game.market_names:
        hit, ll, br = scored.get(market, (-1, None, None))
        args += [market, hit, "" if ll is None else ll, "" if br is None else br]
    hook = game.insights()
    kind = hook.KIND_OF.get(name) if hook else None
    market = hook.MARKET_OF.get(kind) if kind else None
    if kind and market in scored:
        call_keys += [keys.insight_stats(game.code, kind), keys.insight_history(game.code, kind)]
        entry = hook.history_entry(game, kind, issue, pred, outcome, bool(scored[market][0]))
        args += [scored[market][0], hook.rule_of(pred), json.dumps(entry, separators=(",", ":")),
                 hook.HISTORY_CAP, game.issue_ordinal(issue)]
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


# -- the scoreboard of stored totals -------------------------------------------------
CACHE_FIELDS_MAX = 64  # distinct windows cached per game before the cache is dropped


def scoreboard(r, game_code: str, window: int | None = None) -> dict:
    """Return the scoreboard of a game over the last `window` resolved predictions (None: all)."""
    # The table only changes when a prediction is scored (once a period), so it
    # is computed once per version of the counters and cached in Redis.
    field = "all" if window is None else str(window)
    pipe = r.pipeline(transaction=False)
    pipe.get(keys.eval_version(game_code))
    pipe.hget(keys.eval_board_cache(game_code), field)
    version, cached = pipe.execute()
    version = int(version or 0)
    if cached is not None:
        body = json.loads(cached)
        if body.pop("version", None) == version:
            return body
    game = get_game(game_code)
    # A windowed board is descriptive: its verdicts judge the full running record,
    # the only one the anytime-valid guarantee holds for.
    record = read_totals(r, game) if window is not None else None
    body = build(game, read_totals(r, game, window), window, record)
    if window is None:
        body["replayed"] = _replayed_board(r, game)
    pipe = r.pipeline(transaction=False)
    pipe.hset(keys.eval_board_cache(game_code), field,
              json.dumps({**body, "version": version}, separators=(",", ":")))
    pipe.hlen(keys.eval_board_cache(game_code))
    if pipe.execute()[1] > CACHE_FIELDS_MAX:
        r.delete(keys.eval_board_cache(game_code))  # many distinct windows: start over
    return body


def read_totals(r, game: Game, window: int | None = None) -> Totals:
    """Read every predictor's totals, reduced to the last `window` resolutions when given."""
    game_code = game.code
    names = sorted(_s(m) for m in r.smembers(keys.eval_predictors(game_code)))
    if not names:
        return {}
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.eval_totals(game_code, name))
        if window is not None:
            cum = keys.eval_cumulative(game_code, name)
            pipe.llen(cum)
            pipe.lindex(cum, window)
            pipe.lindex(cum, -1)
    replies = pipe.execute()
    step = 1 if window is None else 4
    out: Totals = {}
    for i, name in enumerate(names):
        raw = {_s(k): _s(v) for k, v in replies[i * step].items()}
        if not raw:
            continue
        totals = _parse_totals(game, raw)
        resolutions = int(raw.get("res", 0))
        if window is not None and window < resolutions:
            length, at_window, oldest = replies[i * step + 1: i * step + 4]
            # The snapshot `window` places back holds the counts before the last
            # `window` resolutions; when the list was trimmed shorter, the oldest
            # kept snapshot is the furthest back we can go.
            base = at_window if length > window else oldest
            if base is not None:
                base_totals = _parse_snapshot(game, _s(base))
                totals = {m: t.minus(base_totals[m]) for m, t in totals.items()}
        out[name] = totals
    return out


def _parse_totals(game: Game, raw: dict) -> dict[str, MarketTotals]:
    out = {}
    for m in game.market_names:
        n = int(raw.get(f"{m}:n", 0))
        if n <= 0:
            continue
        cur = int(raw.get(f"{m}:cur", 0))
        streaks = Streaks(current_kind="win" if cur > 0 else "loss" if cur < 0 else None,
                          current=abs(cur), longest_win=int(raw.get(f"{m}:bw", 0)),
                          longest_loss=int(raw.get(f"{m}:bl", 0)))
        out[m] = MarketTotals(n, int(raw.get(f"{m}:k", 0)), int(raw.get(f"{m}:pn", 0)),
                              int(raw.get(f"{m}:ll", 0)), int(raw.get(f"{m}:br", 0)), streaks)
    return out


def _parse_snapshot(game: Game, text: str) -> dict[str, MarketTotals]:
    values = [int(x) for x in text.split(",")]
    width = len(SNAPSHOT_FIELDS)
    return {m: MarketTotals(*values[i * width:(i + 1) * width])
            for i, m in enumerate(game.market_names)}


# -- the replayed record (first start, imports) -------------------------------------
def save_replay(r, game: Game, totals: Totals, n_draws: int, through: str | None,
                seconds: float) -> None:
    """Store the record of a walk-forward replay over stored history (apart from live)."""
    body = {"n_draws": n_draws, "through": through, "took_ms": round(1000 * seconds, 1),
            "predictors": {name: {m: [t.n, t.hits, t.prob_n, t.ll, t.brier, t.streaks.current_kind,
                                      t.streaks.current, t.streaks.longest_win,
                                      t.streaks.longest_loss]
                                  for m, t in markets.items()}
                           for name, markets in totals.items()}}
    pipe = r.pipeline(transaction=True)
    pipe.set(keys.eval_replay(game.code), json.dumps(body, separators=(",", ":")))
    pipe.incr(keys.eval_version(game.code))  # the cached boards are stale now
    pipe.execute()


def read_replay(r, game: Game) -> tuple[Totals, dict] | None:
    """Return (totals, facts) of the stored replayed record, or None."""
    raw = r.get(keys.eval_replay(game.code))
    if raw is None:
        return None
    body = json.loads(raw)
    totals: Totals = {}
    for name, markets in body.pop("predictors").items():
        totals[name] = {}
        for m, (n, k, pn, ll, br, kind, cur, bw, bl) in markets.items():
            totals[name][m] = MarketTotals(n, k, pn, ll, br, Streaks(kind, cur, bw, bl))
    return totals, body


def has_replay(r, game_code: str) -> bool:
    """Return True when a replayed record is stored for the game."""
    return bool(r.exists(keys.eval_replay(game_code)))


def forget_replay(r, game_code: str) -> None:
    """Drop the replayed record (new history was imported: the worker replays again)."""
    pipe = r.pipeline(transaction=True)
    pipe.delete(keys.eval_replay(game_code))
    pipe.incr(keys.eval_version(game_code))
    pipe.execute()


def _replayed_board(r, game: Game) -> dict | None:
    stored = read_replay(r, game)
    if stored is None:
        return None
    totals, facts = stored
    board = build(game, totals)
    return {"n_draws": facts["n_draws"], "through": facts["through"],
            "took_ms": facts["took_ms"], "alpha": board["alpha"],
            "alpha_row": board["alpha_row"], "rows": board["rows"], "note": REPLAY_NOTE}


REPLAY_NOTE = ("Replayed, not live: the predictors walked forward over history that was back-filled "
               "or imported, each prediction made from earlier draws only. Kept apart from the "
               "live record and never merged into it; judged on its own, once.")
