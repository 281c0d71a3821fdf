"""Live paper-trading sessions: validation, state transitions and storage.

A session holds the strategies its game's session rules name (`Game.sim_sessions`:
for WinGo the upstream colour, big/small and number strategies), each betting in
one of the game's markets, sharing one paper wallet. Bets are *placed* for an
issue before its draw - when the prediction they follow is published, or at
once for fixed targets - and the stakes leave the wallet; betting on an issue
closes when its period ends. Bets are *settled* when the draw event arrives.
A round with no bet placed in time is skipped and the history says so: a
session never uses a prediction made after the draw, nor the outcome itself.

Single writer: the API validates a command and queues it (keys.SIM_COMMANDS);
the simulator worker applies commands and settles rounds one at a time, so no
request can overwrite a concurrent settlement. State: the hash
keys.SIMULATOR_STATE (session id -> JSON) plus one capped history list per
session. Functions on session dicts are pure; the Redis helpers are at the end.
"""
from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from lottery import keys
from lottery.evaluation.stats import rate_summary
from lottery.games import Game, get_game
from lottery.sim import engine
from lottery.sim.params import get_bool, get_money, get_number, reject_unknown, require_object
from lottery.sim.strategies import (SimInputError, bet_from_prediction, make_progression,
                                    normalise_bet)

REPORT = "report"  # the prediction source of the report (lottery.store.predictions)
SESSION_SETTINGS = ("simulation_mode", "stop_loss", "take_profit", "max_rounds")
DEFAULT_BASE_BET = 10.0
MAX_ROUNDS = 1_000_000
MAX_STORED = 100  # sessions kept in the state hash (the oldest stopped ones go first)
HISTORY_TTL = 30 * 86_400  # a stopped session's history is kept this long
REPLY_TTL = 60
COMMAND_TTL = 300  # a command older than this is answered with an error, not applied
MAX_QUEUED = 1000
# Why a session stopped, in words (stop_reason keeps the code).
STOP_TEXT = {"stopped_by_user": "stopped by user",
             "insufficient_funds": "the wallet could not cover the next stake",
             "stop_loss": "stop-loss reached", "take_profit": "take-profit reached",
             "max_rounds": "round limit reached"}
DISCLAIMER = ("Paper money only. Nothing here places, automates or recommends real bets; "
              "no staking system beats the house edge.")


@dataclass(frozen=True)
class StrategyRule:
    """One strategy object of a game's sessions: the market it bets in and its defaults."""

    market: str  # one of the game's bet_groups
    target_field: str  # the request field naming its fixed target (besides `target`)
    default_target: str
    default_progression: str
    numeric_target: bool = False  # the target is stored as a number (the upstream shape)
    # The family's own reading of a target (crash: any cash-out from 1.01x), returning the
    # bet name `game.settle` takes; None: one of the market's bets (`normalise_bet`).
    parse_target: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class SessionRules:
    """A game's live sessions: its strategy objects and where auto targets come from."""

    strategies: Mapping[str, StrategyRule]  # strategy key -> rule, in display order
    # simulation_mode -> {market: prediction source}; an empty mapping bets fixed targets only.
    # Any predictor name of the game is a mode too: every market follows that predictor.
    modes: Mapping[str, Mapping[str, str]]
    default_mode: str
    # How the API shows a session (session, preview rounds, environment) and its history
    # (rounds, mode): WinGo's are the upstream simulator's shapes.
    public_state: Callable[[dict, list, str], dict] | None = None
    public_history: Callable[[list, str], list] | None = None
    # The chance a bet wins on a fair outcome, where the game has no finite payout table
    # (crash: 0.99 / m); None: the engine's table.
    win_probability: Callable[[Game, str], float] | None = None
    # The family's own heavy jobs, kind -> (validate(game, body, settings) -> body to queue,
    # run(r, settings, game, body) -> result); others use the generic Monte Carlo and backtest.
    jobs: Mapping[str, tuple[Callable, Callable]] = field(
        default_factory=lambda: MappingProxyType({}))
    statement: str = ""  # said with every session of the game (crash: no strategy changes 0.99)
    catalog: Callable[[], dict] | None = None  # the strategies and parameters, for pages

    def session_fields(self) -> tuple[str, ...]:
        return ("initial_wallet", *SESSION_SETTINGS, *self.strategies)

    def config_fields(self) -> tuple[str, ...]:
        return ("session_id", *SESSION_SETTINGS, *self.strategies)


def session_rules(game: Game) -> SessionRules:
    """Return a game's session rules, or raise SimInputError when it has no live sessions."""
    rules = game.sim_sessions()
    if rules is None:
        raise SimInputError(f"{game.code} has no live simulator sessions")
    return rules


def predictor_modes(game: Game) -> tuple[str, ...]:
    """Return the predictor names a session of this game may follow as its mode."""
    try:
        predictors = game.predictors()
    except LookupError:  # a family without predictors: fixed targets and its own modes only
        return ()
    return tuple(predictors.names) + tuple(predictors.external)


# -- validation (API side, before anything is queued) ----------------------------
def parse_start(game: Game, body) -> dict:
    """Return the validated configuration of a new session of a game, or raise SimInputError."""
    rules = session_rules(game)
    body = require_object(body)
    reject_unknown(body, rules.session_fields())
    wallet = get_money(body, "initial_wallet", 1000.0)
    config = {"initial_wallet": wallet, **_parse_session_fields(game, rules, body)}
    config.setdefault("simulation_mode", rules.default_mode)
    for name in ("stop_loss", "take_profit", "max_rounds"):
        config.setdefault(name, None)
    strategies = {}
    for key in rules.strategies:
        raw = require_object(body.get(key, {}), key)
        strategies[key] = _parse_strategy(game, rules.strategies[key], key, raw, None)
    if not any(s["is_active"] for s in strategies.values()):
        raise SimInputError("activate at least one strategy (is_active: true)")
    for key, s in strategies.items():
        if s["is_active"]:
            try:
                engine.Limits(wallet, s["base_bet"]).check(_progression(s))
            except SimInputError as exc:
                raise SimInputError(f"{key}: {exc}") from None
    config["strategies"] = strategies
    return config


def parse_config(body, session: dict) -> dict:
    """Return the validated changes to a session's configuration, or raise SimInputError."""
    game = get_game(session["game"])
    rules = session_rules(game)
    fields = rules.config_fields()
    body = require_object(body)
    reject_unknown(body, fields)
    changes = _parse_session_fields(game, rules, body)
    strategies = {}
    for key, rule in rules.strategies.items():
        if key in body:
            raw = require_object(body[key], key)
            strategies[key] = _parse_strategy(game, rule, key, raw, session["bet_strategies"][key])
    if strategies:
        changes["strategies"] = strategies
    if not changes:
        raise SimInputError(f"nothing to change; give any of {', '.join(fields[1:])}")
    return changes


def _parse_session_fields(game: Game, rules: SessionRules, body: dict) -> dict:
    out = {}
    if "simulation_mode" in body:
        mode = body["simulation_mode"]
        followed = predictor_modes(game)
        # A list or object is not a mode (and cannot be looked up in the mode tables).
        if not isinstance(mode, str) or (mode not in rules.modes and mode not in followed):
            raise SimInputError("simulation_mode must be one of "
                                f"{', '.join((*rules.modes, *followed))}, got {mode!r}")
        out["simulation_mode"] = mode
    for name in ("stop_loss", "take_profit"):
        if name in body:
            out[name] = get_money(body, name, nullable=True)
    if "max_rounds" in body:
        out["max_rounds"] = get_number(body, "max_rounds", minimum=1, maximum=MAX_ROUNDS,
                                       integer=True, nullable=True)
    return out


def _parse_strategy(game: Game, rule: StrategyRule, key: str, raw: dict,
                    current: dict | None) -> dict:
    """Return a strategy's validated settings, starting from `current` (config) or defaults."""
    market, target_field = rule.market, rule.target_field
    default_target, default_progression = rule.default_target, rule.default_progression
    reject_unknown(raw, ("is_active", "base_bet", "bet_multipliers", "multipliers",
                         "progression", "target", target_field, "auto_target"), key)
    if "bet_multipliers" in raw and "multipliers" in raw:
        raise SimInputError(f"{key}: give bet_multipliers or multipliers, not both")
    if "target" in raw and target_field in raw:
        raise SimInputError(f"{key}: give target or {target_field}, not both")
    base = current or {"is_active": False, "base_bet": DEFAULT_BASE_BET, "auto_target": False,
                       "progression": default_progression, "bet_multipliers": [],
                       target_field: default_target}
    where = f"{key}."
    multipliers = raw.get("bet_multipliers", raw.get("multipliers"))
    name = raw.get("progression", base["progression"] if current else None)
    if name is None:
        # Upstream clients send only bet_multipliers: that is a ladder (martingale).
        name = "martingale" if multipliers is not None else default_progression
    if multipliers is None and name == base["progression"] and base["bet_multipliers"]:
        multipliers = base["bet_multipliers"]
    try:
        progression = make_progression(name, multipliers)
        raw_target = raw.get("target", raw.get(target_field, base[target_field]))
        target = rule.parse_target(raw_target) if rule.parse_target else \
            normalise_bet(game, raw_target, market)
        base_bet = get_money(raw, "base_bet", base["base_bet"])
        active = get_bool(raw, "is_active", base["is_active"])
        auto = get_bool(raw, "auto_target", base["auto_target"])
    except SimInputError as exc:
        raise SimInputError(where + str(exc)) from None
    return {"is_active": active, "base_bet": base_bet, "progression": progression.name,
            "bet_multipliers": list(progression.multipliers), "auto_target": auto,
            target_field: int(target) if rule.numeric_target else target}


# -- session state (pure) ------------------------------------------------------------
def new_session(session_id: str, game_code: str, config: dict, start_after: str | None,
                now: float) -> dict:
    """Return a running session built from a validated start configuration."""
    wallet = config["initial_wallet"]
    session = {
        "session_id": session_id, "game": game_code, "is_running": True,
        "simulation_mode": config["simulation_mode"], "initial_wallet": wallet,
        "total_wallet": wallet, "in_play": 0.0, "stop_loss": config["stop_loss"],
        "take_profit": config["take_profit"], "max_rounds": config["max_rounds"],
        "bet_strategies": {}, "start_after_issue": start_after, "last_simulated_issue": None,
        "pending": None, "total_simulated_rounds": 0, "skipped_rounds": 0,
        "session_stats": {"start_time": _iso(now), "total_bets_placed": 0, "total_wins": 0,
                          "total_losses": 0, "net_profit_loss": 0.0, "best_wallet": wallet,
                          "worst_wallet": wallet, "max_drawdown": 0.0, "total_wagered": 0.0},
        "stop_reason": None, "started_at": _iso(now), "stopped_at": None, "updated_at": _iso(now),
        "config_changes": 0,
    }
    for key, settings in config["strategies"].items():
        session["bet_strategies"][key] = _fresh_strategy(settings)
    return session


def _fresh_strategy(settings: dict) -> dict:
    return {**settings, "current_progression_step": 0,
            "current_bet": settings["base_bet"] * _progression(settings).multiplier(0),
            "current_win_streak": 0, "max_win_streak": 0, "current_loss_streak": 0,
            "max_loss_streak": 0, "rounds_played": 0, "wins": 0, "chance_sum": 0.0,
            "total_wagered": 0.0, "total_winnings": 0.0, "disabled_reason": None}


def _progression(strategy: dict):
    return make_progression(strategy["progression"], strategy["bet_multipliers"] or None)


def prediction_sources(game: Game, session: dict) -> dict[str, str]:
    """Return {strategy key: prediction source} for the active strategies that follow one."""
    rules = session_rules(game)
    mode = session["simulation_mode"]
    out = {}
    for key, strategy in session["bet_strategies"].items():
        if not (strategy["is_active"] and strategy["auto_target"]):
            continue
        market = rules.strategies[key].market
        source = rules.modes[mode].get(market) if mode in rules.modes else mode
        if source:
            out[key] = source
    return out


def can_place(session: dict, game, issue: str, now: float) -> bool:
    """Return True if the session may bet on `issue` now.

    It must be running with no open bet, the issue must come after what it
    settled, and betting on an issue closes when its period ends (its draw time).
    """
    if not session["is_running"] or session["pending"]:
        return False
    closes = game.draw_time(issue)
    # Feed-driven rounds (crash) have no clock: the worker checks the round is not drawn yet.
    if closes is not None and closes.timestamp() <= now:
        return False
    ordinal = game.issue_ordinal(issue)
    for done in (session["start_after_issue"], session["last_simulated_issue"]):
        if done is not None and ordinal <= game.issue_ordinal(done):
            return False
    return True


def place(session: dict, game: Game, issue: str, predictions: dict, now: float) -> list[dict]:
    """Place the bets for `issue` from predictions made before its draw; return history notes.

    `predictions` maps a source name to the prediction it stored for this
    issue (None when it has none yet): then nothing is placed, and a later
    prediction event may still place the bets before the draw.
    """
    rules = session_rules(game)
    sources = prediction_sources(game, session)
    if any(predictions.get(src) is None for src in sources.values()):
        return []
    notes = []
    bets = []
    available = session["total_wallet"]
    for key, strategy in session["bet_strategies"].items():
        if not strategy["is_active"]:
            continue
        market = rules.strategies[key].market
        if key in sources:
            bet = bet_from_prediction(game, market, predictions[sources[key]])
            if bet is None:
                notes.append(_note(issue, now, f"{key}: the {sources[key]} prediction has no "
                                               f"{market} pick; no bet"))
                continue
        else:
            bet = str(strategy[rules.strategies[key].target_field])  # numbers are stored as ints
        stake = strategy["base_bet"] * _progression(strategy).multiplier(
            strategy["current_progression_step"])
        if stake > available + 1e-9:
            # Paper money is never borrowed: a strategy that cannot cover its stake stops.
            strategy["is_active"] = False
            strategy["disabled_reason"] = "insufficient_funds"
            notes.append(_note(issue, now, f"{key} stopped: the wallet ({_m(available)}) "
                                           f"cannot cover the stake {_m(stake)}"))
            continue
        available -= stake
        bets.append({"strategy": key, "bet": bet, "stake": _m(stake),
                     "source": sources.get(key, "fixed")})
    if bets:
        staked = sum(b["stake"] for b in bets)
        session["total_wallet"] = _m(session["total_wallet"] - staked)
        session["in_play"] = _m(staked)
        session["pending"] = {"issue": issue, "bets": bets, "placed_at": _iso(now)}
    elif not any(s["is_active"] for s in session["bet_strategies"].values()):
        notes.append(stop(session, "insufficient_funds", now))
    session["updated_at"] = _iso(now)
    return notes


def settle(session: dict, game: Game, issue: str, outcome: Any, now: float) -> dict:
    """Settle the bets placed for `issue` on the drawn outcome; return the history entry."""
    pending = session["pending"]
    stats = session["session_stats"]
    results = []
    returned_total = 0.0
    for bet in pending["bets"]:
        strategy = session["bet_strategies"][bet["strategy"]]
        returned = game.settle(bet["bet"], bet["stake"], outcome)
        won = returned > 0
        returned_total += returned
        _record_round(game, strategy, bet, returned, won)
        stats["total_bets_placed"] += 1
        stats["total_wins" if won else "total_losses"] += 1
        stats["total_wagered"] = _m(stats["total_wagered"] + bet["stake"])
        results.append({**bet, "returned": _m(returned), "profit": _m(returned - bet["stake"]),
                        "result": "Win" if won else "Loss",
                        # The strategy after this bet (upstream's history shows them).
                        "win_streak": strategy["current_win_streak"],
                        "loss_streak": strategy["current_loss_streak"],
                        "progression_step": strategy["current_progression_step"]})
    session["total_wallet"] = _m(session["total_wallet"] + returned_total)
    session["in_play"] = 0.0
    session["pending"] = None
    session["last_simulated_issue"] = issue
    session["total_simulated_rounds"] += 1
    _update_stats(session)
    entry = {"issue": issue, "timestamp": _iso(now), "outcome": game.describe(outcome),
             "bets": results, "wallet_after": session["total_wallet"]}
    reason = _limit_reached(session)
    if reason:
        entry["stopped"] = stop(session, reason, now)["message"]
    session["updated_at"] = _iso(now)
    return entry


def _record_round(game: Game, strategy: dict, bet: dict, returned: float, won: bool) -> None:
    progression = _progression(strategy)
    chance = session_rules(game).win_probability or engine.win_probability
    strategy["rounds_played"] += 1
    strategy["wins"] += int(won)
    strategy["chance_sum"] += chance(game, bet["bet"])
    strategy["total_wagered"] = _m(strategy["total_wagered"] + bet["stake"])
    strategy["total_winnings"] = _m(strategy["total_winnings"] + returned)
    if won:
        strategy["current_win_streak"] += 1
        strategy["current_loss_streak"] = 0
    else:
        strategy["current_loss_streak"] += 1
        strategy["current_win_streak"] = 0
    strategy["max_win_streak"] = max(strategy["max_win_streak"], strategy["current_win_streak"])
    strategy["max_loss_streak"] = max(strategy["max_loss_streak"], strategy["current_loss_streak"])
    step = progression.next_step(strategy["current_progression_step"], won)
    strategy["current_progression_step"] = step
    strategy["current_bet"] = _m(strategy["base_bet"] * progression.multiplier(step))


def _update_stats(session: dict) -> None:
    stats = session["session_stats"]
    wallet = session["total_wallet"]
    stats["net_profit_loss"] = _m(wallet - session["initial_wallet"])
    stats["best_wallet"] = max(stats["best_wallet"], wallet)
    stats["worst_wallet"] = min(stats["worst_wallet"], wallet)
    stats["max_drawdown"] = max(stats["max_drawdown"], _m(stats["best_wallet"] - wallet))


def _limit_reached(session: dict) -> str | None:
    net = session["total_wallet"] - session["initial_wallet"]
    if session["stop_loss"] is not None and net <= -session["stop_loss"] + 1e-9:
        return "stop_loss"
    if session["take_profit"] is not None and net >= session["take_profit"] - 1e-9:
        return "take_profit"
    if session["max_rounds"] is not None and \
            session["total_simulated_rounds"] >= session["max_rounds"]:
        return "max_rounds"
    return None


def skip(session: dict, issue: str, now: float, reason: str) -> dict:
    """Record that `issue` was drawn with no bet placed for it; return the history entry."""
    session["skipped_rounds"] += 1
    session["last_simulated_issue"] = issue
    session["updated_at"] = _iso(now)
    return {"issue": issue, "timestamp": _iso(now), "skipped": True, "reason": reason}


def void_pending(session: dict, now: float, reason: str) -> dict | None:
    """Return the stakes of a bet that will not be settled; return the history note, if any."""
    pending = session["pending"]
    if not pending:
        return None
    session["total_wallet"] = _m(session["total_wallet"] + sum(b["stake"] for b in pending["bets"]))
    session["in_play"] = 0.0
    session["pending"] = None
    return {**_note(pending["issue"], now, f"bets voided and refunded: {reason}"),
            "voided": pending["bets"]}


def stop(session: dict, reason: str, now: float) -> dict:
    """Stop a session (refunding an unsettled bet); return the history note."""
    voided = void_pending(session, now, "the session stopped before the draw")
    session["is_running"] = False
    session["stop_reason"] = reason
    session["stopped_at"] = session["updated_at"] = _iso(now)
    _update_stats(session)
    note = _note(session["last_simulated_issue"], now,
                 f"session stopped: {STOP_TEXT.get(reason, reason)}")
    if voided:
        note["voided"] = voided["voided"]
    return note


def apply_config(session: dict, changes: dict, now: float) -> None:
    """Apply validated configuration changes; a changed progression restarts at its first step."""
    for name in ("simulation_mode", "stop_loss", "take_profit", "max_rounds"):
        if name in changes:
            session[name] = changes[name]
    for key, settings in changes.get("strategies", {}).items():
        strategy = session["bet_strategies"][key]
        restart = (settings["progression"], settings["bet_multipliers"]) != \
            (strategy["progression"], strategy["bet_multipliers"])
        strategy.update(settings)
        if settings["is_active"]:
            strategy["disabled_reason"] = None
        if restart:
            strategy["current_progression_step"] = 0
        strategy["current_bet"] = _m(settings["base_bet"] * _progression(strategy).multiplier(
            strategy["current_progression_step"]))
    session["config_changes"] += 1
    session["updated_at"] = _iso(now)


def summary(session: dict) -> dict:
    """Return the session summary (upstream fields plus honest per-strategy hit rates).

    Built where it is shown (the API), not in the worker: its p-values load scipy.
    """
    stats = session["session_stats"]
    initial, final = session["initial_wallet"], session["total_wallet"] + session["in_play"]
    bets = stats["total_bets_placed"]
    wagered = stats["total_wagered"]
    strategies = {}
    for key, s in session["bet_strategies"].items():
        n = s["rounds_played"]
        if n:
            strategies[key] = {**rate_summary(s["wins"], n, s["chance_sum"] / n),
                               "wagered": s["total_wagered"], "returned": s["total_winnings"]}
    return {
        "session_id": session["session_id"], "game": session["game"],
        "initial_wallet": initial, "final_wallet": _m(final), "net_change": _m(final - initial),
        "percentage_change": _m((final - initial) / initial * 100),
        "total_rounds": session["total_simulated_rounds"],
        "skipped_rounds": session["skipped_rounds"], "total_bets": bets,
        "win_rate": _m(stats["total_wins"] / bets * 100) if bets else 0.0,
        "total_wagered": wagered,
        "return_per_unit": _m((wagered + final - initial) / wagered) if wagered else None,
        "max_drawdown": stats["max_drawdown"], "stop_reason": session["stop_reason"],
        "strategies": strategies, "session_duration": session["started_at"],
        "disclaimer": DISCLAIMER,
        **_statement(session),
    }


def _statement(session: dict) -> dict:
    """Return the game's honest statement about its sessions, if it has one."""
    rules = session_rules(get_game(session["game"]))
    return {"honesty": {"statement": rules.statement, "no_strategy_changes_it": True}} \
        if rules.statement else {}


def plain_state(session: dict, rounds: list[dict], environment: str) -> dict:
    """Return a session as the API shows it when its game has no shape of its own."""
    return {**session, "environment": environment, "rounds": rounds}


def plain_history(rounds: list[dict], mode: str) -> list[dict]:
    """Return history rounds as the API shows them when the game has no shape of its own."""
    return rounds


def _note(issue: str | None, now: float, message: str) -> dict:
    return {"issue": issue, "timestamp": _iso(now), "message": message}


def _m(value: float) -> float:
    return round(float(value), 6)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


# -- storage ---------------------------------------------------------------------------
def load_sessions(r) -> list[dict]:
    """Return every stored session (at most MAX_STORED), newest start first."""
    rows = [json.loads(raw) for raw in r.hvals(keys.SIMULATOR_STATE)]
    return sorted(rows, key=lambda s: s["started_at"], reverse=True)


def load_session(r, session_id: str) -> dict | None:
    """Return one stored session, or None."""
    raw = r.hget(keys.SIMULATOR_STATE, session_id)
    return json.loads(raw) if raw is not None else None


def save_session(r, session: dict, history: list[dict] = (), history_limit: int = 1000) -> None:
    """Store a session and append its new history entries (the list stays capped)."""
    pipe = r.pipeline(transaction=False)
    pipe.hset(keys.SIMULATOR_STATE, session["session_id"],
              json.dumps(session, separators=(",", ":")))
    hkey = keys.sim_history(session["session_id"])
    if history:
        pipe.lpush(hkey, *[json.dumps(e, separators=(",", ":")) for e in history])
        pipe.ltrim(hkey, 0, history_limit - 1)
    if not session["is_running"]:
        pipe.expire(hkey, HISTORY_TTL)
    pipe.execute()


def prune(r, keep: int = MAX_STORED) -> int:
    """Drop the oldest stopped sessions (and their history) beyond `keep`; return how many."""
    sessions = load_sessions(r)
    excess = len(sessions) - keep
    if excess <= 0:
        return 0
    stopped = [s for s in reversed(sessions) if not s["is_running"]][:excess]
    if stopped:
        pipe = r.pipeline(transaction=False)
        pipe.hdel(keys.SIMULATOR_STATE, *[s["session_id"] for s in stopped])
        pipe.delete(*[keys.sim_history(s["session_id"]) for s in stopped])
        pipe.execute()
    return len(stopped)


def read_history(r, session_id: str, page: int, per_page: int) -> tuple[list[dict], int]:
    """Return one page of a session's history (newest first) and the number of entries."""
    hkey = keys.sim_history(session_id)
    start = (page - 1) * per_page
    pipe = r.pipeline(transaction=False)
    pipe.llen(hkey)
    pipe.lrange(hkey, start, start + per_page - 1)
    total, rows = pipe.execute()
    return [json.loads(x) for x in rows], total


def new_session_id() -> str:
    """Return a fresh, unguessable session id."""
    return "s-" + secrets.token_hex(6)


# -- commands (API -> worker) ------------------------------------------------------------
def enqueue(r, kind: str, session_id: str, game_code: str, payload: dict) -> str:
    """Queue a command for the worker, wake it, and return the command id."""
    command_id = uuid.uuid4().hex
    body = json.dumps({"id": command_id, "type": kind, "session_id": session_id,
                       "game": game_code, "payload": payload, "queued_at": time.time()},
                      separators=(",", ":"))
    pipe = r.pipeline(transaction=False)
    pipe.lpush(keys.SIM_COMMANDS, body)
    pipe.ltrim(keys.SIM_COMMANDS, 0, MAX_QUEUED - 1)
    pipe.publish(keys.SIM_WAKE_CHANNEL, command_id)
    pipe.execute()
    return command_id


def pop_command(r) -> dict | None:
    """Return the oldest queued command, or None."""
    raw = r.rpop(keys.SIM_COMMANDS)
    return json.loads(raw) if raw is not None else None


def send_reply(r, command_id: str, reply: dict) -> None:
    """Answer a command (the API may be waiting for it)."""
    pipe = r.pipeline(transaction=False)
    pipe.lpush(keys.sim_reply(command_id), json.dumps(reply, separators=(",", ":")))
    pipe.expire(keys.sim_reply(command_id), REPLY_TTL)
    pipe.execute()


def wait_reply(r, command_id: str, timeout: float) -> dict | None:
    """Wait up to `timeout` seconds for the worker's reply to a command."""
    if timeout <= 0:
        return None
    # BLPOP takes whole or fractional seconds; 0 would mean "forever".
    got = r.blpop([keys.sim_reply(command_id)], timeout=max(timeout, 0.01))
    return json.loads(got[1]) if got else None


def worker_alive(r) -> bool:
    """Return True while the simulator worker's heartbeat exists."""
    return bool(r.exists(keys.heartbeat(keys.SIM_WORKER)))
