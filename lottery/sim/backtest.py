"""Backtests: a staking strategy replayed over a game's real draw history.

The bet of each round comes from a fixed target, from a predictor walked
forward (it predicts a draw before it is fed that draw, like the live worker),
or from the predictions recorded before each draw (the report prediction, the
AI, or any scoreboard predictor). Building the bets is the only per-round
Python loop (predictors are incremental objects); settling them is one
vectorised `engine.run_paths` call.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lottery import keys
from lottery.evaluation.stats import rate_summary
from lottery.games import Game
from lottery.sim import engine
from lottery.sim.params import (get_number, parse_limits, parse_staking, reject_unknown,
                                require_object)
from lottery.sim.strategies import (Progression, SimInputError, bet_from_prediction, markets,
                                    normalise_bet)
from lottery.store import draws as draw_store

REPORT = "report"  # the report prediction stored for each issue (lottery.store.predictions)
MAX_DRAWS = 100_000
BACKTEST_FIELDS = ("predictor", "market", "target", "progression", "multipliers", "base_bet",
                   "initial_wallet", "stop_loss", "take_profit", "draws", "warmup", "path_points")
_CHUNK = 5000  # draws per Redis reply


@dataclass(frozen=True)
class BacktestPlan:
    """What to replay on a game: a bet choice, a staking progression and the money limits."""

    game: Game
    predictor: str | None  # None: bet the fixed target every round
    market: str | None
    target: str | None
    progression: Progression
    limits: engine.Limits
    draws: int = 1000
    warmup: int = 500
    path_points: int = 500

    def to_dict(self) -> dict:
        """Return the plan as shown in answers."""
        return {"predictor": self.predictor, "market": self.market, "target": self.target,
                **self.progression.to_dict(), "base_bet": self.limits.base_bet,
                "initial_wallet": self.limits.bankroll, "stop_loss": self.limits.stop_loss,
                "take_profit": self.limits.take_profit, "draws": self.draws,
                "warmup": self.warmup}


def walked_predictors(game: Game) -> tuple[str, ...]:
    """Return the game's predictors a backtest walks forward (none for a family without)."""
    try:
        return tuple(game.predictors().names)
    except LookupError:
        return ()


def recorded_sources(game: Game) -> tuple[str, ...]:
    """Return the predictions replayed from storage, not walked forward (report, AI, ...)."""
    try:
        return (REPORT,) + tuple(game.predictors().external)
    except LookupError:
        return (REPORT,)


def parse_backtest(game: Game, body) -> BacktestPlan:
    """Return a validated BacktestPlan of a game from an API body or CLI options."""
    body = require_object(body)
    reject_unknown(body, BACKTEST_FIELDS)
    engine.payout_table(game)  # a game without a finite table of outcomes cannot be replayed
    predictor = body.get("predictor")
    market = target = None
    if predictor is None:
        if body.get("market") is not None:
            raise SimInputError("market is used with a predictor; give target for a fixed bet")
        target = normalise_bet(game, body.get("target", game.default_bet))
    else:
        known = walked_predictors(game) + recorded_sources(game)
        if predictor not in known:
            raise SimInputError(f"predictor must be one of {', '.join(known)}, got {predictor!r}")
        if body.get("target") is not None:
            raise SimInputError("give either target (a fixed bet) or predictor with market")
        market = body.get("market", game.default_bet_market)
        if market not in markets(game):
            raise SimInputError(f"market must be one of {', '.join(markets(game))}, "
                                f"got {market!r}")
    progression, base_bet = parse_staking(body)
    limits = parse_limits(body, progression, base_bet)
    return BacktestPlan(
        game=game, predictor=predictor, market=market, target=target, progression=progression,
        limits=limits,
        draws=get_number(body, "draws", 1000, minimum=1, maximum=MAX_DRAWS, integer=True),
        warmup=get_number(body, "warmup", 500, minimum=0, maximum=MAX_DRAWS, integer=True),
        path_points=get_number(body, "path_points", 500, minimum=2, maximum=MAX_DRAWS,
                               integer=True))


def load_history(r, game: Game, limit: int) -> tuple[list[str], list]:
    """Return (issues, outcomes) of the newest `limit` stored draws, oldest first."""
    issues: list[str] = []
    outcomes: list = []
    decode = game.decode_outcome
    offset = 0
    while offset < limit:
        rows = draw_store.recent_draws(r, game.code, min(_CHUNK, limit - offset), offset)
        if not rows:
            break
        issues.extend(row["issue"] for row in rows)
        outcomes.extend(decode(row) for row in rows)
        offset += len(rows)
    issues.reverse()
    outcomes.reverse()
    return issues, outcomes


def walk_forward_bets(game: Game, outcomes: Sequence, predictor, market: str,
                      warmup: int) -> list:
    """Return the bet of each draw after the first `warmup`, predicted before the draw is fed."""
    for o in outcomes[:warmup]:
        predictor.update(o)
    bets = []
    for o in outcomes[warmup:]:
        bets.append(bet_from_prediction(game, market, predictor.predict()))
        predictor.update(o)
    return bets


def recorded_bets(r, game: Game, issues: Sequence[str], source: str, market: str) -> list:
    """Return the bet implied by the prediction recorded before each issue (None where none was)."""
    game_code = game.code
    bets: list = []
    for first in range(0, len(issues), _CHUNK):
        chunk = list(issues[first:first + _CHUNK])
        if source == REPORT:
            raws = r.hmget(keys.predictions_data(game_code), chunk)
        else:
            pipe = r.pipeline(transaction=False)
            for issue in chunk:
                pipe.hget(keys.eval_issue(game_code, issue), source)
            raws = pipe.execute()
        # bet_from_prediction reads only the predicted fields, never a stored result.
        bets.extend(bet_from_prediction(game, market, json.loads(raw)) if raw else None
                    for raw in raws)
    return bets


def plan_bets(plan: BacktestPlan, outcomes: Sequence, issues: Sequence[str] | None = None,
              r=None) -> list:
    """Return the bet (or None) of each draw after the warm-up, as the plan chooses them."""
    if plan.predictor is None:
        return [plan.target] * max(0, len(outcomes) - plan.warmup)
    if plan.predictor in recorded_sources(plan.game):
        if r is None or issues is None:
            raise SimInputError(f"{plan.predictor} predictions are replayed from the stored "
                                "history, not from a file")
        return recorded_bets(r, plan.game, issues[plan.warmup:], plan.predictor, plan.market)
    (predictor,) = plan.game.predictors().build(names=[plan.predictor])
    return walk_forward_bets(plan.game, outcomes, predictor, plan.market, plan.warmup)


def run_backtest(plan: BacktestPlan, outcomes: Sequence, bets: Sequence,
                 issues: Sequence[str] | None = None) -> dict:
    """Settle the bets on the draws after the warm-up; return the path and an honest summary."""
    table = engine.payout_table(plan.game)
    columns = table.columns(outcomes[plan.warmup:])
    issues = list(issues[plan.warmup:]) if issues is not None else None
    placed = np.array([i for i, b in enumerate(bets) if b is not None], dtype=np.intp)
    summary = {"plan": plan.to_dict(), "draws_replayed": int(len(columns)),
               "skipped_no_prediction": int(len(columns) - len(placed))}
    if not len(placed):
        return {**summary, "bets_placed": 0, "stop_reason": None,
                "final_wallet": plan.limits.bankroll, "profit": 0.0, "total_wagered": 0.0,
                "max_drawdown": 0.0, "hit_rate": None, "return_per_unit": None, "path": [],
                "disclaimer": _DISCLAIMER}
    bet_idx = np.array([table.row(bets[i]) for i in placed], dtype=np.intp)
    gain = table.gain[bet_idx, columns[placed]][None, :].copy()
    won = gain[0] > 0
    res = engine.run_paths(gain, plan.progression, plan.limits, keep_path=True)
    n = int(res.rounds[0])
    stakes = res.stakes[0, :n]
    hits = int(won[:n].sum())
    chance = float(table.win_prob[bet_idx[:n]].mean())
    profit = float(res.final[0]) - plan.limits.bankroll
    wagered = float(res.wagered[0])
    expected = float((stakes * table.expected_return[bet_idx[:n]]).sum() / wagered)
    # Sampling error of the return per unit under fair draws (each round's
    # outcome is independent of its stake): sd x sqrt(sum of squared stakes) / staked.
    se = float(np.sqrt((stakes ** 2 * table.return_sd[bet_idx[:n]] ** 2).sum())) / wagered
    realised = (wagered + profit) / wagered
    return {
        **summary,
        "bets_placed": n,
        "stop_reason": engine.STOP_REASONS[res.reason[0]],
        "final_wallet": engine.money(res.final[0]),
        "profit": engine.money(profit),
        "total_wagered": engine.money(wagered),
        "max_drawdown": engine.money(res.drawdown[0]),
        "hit_rate": rate_summary(hits, n, chance),
        "return_per_unit": {"realised": realised, "expected": expected,
                            "ci95_if_fair": [realised - 1.959964 * se, realised + 1.959964 * se],
                            "n_bets": n},
        "path": _downsample(res.path[0, :n], placed[:n], issues, plan.path_points),
        "disclaimer": _DISCLAIMER,
    }


def backtest_stored(r, plan: BacktestPlan) -> dict:
    """Run a plan over the newest stored draws of its game."""
    game = plan.game
    issues, outcomes = load_history(r, game, plan.draws + plan.warmup)
    if len(outcomes) <= plan.warmup:
        raise SimInputError(f"only {len(outcomes)} draws are stored for {game.code}; "
                            f"need more than the warm-up of {plan.warmup}")
    bets = plan_bets(plan, outcomes, issues, r)
    return {"game": game.code, **run_backtest(plan, outcomes, bets, issues)}


def _downsample(path: np.ndarray, rounds: np.ndarray, issues, points: int) -> list[dict]:
    """Return at most `points` evenly spaced points of the path (always the first and last)."""
    idx = np.unique(np.linspace(0, len(path) - 1, min(points, len(path))).round().astype(int))
    out = []
    for i in idx:
        point = {"bet": int(i) + 1, "wallet": engine.money(path[i])}
        if issues is not None:
            point["issue"] = issues[int(rounds[i])]
        out.append(point)
    return out


_DISCLAIMER = ("Paper money replayed over past draws. A past profit is no evidence of an "
               "edge: compare the return per unit with its expected value and interval.")
