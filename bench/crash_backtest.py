"""Crash backtest throughput: every crash predictor walk-forward over 1,000,000 fair rounds.

    python bench/crash_backtest.py [--rounds 1000000] [--slow-rounds 5000]

Prints the wall time in one process and split over two (same rounds, same
totals), the per-predictor cost per round, and, side by side on a short
history, predicting and scoring round by round (`Game.score`) against the
batch mode + vectorised scorer the backtest uses.
Target: all crash predictors over 1,000,000 rounds in under 30 s on this machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lottery.evaluation.backtest import backtest, replay  # noqa: E402
from lottery.games import get_game  # noqa: E402
from lottery.games.crash import sample_multipliers  # noqa: E402
from lottery.predictors.crash import PREDICTOR_SET  # noqa: E402

GAME = get_game("Crash")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1_000_000)
    parser.add_argument("--slow-rounds", type=int, default=5_000)
    args = parser.parse_args()
    xs = sample_multipliers(np.random.default_rng(2026), args.rounds).tolist()
    names = PREDICTOR_SET.names
    print(f"crash backtest of {len(names)} predictors ({', '.join(names)}) over "
          f"{len(xs):,} fair rounds ({os.cpu_count()} CPUs)")
    replay(GAME, xs[:5000])  # imports and first fits out of the timing
    results = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        results[jobs] = backtest(GAME, xs, jobs=jobs)
        elapsed = time.perf_counter() - started
        print(f"  jobs={jobs}: {elapsed:6.2f} s  {len(xs) / elapsed:9,.0f} rounds/s  "
              f"(target < 30 s: {'met' if elapsed < 30 else 'MISSED'})")
    assert results[1] == results[2], "the split must not change the totals"
    sample = xs[:min(len(xs), 200_000)]
    print(f"per predictor, {len(sample):,} rounds, one process:")
    for name in names:
        started = time.perf_counter()
        replay(GAME, sample, [name])
        print(f"  {name:<10} {1e6 * (time.perf_counter() - started) / len(sample):6.2f} us/round")
    short = xs[:args.slow_rounds]
    started = time.perf_counter()
    replay(GAME, short, one_by_one=True)
    slow = time.perf_counter() - started
    started = time.perf_counter()
    replay(GAME, short)
    fast = time.perf_counter() - started
    print(f"side by side, {len(short):,} rounds: round by round {slow:.2f} s, batch + vectorised "
          f"{fast:.2f} s ({slow / fast:.0f}x)")


if __name__ == "__main__":
    main()
