"""Backtest throughput: every predictor walk-forward over 100,000 fair draws.

    python bench/backtest.py [--draws 100000]

Prints the wall time and draws per second in one process and split over two
processes (side by side, same draws), and the per-predictor cost per draw.
Target: all predictors over 100,000 draws in under 10 s on a 2-core machine.
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
from lottery.predictors.wingo.registry import PREDICTOR_NAMES  # noqa: E402

GAME = get_game("WinGo_1M")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--per-predictor-draws", type=int, default=10_000)
    args = parser.parse_args()
    digits = np.random.default_rng(2025).integers(0, 10, args.draws).tolist()
    print(f"backtest of {len(PREDICTOR_NAMES)} predictors over {len(digits):,} draws "
          f"({os.cpu_count()} CPUs)")
    results = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        totals = backtest(GAME, digits, jobs=jobs)
        elapsed = time.perf_counter() - started
        results[jobs] = totals
        print(f"  jobs={jobs}: {elapsed:6.2f} s  {len(digits) / elapsed:9,.0f} draws/s  "
              f"(target < 10 s: {'met' if elapsed < 10 else 'MISSED'})")
    assert results[1] == results[2], "the split must not change the totals"
    sample = digits[:args.per_predictor_draws]
    print(f"per predictor, {len(sample):,} draws, one process:")
    for name in PREDICTOR_NAMES:
        started = time.perf_counter()
        replay(GAME, sample, [name])
        elapsed = time.perf_counter() - started
        print(f"  {name:<12} {1e6 * elapsed / len(sample):6.1f} us/draw")


if __name__ == "__main__":
    main()
