"""Backtest of a predictor-following strategy over 100,000 draws (target: under 2 s).

    python bench/sim_backtest.py [--draws 100000] [--predictors markov,color_rules,ensemble]

For each predictor: martingale on its colour pick, walked forward over
--draws random digits (the predictor is asked before each draw is fed to it),
timed in two parts - building the bets (the predictor loop, Python) and
settling them (one vectorised engine call) - then the same end to end from a
throwaway embedded Redis holding the draws (`backtest_stored`, as the API runs
it). A fixed-target backtest shows the settlement cost alone.
"""
from __future__ import annotations

import argparse
import time

from _common import embedded_redis

import numpy as np
import redis

from lottery.games import get_game
from lottery.sim import backtest
from lottery.sources.base import Draw
from lottery.store import draws as draw_store


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--predictors", default="markov,color_rules,ensemble")
    args = parser.parse_args()
    game = get_game("WinGo_1M")
    digits = np.random.default_rng(7).integers(0, 10, args.draws + args.warmup).tolist()
    print(f"walk-forward backtests over {args.draws:,} draws ({args.warmup} warm-up)")
    print(f"{'strategy':<40}{'bets s':>8}{'settle s':>10}{'total s':>9}")
    plans = [("fixed Big, martingale", {"target": "Big"})] + [
        (f"follow {name} (colour), martingale", {"predictor": name, "market": "color"})
        for name in args.predictors.split(",")]
    for label, choice in plans:
        plan = backtest.parse_backtest(game, {**choice, "progression": "martingale",
                                              "draws": args.draws, "warmup": args.warmup,
                                              "initial_wallet": 1e6})
        t_bets, bets = timed(backtest.plan_bets, plan, digits)
        t_settle, res = timed(backtest.run_backtest, plan, digits, bets)
        assert res["bets_placed"] == args.draws
        print(f"{label:<40}{t_bets:>8.2f}{t_settle:>10.3f}{t_bets + t_settle:>9.2f}")

    first = game.issue_ordinal("20250101100010001")
    with embedded_redis() as url:
        r = redis.Redis.from_url(url)
        rows = [Draw(game.code, game.issue_from_ordinal(first + k), d, source="bench")
                for k, d in enumerate(digits)]
        for i in range(0, len(rows), 10_000):
            draw_store.add_draws(r, game, rows[i:i + 10_000], len(rows))
        plan = backtest.parse_backtest(game, {"predictor": args.predictors.split(",")[0],
                                              "market": "color", "progression": "martingale",
                                              "draws": args.draws, "warmup": args.warmup,
                                              "initial_wallet": 1e6})
        t_total, res = timed(backtest.backtest_stored, r, plan)
        t_load, _ = timed(backtest.load_history, r, game, args.draws + args.warmup)
        print(f"\nfrom Redis ({plan.predictor}, end to end as the API runs it): {t_total:.2f} s, "
              f"of which loading {args.draws + args.warmup:,} draws {t_load:.2f} s")


if __name__ == "__main__":
    main()
