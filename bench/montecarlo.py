"""Monte Carlo throughput (settled bets per second) next to numpy's own digit rate.

    python bench/montecarlo.py [--sessions 20000] [--rounds 1000] [--repeat 3]

For flat and martingale staking on Big, runs the real `montecarlo.run` on
sessions x rounds bets and, in the same run and the same block shapes, times
`numpy.random.Generator.integers(0, 10, dtype=uint8)` drawing as many digits:
the ceiling no simulator can beat. Targets: >= 0.5 of the ceiling and
>= 20 million bets/s. Then reports peak traced memory (tracemalloc) of studies
at the API limit (SIMULATOR_MC_MAX_BETS, default 20,000,000 bets) in three
shapes. Best of --repeat runs, interleaved, so machine load hits both sides, and the
median of the paired ratios.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import _common  # puts the project on sys.path

import numpy as np

from lottery.games import get_game
from lottery.sim import montecarlo

GAME = get_game("WinGo_1M")


def draw_ceiling(sessions: int, rounds: int, seed: int) -> None:
    """Draw the study's digits with numpy alone, in its block shapes (the ceiling)."""
    rng = np.random.default_rng(seed)
    per_block = max(1, montecarlo.CHUNK_CELLS // rounds)
    for first in range(0, sessions, per_block):
        rng.integers(0, 10, (min(per_block, sessions - first), rounds), dtype=np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cells = args.sessions * args.rounds
    print(f"{args.sessions:,} sessions x {args.rounds:,} rounds = {cells:,} bets per run, "
          f"best of {args.repeat}")
    print(f"{'strategy':<34}{'M bets/s':>10}{'ceiling M/s':>13}{'ratio':>7}{'paired':>8}")
    scenarios = [
        ("flat, no stop", {"progression": "flat", "initial_wallet": 1e9}),
        ("martingale 1-16, no stop", {"progression": "martingale", "initial_wallet": 1e9}),
        ("martingale 1-16, wallet 100", {"progression": "martingale", "initial_wallet": 100}),
    ]
    for label, extra in scenarios:
        study = montecarlo.parse_study(GAME, {"target": "Big", "sessions": args.sessions,
                                              "rounds": args.rounds, "seed": 1, **extra},
                                       max_bets=cells)
        results = []
        best_run, best_ceiling, paired = _common.side_by_side(
            lambda: results.append(montecarlo.run(study)),
            lambda: draw_ceiling(args.sessions, args.rounds, 1), args.repeat)
        bets = results[-1]["bets_settled"]
        rate, ceiling = bets / best_run, cells / best_ceiling
        paired *= bets / cells  # settled bets, against the digits drawn
        print(f"{label:<34}{rate / 1e6:>10.1f}{ceiling / 1e6:>13.1f}{rate / ceiling:>7.2f}"
              f"{paired:>8.2f}"
              + ("" if bets == cells else f"   ({bets:,} bets settled: sessions stopped)"))

    print("\npeak traced memory at the API limit (20,000,000 bets):")
    for sessions, rounds in ((1_000_000, 20), (20_000, 1000), (200, 100_000)):
        study = montecarlo.parse_study(GAME, {"progression": "martingale", "sessions": sessions,
                                              "rounds": rounds, "seed": 2})
        tracemalloc.start()
        t0 = time.perf_counter()
        montecarlo.run(study)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {sessions:>9,} sessions x {rounds:>7,} rounds: {peak / 2**20:7.1f} MiB "
              f"({seconds:.2f} s with tracing on)")


if __name__ == "__main__":
    main()
